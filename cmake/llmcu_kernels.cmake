# Kernel families. Each is a folder of src/kernels holding family.h (the
# struct of kernels it overrides; everything else is the reference) and its
# sources; adding one is a folder and one line below. The host build picks
# LLMCU_KERNELS (auto: avx512vnni when building on an x86-64 CPU that has
# AVX-512F, AVX-512BW, AVX-512 VNNI, AVX2, FMA and F16C, avx512 when it has all
# but BW or VNNI, avx2 when it has the last three, neon on AArch64,
# cortex_m for a Cortex-M4F/M7 toolchain, else ref); the ESP-IDF component
# picks esp32s3 or ref (llmcu_core.cmake). Only a family's own sources get its
# compiler flags, so the rest of the core runs on any CPU of the architecture.

#                    name     folder   struct  SOURCES (in the folder)          OPTIONS
macro(llmcu_kernel_family name folder struct)
  cmake_parse_arguments(_llmcu_kf "" "" "SOURCES;OPTIONS" ${ARGN})
  list(APPEND LLMCU_KERNEL_FAMILIES ${name})
  set(LLMCU_KERNEL_FAMILY_${name}_FOLDER ${folder})
  set(LLMCU_KERNEL_FAMILY_${name}_STRUCT ${struct})
  set(LLMCU_KERNEL_FAMILY_${name}_SOURCES "")
  foreach(_llmcu_kf_src IN LISTS _llmcu_kf_SOURCES)
    list(APPEND LLMCU_KERNEL_FAMILY_${name}_SOURCES "${LLMCU_ROOT}/src/kernels/${folder}/${_llmcu_kf_src}")
  endforeach()
  set(LLMCU_KERNEL_FAMILY_${name}_OPTIONS ${_llmcu_kf_OPTIONS})
endmacro()
set(LLMCU_KERNEL_FAMILIES "")
llmcu_kernel_family(ref      ref      Ref)
llmcu_kernel_family(avx2     x86      Avx2    SOURCES kernels_avx2.cpp kernels_q8_avx2.cpp
                                                      kernels_ggml_avx2.cpp kernels_q8_path_avx2.cpp
                                              OPTIONS -mavx2 -mfma -mf16c)
llmcu_kernel_family(avx512   x86      Avx512  SOURCES kernels_avx2.cpp kernels_q8_avx2.cpp
                                                      kernels_ggml_avx2.cpp kernels_q8_path_avx2.cpp
                                                      kernels_avx512.cpp
                                              OPTIONS -mavx2 -mfma -mf16c -mavx512f)
llmcu_kernel_family(avx512vnni x86    Avx512Vnni SOURCES kernels_avx2.cpp kernels_q8_avx2.cpp
                                                      kernels_ggml_avx2.cpp kernels_q8_path_avx2.cpp
                                                      kernels_avx512.cpp kernels_q8_vnni.cpp
                                                      kernels_ggml_vnni.cpp
                                              OPTIONS -mavx2 -mfma -mf16c -mavx512f -mavx512bw
                                                      -mavx512vnni)
llmcu_kernel_family(neon     neon     Neon    SOURCES kernels_neon.cpp kernels_q8_neon.cpp
                                                      kernels_ggml_neon.cpp)
llmcu_kernel_family(cortex_m cortex_m CortexM SOURCES kernels_cortex_m.cpp kernels_q8_cortex_m.cpp
                                                      kernels_ggml_cortex_m.cpp)
llmcu_kernel_family(esp32s3  esp32s3  Esp32s3 SOURCES kernels_esp32s3.cpp)

# The preprocessor definitions that make `name` kernels::Active (kernels.h).
function(llmcu_kernel_family_definitions name out)
  if(NOT name IN_LIST LLMCU_KERNEL_FAMILIES)
    message(FATAL_ERROR "unknown kernel family '${name}' (known: ${LLMCU_KERNEL_FAMILIES})")
  endif()
  set(_folder ${LLMCU_KERNEL_FAMILY_${name}_FOLDER})
  string(TOUPPER ${name} _upper)
  set(${out}
      "LLMCU_KERNEL_FAMILY=::llmcu::kernels::${_folder}::${LLMCU_KERNEL_FAMILY_${name}_STRUCT}"
      "LLMCU_KERNEL_FAMILY_HEADER=\"${_folder}/family.h\""
      "LLMCU_KERNELS_${_upper}=1" PARENT_SCOPE)
endfunction()

# Compiles family `name` into `target` (its sources with its flags) and makes
# it kernels::Active for the target, and for its users when `scope` is PUBLIC.
function(llmcu_use_kernel_family target name scope)
  llmcu_kernel_family_definitions(${name} _definitions)
  set(_sources ${LLMCU_KERNEL_FAMILY_${name}_SOURCES})
  if(_sources)
    target_sources(${target} PRIVATE ${_sources})
    if(LLMCU_KERNEL_FAMILY_${name}_OPTIONS)
      set_source_files_properties(${_sources} TARGET_DIRECTORY ${target} PROPERTIES
                                  COMPILE_OPTIONS "${LLMCU_KERNEL_FAMILY_${name}_OPTIONS}")
    endif()
  endif()
  target_compile_definitions(${target} ${scope} ${_definitions})
