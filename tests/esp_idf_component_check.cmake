# Host check of the ESP-IDF project's CMake files (CI has no ESP-IDF): runs
# them in script mode, as ESP-IDF's early expansion does, with the ESP-IDF
# commands replaced by stubs that check their arguments. Catches a source
# file listed for the component that does not exist, a missing include
# directory, or a component whose requirements are not declared.
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
    if(NOT IS_ABSOLUTE "${dir}")
      set(dir "${CMAKE_CURRENT_LIST_DIR}/${dir}")
    endif()
    if(NOT IS_DIRECTORY "${dir}")
      message(FATAL_ERROR "idf_component_register: include directory ${dir} does not exist")
    endif()
  endforeach()
  list(LENGTH ARG_SRCS n)
  message(STATUS "component at ${CMAKE_CURRENT_LIST_DIR}: ${n} sources, requires "
                 "${ARG_REQUIRES} ${ARG_PRIV_REQUIRES}")
  set(_registered "${_registered};${ARG_REQUIRES};${ARG_PRIV_REQUIRES}" PARENT_SCOPE)
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

include("${_fw}/components/llmcu/CMakeLists.txt")
include("${_fw}/main/CMakeLists.txt")

# The S3 kernels include esp-dsp's header: the component must require it,
# and a manifest must fetch it.
if(NOT "espressif__esp-dsp" IN_LIST _registered)
  message(FATAL_ERROR "the llmcu component does not require espressif__esp-dsp")
endif()
file(READ "${_fw}/main/idf_component.yml" _manifest)
if(NOT _manifest MATCHES "espressif/esp-dsp")
  message(FATAL_ERROR "main/idf_component.yml does not depend on espressif/esp-dsp")
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
