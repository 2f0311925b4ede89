#!/usr/bin/env bash
# Decode speed of llmcu against llama2.c on the same machine, models and
# commands, in one script with alternating runs (so background load hits
# both alike), as ratios.
#
#   bench/compare.sh LLAMA2C_DIR [--runs N] [--models "260K 15M 42M 110M 260K-q8 15M-q8 110M-q8"]
#                    [--stat median|best]
#
# LLAMA2C_DIR holds a llama2.c checkout that you built yourself, e.g.
#   gcc -Ofast -fopenmp -march=native run.c -lm -o runomp
#   gcc -Ofast -fopenmp -march=native runq.c -lm -o runq
# (binaries: $LLAMA2C_BIN, default runomp, else run, for fp32 models;
# $LLAMA2C_Q8_BIN, default runq, for the int8 ones). llama2.c is never
# built, downloaded or committed by this project. A model NAME-q8 is NAME
# quantized by `llmcu quantize --format llama2c-v2` (its default group size:
# 64 for 110M, 32 for 15M), run by runq; 260K-q8 is the shared
# stories260K_q8.bin (llama2.c's export, group size 4).
# Environment: LLMCU (the llmcu binary; default build/release), LLMCU_BASELINE
# (optional: a second llmcu binary, e.g. the same tree built with another
# LLMCU_KERNELS, run in the same alternation and reported on its own line,
# NAME (base), against the same llama2.c medians),
# LLMCU_SHARED_DIR (models/ with stories260K.bin, tok512.bin, tokenizer.bin;
# default ../shared), COMPARE_CACHE (where random 15M/42M/110M checkpoints
# are generated; default ~/.cache/llmcu/compare).
#
# Greedy (-t 0), prompt "Once upon a time"; tok/s is each program's own
# "achieved tok/s". llama2.c runs with OMP_NUM_THREADS=1 and 2 and the better
# median counts; llmcu runs with its default thread choice and with 1 and 2.
# The last columns come from `llmcu bench` (2 threads, once per model): the
# implied read bandwidth of llmcu's default-thread decode (the weights and, on
# average, the KV cache a step reads) as a share of the read bandwidth bench
# measures, and prefill tok/s over a 128-token prompt.
set -euo pipefail

usage() { sed -n '2,30p' "$0"; exit 2; }
[ $# -ge 1 ] || usage
L2C_DIR=$1; shift
RUNS=5
MODELS="260K 15M 110M"
STAT=median  # best: the fastest run of each, for a machine busy with other work
while [ $# -gt 0 ]; do
  case $1 in
    --runs) RUNS=$2; shift 2 ;;
    --models) MODELS=$2; shift 2 ;;
    --stat) STAT=$2; shift 2 ;;
    *) usage ;;
  esac
done

ROOT=$(cd "$(dirname "$0")/.." && pwd)
L2C_BIN=${LLAMA2C_BIN:-runomp}
[ -x "$L2C_DIR/$L2C_BIN" ] || L2C_BIN=run
L2C="$L2C_DIR/$L2C_BIN"
# The fp32 binary is needed only for fp32 models (the int8 ones run runq).
for m in $MODELS; do
  case $m in
    *-q8) ;;
    *) [ -x "$L2C" ] || { echo "no llama2.c binary runomp or run in $L2C_DIR (for $m)" >&2; exit 1; } ;;
  esac
done
L2CQ="$L2C_DIR/${LLAMA2C_Q8_BIN:-runq}"
LLMCU=${LLMCU:-$ROOT/build/release/apps/cli/llmcu}
[ -x "$LLMCU" ] || { echo "no llmcu binary: build it or set LLMCU" >&2; exit 1; }
BASE=${LLMCU_BASELINE:-}
[ -z "$BASE" ] || [ -x "$BASE" ] || { echo "LLMCU_BASELINE=$BASE is not executable" >&2; exit 1; }
SHARED=${LLMCU_SHARED_DIR:-$ROOT/../shared}
SM=$SHARED/models
for f in stories260K.bin tok512.bin tokenizer.bin; do
  [ -f "$SM/$f" ] || { echo "missing $SM/$f: set LLMCU_SHARED_DIR" >&2; exit 1; }
