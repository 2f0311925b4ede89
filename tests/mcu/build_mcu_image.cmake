# Configures and builds firmware/cortex-m for one board with the arm-none-eabi toolchain: the
# setup step of the host build's mcu tests (a CTest fixture, so `ctest -L mcu` builds what it
# runs and picks up source changes). Run as
#   cmake -DSOURCE_DIR=... -DBINARY_DIR=... -DTOOLCHAIN=... -DGENERATOR=... -DSHARED_DIR=...
#         -DBOARD=... -DCPU_FLAGS=... -DJOBS=... -P build_mcu_image.cmake
foreach(var SOURCE_DIR BINARY_DIR TOOLCHAIN GENERATOR SHARED_DIR BOARD CPU_FLAGS JOBS)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "build_mcu_image.cmake: ${var} is not set")
  endif()
endforeach()
execute_process(
  COMMAND "${CMAKE_COMMAND}" -S "${SOURCE_DIR}" -B "${BINARY_DIR}" -G "${GENERATOR}"
          "--toolchain" "${TOOLCHAIN}" -DCMAKE_BUILD_TYPE=Release
          "-DLLMCU_SHARED_DIR=${SHARED_DIR}" "-DLLMCU_MCU_BOARD=${BOARD}"
          "-DLLMCU_MCU_CPU_FLAGS=${CPU_FLAGS}"
  RESULT_VARIABLE status)
if(NOT status EQUAL 0)
  message(FATAL_ERROR "configuring ${BINARY_DIR} failed (${status})")
endif()
execute_process(COMMAND "${CMAKE_COMMAND}" --build "${BINARY_DIR}" --parallel "${JOBS}"
                RESULT_VARIABLE status)
if(NOT status EQUAL 0)
  message(FATAL_ERROR "building ${BINARY_DIR} failed (${status})")
endif()
