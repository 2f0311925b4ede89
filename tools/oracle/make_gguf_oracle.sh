#!/usr/bin/env bash
# Regenerates tests/data/gguf/ from llama.cpp: logits and greedy text of the
# stories260K GGUF conversions, and the CRC-32 of every tensor of the Q4_0
# and F16 conversions. See tests/data/gguf/README.md for how the conversions
# themselves are made. CI never runs this.
#
# Usage: tools/oracle/make_gguf_oracle.sh LLAMA_CPP_DIR MODELS_DIR [OUT_DIR]
#   LLAMA_CPP_DIR  a llama.cpp checkout built with CMake (see build.sh)
#   MODELS_DIR     holds stories260K-{f32,q8_0,q8_0-f32down,q4_0,f16}.gguf
#   OUT_DIR        default tests/data/gguf
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
llama="${1:?usage: make_gguf_oracle.sh LLAMA_CPP_DIR MODELS_DIR [OUT_DIR]}"
models="${2:?usage: make_gguf_oracle.sh LLAMA_CPP_DIR MODELS_DIR [OUT_DIR]}"
out="${3:-$here/../../tests/data/gguf}"
oracle="$("$here/build.sh" "$llama")"
mkdir -p "$out"

# The prompt "Once upon a time" (BOS 403 407 261 378) and llama2.c's greedy
# continuation on stories260K.bin: 64 positions, fed one token at a time.
forced=1,403,407,261,378,432,383,286,261,376,298,315,421,395,317,426,338,401,396,267,337,410,408,419,292,411,322,265,282,295,433,426,385,328,432,358,394,261,370,432,352,266,268,388,426,338,391,266,267,337,335,312,432,398,312,286,267,414,270,333,415,426,13,438

for variant in f32 q8_0 q8_0-f32down q4_0 f16; do
  model="$models/stories260K-$variant.gguf"
  # float32 KV cache: what llmcu computes with.
  "$oracle" "$model" --kv-f32 --tokens "$forced" --top 5 --full 8 \
    --full-out "$out/stories260K-$variant.logits.f32" \
    --prompt "Once upon a time" --greedy 96 >"$out/stories260K-$variant.json"
  # llama.cpp's default float16 KV cache, for reference.
  "$oracle" "$model" --tokens "$forced" --top 1 \
    --prompt "Once upon a time" --greedy 96 >"$out/stories260K-$variant.kv16.json"
done
for variant in q4_0 f16; do
  python3 "$here/gguf_tensor_crcs.py" "$models/stories260K-$variant.gguf" \
    >"$out/stories260K-$variant.tensors"
done
echo "wrote $out"
