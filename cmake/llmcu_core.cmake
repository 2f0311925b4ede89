# The portable core: no exceptions, no RTTI, no OS. Shared by the host build,
# the Cortex-M image and the ESP-IDF component.
set(LLMCU_ROOT "${CMAKE_CURRENT_LIST_DIR}/..")
set(LLMCU_WARNINGS -Wall -Wextra -Werror)

set(LLMCU_CORE_SOURCES
  ${LLMCU_ROOT}/src/core/status.cpp
  ${LLMCU_ROOT}/src/core/arena.cpp
  ${LLMCU_ROOT}/src/core/model_loader.cpp
  ${LLMCU_ROOT}/src/core/tokenizer.cpp
  ${LLMCU_ROOT}/src/core/unicode.cpp
  ${LLMCU_ROOT}/src/core/pretokenizer.cpp
  ${LLMCU_ROOT}/src/core/vocab_index.cpp
  ${LLMCU_ROOT}/src/core/bpe_tokenizer.cpp
  ${LLMCU_ROOT}/src/core/spm_tokenizer.cpp
  ${LLMCU_ROOT}/src/core/sampler.cpp
  ${LLMCU_ROOT}/src/core/transformer.cpp
  ${LLMCU_ROOT}/src/core/memory_plan.cpp
  ${LLMCU_ROOT}/src/core/generator.cpp
  ${LLMCU_ROOT}/src/core/quantize.cpp
  ${LLMCU_ROOT}/src/core/llmcu_format.cpp
  ${LLMCU_ROOT}/src/core/llmcu_format_reader.cpp
  ${LLMCU_ROOT}/src/core/llmcu_format_writer.cpp
  ${LLMCU_ROOT}/src/core/evaluate.cpp
  ${LLMCU_ROOT}/src/core/model_check.cpp
  ${LLMCU_ROOT}/src/core/chat.cpp
  ${LLMCU_ROOT}/src/core/container.cpp
  ${LLMCU_ROOT}/src/core/crc32.cpp
  ${LLMCU_ROOT}/src/core/build_info.cpp
  ${LLMCU_ROOT}/src/core/gguf_reader.cpp
  ${LLMCU_ROOT}/src/core/gguf_metadata.cpp
  ${LLMCU_ROOT}/src/core/gguf_model_info.cpp
  ${LLMCU_ROOT}/src/core/gguf_loader.cpp
  ${LLMCU_ROOT}/src/core/gguf_vocab.cpp
  ${LLMCU_ROOT}/src/core/text_tokenizer.cpp
  ${LLMCU_ROOT}/src/core/ggml_rows.cpp
  ${LLMCU_ROOT}/src/core/chat_template.cpp
  ${LLMCU_ROOT}/src/kernels/ref/kernels_ref.cpp
  ${LLMCU_ROOT}/src/kernels/ref/kernels_q8_ref.cpp
  ${LLMCU_ROOT}/src/kernels/ref/kernels_ggml_ref.cpp)
include(${CMAKE_CURRENT_LIST_DIR}/llmcu_kernels.cmake)

# Unicode classes for the GGUF pre-tokenizers (src/core/unicode.cpp includes
# unicode_tables.inc), generated at configure time from the Unicode Character
# Database (Debian: unicode-data) by tools/unicode/gen_unicode_tables.py;
# rerun when either changes.
set(LLMCU_UNICODE_DIR "/usr/share/unicode" CACHE PATH
    "Directory holding the Unicode Character Database (UnicodeData.txt, PropList.txt)")
set(LLMCU_GENERATED_DIR "${CMAKE_BINARY_DIR}/llmcu_generated")
if(NOT CMAKE_BUILD_EARLY_EXPANSION AND NOT CMAKE_SCRIPT_MODE_FILE)
  file(MAKE_DIRECTORY "${LLMCU_GENERATED_DIR}")
  set(_unicode_inputs "${LLMCU_ROOT}/tools/unicode/gen_unicode_tables.py"
      "${LLMCU_UNICODE_DIR}/UnicodeData.txt" "${LLMCU_UNICODE_DIR}/PropList.txt")
  foreach(_input IN LISTS _unicode_inputs)
    if(NOT EXISTS "${_input}")
      message(FATAL_ERROR "${_input} is missing: install Debian's unicode-data "
                          "(scripts/install-deps.sh) or set LLMCU_UNICODE_DIR")
    endif()
  endforeach()
  find_package(Python3 COMPONENTS Interpreter REQUIRED)
  execute_process(
    COMMAND "${Python3_EXECUTABLE}" "${LLMCU_ROOT}/tools/unicode/gen_unicode_tables.py"
            "${LLMCU_UNICODE_DIR}" "${LLMCU_GENERATED_DIR}/unicode_tables.inc"
    RESULT_VARIABLE _unicode_result)
  if(NOT _unicode_result EQUAL 0)
    message(FATAL_ERROR "tools/unicode/gen_unicode_tables.py failed (${_unicode_result})")
  endif()
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${_unicode_inputs})
endif()

