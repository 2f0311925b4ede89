# Runs the core built with the ESP32-S3 kernel family and with the reference
# family (tests/esp32s3_family_gen.cpp) and requires the same int8 text.
#   cmake -DS3=<exe> -DREF=<exe> -DMODEL=<file> -DTOKENIZER=<file> -P esp32s3_family_check.cmake
foreach(var S3 REF MODEL TOKENIZER)
  if(NOT ${var})
    message(FATAL_ERROR "pass -D${var}=...")
  endif()
endforeach()
foreach(family S3 REF)
  execute_process(COMMAND "${${family}}" "${MODEL}" "${TOKENIZER}"
                  OUTPUT_VARIABLE out_${family} ERROR_VARIABLE err_${family}
                  RESULT_VARIABLE rc_${family})
  message(STATUS "${family}: ${err_${family}}")
  if(NOT rc_${family} EQUAL 0)
    message(FATAL_ERROR "${${family}} exited with ${rc_${family}}")
  endif()
endforeach()
if(NOT out_S3 STREQUAL out_REF)
  message(FATAL_ERROR "int8 text differs between the ESP32-S3 and reference kernel families:\n"
                      "S3:  ${out_S3}\nref: ${out_REF}")
endif()
message(STATUS "same int8 text from both kernel families")
