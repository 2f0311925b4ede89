# The llmcu image's tests under QEMU, defined once for two users: firmware/cortex-m's own build
# (ctest in that build directory) and the host build (tests/mcu/CMakeLists.txt, label mcu),
# which builds the images in a fixture first.
#
# llmcu_mcu_app_tests(PREFIX <p> IMAGE <path> BOARD <qemu machine> SHARED_DIR <dir>
#                     [WORK_DIR <dir>] [LOG_DIR <dir>] [QUICK] [LABELS <l>...] [FIXTURES <f>...]
#                     [CONTAINER <good> <corrupted> <fixture that writes them>]
#                     [INT8 <model> <expected text> <fixture that writes them>]
#                     [GGUF <directory> <fixture that fills it>])
#   LOG_DIR   where the counted runs (golden_greedy, int8_greedy) leave their output, for
#             tools/readme_figures.py; they then set up the fixture <PREFIX>_logs
#   QUICK     only the golden greedy run, the kernel self-test, one sampled case and one bad input
#   FIXTURES  fixtures every test requires (e.g. the one that builds IMAGE)
#   CONTAINER llmcu containers (`llmcu pack` of stories260K + tok512, and a copy with a damaged
#             weight): the first must tell the golden story, the second fail its checksum
#   INT8      stories260K quantized by the host (`llmcu quantize --format llmcu --group-size 64`)
#             and the host's text for the benchmark case's arguments on it (int8 models run
#             runq.c's order there): the image must print that text, and its count per token
#   GGUF      a directory with stories260K as GGUF in containers (`llmcu pack MODEL.gguf OUT`):
#             stories260K-q8_0.llmcu (llama.cpp's Q8_0 conversion) and stories260K-q4_0.llmcu
#             (`llmcu quantize --format gguf --type q4_0` of its F32 one), and the host's text
#             for the benchmark case's arguments on each (expected_q8_0.txt; expected_q4_0.txt
#             for 64 steps): the image must print the host's text
set(_LLMCU_MCU_APP_TESTS_DIR "${CMAKE_CURRENT_LIST_DIR}")

