#!/usr/bin/env bash
# Builds tools/oracle/gguf_logits (and chat_templates beside it) against a
# llama.cpp checkout that has already
# been built with CMake (libllama and libggml in its build/ directory), e.g.
#   cmake -B build -DGGML_NATIVE=ON -DLLAMA_CURL=OFF -DCMAKE_BUILD_TYPE=Release
#   cmake --build build -j2
# CI never runs this: the oracle data it produces is committed under
# tests/data/gguf/ (see the README there).
#
# Usage: tools/oracle/build.sh LLAMA_CPP_DIR [OUTPUT]   (default output: build/oracle/gguf_logits)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
llama="${1:?usage: tools/oracle/build.sh LLAMA_CPP_DIR [OUTPUT]}"
llama="$(cd "$llama" && pwd)"
out="${2:-$here/../../build/oracle/gguf_logits}"
mkdir -p "$(dirname "$out")"
libdirs=("$llama/build/bin" "$llama/build/src" "$llama/build/ggml/src")
rpath=""
for d in "${libdirs[@]}"; do rpath+="-Wl,-rpath,$d "; done
for program in gguf_logits chat_templates; do
  target="$out"
  [ "$program" = gguf_logits ] || target="$(dirname "$out")/$program"
  # shellcheck disable=SC2086
  c++ -std=c++17 -O2 -Wall -Wextra "$here/$program.cpp" -o "$target" \
    -I"$llama/include" -I"$llama/ggml/include" \
    "${libdirs[@]/#/-L}" -lllama -lggml -lggml-base -lggml-cpu $rpath -lpthread
done
echo "$out"
