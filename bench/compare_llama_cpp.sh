#!/usr/bin/env bash
# llmcu bench beside llama.cpp's llama-bench on the same GGUF files, in one
# script with alternating runs (background load hits both alike), as ratios.
#
#   bench/compare_llama_cpp.sh LLAMA_BENCH [--runs N] [--threads "1 2"]
#                              [--models "260K-f32 260K-q8_0 15M-f32 15M-q8_0 15M-q4_0
#                                         smollm2-135m-q8_0 smollm2-135m-q4_0 110M-q8_0"]
#
# LLAMA_BENCH is a llama-bench binary you built from a llama.cpp checkout
# (e.g. cmake -B build -DGGML_NATIVE=ON && cmake --build build --target
# llama-bench); this project never builds, downloads or commits llama.cpp.
# Models: 260K-* are the shared stories260K conversions made by llama.cpp's
# own tools (../shared/models/gguf); the others are written by `llmcu
# gen-random --format gguf` (random weights of the published shapes, which
# llama.cpp loads too) into $COMPARE_CACHE (default ~/.cache/llmcu/compare).
#
# Tests follow llama-bench's conventions: ppP (a P-token prompt; 512, or the
# model's context if smaller) and tg128, t/s the mean of -r repetitions. Each
# run of one program is followed by a run of the other; the table gives the
# median over --runs of each program's mean, and llmcu / llama.cpp.
set -euo pipefail

usage() { sed -n '2,21p' "$0"; exit 2; }
[ $# -ge 1 ] || usage
LLAMA_BENCH=$1; shift
RUNS=3
THREADS="1 2"
MODELS="260K-f32 260K-q8_0 15M-f32 15M-q8_0 15M-q4_0 smollm2-135m-q8_0 smollm2-135m-q4_0"
while [ $# -gt 0 ]; do
  case $1 in
    --runs) RUNS=$2; shift 2 ;;
    --threads) THREADS=$2; shift 2 ;;
    --models) MODELS=$2; shift 2 ;;
    *) usage ;;
  esac
done
[ -x "$LLAMA_BENCH" ] || { echo "compare_llama_cpp: $LLAMA_BENCH is not an executable" >&2; exit 1; }
command -v python3 > /dev/null || { echo "compare_llama_cpp: needs python3" >&2; exit 1; }

ROOT=$(cd "$(dirname "$0")/.." && pwd)
LLMCU=${LLMCU:-$ROOT/build/release/apps/cli/llmcu}
[ -x "$LLMCU" ] || { echo "no llmcu binary: build it or set LLMCU" >&2; exit 1; }
SHARED=${LLMCU_SHARED_DIR:-$ROOT/../shared}
CACHE=${COMPARE_CACHE:-$HOME/.cache/llmcu/compare}
mkdir -p "$CACHE"

# The GGUF file of a model name, generated once when it is a random one.
model_file() {
  case $1 in
    260K-f32) echo "$SHARED/models/gguf/stories260K-f32.gguf" ;;
    260K-q8_0) echo "$SHARED/models/gguf/stories260K-q8_0.gguf" ;;
    *)
      local shape=${1%-*} type=${1##*-} file="$CACHE/$1.gguf"
      if [ ! -f "$file" ]; then
        "$LLMCU" gen-random "$file" --shape "$shape" --format gguf --type "$type" > /dev/null
      fi
      echo "$file" ;;
  esac
}

# The context a model's file declares (llmcu inspect), to cap the prompt.
context_of() { "$LLMCU" inspect "$1" | sed -n 's/.*seq_len \([0-9]*\).*/\1/p' | head -1; }

median() { python3 -c 'import statistics,sys; print(statistics.median(map(float, sys.argv[1:])))' "$@"; }

# Mean t/s of test $2 (pp or tg) in llama-bench's JSON output $1.
llama_ts() {
  python3 -c '
import json, sys
rows = json.load(open(sys.argv[1]))
kind = sys.argv[2]
for r in rows:
    if (kind == "pp") == (r["n_prompt"] > 0):
        print(r["avg_ts"]); break' "$1" "$2"
}
llmcu_ts() {
  python3 -c '
import json, sys
j = json.load(open(sys.argv[1]))
print(j["prefill_tok_s"] if sys.argv[2] == "pp" else j["decode_tok_s"])' "$1" "$2"
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
loadavg() { [ -r /proc/loadavg ] && echo "load average $1: $(cut -d' ' -f1-3 /proc/loadavg)"; }
loadavg before
echo "| model | size | threads | test | llama.cpp t/s | llmcu t/s | llmcu / llama.cpp |"
echo "| --- | ---: | ---: | --- | ---: | ---: | ---: |"
for m in $MODELS; do
  file=$(model_file "$m")
  ctx=$(context_of "$file")
  p=512
  [ -n "$ctx" ] && [ "$ctx" -lt "$p" ] && p=$ctx
  g=128
  [ -n "$ctx" ] && [ "$ctx" -lt "$g" ] && g=$ctx
  size=$(du -m "$file" | cut -f1)
  for t in $THREADS; do
    lpp=() ltg=() upp=() utg=()
    for _ in $(seq "$RUNS"); do
      "$LLAMA_BENCH" -m "$file" -p "$p" -n "$g" -t "$t" -r 3 -o json > "$tmp/l.json" 2> /dev/null
      "$LLMCU" bench "$file" --prompt-tokens "$p" --gen-tokens "$g" --threads "$t" -r 3 \
        --no-bandwidth -o json > "$tmp/u.json"
      lpp+=("$(llama_ts "$tmp/l.json" pp)") ltg+=("$(llama_ts "$tmp/l.json" tg)")
      upp+=("$(llmcu_ts "$tmp/u.json" pp)") utg+=("$(llmcu_ts "$tmp/u.json" tg)")
    done
    for test in pp tg; do
      if [ $test = pp ]; then a=$(median "${lpp[@]}") b=$(median "${upp[@]}") n=$p
      else a=$(median "${ltg[@]}") b=$(median "${utg[@]}") n=$g; fi
      ratio=$(python3 -c "print(f'{$b / $a:.2f}x')")
      printf '| %s | %s MB | %s | %s%s | %.1f | %.1f | %s |\n' "$m" "$size" "$t" "$test" "$n" \
        "$a" "$b" "$ratio"
    done
  done
done
loadavg after
