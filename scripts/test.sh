#!/usr/bin/env bash
# Builds everything and runs the whole test suite.
# Test fixtures come from LLMCU_SHARED_DIR (default: ../shared next to the repo).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh --mcu
cmake --preset release
cmake --build --preset release -j "$(nproc)"
ctest --preset release -j "$(nproc)"
# Hostile input: ASan + UBSan and TSan builds, fuzzing, valgrind (LLMCU_SANITIZE=0 skips).
[[ "${LLMCU_SANITIZE:-1}" == "0" ]] || scripts/sanitize.sh
