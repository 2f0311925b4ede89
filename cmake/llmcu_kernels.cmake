# Kernel family of the host/non-IDF core (src/kernels/kernels.h dispatches on
# the definition set here). auto: avx512 when building on an x86-64 CPU that
# has AVX-512F, AVX2 and FMA, avx2 when it has the last two, neon on AArch64,
# else ref. avx512 is the avx2 family with the AVX-512 matvec. Only the x86
# kernel files get -mavx2 -mfma (-mavx512f), so the rest of the core stays
# runnable on any x86-64; the definitions are PUBLIC so tests and tools that
# include kernels.h agree.
set(LLMCU_KERNELS "auto" CACHE STRING "Kernel family: auto, ref, avx2, avx512, neon or cortex_m")
set_property(CACHE LLMCU_KERNELS PROPERTY STRINGS auto ref avx2 avx512 neon cortex_m)

set(_llmcu_kernels "${LLMCU_KERNELS}")
if(_llmcu_kernels STREQUAL "auto")
  set(_llmcu_kernels "ref")
  if(CMAKE_SYSTEM_PROCESSOR MATCHES "^(x86_64|AMD64|amd64)$" AND NOT CMAKE_CROSSCOMPILING)
    include(CheckCXXSourceRuns)
    set(CMAKE_REQUIRED_FLAGS "-mavx2 -mfma")
    check_cxx_source_runs([=[
      int main() {
        __builtin_cpu_init();
        return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") ? 0 : 1;
      }]=] LLMCU_HOST_HAS_AVX2_FMA)
    unset(CMAKE_REQUIRED_FLAGS)
    set(CMAKE_REQUIRED_FLAGS "-mavx512f")
    check_cxx_source_runs([=[
      int main() {
        __builtin_cpu_init();
        return __builtin_cpu_supports("avx512f") ? 0 : 1;
      }]=] LLMCU_HOST_HAS_AVX512F)
    unset(CMAKE_REQUIRED_FLAGS)
    if(LLMCU_HOST_HAS_AVX2_FMA AND LLMCU_HOST_HAS_AVX512F)
      set(_llmcu_kernels "avx512")
    elseif(LLMCU_HOST_HAS_AVX2_FMA)
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
if(NOT _llmcu_kernels MATCHES "^(ref|avx2|avx512|neon|cortex_m)$")
  message(FATAL_ERROR "LLMCU_KERNELS must be auto, ref, avx2, avx512, neon or cortex_m (got '${LLMCU_KERNELS}')")
endif()
message(STATUS "llmcu kernels: ${_llmcu_kernels}")
set(LLMCU_KERNELS_SELECTED "${_llmcu_kernels}")

target_sources(llmcu_core PRIVATE
  ${LLMCU_ROOT}/src/kernels/x86/kernels_avx2.cpp
  ${LLMCU_ROOT}/src/kernels/neon/kernels_neon.cpp)
if(_llmcu_kernels MATCHES "^avx")
  target_compile_definitions(llmcu_core PUBLIC LLMCU_KERNELS_AVX2=1)
  if(_llmcu_kernels STREQUAL "avx512")
    target_sources(llmcu_core PRIVATE ${LLMCU_ROOT}/src/kernels/x86/kernels_avx512.cpp)
    target_compile_definitions(llmcu_core PUBLIC LLMCU_KERNELS_AVX512=1)
  endif()
  get_target_property(_llmcu_core_sources llmcu_core SOURCES)
  foreach(_src IN LISTS _llmcu_core_sources)
    if(_src MATCHES "/kernels/x86/kernels_avx512")
      set_source_files_properties(${_src} PROPERTIES COMPILE_OPTIONS "-mavx2;-mfma;-mavx512f")
    elseif(_src MATCHES "/kernels/x86/")
      set_source_files_properties(${_src} PROPERTIES COMPILE_OPTIONS "-mavx2;-mfma")
    endif()
  endforeach()
elseif(_llmcu_kernels STREQUAL "neon")
  target_compile_definitions(llmcu_core PUBLIC LLMCU_KERNELS_NEON=1)
elseif(_llmcu_kernels STREQUAL "cortex_m")
  target_sources(llmcu_core PRIVATE ${LLMCU_ROOT}/src/kernels/cortex_m/kernels_cortex_m.cpp
                                    ${LLMCU_ROOT}/src/kernels/cortex_m/kernels_q8_cortex_m.cpp)
  target_compile_definitions(llmcu_core PUBLIC LLMCU_KERNELS_CORTEX_M=1)
else()
  target_compile_definitions(llmcu_core PUBLIC LLMCU_KERNELS_REF=1)
endif()
