#!/usr/bin/env bash
# Writes damaged copies of a model and a tokenizer for the image's bad-input tests:
#   make_bad_inputs.sh OUT_DIR MODEL TOKENIZER
# model_truncated.bin    the first 600000 bytes (the header promises 1 MB)
# model_bad_layers.bin   n_layers (bytes 8..11) set to 0x7fffffff
# model_negative_dim.bin dim (bytes 0..3) set to -1
# model_empty.bin        0 bytes
# tokenizer_truncated.bin the first 3000 bytes of the tokenizer
set -euo pipefail
out=$1 model=$2 tokenizer=$3
mkdir -p "$out"
head -c 600000 "$model" >"$out/model_truncated.bin"
{ head -c 8 "$model"; printf '\377\377\377\177'; tail -c +13 "$model"; } >"$out/model_bad_layers.bin"
{ printf '\377\377\377\377'; tail -c +5 "$model"; } >"$out/model_negative_dim.bin"
: >"$out/model_empty.bin"
head -c 3000 "$tokenizer" >"$out/tokenizer_truncated.bin"
