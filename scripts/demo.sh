#!/usr/bin/env bash
# Builds the llmcu command and tells a story with the default model (stories260K + tok512).
# The model comes from LLMCU_MODELS, or from the user cache ($XDG_CACHE_HOME/llmcu, else
# ~/.cache/llmcu), where it is downloaded once. Without the model and without network this
# says so at once, before installing or building anything.
#
# Usage: scripts/demo.sh [llmcu run arguments]   e.g. scripts/demo.sh -t 0 -i "Once upon a time"
# A first argument that is not an option is a model of yours: then nothing is downloaded.
set -euo pipefail
cd "$(dirname "$0")/.."

phase() { printf '\n== demo: %s\n' "$*" >&2; }
fail() {
  printf 'demo: %s\n' "$*" >&2
  printf 'demo: 0 passed, 1 failed\n' >&2
  exit 1
}

# The files `llmcu run` uses without a model argument, where it downloads them from, and their
# SHA-256 (the same as the CLI's, apps/cli/model_store.cpp).
base="https://huggingface.co/karpathy/tinyllamas/resolve/main/stories260K"
files=(stories260K.bin tok512.bin)
declare -A sha256=(
  [stories260K.bin]=b0a507e7ad0f626624f17112325e66691f9076d622e1d3274d103d00299f2696
  [tok512.bin]=037cb335abb25d1fa9e8ecae30ed2a3a8ace9302862ebcdc05d51a6bbb10c312
)
if [[ -n "${LLMCU_MODELS:-}" ]]; then
  models="$LLMCU_MODELS"
elif [[ -n "${XDG_CACHE_HOME:-}" ]]; then
  models="$XDG_CACHE_HOME/llmcu"
else
  models="${HOME:-.}/.cache/llmcu"
fi

fetch_models() {
  local missing=()
  for f in "${files[@]}"; do
    [[ -f "$models/$f" ]] || missing+=("$f")
  done
  if [[ ${#missing[@]} -eq 0 ]]; then
    echo "demo: model: $models/stories260K.bin, tokenizer: $models/tok512.bin" >&2
    return
  fi
  if [[ -n "${LLMCU_MODELS:-}" ]]; then
    fail "LLMCU_MODELS=$LLMCU_MODELS has no ${missing[*]}: put them there, or unset LLMCU_MODELS to download them into the user cache"
  fi
  command -v curl >/dev/null ||
    fail "${missing[*]} not in $models and curl is not installed (apt-get install curl), nothing built"
  # A quick look first, so that a machine without network hears it now, not after the build.
  if ! curl --silent --fail --location --head --connect-timeout 10 --max-time 20 \
      --output /dev/null "$base/tok512.bin"; then
    fail "no network: cannot reach ${base%%/karpathy*} to download ${missing[*]} into $models; nothing was built. Put stories260K.bin and tok512.bin in a directory and run LLMCU_MODELS=/that/directory scripts/demo.sh"
  fi
  mkdir -p "$models"
  for f in "${missing[@]}"; do
    phase "downloading $f into $models"
    local part="$models/$f.part.$$"
    if ! curl --fail --location --progress-bar --connect-timeout 15 --output "$part" "$base/$f"; then
      rm -f "$part"
      fail "downloading $base/$f failed; nothing was built"
    fi
    local got
    got="$(sha256sum "$part" | cut -d' ' -f1)"
    if [[ "$got" != "${sha256[$f]}" ]]; then
      rm -f "$part"
      fail "$f: downloaded file has SHA-256 $got, expected ${sha256[$f]}; nothing was kept"
    fi
    mv "$part" "$models/$f"
  done
}

if [[ $# -eq 0 || "$1" == -* ]]; then
  phase "model"
  fetch_models
fi

phase "tools (scripts/install-deps.sh)"
scripts/install-deps.sh

phase "configure (cmake --preset release)"
cmake --preset release
phase "build the llmcu command (cmake --build --preset release --target llmcu)"
cmake --build --preset release -j "$(nproc)" --target llmcu

phase "run: llmcu run $(printf '%q ' "$@")"
export LLMCU_MODELS="$models"
status=0
build/release/apps/cli/llmcu run "$@" || status=$?
if [[ $status -eq 0 ]]; then
  echo "demo: 1 passed, 0 failed" >&2
else
  echo "demo: llmcu run exited with status $status" >&2
  echo "demo: 0 passed, 1 failed" >&2
fi
exit $status
