# Configures and builds tests/neon/target for AArch64 with one -march: the
# setup step of the host build's neon tests (a CTest fixture, so `ctest -L
# neon` builds what it runs and picks up source changes). Run as
#   cmake -DSOURCE_DIR=... -DBINARY_DIR=... -DTOOLCHAIN=... -DGENERATOR=...
#         -DMARCH=... -DJOBS=... -P build_target.cmake
foreach(var SOURCE_DIR BINARY_DIR TOOLCHAIN GENERATOR MARCH JOBS)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "build_target.cmake: ${var} is not set")
  endif()
endforeach()
execute_process(
  COMMAND "${CMAKE_COMMAND}" -S "${SOURCE_DIR}" -B "${BINARY_DIR}" -G "${GENERATOR}"
          "--toolchain" "${TOOLCHAIN}" -DCMAKE_BUILD_TYPE=Release
          "-DLLMCU_AARCH64_MARCH=${MARCH}"
  RESULT_VARIABLE status)
if(NOT status EQUAL 0)
  message(FATAL_ERROR "configuring ${BINARY_DIR} failed (${status})")
endif()
execute_process(COMMAND "${CMAKE_COMMAND}" --build "${BINARY_DIR}" --parallel "${JOBS}"
                        --target llmcu llmcu_kernel_selftest
                RESULT_VARIABLE status)
if(NOT status EQUAL 0)
  message(FATAL_ERROR "building ${BINARY_DIR} failed (${status})")
endif()
