#!/usr/bin/env bash
# Installs the Debian packages llmcu builds and tests with (root or sudo).
# Usage: scripts/install-deps.sh [--mcu]   (--mcu adds the cross toolchains and QEMU of the
# target tests: Cortex-M images under qemu-system-arm, label mcu; AArch64 builds under
# qemu-user, label neon)
set -euo pipefail
packages=(cmake g++ make git curl libgtest-dev libgmock-dev libbenchmark-dev libcli11-dev
          nlohmann-json3-dev
          # line editing and history in the chat REPL (llmcu chat on a terminal)
          libedit-dev
          # the Unicode Character Database the pre-tokenizer tables are generated from
          python3 unicode-data
          # scripts/sanitize.sh and scripts/fuzz.sh: sanitizers, libFuzzer, memcheck
          clang-14 libclang-rt-14-dev llvm-14 valgrind)
if [[ "${1:-}" == "--mcu" ]]; then
  packages+=(gcc-arm-none-eabi libnewlib-arm-none-eabi libstdc++-arm-none-eabi-newlib qemu-system-arm
             g++-aarch64-linux-gnu qemu-user)
fi
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0
sudo=""
[[ $(id -u) -ne 0 ]] && sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
