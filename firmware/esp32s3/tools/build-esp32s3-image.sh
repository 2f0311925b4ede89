#!/usr/bin/env bash
# Builds this firmware for IDF_TARGET=esp32s3 with ESP-IDF's CMake build, the
# way `idf.py build` does, and prints what a flash would write and the image
# sizes: a re-check of "The ESP32-S3 image" in ../README.md.
#
#   firmware/esp32s3/tools/build-esp32s3-image.sh IDF_PATH [WORK_DIR] [SDKCONFIG_FRAGMENT...]
#
# IDF_PATH      ESP-IDF 5.x checkout with its Python requirements; the
#               xtensa-esp32s3-elf toolchain on PATH
# WORK_DIR      the build directory (default: build/esp32s3 in this repository)
# SDKCONFIG_FRAGMENT  extra sdkconfig lines files after sdkconfig.defaults,
#               e.g. one with CONFIG_LLMCU_KERNELS_PIE_ASM=y
# Environment:
#   LLMCU_CONTAINER     a container from `llmcu pack`, flashed to the model partition
#   ESP_DSP_COMPONENT   an esp-dsp checkout, for builds without the component
#                       manager (IDF_COMPONENT_MANAGER=0); it is added to the
#                       build as the managed component `espressif__esp-dsp`
#   PYTHON              the Python ESP-IDF runs with (default as check-linux-target.sh)
#   JOBS                parallel build jobs (default 2)
#
# With a toolchain other than the one ESP-IDF names (tools/build-esp32s3-toolchain.sh),
# set IDF_MAINTAINER=1 or ESP-IDF's toolchain version check stops the configure step.
set -euo pipefail

if [[ $# -lt 1 || "$1" == -h || "$1" == --help ]]; then
  sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'
  exit 2
fi
IDF=$(cd "$1" && pwd)
HERE=$(cd "$(dirname "$0")" && pwd)
FIRMWARE=$(cd "$HERE/.." && pwd)
ROOT=$(cd "$FIRMWARE/../.." && pwd)
WORK=${2:-$ROOT/build/esp32s3}
shift $(( $# >= 2 ? 2 : 1 ))
JOBS=${JOBS:-2}
if [[ -z "${PYTHON:-}" ]]; then
  if [[ -n "${IDF_PYTHON_ENV_PATH:-}" ]]; then PYTHON=$IDF_PYTHON_ENV_PATH/bin/python; else PYTHON=python3; fi
fi
fail() {
  echo "build-esp32s3-image: $*" >&2
  echo "build-esp32s3-image: failed: $*"
  exit 1
}
[[ -f "$IDF/tools/cmake/project.cmake" ]] || fail "$IDF is not an ESP-IDF checkout"
command -v xtensa-esp32s3-elf-gcc > /dev/null || fail "no xtensa-esp32s3-elf-gcc on PATH"
export IDF_PATH=$IDF

defaults="$FIRMWARE/sdkconfig.defaults"
for fragment in "$@"; do
  defaults="$defaults;$(cd "$(dirname "$fragment")" && pwd)/$(basename "$fragment")"
done
args=(-DIDF_TARGET=esp32s3 -DPYTHON="$PYTHON" -DSDKCONFIG="$WORK/sdkconfig"
      -DSDKCONFIG_DEFAULTS="$defaults")
if [[ -n "${ESP_DSP_COMPONENT:-}" ]]; then
  # A directory holding esp-dsp under the name the component manager gives it.
  mkdir -p "$WORK/components"
  ln -sfn "$(cd "$ESP_DSP_COMPONENT" && pwd)" "$WORK/components/espressif__esp-dsp"
  args+=(-DEXTRA_COMPONENT_DIRS="$WORK/components")
fi
[[ -n "${LLMCU_CONTAINER:-}" ]] && args+=(-DLLMCU_CONTAINER="$(cd "$(dirname "$LLMCU_CONTAINER")" && pwd)/$(basename "$LLMCU_CONTAINER")")

mkdir -p "$WORK"
rm -f "$WORK/sdkconfig"
echo "== ESP-IDF $(git -C "$IDF" describe --tags --always 2>/dev/null || echo '?'), IDF_TARGET=esp32s3," \
     "$(xtensa-esp32s3-elf-gcc --version | head -1) (log: $WORK/build.log)"
# PYTHON_DEPS_CHECKED: ESP-IDF's check of its whole Python environment needs a
# network; the build itself fails clearly if a package is missing.
if ! { cmake -S "$FIRMWARE" -B "$WORK" -G Ninja -DPYTHON_DEPS_CHECKED=1 "${args[@]}" &&
       ninja -C "$WORK" -j "$JOBS"; } > "$WORK/build.log" 2>&1; then
  tail -30 "$WORK/build.log"
  fail "the ESP-IDF build failed (full log: $WORK/build.log)"
fi
echo "   $(grep -c 'warning:' "$WORK/build.log" || true) warnings in the whole build"
if grep "warning:" "$WORK/build.log" | grep -F "$ROOT/"; then
  fail "warnings in llmcu's sources ($WORK/build.log)"
fi
echo "== flash (offset file):"
sed 1d "$WORK/flash_args"
for f in bootloader/bootloader.bin partition_table/partition-table.bin llmcu_esp32s3.bin; do
  printf '   %-40s %s bytes\n' "$f" "$(stat -c %s "$WORK/$f")"
done
echo "== sizes:"
"$PYTHON" -m esp_idf_size "$WORK/llmcu_esp32s3.map" 2>/dev/null ||
  xtensa-esp32s3-elf-size -A "$WORK/llmcu_esp32s3.elf"
echo "build-esp32s3-image: built: bootloader, partition table, app ($(stat -c %s "$WORK/llmcu_esp32s3.bin") bytes); $(grep -c 'warning:' "$WORK/build.log" || true) warnings; in $WORK"
