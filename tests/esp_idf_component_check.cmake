# Host check of the ESP-IDF project's CMake files (CI has no ESP-IDF): runs
# them in script mode, as ESP-IDF's early expansion does, with the ESP-IDF
# commands replaced by stubs that check their arguments, once for the
# ESP32-S3 and once for ESP-IDF's linux target. Catches a source file listed
# for the component that does not exist, a missing include directory, or a
# component whose requirements are not declared. (The real ESP-IDF build:
# firmware/esp32s3/tools/check-linux-target.sh.)
#   cmake -DLLMCU_ROOT=<repo> -P tests/esp_idf_component_check.cmake
cmake_minimum_required(VERSION 3.20)
if(NOT LLMCU_ROOT)
  message(FATAL_ERROR "pass -DLLMCU_ROOT=<repository root>")
endif()
set(ESP_PLATFORM 1)
set(CMAKE_BUILD_EARLY_EXPANSION 1)
set(_registered "")

function(idf_component_register)
  cmake_parse_arguments(ARG "" "" "SRCS;INCLUDE_DIRS;PRIV_INCLUDE_DIRS;REQUIRES;PRIV_REQUIRES"
                        ${ARGN})
  if(ARG_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "idf_component_register: unknown arguments ${ARG_UNPARSED_ARGUMENTS}")
  endif()
  if(NOT ARG_SRCS)
    message(FATAL_ERROR "idf_component_register: no SRCS")
  endif()
  foreach(src IN LISTS ARG_SRCS)
    if(NOT IS_ABSOLUTE "${src}")
      set(src "${CMAKE_CURRENT_LIST_DIR}/${src}")
    endif()
    if(NOT EXISTS "${src}")
      message(FATAL_ERROR "idf_component_register: source ${src} does not exist")
    endif()
  endforeach()
  foreach(dir IN LISTS ARG_INCLUDE_DIRS ARG_PRIV_INCLUDE_DIRS)
    if(dir STREQUAL LLMCU_GENERATED_DIR)
      continue()  # made when a real build configures, not in script mode
    endif()
    if(NOT IS_ABSOLUTE "${dir}")
      set(dir "${CMAKE_CURRENT_LIST_DIR}/${dir}")
    endif()
    if(NOT IS_DIRECTORY "${dir}")
      message(FATAL_ERROR "idf_component_register: include directory ${dir} does not exist")
    endif()
  endforeach()
  list(LENGTH ARG_SRCS n)
  message(STATUS "${_target}: component at ${CMAKE_CURRENT_LIST_DIR}: ${n} sources, requires "
                 "${ARG_REQUIRES} ${ARG_PRIV_REQUIRES}")
  set(_registered "${_registered};${ARG_REQUIRES};${ARG_PRIV_REQUIRES}" PARENT_SCOPE)
  set(_sources "${_sources};${ARG_SRCS}" PARENT_SCOPE)
endfunction()

function(idf_build_get_property var property)
  if(NOT property STREQUAL "IDF_TARGET")
    message(FATAL_ERROR "idf_build_get_property: no stub for ${property}")
  endif()
  set(${var} "${_target}" PARENT_SCOPE)
endfunction()

function(esptool_py_flash_to_partition)
  message(FATAL_ERROR "esptool_py_flash_to_partition must not run during early expansion")
endfunction()

set(_fw "${LLMCU_ROOT}/firmware/esp32s3")
foreach(f CMakeLists.txt main/CMakeLists.txt main/idf_component.yml main/Kconfig.projbuild
          components/llmcu/CMakeLists.txt components/llmcu/idf_component.yml partitions.csv
          sdkconfig.defaults sdkconfig.defaults.esp32s3)
  if(NOT EXISTS "${_fw}/${f}")
    message(FATAL_ERROR "firmware/esp32s3/${f} is missing")
  endif()
endforeach()

# Kconfig's default (main/Kconfig.projbuild): the S3 computes with esp-dsp.
set(CONFIG_LLMCU_KERNELS_ESP_DSP y)

# Each target's requirements and sources, from the files ESP-IDF reads.
function(check_target target)
  set(_target "${target}")
  set(_registered "")
  set(_sources "")
  include("${_fw}/components/llmcu/CMakeLists.txt")
  include("${_fw}/main/CMakeLists.txt")
  # The S3 kernels include esp-dsp's header: on the S3 the component must
  # require it; elsewhere (the linux target) it must not, since nothing
  # fetches it there.
  if(target STREQUAL "esp32s3")
    if(NOT "espressif__esp-dsp" IN_LIST _registered)
      message(FATAL_ERROR "esp32s3: the llmcu component does not require espressif__esp-dsp")
    endif()
    if(NOT _sources MATCHES "kernels_esp32s3.cpp")
      message(FATAL_ERROR "esp32s3: the S3 kernels are not built")
    endif()
    if(CONFIG_LLMCU_KERNELS_PIE_ASM AND NOT _sources MATCHES "kernels_esp32s3_pie.S")
      message(FATAL_ERROR "esp32s3: CONFIG_LLMCU_KERNELS_PIE_ASM but the PIE kernel is not built")
    endif()
  else()
    if("espressif__esp-dsp" IN_LIST _registered)
      message(FATAL_ERROR "${target}: the llmcu component requires espressif__esp-dsp")
    endif()
    if(_sources MATCHES "kernels_esp32s3")
      message(FATAL_ERROR "${target}: the S3 kernels are built")
    endif()
  endif()
  if(target STREQUAL "linux" AND NOT _sources MATCHES "linux_board.cpp")
    message(FATAL_ERROR "linux: main does not build linux_board.cpp")
  endif()
  message(STATUS "${target}: ok")
endfunction()
check_target(esp32s3)
check_target(linux)

# The manifest fetches esp-dsp for the S3 only.
file(READ "${_fw}/components/llmcu/idf_component.yml" _manifest)
if(NOT _manifest MATCHES "espressif/esp-dsp:[^\n]*\n[ ]+version: \">=1\.8\.1\"\n[ ]+rules:\n[ ]+- if: \"target == esp32s3\"")
  message(FATAL_ERROR "components/llmcu/idf_component.yml does not depend on espressif/esp-dsp "
                      ">=1.8.1 for the esp32s3 target only")
endif()
# Every CONFIG_LLMCU_ option the sources use is declared in the Kconfig menu.
file(READ "${_fw}/main/Kconfig.projbuild" _kconfig)
file(GLOB_RECURSE _sources "${_fw}/main/*.cpp" "${_fw}/main/CMakeLists.txt"
     "${LLMCU_ROOT}/cmake/llmcu_core.cmake")
foreach(src IN LISTS _sources)
  file(STRINGS "${src}" _lines REGEX "CONFIG_LLMCU_[A-Z_]+")
  string(REGEX MATCHALL "CONFIG_LLMCU_[A-Z0-9_]+" _used "${_lines}")
  foreach(option IN LISTS _used)
    string(REPLACE "CONFIG_" "" _name "${option}")
    if(NOT _kconfig MATCHES "config ${_name}\n")
      message(FATAL_ERROR "${src} uses ${option}, which Kconfig.projbuild does not declare")
    endif()
  endforeach()
endforeach()
message(STATUS "ESP-IDF project files: ok")
