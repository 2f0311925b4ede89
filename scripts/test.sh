#!/usr/bin/env bash
# Builds everything and runs the whole test suite, then the hostile-input checks
# (scripts/sanitize.sh; LLMCU_SANITIZE=0 skips them).
# Test fixtures come from LLMCU_SHARED_DIR (default: ../shared next to the repo).
# Ends with one line: `test: N passed, N failed (...)`; the ctest log is in build/release/ctest.log.
set -uo pipefail
cd "$(dirname "$0")/.."
jobs="$(nproc)"

stop() {  # stop WHAT: a step before the tests failed
  echo "test: 0 passed, 1 failed ($1 failed; nothing tested)"
  exit 1
}
scripts/install-deps.sh --mcu || stop "installing the tools (scripts/install-deps.sh --mcu)"
cmake --preset release || stop "cmake --preset release"
cmake --build --preset release -j "$jobs" || stop "the build"

ctest --preset release -j "$jobs" 2>&1 | tee build/release/ctest.log
ctest_status=${PIPESTATUS[0]}
# ctest's own tally: "100% tests passed, 0 tests failed out of 412"
tally=$(grep -E '^[0-9]+% tests passed, [0-9]+ tests? failed out of [0-9]+' build/release/ctest.log |
        tail -1)
total=$(sed -E 's/.* out of ([0-9]+).*/\1/' <<<"$tally")
failed=$(sed -E 's/.*passed, ([0-9]+) tests? failed.*/\1/' <<<"$tally")
if [[ -z "$tally" ]]; then
  total=0 failed=1
fi
passed=$((total - failed))
[[ $ctest_status -ne 0 && $failed -eq 0 ]] && failed=1  # ctest failed without a tally

sanitize="skipped (LLMCU_SANITIZE=0)"
sanitize_status=0
if [[ "${LLMCU_SANITIZE:-1}" != "0" ]]; then
  scripts/sanitize.sh 2>&1 | tee build/sanitize.log
  sanitize_status=${PIPESTATUS[0]}
  sanitize=$(grep -E '^sanitize: [0-9]+ passed, [0-9]+ failed' build/sanitize.log | tail -1 |
             sed 's/^sanitize: //')
  [[ -n "$sanitize" ]] || sanitize="did not finish (exit $sanitize_status)"
fi
[[ $sanitize_status -ne 0 ]] && failed_steps=1 || failed_steps=0
echo "test: $passed passed, $((failed + failed_steps)) failed (release suite: $passed of $total;" \
     "sanitize.sh steps: $sanitize)"
[[ $ctest_status -eq 0 && $sanitize_status -eq 0 ]]