# The firmware's app loop and settings: portable, so the host tests build it too.
set(LLMCU_DEVICE_SOURCES
  ${LLMCU_ROOT}/src/device/settings.cpp
  ${LLMCU_ROOT}/src/device/app.cpp
  ${LLMCU_ROOT}/src/device/line_editor.cpp)

if(ESP_PLATFORM)
  # ESP-IDF component (firmware/esp32s3/components/llmcu/CMakeLists.txt includes
  # this file): the core, the app loop, the FreeRTOS backend and, on the
  # ESP32-S3, the S3 kernels over esp-dsp. Other targets (ESP-IDF's `linux`
  # target above all, which runs the firmware on a PC) use the reference
  # kernels and do not need esp-dsp. Requirements may depend on the target,
  # not on CONFIG_ values (unset while ESP-IDF only collects requirements);
  # sources may depend on both.
  idf_build_get_property(llmcu_idf_target IDF_TARGET)
  set(_llmcu_family ref)
  set(LLMCU_ESP_IDF_REQUIRES esp_timer esp_partition spi_flash heap freertos log)
  set(LLMCU_ESP_IDF_SOURCES
    ${LLMCU_ROOT}/src/platform/esp_idf/platform_esp_idf.cpp
    ${LLMCU_ROOT}/src/platform/esp_idf/freertos_executor.cpp
    ${LLMCU_ROOT}/src/platform/esp_idf/model_partition.cpp)
  if(llmcu_idf_target STREQUAL "esp32s3")
    list(APPEND LLMCU_ESP_IDF_REQUIRES espressif__esp-dsp)
    if(CONFIG_LLMCU_KERNELS_ESP_DSP)
      set(_llmcu_family esp32s3)
      # llmcu's own PIE assembly for the int8 matvec: off by default
      # (firmware/esp32s3/README.md).
      if(CONFIG_LLMCU_KERNELS_PIE_ASM)
        list(APPEND LLMCU_ESP_IDF_SOURCES ${LLMCU_ROOT}/src/kernels/esp32s3/kernels_esp32s3_pie.S)
      endif()
    endif()
  endif()
  list(APPEND LLMCU_ESP_IDF_SOURCES ${LLMCU_KERNEL_FAMILY_${_llmcu_family}_SOURCES})
  idf_component_register(
    SRCS ${LLMCU_CORE_SOURCES} ${LLMCU_DEVICE_SOURCES} ${LLMCU_ESP_IDF_SOURCES}
    INCLUDE_DIRS ${LLMCU_ROOT}/include ${LLMCU_ROOT}/src/device ${LLMCU_ROOT}/src/platform/esp_idf
    PRIV_INCLUDE_DIRS ${LLMCU_ROOT}/src ${LLMCU_GENERATED_DIR}
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
    set_source_files_properties(${LLMCU_CORE_SOURCES} ${LLMCU_DEVICE_SOURCES}
      PROPERTIES COMPILE_OPTIONS "${LLMCU_ESP_IDF_WARNINGS}")
    llmcu_kernel_family_definitions(${_llmcu_family} _llmcu_family_definitions)
    target_compile_definitions(${COMPONENT_LIB} PRIVATE ${_llmcu_family_definitions})
    if(_llmcu_family STREQUAL "esp32s3" AND CONFIG_LLMCU_KERNELS_PIE_ASM)
      target_compile_definitions(${COMPONENT_LIB} PRIVATE LLMCU_KERNELS_PIE_ASM=1)
    endif()
  endif()
else()
  add_library(llmcu_core STATIC ${LLMCU_CORE_SOURCES})
  target_include_directories(llmcu_core
    PUBLIC ${LLMCU_ROOT}/include
    PRIVATE ${LLMCU_ROOT}/src ${LLMCU_GENERATED_DIR})
  target_compile_options(llmcu_core PRIVATE
    ${LLMCU_WARNINGS}
    $<$<COMPILE_LANGUAGE:CXX>:-fno-exceptions -fno-rtti>
    # Bit-exact with llama2.c's reference build: no FMA contraction, no fast-math.
    -ffp-contract=off)
  llmcu_host_kernel_family(LLMCU_KERNELS_SELECTED)
  llmcu_use_kernel_family(llmcu_core ${LLMCU_KERNELS_SELECTED} PUBLIC)

  add_library(llmcu_device STATIC ${LLMCU_DEVICE_SOURCES})
  target_include_directories(llmcu_device PUBLIC ${LLMCU_ROOT}/src/device)
  target_link_libraries(llmcu_device PUBLIC llmcu_core)
  target_compile_options(llmcu_device PRIVATE ${LLMCU_WARNINGS}
    $<$<COMPILE_LANGUAGE:CXX>:-fno-exceptions -fno-rtti>)
endif()
