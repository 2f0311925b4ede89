# CMake toolchain file for bare-metal Arm Cortex-M (arm-none-eabi GCC + newlib).
#
#   cmake -S firmware/cortex-m -B /tmp/build-mcu --toolchain $PWD/cmake/toolchains/arm-none-eabi.cmake
#
# Default CPU: Cortex-M4F (QEMU mps2-an386). For a Cortex-M7 (mps2-an500) pass e.g.
#   -DLLMCU_MCU_CPU_FLAGS="-mcpu=cortex-m7 -mthumb -mfloat-abi=hard -mfpu=fpv5-d16"
# (fpv5-sp-d16 for an M7 with a single-precision-only FPU).
# The CPU flags are part of every compile AND link line, because the compiler driver uses them to
# pick the matching newlib/libstdc++ multilib (thumb/v7e-m+fp/hard, thumb/v7e-m+dp/hard, ...).

# Give the path as an absolute path: CMake 3.25 resolves a relative --toolchain against the
# build directory. Do not pass -DCMAKE_C_FLAGS/-DCMAKE_CXX_FLAGS (that replaces the flags below);
# add flags with the CFLAGS/CXXFLAGS environment variables or target_compile_options instead.

set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR arm)

set(CMAKE_C_COMPILER arm-none-eabi-gcc)
set(CMAKE_CXX_COMPILER arm-none-eabi-g++)
set(CMAKE_ASM_COMPILER arm-none-eabi-gcc)
set(CMAKE_OBJCOPY arm-none-eabi-objcopy CACHE FILEPATH "objcopy for the target")
set(CMAKE_SIZE arm-none-eabi-size CACHE FILEPATH "size for the target")

# There is no runnable startup code at configure time: only compile-check, never link.
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)

set(LLMCU_MCU_CPU_FLAGS "-mcpu=cortex-m4 -mthumb -mfloat-abi=hard -mfpu=fpv4-sp-d16"
    CACHE STRING "CPU/FPU flags for every compile and link step (Cortex-M4F default)")
# newlib-nano is smaller (hello.elf: -8 KB code, -2 KB data) but its printf/scanf lack long long ("%llu", "%lld") and
# C99 length modifiers ("%hhX"), and %f needs -u _printf_float. It must be chosen for every
# compile too, not only the link: it switches newlib.h to _WANT_REENT_SMALL, which changes
# struct _reent (what `stdout` expands to).
option(LLMCU_MCU_NEWLIB_NANO "Use newlib-nano (--specs=nano.specs) for compiling and linking" OFF)
# try_compile projects re-read this file; make them see the same choices.
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES LLMCU_MCU_CPU_FLAGS LLMCU_MCU_NEWLIB_NANO)

# -ffunction-sections/-fdata-sections + --gc-sections (added at link time) drop unused code.
set(_llmcu_common "${LLMCU_MCU_CPU_FLAGS} -ffunction-sections -fdata-sections")
if(LLMCU_MCU_NEWLIB_NANO)
  string(APPEND _llmcu_common " --specs=nano.specs")
endif()
set(CMAKE_C_FLAGS_INIT "${_llmcu_common}")
# -fno-threadsafe-statics: no __cxa_guard_* (single core, and libsupc++'s guard can throw).
set(CMAKE_CXX_FLAGS_INIT "${_llmcu_common} -fno-exceptions -fno-rtti -fno-threadsafe-statics")
set(CMAKE_ASM_FLAGS_INIT "${LLMCU_MCU_CPU_FLAGS}")
unset(_llmcu_common)

# Programs (cmake, host tools) come from the host; libraries and headers only from the target.
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
