#!/usr/bin/env bash
# Builds llmcu and tells a story with the default model (stories260K), which
# comes from LLMCU_MODELS or is downloaded once into the user cache.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cmake --preset release >/dev/null
cmake --build --preset release -j "$(nproc)" >/dev/null
exec build/release/apps/cli/llmcu run "$@"