done
CACHE=${COMPARE_CACHE:-$HOME/.cache/llmcu/compare}
mkdir -p "$CACHE"

# model name -> file, tokenizer, steps
model_file() {
  case $1 in
    260K) echo "$SM/stories260K.bin" ;;
    260K-q8) echo "$SM/stories260K_q8.bin" ;;
    *-q8) echo "$CACHE/random_${1%-q8}_q8.bin" ;;
    *) echo "$CACHE/random_$1.bin" ;;
  esac
}
model_tok() { case $1 in 260K*) echo "$SM/tok512.bin" ;; *) echo "$SM/tokenizer.bin" ;; esac; }
model_steps() {
  case ${1%-q8} in 260K) echo 512 ;; 15M | 42M) echo 256 ;; *) echo 128 ;; esac
}

tps() { grep -a 'achieved tok/s' | head -1 | awk '{print $3}'; }
median() {
  if [ "$STAT" = best ]; then
    sort -g | tail -1
  else
    sort -g | awk '{a[NR]=$1} END {if (NR==0) {print 0} else if (NR%2) {print a[(NR+1)/2]} else {print (a[NR/2]+a[NR/2+1])/2}}'
  fi
}

printf '# %s\n# llama2.c: %s (int8: %s)   llmcu: %s   runs per config: %s, statistic: %s\n' \
  "$(date -u +%FT%TZ)" "$L2C" "$L2CQ" "$LLMCU" "$RUNS" "$STAT"
[ -z "$BASE" ] || printf '# baseline llmcu (lines NAME (base)): %s\n' "$BASE"
printf '# load average: %s\n' "$(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-7s | %-16s | %-15s | %-6s | %-8s %-8s %-6s | %-8s %-8s | %-40s | %s\n' model "llama2.c (thr)" "llmcu (thr)" ratio "llmcu 1t" "llmcu 2t" "2t/1t" "l2c 1t" "l2c 2t" "llmcu bandwidth" "prefill"
measured=0 current=
# One line at the end: how many models were compared, or which one stopped the script.
trap 'rc=$?; if [ $rc -ne 0 ] && [ -n "$current" ]; then
  echo "compare: $measured passed, 1 failed (stopped at model $current, exit $rc)"; fi' EXIT
