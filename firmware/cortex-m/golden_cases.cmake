# llmcu_mcu_write_golden_header(<cases.json> <model file name> <tokenizer file name> <header>)
#
# Writes a C++ header with llama2.c's expected text for every "generate" case of cases.json
# (../shared/golden/cases.json) that uses the given model and tokenizer, so the image can check
# its own output. Plain CMake (string(JSON), CMake >= 3.19): no Python on the build machine.
# Every prompt and text byte is written as a \x escape, so quotes, backslashes, newlines and
# UTF-8 survive unchanged. The header is only rewritten when its content changes.
function(llmcu_mcu_write_golden_header json model tokenizer header)
  file(READ "${json}" text)
  string(JSON n LENGTH "${text}" generate)
  set(entries "")
  set(count 0)
  if(n GREATER 0)
    math(EXPR last "${n} - 1")
    foreach(i RANGE ${last})
      string(JSON case_model GET "${text}" generate ${i} model)
      string(JSON case_tokenizer GET "${text}" generate ${i} tokenizer)
      if(NOT case_model STREQUAL model OR NOT case_tokenizer STREQUAL tokenizer)
        continue()
      endif()
      foreach(field prompt temperature topp seed steps expected)
        string(JSON value_${field} GET "${text}" generate ${i} ${field})
      endforeach()
      foreach(field prompt expected)
        string(HEX "${value_${field}}" hex)
        string(LENGTH "${hex}" hex_length)
        math(EXPR bytes_${field} "${hex_length} / 2")
        string(REGEX REPLACE "(..)" "\\\\x\\1" literal_${field} "${hex}")
      endforeach()
      string(APPEND entries
        "    {\"${literal_prompt}\", ${bytes_prompt}, ${value_temperature}f, ${value_topp}f, "
        "${value_seed}ull, ${value_steps},\n     \"${literal_expected}\", ${bytes_expected}},\n")
      math(EXPR count "${count} + 1")
    endforeach()
  endif()
  if(count EQUAL 0)
    message(FATAL_ERROR "${json} has no generate case for ${model} with ${tokenizer}")
  endif()
  file(CONFIGURE OUTPUT "${header}" @ONLY CONTENT
"// Generated from ${json} by firmware/cortex-m/golden_cases.cmake. Do not edit.
// llama2.c's run.c output for ${model} with ${tokenizer}: prompt, temperature,
// top-p, seed, steps, then the expected text (prompt included, no final newline).
#pragma once

#include <cstddef>

namespace llmcu_golden {

struct Case {
  const char* prompt;
  size_t prompt_bytes;
  float temperature;
  float topp;
  unsigned long long seed;
  int steps;  // 0: the model's whole context
  const char* expected;
  size_t expected_bytes;
};

inline constexpr Case kCases[] = {
${entries}};
inline constexpr int kCaseCount = ${count};

}  // namespace llmcu_golden
")
endfunction()
