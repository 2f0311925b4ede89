# CMake toolchain file for AArch64 Linux with Debian's cross compiler
# (g++-aarch64-linux-gnu): the neon kernel family, whose programs run on the
# build machine under qemu-user (CMAKE_CROSSCOMPILING_EMULATOR, so CTest and
# try_run use it too). tests/neon/target is the project the neon tests build
# with it:
#
#   cmake -S tests/neon/target -B /tmp/build-a64 --toolchain $PWD/cmake/toolchains/aarch64-linux-gnu.cmake
#   qemu-aarch64 -L /usr/aarch64-linux-gnu /tmp/build-a64/llmcu/apps/cli/llmcu run ...
#
# LLMCU_AARCH64_MARCH picks the architecture every file is compiled for:
# armv8.2-a+dotprod (default; the kernels' SDOT paths, which QEMU's -cpu max
# runs) or armv8-a (their plain NEON paths).

set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)

set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)

set(LLMCU_AARCH64_MARCH "armv8.2-a+dotprod" CACHE STRING "-march for every AArch64 compile")
# try_compile projects re-read this file; make them see the same choice.
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES LLMCU_AARCH64_MARCH)
set(CMAKE_C_FLAGS_INIT "-march=${LLMCU_AARCH64_MARCH}")
set(CMAKE_CXX_FLAGS_INIT "-march=${LLMCU_AARCH64_MARCH}")

# -cpu max: every extension QEMU emulates, dotprod included.
set(CMAKE_CROSSCOMPILING_EMULATOR qemu-aarch64 -cpu max -L /usr/aarch64-linux-gnu)

# Programs come from the build machine; libraries, headers and packages from the target's sysroot.
set(CMAKE_FIND_ROOT_PATH /usr/aarch64-linux-gnu)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
