#!/usr/bin/env bash
# The hostile-input checks CI runs after the release suite (scripts/test.sh
# calls this):
#   asan      the whole test suite built with AddressSanitizer + UBSan (clang)
#   tsan      the multi-threaded tests under ThreadSanitizer
#   fuzz      every libFuzzer target for FUZZ_SECONDS each (default 30; scripts/fuzz.sh)
#   valgrind  memcheck on CLI generations and refusals (release build, AVX2 kernels on x86)
#   soak      10,000 generations on one session (label soak; release build)
# Usage: scripts/sanitize.sh [asan] [tsan] [fuzz] [valgrind] [soak]   (default: all)
# Build directories: build/asan, build/tsan, build/fuzz. Every step runs even when an earlier
# one fails; exits non-zero on any finding, and ends with one line:
# `sanitize: N passed, N failed (...)`.
set -euo pipefail
cd "$(dirname "$0")/.."
steps=("$@")
[[ ${#steps[@]} -eq 0 ]] && steps=(asan tsan fuzz valgrind soak)
jobs="$(nproc)"
shared="${LLMCU_SHARED_DIR:-$(cd .. && pwd)/shared}"
export LLMCU_SHARED_DIR="$shared"
models="$shared/models"
[[ -x /usr/bin/llvm-symbolizer-14 ]] && export ASAN_SYMBOLIZER_PATH=/usr/bin/llvm-symbolizer-14

passed=() failed=()
# timed STEP DESCRIPTION FUNCTION: runs FUNCTION in a subshell with `set -e` (its first failing
# command ends it) and records the step as passed or failed.
timed() {
  local step="$1" name="$2" start=$SECONDS status=0
  echo "== $name"
  set +e
  (set -e; "$3")
  status=$?
  set -e
  if [[ $status -eq 0 ]]; then
    echo "== $name: ok in $((SECONDS - start)) s"
    passed+=("$step")
  else
    echo "== $name: FAILED (exit $status) after $((SECONDS - start)) s"
    failed+=("$step")
  fi
}

asan() {
  cmake --preset asan >/dev/null
  cmake --build --preset asan -j "$jobs"
  ctest --preset asan -j "$jobs"
}

tsan() {
  cmake --preset tsan >/dev/null
  # Only the tests that run threads (a whole TSan build is not needed, and
  # tests that replace operator new do not link against its runtime).
  local targets=(concurrency_tests)
  local available
  available="$(cmake --build build/tsan --target help)"
  for t in threads_tests golden_threads_tests; do
    grep -q "^\.\.\. $t\$" <<<"$available" && targets+=("$t")
  done
  cmake --build --preset tsan -j "$jobs" --target "${targets[@]}"
  export TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1"
  for t in "${targets[@]}"; do
    echo "-- $t"
    "build/tsan/tests/$t" --gtest_brief=1
  done
}

fuzz() {
  scripts/fuzz.sh "${FUZZ_SECONDS:-30}"
}

valgrind_cli() {
  # A release CLI of our own: valgrind (3.19) cannot run AVX-512 code, so on
  # x86-64 the kernels are the AVX2 family (the AVX-512 matvec runs under ASan).
  local kernels=auto
  [[ "$(uname -m)" == x86_64 ]] && kernels=avx2
  cmake -S . -B build/valgrind -DCMAKE_BUILD_TYPE=Release -DLLMCU_BUILD_TESTS=OFF \
    -DLLMCU_BUILD_BENCH=OFF -DLLMCU_KERNELS="$kernels" >/dev/null
  cmake --build build/valgrind -j "$jobs" --target llmcu
  local cli=build/valgrind/apps/cli/llmcu
  local vg=(valgrind --quiet --error-exitcode=99 --leak-check=full
            --errors-for-leak-kinds=definite,indirect --show-leak-kinds=definite,indirect)
  local out
  out="$(mktemp)"
  "${vg[@]}" "$cli" run "$models/stories260K.bin" -z "$models/tok512.bin" -t 0.8 -p 0.9 -s 42 \
    -n 128 -i "Once upon a time" >"$out"
  grep -q "Once upon a time" "$out"
  "${vg[@]}" "$cli" run "$models/stories260K.bin" -z "$models/tok512.bin" -t 0 -n 64 \
    --generations 2 >/dev/null
  "${vg[@]}" "$cli" encode -z "$models/tok512.bin" "Once upon a time" >/dev/null
  # Refusals must be clean too: exit 1, no memory errors (99), no leaks.
  head -c 1000 "$models/stories260K.bin" >"$out"
  local rc=0
  "${vg[@]}" "$cli" run "$out" -z "$models/tok512.bin" 2>/dev/null || rc=$?
  [[ $rc -eq 1 ]] || { echo "valgrind: truncated model: exit $rc, expected 1" >&2; return 1; }
  rm -f "$out"
}

soak() {
  # The release build scripts/test.sh has just made; else a build of our own.
  local dir=build/release
  if [[ ! -x "$dir/tests/soak_tests" ]]; then
    dir=build/soak
    cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=Release >/dev/null
    cmake --build "$dir" -j "$jobs" --target soak_tests
  fi
  ctest --test-dir "$dir" -L soak --output-on-failure
}

for step in "${steps[@]}"; do
  case "$step" in
    asan | tsan | fuzz | valgrind | soak) ;;
    *) echo "unknown step '$step' (asan, tsan, fuzz, valgrind, soak)" >&2; exit 2 ;;
  esac
done
for step in "${steps[@]}"; do
  case "$step" in
    asan) timed asan "ASan + UBSan: whole test suite" asan ;;
    tsan) timed tsan "TSan: multi-threaded tests" tsan ;;
    fuzz) timed fuzz "fuzzing, ${FUZZ_SECONDS:-30} s per target" fuzz ;;
    valgrind) timed valgrind "valgrind memcheck: CLI" valgrind_cli ;;
    soak) timed soak "soak: 10,000 generations" soak ;;
  esac
done
echo "sanitize: ${#passed[@]} passed, ${#failed[@]} failed" \
     "(passed: ${passed[*]:-none}; failed: ${failed[*]:-none})"
[[ ${#failed[@]} -eq 0 ]]
