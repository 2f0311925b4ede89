# The portable core: no exceptions, no RTTI, no OS. Shared by the host build,
# the Cortex-M image and the ESP-IDF component.
set(LLMCU_ROOT "${CMAKE_CURRENT_LIST_DIR}/..")
set(LLMCU_WARNINGS -Wall -Wextra -Werror)

set(LLMCU_CORE_SOURCES
  ${LLMCU_ROOT}/src/core/status.cpp
  ${LLMCU_ROOT}/src/core/arena.cpp
  ${LLMCU_ROOT}/src/core/model_loader.cpp
  ${LLMCU_ROOT}/src/core/tokenizer.cpp
  ${LLMCU_ROOT}/src/core/sampler.cpp
  ${LLMCU_ROOT}/src/core/transformer.cpp
  ${LLMCU_ROOT}/src/core/memory_plan.cpp
  ${LLMCU_ROOT}/src/core/generator.cpp
  ${LLMCU_ROOT}/src/core/quantize.cpp
  ${LLMCU_ROOT}/src/core/llmcu_format.cpp
  ${LLMCU_ROOT}/src/core/evaluate.cpp
  ${LLMCU_ROOT}/src/core/container.cpp
  ${LLMCU_ROOT}/src/core/crc32.cpp
  ${LLMCU_ROOT}/src/kernels/ref/kernels_ref.cpp
  ${LLMCU_ROOT}/src/kernels/ref/kernels_q8_ref.cpp
  ${LLMCU_ROOT}/src/kernels/x86/kernels_q8_avx2.cpp
  ${LLMCU_ROOT}/src/kernels/neon/kernels_q8_neon.cpp)

# The firmware's app loop and settings: portable, so the host tests build it too.
set(LLMCU_APP_SOURCES
  ${LLMCU_ROOT}/src/app/app_settings.cpp
  ${LLMCU_ROOT}/src/app/app.cpp
  ${LLMCU_ROOT}/src/app/line_editor.cpp)

if(ESP_PLATFORM)
  # ESP-IDF component (firmware/esp32s3/components/llmcu/CMakeLists.txt includes
  # this file): the core, the app loop, the FreeRTOS backend and, on the
  # ESP32-S3, the S3 kernels over esp-dsp. Other targets (ESP-IDF's `linux`
  # target above all, which runs the firmware on a PC) use the reference
  # kernels and do not need esp-dsp. Requirements may depend on the target,
  # not on CONFIG_ values (unset while ESP-IDF only collects requirements).
  idf_build_get_property(llmcu_idf_target IDF_TARGET)
  set(LLMCU_ESP_IDF_SOURCES
    ${LLMCU_ROOT}/src/platform/esp_idf/platform_esp_idf.cpp
    ${LLMCU_ROOT}/src/platform/esp_idf/freertos_executor.cpp
    ${LLMCU_ROOT}/src/platform/esp_idf/model_partition.cpp)
  set(LLMCU_ESP_IDF_REQUIRES esp_timer esp_partition spi_flash heap freertos log)
  if(llmcu_idf_target STREQUAL "esp32s3")
    list(APPEND LLMCU_ESP_IDF_SOURCES ${LLMCU_ROOT}/src/kernels/esp32s3/kernels_esp32s3.cpp)
    list(APPEND LLMCU_ESP_IDF_REQUIRES espressif__esp-dsp)
    # llmcu's own PIE assembly for the int8 matvec: off by default
    # (firmware/esp32s3/README.md). Sources, unlike requirements, may depend
    # on CONFIG_ values.
    if(CONFIG_LLMCU_KERNELS_PIE_ASM)
      list(APPEND LLMCU_ESP_IDF_SOURCES ${LLMCU_ROOT}/src/kernels/esp32s3/kernels_esp32s3_pie.S)
    endif()
  endif()
  idf_component_register(
    SRCS ${LLMCU_CORE_SOURCES} ${LLMCU_APP_SOURCES} ${LLMCU_ESP_IDF_SOURCES}
    INCLUDE_DIRS ${LLMCU_ROOT}/include ${LLMCU_ROOT}/src/app ${LLMCU_ROOT}/src/platform/esp_idf
    PRIV_INCLUDE_DIRS ${LLMCU_ROOT}/src
    PRIV_REQUIRES ${LLMCU_ESP_IDF_REQUIRES})
  # Target commands are not allowed while ESP-IDF only collects requirements.
  # C++ standard: ESP-IDF 5.x compiles with gnu++2b (6.x: gnu++26 where the
  # compiler has it), a superset of the C++20 we need.
  if(NOT CMAKE_BUILD_EARLY_EXPANSION)
    # ESP-IDF's flags come first and relax warnings the host build treats as
    # errors (-Wno-unused-parameter, -Wno-sign-compare, -Wno-error=unused-*),
    # and CMake drops our -Wall -Wextra -Werror as repeats: turn them back on
    # for the portable sources. Not for the files that include ESP-IDF's
    # headers, which do not build with them.
    set(LLMCU_ESP_IDF_WARNINGS -Wunused-parameter -Wsign-compare -Werror=unused-function
      -Werror=unused-variable -Werror=unused-but-set-variable -Werror=deprecated-declarations
      -Werror=extra)
    target_compile_options(${COMPONENT_LIB} PRIVATE
      ${LLMCU_WARNINGS}
      $<$<COMPILE_LANGUAGE:CXX>:-fno-exceptions -fno-rtti>
      -ffp-contract=off)
    set_source_files_properties(${LLMCU_CORE_SOURCES} ${LLMCU_APP_SOURCES}
      PROPERTIES COMPILE_OPTIONS "${LLMCU_ESP_IDF_WARNINGS}")
    if(llmcu_idf_target STREQUAL "esp32s3" AND CONFIG_LLMCU_KERNELS_ESP_DSP)
      target_compile_definitions(${COMPONENT_LIB} PRIVATE LLMCU_KERNELS_ESP32S3=1)
    else()
      target_compile_definitions(${COMPONENT_LIB} PRIVATE LLMCU_KERNELS_REF=1)
    endif()
    if(llmcu_idf_target STREQUAL "esp32s3" AND CONFIG_LLMCU_KERNELS_PIE_ASM)
      target_compile_definitions(${COMPONENT_LIB} PRIVATE LLMCU_KERNELS_PIE_ASM=1)
    endif()
  endif()
else()
  add_library(llmcu_core STATIC ${LLMCU_CORE_SOURCES})
  target_include_directories(llmcu_core
    PUBLIC ${LLMCU_ROOT}/include
    PRIVATE ${LLMCU_ROOT}/src)
  target_compile_options(llmcu_core PRIVATE
    ${LLMCU_WARNINGS}
    $<$<COMPILE_LANGUAGE:CXX>:-fno-exceptions -fno-rtti>
    # Bit-exact with llama2.c's reference build: no FMA contraction, no fast-math.
    -ffp-contract=off)
  include(${CMAKE_CURRENT_LIST_DIR}/llmcu_kernels.cmake)

  add_library(llmcu_app STATIC ${LLMCU_APP_SOURCES})
  target_include_directories(llmcu_app PUBLIC ${LLMCU_ROOT}/src/app)
  target_link_libraries(llmcu_app PUBLIC llmcu_core)
  target_compile_options(llmcu_app PRIVATE ${LLMCU_WARNINGS}
    $<$<COMPILE_LANGUAGE:CXX>:-fno-exceptions -fno-rtti>)
endif()
