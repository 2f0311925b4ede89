#!/usr/bin/env bash
# Builds this firmware with ESP-IDF's own CMake build for ESP-IDF's `linux`
# target (FreeRTOS on its POSIX port, the flash emulated by a file) and runs
# it without a board: stories260K packed with `llmcu pack` into the emulated
# flash at the model partition's offset, mapped with esp_partition_mmap, the
# generation with 1 core and with the worker task (2 cores), the arena
# placement, and a damaged container, an erased partition and too little RAM.
# See linux_target_runs.py for the checks.
#
#   firmware/esp32s3/tools/check-linux-target.sh IDF_PATH [WORK_DIR]
#
# IDF_PATH    an ESP-IDF checkout (5.x or later) whose Python requirements are
#             installed (its install.sh, or the packages its
#             tools/requirements/requirements.core.txt lists)
# WORK_DIR    builds, flash images and console logs (default: build/linux-target
#             in this repository, which git ignores)
# Environment:
#   PYTHON           the Python ESP-IDF runs with (default: $IDF_PYTHON_ENV_PATH/bin/python
#                    after ESP-IDF's export.sh, else python3)
#   LLMCU_CLI        a built `llmcu` host tool (default: built here, in WORK_DIR/host)
#   LLMCU_SHARED_DIR the fixtures: models/stories260K.bin, models/tok512.bin,
#                    golden/cases.json (default: ../shared beside the repository)
#   JOBS             parallel build jobs (default 2)
#
# It calls cmake and ninja the way `idf.py build` does, so it also works where
# idf.py cannot start (offline, or without esp-idf-monitor installed). The
# component manager is off: on the linux target the firmware needs no managed
# component (esp-dsp is required on the ESP32-S3 only).
set -euo pipefail

if [[ $# -lt 1 || "$1" == -h || "$1" == --help ]]; then
  sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'
  exit 2
fi
IDF=$(cd "$1" && pwd)
HERE=$(cd "$(dirname "$0")" && pwd)
FIRMWARE=$(cd "$HERE/.." && pwd)
ROOT=$(cd "$FIRMWARE/../.." && pwd)
WORK=${2:-$ROOT/build/linux-target}
SHARED=${LLMCU_SHARED_DIR:-$ROOT/../shared}
JOBS=${JOBS:-2}
if [[ -z "${PYTHON:-}" ]]; then
  if [[ -n "${IDF_PYTHON_ENV_PATH:-}" ]]; then PYTHON=$IDF_PYTHON_ENV_PATH/bin/python; else PYTHON=python3; fi
fi

fail() {
  echo "check-linux-target: $*" >&2
  echo "linux target: 0 passed, 1 failed (stopped before the runs: $*)"
  exit 1
}
[[ -f "$IDF/tools/cmake/project.cmake" ]] || fail "$IDF is not an ESP-IDF checkout"
for f in models/stories260K.bin models/tok512.bin golden/cases.json; do
  [[ -f "$SHARED/$f" ]] || fail "no $SHARED/$f (set LLMCU_SHARED_DIR)"
done
command -v ninja > /dev/null || fail "ninja is not installed"
mkdir -p "$WORK"
WORK=$(cd "$WORK" && pwd)

export IDF_PATH=$IDF
export IDF_COMPONENT_MANAGER=0
# The linux target uses none of ESP-IDF's git submodules.
export IDF_SKIP_CHECK_SUBMODULES=1

echo "== ESP-IDF $(git -C "$IDF" describe --tags --always 2>/dev/null || echo '(not a git checkout)')" \
     "at $IDF; $("$PYTHON" --version 2>&1); $(cmake --version | head -1); ninja $(ninja --version)"

# 1. The host tool and the container.
CLI=${LLMCU_CLI:-}
if [[ -z "$CLI" ]]; then
  echo "== building the llmcu host tool"
  cmake -S "$ROOT" -B "$WORK/host" -DCMAKE_BUILD_TYPE=Release > "$WORK/host-configure.log"
  cmake --build "$WORK/host" --target llmcu -j "$JOBS" > "$WORK/host-build.log"
  CLI=$WORK/host/apps/cli/llmcu
fi
"$CLI" pack "$SHARED/models/stories260K.bin" "$SHARED/models/tok512.bin" "$WORK/model.llmcu"

# 2. Two builds of the firmware: 1 core, and 2 cores with the console on.
# The same sdkconfig.defaults as a board build, then the check's settings:
# greedy, the whole context, one generation of the golden prompt.
PROMPT="Once upon a time"
build() {
  local name=$1 cores=$2 interactive=$3
  local dir=$WORK/$name
  mkdir -p "$dir"
  cat > "$dir/check.defaults" <<EOF
CONFIG_LLMCU_PROMPT="$PROMPT"
CONFIG_LLMCU_TEMPERATURE="0"
CONFIG_LLMCU_TOPP="1.0"
CONFIG_LLMCU_STEPS=0
CONFIG_LLMCU_GENERATIONS=1
CONFIG_LLMCU_SEED=1
CONFIG_LLMCU_CORES=$cores
CONFIG_LLMCU_INTERACTIVE=$interactive
EOF
  echo "== ESP-IDF build, IDF_TARGET=linux, CONFIG_LLMCU_CORES=$cores (log: $dir/build.log)"
  rm -f "$dir/sdkconfig"
  # PYTHON_DEPS_CHECKED: the build needs only the packages listed above;
  # ESP-IDF's check of its whole Python environment needs a network.
  if ! { cmake -S "$FIRMWARE" -B "$dir" -G Ninja -DIDF_TARGET=linux -DPYTHON="$PYTHON" \
           -DPYTHON_DEPS_CHECKED=1 -DSDKCONFIG="$dir/sdkconfig" \
           -DSDKCONFIG_DEFAULTS="$FIRMWARE/sdkconfig.defaults;$dir/check.defaults" &&
         ninja -C "$dir" -j "$JOBS"; } > "$dir/build.log" 2>&1; then
    tail -30 "$dir/build.log"
    fail "the ESP-IDF build failed (full log: $dir/build.log)"
  fi
  # Our own sources must build without a warning under ESP-IDF's flags.
  if grep "warning:" "$dir/build.log" | grep -F "$ROOT/"; then
    fail "warnings in llmcu's sources ($dir/build.log)"
  fi
  echo "   $(grep -c 'warning:' "$dir/build.log" || true) warnings in the whole build;" \
       "$(du -k "$dir/llmcu_esp32s3.elf" | cut -f1) KiB ELF"
}
build linux-1core 1 n
build linux-2cores 2 y

# 3. The runs.
echo "== runs (consoles in $WORK)"
"$PYTHON" "$HERE/linux_target_runs.py" --elf-1core "$WORK/linux-1core/llmcu_esp32s3.elf" \
  --elf-2cores "$WORK/linux-2cores/llmcu_esp32s3.elf" \
  --partition-table "$WORK/linux-1core/partition_table/partition-table.bin" \
  --container "$WORK/model.llmcu" --golden "$SHARED/golden/cases.json" --prompt "$PROMPT" \
  --work "$WORK"
