#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, ASan + UBSan) and fuzzes each for
# SECONDS (default 30). Exits non-zero if any target finds a crash, a leak, a
# timeout or undefined behaviour; the input that did it is left in
# build/fuzz/artifacts/<target>/ and belongs in tests/fuzz_regressions/<target>/
# once fixed. Seeds: fuzz/seeds/<target>, the shared models and tokenizers,
# and every past regression. The corpus grows in build/fuzz/corpus/<target>.
#
# Usage: scripts/fuzz.sh [SECONDS] [TARGET...]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-30}"
shift || true
targets=("$@")
[[ ${#targets[@]} -eq 0 ]] && targets=(model_loader tokenizer_loader encode generate container gguf_encode gguf)
shared="${LLMCU_SHARED_DIR:-$(cd .. && pwd)/shared}"
models="$shared/models"
export LLMCU_SHARED_DIR="$shared"

cmake --preset fuzz >/dev/null
cmake --build --preset fuzz -j "$(nproc)" >/dev/null

export ASAN_OPTIONS="detect_leaks=1:allocator_may_return_null=0"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
out=build/fuzz
status=0
summary=()
for target in "${targets[@]}"; do
  corpus="$out/corpus/$target"
  artifacts="$out/artifacts/$target"
  mkdir -p "$corpus" "$artifacts"
  seeds=("fuzz/seeds/$target")
  [[ -d "tests/fuzz_regressions/$target" ]] && seeds+=("tests/fuzz_regressions/$target")
  case "$target" in
    model_loader)
      # Whole checkpoints, and their headers with a little of the body.
      for f in "$models"/*.bin "$models"/gguf/*.gguf; do
        cp "$f" "$corpus/shared_$(basename "$f")"
        head -c 1024 "$f" >"$corpus/head_$(basename "$f")"
      done
      ;;
    gguf)
      # llama.cpp's stories260K conversions, whole and their metadata alone.
      for f in "$models"/gguf/*.gguf; do
        cp "$f" "$corpus/shared_$(basename "$f")"
        head -c 16384 "$f" >"$corpus/head_$(basename "$f")"
      done
      ;;
    tokenizer_loader)
      cp "$models/tok512.bin" "$corpus/shared_tok512.bin"
      cp "$models/tokenizer.bin" "$corpus/shared_tokenizer.bin"
      ;;
    generate)
      # Greedy and sampled stories from stories260K, with a prompt; greedy from its GGUF
      # conversions (their own vocabulary).
      printf '\x00\x00\x10\x10Once upon a time' | cat - "$models/stories260K.bin" \
        >"$corpus/shared_stories260K_greedy.bin"
      printf '\x40\xe6\x08\x03Lily' | cat - "$models/stories260K.bin" \
        >"$corpus/shared_stories260K_topp.bin"
      for f in "$models"/gguf/*.gguf; do
        printf '\x00\x00\x10\x04Once' | cat - "$f" >"$corpus/shared_$(basename "$f")"
      done
      ;;
  esac
  log="$out/fuzz_$target.log"
  echo "fuzzing $target for ${seconds}s"
  set +e
  # -max_len caps mutations at a small model; the whole shared files still run.
  "$out/fuzz/fuzz_$target" "$corpus" "${seeds[@]}" \
    -max_total_time="$seconds" -timeout=20 -rss_limit_mb=2048 -max_len=65536 \
    -print_final_stats=1 -artifact_prefix="$artifacts/" >"$log" 2>&1
  rc=$?
  set -e
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || true)
  if [[ $rc -ne 0 ]]; then
    status=1
    summary+=("$target: FAILED after ${execs:-?} executions (exit $rc); log $log, input in $artifacts/")
    grep -E 'ERROR|SUMMARY|runtime error|Test unit written' "$log" | head -n 20 >&2 || true
  else
    summary+=("$target: ${execs:-?} executions in ${seconds}s, no findings")
  fi
done
printf '%s\n' "${summary[@]}"
bad=$(printf '%s\n' "${summary[@]}" | grep -c ': FAILED' || true)
echo "fuzz: $((${#targets[@]} - bad)) passed, $bad failed (targets, ${seconds} s each)"
exit $status
