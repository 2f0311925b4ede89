#!/usr/bin/env bash
# Installs the Debian 12 packages llmcu's documented builds use (root or sudo).
# Usage: scripts/install-deps.sh [--mcu] [--esp32s3]
#   (none)     the host build, its tests and benchmarks, the sanitizer and fuzzing scripts
#   --mcu      adds the cross toolchains and QEMU of the target tests: Cortex-M images under
#              qemu-system-arm (label mcu), AArch64 builds under qemu-user (label neon)
#   --esp32s3  adds what the ESP32-S3 steps run by hand need besides an ESP-IDF checkout:
#              the Python packages of ESP-IDF's build (firmware/esp32s3/tools/check-linux-target.sh,
#              build-esp32s3-image.sh) and the sources and tools of tools/build-esp32s3-toolchain.sh
# Ends with one line: what was installed, or that nothing was missing.
set -euo pipefail
packages=(cmake ninja-build g++ make git curl libgtest-dev libgmock-dev libbenchmark-dev
          libcli11-dev nlohmann-json3-dev
          # line editing and history in the chat REPL (llmcu chat on a terminal)
          libedit-dev
          # the Unicode Character Database the pre-tokenizer tables are generated from;
          # python3 also runs tools/readme_figures.py (ctest -L docs)
          python3 unicode-data
          # scripts/sanitize.sh and scripts/fuzz.sh: sanitizers, libFuzzer, memcheck
          clang-14 libclang-rt-14-dev llvm-14 valgrind)
for option in "$@"; do
  case "$option" in
    --mcu)
      packages+=(gcc-arm-none-eabi libnewlib-arm-none-eabi libstdc++-arm-none-eabi-newlib
                 qemu-system-arm g++-aarch64-linux-gnu qemu-user) ;;
    --esp32s3)
      packages+=(python3-click python3-rich python3-pyparsing python3-yaml python3-cryptography
                 python3-construct python3-serial python3-pyelftools python3-packaging
                 python3-bitstring python3-ecdsa python3-intelhex libbsd-dev
                 binutils-source gcc-12-source bison flex texinfo libgmp-dev libmpfr-dev
                 libmpc-dev xz-utils patch) ;;
    *) echo "install-deps: unknown option $option (--mcu, --esp32s3)" >&2; exit 2 ;;
  esac
done
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [[ ${#missing[@]} -eq 0 ]]; then
  echo "install-deps: all ${#packages[@]} packages installed, 0 missing"
  exit 0
fi
echo "install-deps: installing ${#missing[@]} of ${#packages[@]} packages: ${missing[*]}"
sudo=""
[[ $(id -u) -ne 0 ]] && sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
echo "install-deps: ${#missing[@]} installed, all ${#packages[@]} packages present"
