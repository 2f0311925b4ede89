#!/usr/bin/env bash
# Regenerates tests/data/qwen2/ from llama.cpp: logits and greedy tokens of
# random-weight qwen2 GGUF files that `llmcu gen-random` writes (no published
# qwen2 model is small enough to commit or to keep in ../shared). CI never
# runs this; see tests/data/qwen2/README.md.
#
# Usage: tools/oracle/make_qwen2_oracle.sh LLAMA_CPP_DIR LLMCU [OUT_DIR]
#   LLAMA_CPP_DIR  a llama.cpp checkout built with CMake (see build.sh)
#   LLMCU          the llmcu command (e.g. build/release/apps/cli/llmcu)
#   OUT_DIR        default tests/data/qwen2
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
llama="${1:?usage: make_qwen2_oracle.sh LLAMA_CPP_DIR LLMCU [OUT_DIR]}"
llmcu="${2:?usage: make_qwen2_oracle.sh LLAMA_CPP_DIR LLMCU [OUT_DIR]}"
out="${3:-$here/../../tests/data/qwen2}"
oracle="$("$here/build.sh" "$llama")"
mkdir -p "$out"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# dim 64, hidden 128, 2 layers, 4 query heads of 16 over 2 kv heads, vocab 512,
# context 64; q/k/v biases, rotary halves, rms eps 1e-6, rope theta 1e6.
shape=64,128,2,4,2,512,64
forced=1,300,301,302,303,400,17,260,511,3,100,200,259,280,450,2
for type in f32 f16 q8_0 q4_0; do
  model="$work/random-qwen2-$type.gguf"
  "$llmcu" gen-random "$model" --shape "$shape" --format gguf --arch qwen2 --type "$type" \
    --seed 7 >/dev/null
  sha256sum "$model" | sed "s|  .*|  random-qwen2-$type.gguf|" >>"$work/sha256"
  # float32 KV cache: what llmcu computes with.
  "$oracle" "$model" --kv-f32 --tokens "$forced" --top 5 --full 4 \
    --full-out "$out/random-qwen2-$type.logits.f32" \
    --prompt "Once upon a time" --greedy 32 >"$out/random-qwen2-$type.json"
done
cp "$work/sha256" "$out/random-qwen2.sha256"
echo "wrote $out"