function(llmcu_mcu_app_tests)
  cmake_parse_arguments(A "QUICK" "PREFIX;IMAGE;BOARD;SHARED_DIR;WORK_DIR;LOG_DIR"
                        "LABELS;FIXTURES;CONTAINER;INT8;GGUF" ${ARGN})
  if(NOT A_WORK_DIR)
    set(A_WORK_DIR "${CMAKE_CURRENT_BINARY_DIR}/${A_PREFIX}_inputs")
  endif()
  set(dir "${_LLMCU_MCU_APP_TESTS_DIR}")
  set(models "${A_SHARED_DIR}/models")

  # _test(<name> [STATUS n] [NO_ICOUNT] [LOGGED] [EXPECT ere...] [ARGS program args...])
  #   LOGGED: with LOG_DIR, the output goes to LOG_DIR/<prefix>_<name>.log too
  function(_test name)
    cmake_parse_arguments(T "NO_ICOUNT;LOGGED" "STATUS" "EXPECT;ARGS;FIXTURES" ${ARGN})
    if(NOT DEFINED T_STATUS)
      set(T_STATUS 0)
    endif()
    set(cmd "${dir}/qemu_check.sh" --status ${T_STATUS})
    foreach(re IN LISTS T_EXPECT)
      list(APPEND cmd --expect "${re}")
    endforeach()
    # A CPU fault or a runtime abort is never an acceptable way to fail.
    list(APPEND cmd --reject "^fatal: ")
    if(T_LOGGED AND A_LOG_DIR)
      list(APPEND cmd --log "${A_LOG_DIR}/${A_PREFIX}_${name}.log")
    endif()
    list(APPEND cmd -- -M "${A_BOARD}" -t 60)
    if(T_NO_ICOUNT)
      list(APPEND cmd --no-icount)
    endif()
    add_test(NAME ${A_PREFIX}_${name} COMMAND ${cmd} "${A_IMAGE}" ${T_ARGS})
    set(fixtures ${A_FIXTURES} ${T_FIXTURES})
    set_tests_properties(${A_PREFIX}_${name} PROPERTIES TIMEOUT 120 LABELS "${A_LABELS}")
    if(fixtures)
      set_tests_properties(${A_PREFIX}_${name} PROPERTIES FIXTURES_REQUIRED "${fixtures}")
    endif()
    if(T_LOGGED AND A_LOG_DIR)
      set_tests_properties(${A_PREFIX}_${name} PROPERTIES FIXTURES_SETUP ${A_PREFIX}_logs)
    endif()
  endfunction()

  # The benchmark case, counted with -icount: default arguments.
  _test(golden_greedy LOGGED EXPECT "golden: match .*llama2.c's text exactly" "instructions/token: [0-9]+"
        "arena \\+ stack high-water = [0-9]+ bytes .within the 1 MiB budget")
  _test(selftest NO_ICOUNT EXPECT ", 0 failed" ARGS --selftest)
  _test(golden_topp_seed42 NO_ICOUNT EXPECT "golden: match .*exactly"
        ARGS -t 0.8 -p 0.9 -s 42 -n 256 -i "Lily and Tom")

  # Bad input: damaged files read through semihosting give one error line and status 1.
  add_test(NAME ${A_PREFIX}_bad_inputs_setup
           COMMAND "${dir}/make_bad_inputs.sh" "${A_WORK_DIR}" "${models}/stories260K.bin"
                   "${models}/tok512.bin")
  set_tests_properties(${A_PREFIX}_bad_inputs_setup PROPERTIES
                       FIXTURES_SETUP ${A_PREFIX}_bad_inputs LABELS "${A_LABELS}")
  if(A_FIXTURES)
    set_tests_properties(${A_PREFIX}_bad_inputs_setup PROPERTIES FIXTURES_REQUIRED "${A_FIXTURES}")
  endif()
  set(bad FIXTURES ${A_PREFIX}_bad_inputs NO_ICOUNT STATUS 1)
  _test(bad_truncated_model ${bad} EXPECT "^error: .*truncated"
        ARGS -m "${A_WORK_DIR}/model_truncated.bin")
  if(A_CONTAINER)
    list(GET A_CONTAINER 0 good)
    list(GET A_CONTAINER 1 corrupted)
    list(GET A_CONTAINER 2 fixture)
    _test(container NO_ICOUNT FIXTURES ${fixture} EXPECT "golden: match .*exactly" ARGS -m "${good}")
    _test(bad_container_checksum NO_ICOUNT FIXTURES ${fixture} STATUS 1
          EXPECT "^error: .*model checksum" ARGS -m "${corrupted}")
  endif()
  if(A_INT8)
    list(GET A_INT8 0 int8_model)
    list(GET A_INT8 1 int8_text)
    list(GET A_INT8 2 fixture)
    # The benchmark case on int8 weights, counted with -icount (seq_len 511: the static arena
    # is planned for the fp32 model, and int8 activations need 256 bytes more at 512).
    _test(int8_greedy LOGGED FIXTURES ${fixture} EXPECT "expected text: match"
          "int8 instructions/token: [0-9]+"
          ARGS -m "${int8_model}" -z "${models}/tok512.bin" --seq-len 511 --expect "${int8_text}")
  endif()
  if(A_GGUF)
    list(GET A_GGUF 0 gguf_dir)
    list(GET A_GGUF 1 fixture)
    # The benchmark case from GGUF containers, counted with -icount: the file's own
    # vocabulary, its context of 128, ggml's Q8_0 and Q4_0 (and F16 ffn_down) kernels.
    # Q4_0 for 64 steps: the Q8_0 activations turn the families' last-bit differences (F16
    # sums, exp) into logit differences of a few hundredths, and at step 87 the host's two
    # best tokens are 0.03 apart.
    _test(gguf_q8_0_container FIXTURES ${fixture}
          EXPECT "expected text: match" "instructions/token: [0-9]+"
          ARGS -m "${gguf_dir}/stories260K-q8_0.llmcu" --expect "${gguf_dir}/expected_q8_0.txt")
    _test(gguf_q4_0_container FIXTURES ${fixture}
          EXPECT "expected text: match" "instructions/token: [0-9]+"
          ARGS -m "${gguf_dir}/stories260K-q4_0.llmcu" -n 64
               --expect "${gguf_dir}/expected_q4_0.txt")
    # A bare GGUF file, read through semihosting.
    _test(gguf_q8_0_file NO_ICOUNT FIXTURES ${fixture} EXPECT "expected text: match"
          ARGS -m "${models}/gguf/stories260K-q8_0.gguf" --expect "${gguf_dir}/expected_q8_0.txt")
  endif()
  if(A_QUICK)
    return()
  endif()
  _test(bad_layers_model ${bad} EXPECT "^error: " ARGS -m "${A_WORK_DIR}/model_bad_layers.bin")
  _test(bad_negative_dim_model ${bad} EXPECT "^error: .*positive"
        ARGS -m "${A_WORK_DIR}/model_negative_dim.bin")
  _test(bad_empty_model ${bad} EXPECT "^error: .*truncated" ARGS -m "${A_WORK_DIR}/model_empty.bin")
  _test(bad_truncated_tokenizer ${bad} EXPECT "^error: "
        ARGS -z "${A_WORK_DIR}/tokenizer_truncated.bin")
  _test(bad_missing_file ${bad} EXPECT "^error: .*cannot open" ARGS -m "${A_WORK_DIR}/nonexistent.bin")
  _test(bad_usage NO_ICOUNT STATUS 2 EXPECT "^usage: " ARGS --temperature 1)

  # The other golden cases of cases.json for stories260K, and the loading/planning variants.
  _test(golden_full_context NO_ICOUNT EXPECT "golden: match .*exactly" "seq_len 512, steps 512"
        ARGS -n 0)
  _test(golden_empty_prompt NO_ICOUNT EXPECT "golden: match .*exactly" ARGS -n 256 -i "@EMPTY@")
  _test(golden_topp_seed1337 NO_ICOUNT EXPECT "golden: match .*exactly"
        ARGS -t 0.8 -p 0.9 -s 1337 -n 256 -i "Lily and Tom")
  _test(golden_multinomial NO_ICOUNT EXPECT "golden: match .*exactly"
        ARGS -t 1.0 -p 1.0 -s 7 -n 256 -i "The cat")
  _test(golden_utf8_prompt NO_ICOUNT EXPECT "golden: match .*exactly"
        ARGS -n 128 -i "Café ☕ 😀 and a dog")
  _test(golden_topp_512 NO_ICOUNT EXPECT "golden: match .*exactly"
        ARGS -t 0.5 -p 0.95 -s 123456 -n 512 -i "One day, Ben")
  _test(semihosted_model NO_ICOUNT EXPECT "golden: match .*exactly" "read into external RAM"
        ARGS -m "${models}/stories260K.bin" -z "${models}/tok512.bin")
  _test(seq_len_64 NO_ICOUNT EXPECT "golden: match .*prefix" "arena [0-9]+ bytes for seq_len 64"
        ARGS --seq-len 64)
endfunction()