for m in $MODELS; do
  current=$m
  file=$(model_file "$m"); tok=$(model_tok "$m"); steps=$(model_steps "$m")
  base=${m%-q8}
  if [ "$base" != 260K ] && [ ! -f "$CACHE/random_$base.bin" ]; then
    "$LLMCU" gen-random "$CACHE/random_$base.bin" --shape "$base" --seed 1 >/dev/null
  fi
  if [ "$base" != 260K ] && [ "$m" != "$base" ] && [ ! -f "$file" ]; then
    "$LLMCU" quantize "$CACHE/random_$base.bin" "$file" --format llama2c-v2 >/dev/null
  fi
  L2C_RUN=$L2C
  if [ "$m" != "$base" ]; then
    L2C_RUN=$L2CQ
    [ -x "$L2C_RUN" ] || { echo "no $L2C_RUN for $m (build runq.c, or set LLAMA2C_Q8_BIN)" >&2; exit 1; }
  fi
  args=("$file" -z "$tok" -t 0 -n "$steps" -i "Once upon a time")
  declare -A results=()
  for ((r = 0; r < RUNS; r++)); do
    # Alternate the programs run by run.
    results[l1]+="$(OMP_NUM_THREADS=1 "$L2C_RUN" "${args[@]}" 2>&1 >/dev/null | tps) "
    results[u0]+="$("$LLMCU" run "${args[@]}" 2>&1 >/dev/null | tps) "
    results[l2]+="$(OMP_NUM_THREADS=2 "$L2C_RUN" "${args[@]}" 2>&1 >/dev/null | tps) "
    results[u1]+="$("$LLMCU" run "${args[@]}" --threads 1 2>&1 >/dev/null | tps) "
    results[u2]+="$("$LLMCU" run "${args[@]}" --threads 2 2>&1 >/dev/null | tps) "
    if [ -n "$BASE" ]; then
      results[b0]+="$("$BASE" run "${args[@]}" 2>&1 >/dev/null | tps) "
      results[b1]+="$("$BASE" run "${args[@]}" --threads 1 2>&1 >/dev/null | tps) "
      results[b2]+="$("$BASE" run "${args[@]}" --threads 2 2>&1 >/dev/null | tps) "
    fi
  done
  printf '# load average after %s: %s\n' "$m" "$(cut -d' ' -f1-3 /proc/loadavg)"
  l1=$(echo ${results[l1]} | tr ' ' '\n' | median)
  l2=$(echo ${results[l2]} | tr ' ' '\n' | median)
  best_l=$l1; best_t=1
  awk -v a="$l2" -v b="$l1" 'BEGIN {exit !(a > b)}' && { best_l=$l2; best_t=2; }
  bytes="" mbw=""
  if [ "$base" != 260K ]; then
    # Bytes a step reads over $steps positions and this machine's read bandwidth,
    # from llmcu bench.
    json=$("$LLMCU" bench "$file" -z "$tok" --threads 2 --prompt-tokens 1 --gen-tokens "$steps" --repeat 1 --json)
    bytes=$(echo "$json" | sed 's/.*"bytes_per_token": \([0-9]*\).*/\1/')
    mbw=$(echo "$json" | sed 's/.*"measured_read_bandwidth_gb_s": \([0-9.]*\).*/\1/')
  fi
  # One line: model label, llmcu binary, its results key prefix (u or b).
  report() {
    local label=$1 bin=$2 key=$3 t0 t1 t2 default_threads bw="" prefill ratio
    t0=$(echo ${results[${key}0]} | tr ' ' '\n' | median)
    t1=$(echo ${results[${key}1]} | tr ' ' '\n' | median)
    t2=$(echo ${results[${key}2]} | tr ' ' '\n' | median)
    default_threads=$("$bin" bench "$file" -z "$tok" --prompt-tokens 1 --gen-tokens 1 --repeat 1 \
                        --no-bandwidth --json | sed 's/.*"threads": \([0-9]*\).*/\1/')
    if [ -n "$bytes" ]; then
      bw=$(awk -v b="$bytes" -v t="$t0" -v m="$mbw" 'BEGIN {printf "%.1f GB/s = %.0f%% of %.1f GB/s read", b*t/1e9, 100*b*t/1e9/m, m}')
    fi
    prefill=$("$bin" bench "$file" -z "$tok" --prompt-tokens 128 --gen-tokens 1 --repeat 3 \
                --no-bandwidth --json | sed 's/.*"prefill_tok_s": \([0-9.]*\).*/\1/')
    ratio=$(awk -v u="$t0" -v l="$best_l" 'BEGIN {printf "%.2fx", u/l}')
    printf '%-7s | %10.1f (%s)   | %9.1f (%s)   | %-6s | %8.1f %8.1f %5.2fx | %8.1f %8.1f | %-40s | %s tok/s\n' \
      "$label" "$best_l" "$best_t" "$t0" "$default_threads" "$ratio" "$t1" "$t2" \
      "$(awk -v a="$t2" -v b="$t1" 'BEGIN {print (b > 0 ? a / b : 0)}')" "$l1" "$l2" "$bw" "$prefill"
  }
  report "$m" "$LLMCU" u
  [ -z "$BASE" ] || report "$m (base)" "$BASE" b
  unset results
  measured=$((measured + 1))
done
current=
echo "compare: $measured passed, 0 failed (models compared: $MODELS)"