endfunction()

# The host build's family: LLMCU_KERNELS, or for auto what the build machine runs.
function(llmcu_host_kernel_family out)
  set(LLMCU_KERNELS "auto" CACHE STRING "Kernel family: auto, ${LLMCU_KERNEL_FAMILIES}")
  set_property(CACHE LLMCU_KERNELS PROPERTY STRINGS auto ${LLMCU_KERNEL_FAMILIES})

  set(_llmcu_kernels "${LLMCU_KERNELS}")
  if(_llmcu_kernels STREQUAL "auto")
    set(_llmcu_kernels "ref")
    if(CMAKE_SYSTEM_PROCESSOR MATCHES "^(x86_64|AMD64|amd64)$" AND NOT CMAKE_CROSSCOMPILING)
      include(CheckCXXSourceRuns)
      # F16C (half conversions) comes with every AVX2 CPU but may be hidden by a
      # hypervisor; clang 14's __builtin_cpu_supports has no name for it: CPUID.
      set(CMAKE_REQUIRED_FLAGS "-mavx2 -mfma -mf16c")
      check_cxx_source_runs([=[
        #include <cpuid.h>
        int main() {
          __builtin_cpu_init();
          unsigned a, b, c, d;
          const bool f16c = __get_cpuid(1, &a, &b, &c, &d) && (c & bit_F16C) != 0;
          return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && f16c ? 0 : 1;
        }]=] LLMCU_HOST_HAS_AVX2_FMA_F16C)
      unset(CMAKE_REQUIRED_FLAGS)
      set(CMAKE_REQUIRED_FLAGS "-mavx512f")
      check_cxx_source_runs([=[
        int main() {
          __builtin_cpu_init();
          return __builtin_cpu_supports("avx512f") ? 0 : 1;
        }]=] LLMCU_HOST_HAS_AVX512F)
      unset(CMAKE_REQUIRED_FLAGS)
      # AVX-512BW and AVX-512 VNNI (vpdpbusd) for the int8 matvec: CPUID leaf 7
      # (the OS's saving of the zmm state is what the avx512f check saw).
      set(CMAKE_REQUIRED_FLAGS "-mavx512f -mavx512bw -mavx512vnni")
      check_cxx_source_runs([=[
        #include <cpuid.h>
        int main() {
          __builtin_cpu_init();
          unsigned a, b, c, d;
          if (!__builtin_cpu_supports("avx512f") || !__get_cpuid_count(7, 0, &a, &b, &c, &d)) return 1;
          return (b & (1u << 30)) != 0 && (c & (1u << 11)) != 0 ? 0 : 1;  // BW, VNNI
        }]=] LLMCU_HOST_HAS_AVX512_BW_VNNI)
      unset(CMAKE_REQUIRED_FLAGS)
      if(LLMCU_HOST_HAS_AVX2_FMA_F16C AND LLMCU_HOST_HAS_AVX512F AND LLMCU_HOST_HAS_AVX512_BW_VNNI)
        set(_llmcu_kernels "avx512vnni")
      elseif(LLMCU_HOST_HAS_AVX2_FMA_F16C AND LLMCU_HOST_HAS_AVX512F)
        set(_llmcu_kernels "avx512")
      elseif(LLMCU_HOST_HAS_AVX2_FMA_F16C)
        set(_llmcu_kernels "avx2")
      endif()
    elseif(CMAKE_SYSTEM_PROCESSOR MATCHES "^(aarch64|arm64|ARM64)$")
      set(_llmcu_kernels "neon")
    elseif(CMAKE_CXX_COMPILER MATCHES "arm-none-eabi" AND CMAKE_CXX_FLAGS MATCHES "-mcpu=cortex-m(4|7)"
           AND NOT CMAKE_CXX_FLAGS MATCHES "-mfloat-abi=soft")
      # Cortex-M4F/M7 (cmake/toolchains/arm-none-eabi.cmake).
      set(_llmcu_kernels "cortex_m")
    endif()
  endif()
  if(NOT _llmcu_kernels IN_LIST LLMCU_KERNEL_FAMILIES)
    message(FATAL_ERROR "LLMCU_KERNELS must be auto or one of ${LLMCU_KERNEL_FAMILIES} (got '${LLMCU_KERNELS}')")
  endif()
  message(STATUS "llmcu kernels: ${_llmcu_kernels}")
  set(${out} "${_llmcu_kernels}" PARENT_SCOPE)
endfunction()
