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
  ${LLMCU_ROOT}/src/core/gguf_reader.cpp
  ${LLMCU_ROOT}/src/core/gguf_metadata.cpp
  ${LLMCU_ROOT}/src/core/gguf_model_info.cpp
  ${LLMCU_ROOT}/src/kernels/ref/kernels_ref.cpp
  ${LLMCU_ROOT}/src/kernels/ref/kernels_q8_ref.cpp
  ${LLMCU_ROOT}/src/kernels/ref/kernels_ggml_ref.cpp
  ${LLMCU_ROOT}/src/kernels/x86/kernels_q8_avx2.cpp
  ${LLMCU_ROOT}/src/kernels/neon/kernels_q8_neon.cpp)

# The firmware's app loop and settings: portable, so the host tests build it too.
set(LLMCU_APP_SOURCES
  ${LLMCU_ROOT}/src/app/app_settings.cpp
  ${LLMCU_ROOT}/src/app/app.cpp
  ${LLMCU_ROOT}/src/app/line_editor.cpp)

if(ESP_PLATFORM)
  # ESP-IDF component (firmware/esp32s3/components/llmcu/CMakeLists.txt includes
  # this file): the core, the app loop, the FreeRTOS backend and the S3 kernels.
  set(LLMCU_ESP_IDF_SOURCES
    ${LLMCU_ROOT}/src/platform/esp_idf/platform_esp_idf.cpp
    ${LLMCU_ROOT}/src/platform/esp_idf/freertos_executor.cpp
    ${LLMCU_ROOT}/src/platform/esp_idf/model_partition.cpp
    ${LLMCU_ROOT}/src/kernels/esp32s3/kernels_esp32s3.cpp)
  # llmcu's own PIE assembly for the int8 matvec: off by default, because no
  # CI machine can assemble it (firmware/esp32s3/README.md). Sources, unlike
  # requirements, may depend on CONFIG_ values; they are unset (off) while
  # ESP-IDF only collects requirements.
  if(CONFIG_LLMCU_KERNELS_PIE_ASM)
    list(APPEND LLMCU_ESP_IDF_SOURCES ${LLMCU_ROOT}/src/kernels/esp32s3/kernels_esp32s3_pie.S)
  endif()
  idf_component_register(
    SRCS ${LLMCU_CORE_SOURCES} ${LLMCU_APP_SOURCES} ${LLMCU_ESP_IDF_SOURCES}
    INCLUDE_DIRS ${LLMCU_ROOT}/include ${LLMCU_ROOT}/src/app ${LLMCU_ROOT}/src/platform/esp_idf
    PRIV_INCLUDE_DIRS ${LLMCU_ROOT}/src
    PRIV_REQUIRES esp_timer esp_partition spi_flash heap freertos log espressif__esp-dsp)
  # Target commands are not allowed while ESP-IDF only collects requirements.
  # C++ standard: ESP-IDF 5.x compiles with gnu++2b (6.0: gnu++26), a superset of the C++20 we need.
  if(NOT CMAKE_BUILD_EARLY_EXPANSION)
    target_compile_options(${COMPONENT_LIB} PRIVATE
      ${LLMCU_WARNINGS}
      $<$<COMPILE_LANGUAGE:CXX>:-fno-exceptions -fno-rtti>
      -ffp-contract=off)
    if(CONFIG_LLMCU_KERNELS_ESP_DSP)
      target_compile_definitions(${COMPONENT_LIB} PRIVATE LLMCU_KERNELS_ESP32S3=1)
    endif()
    if(CONFIG_LLMCU_KERNELS_PIE_ASM)
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
