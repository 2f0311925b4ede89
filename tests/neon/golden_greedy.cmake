# Runs the CLI on the first generate case of golden/cases.json (stories260K,
# greedy, "Once upon a time") and fails unless it prints llama2.c's text
# exactly. The case's arguments come from the file. Run as
#   cmake "-DEMULATOR=qemu-aarch64;-cpu;max;-L;/usr/aarch64-linux-gnu" -DCLI=... -DSHARED_DIR=...
#         -P golden_greedy.cmake
foreach(var CLI SHARED_DIR)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "golden_greedy.cmake: ${var} is not set")
  endif()
endforeach()
file(READ "${SHARED_DIR}/golden/cases.json" cases)
string(JSON case GET "${cases}" generate 0)
foreach(field model tokenizer prompt temperature topp seed steps expected)
  string(JSON ${field} GET "${case}" ${field})
endforeach()
execute_process(
  COMMAND ${EMULATOR} "${CLI}" run "${SHARED_DIR}/models/${model}"
          -z "${SHARED_DIR}/models/${tokenizer}" -t ${temperature} -p ${topp} -s ${seed}
          -n ${steps} -i "${prompt}"
  OUTPUT_VARIABLE text ERROR_VARIABLE log RESULT_VARIABLE status)
if(NOT status EQUAL 0)
  message(FATAL_ERROR "llmcu run exited with ${status}:\n${log}")
endif()
# run.c ends the story with one newline, which cases.json leaves out.
if(NOT text STREQUAL "${expected}\n")
  message(FATAL_ERROR "llmcu run printed\n${text}\ninstead of llama2.c's\n${expected}\n")
endif()
message(STATUS "golden: ${model} greedy from \"${prompt}\": llama2.c's text exactly\n${log}")
