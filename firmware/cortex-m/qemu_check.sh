#!/usr/bin/env bash
# Runs an image with run_qemu.sh and checks the outcome (a CTest command).
#
# usage: qemu_check.sh [--status N] [--expect ERE]... [--reject ERE]... -- [run_qemu.sh args]
#   --status N     the exit status the run must have (default 0)
#   --expect ERE   a line of the output (stdout and stderr together) must match
#   --reject ERE   no line may match
#   --log FILE     also write the output to FILE (tools/readme_figures.py reads the figures there)
# An argument "@EMPTY@" after -- is passed on as an empty string (CTest drops empty ones).
set -uo pipefail

status=0 expects=() rejects=() log=
while [[ $# -gt 0 ]]; do
  case "$1" in
    --status) status=$2; shift 2 ;;
    --expect) expects+=("$2"); shift 2 ;;
    --reject) rejects+=("$2"); shift 2 ;;
    --log) log=$2; shift 2 ;;
    --) shift; break ;;
    *) echo "qemu_check.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
args=()
for a in "$@"; do
  [[ $a == "@EMPTY@" ]] && a=""
  args+=("$a")
done

here=$(cd "$(dirname "$0")" && pwd)
out=$("$here/run_qemu.sh" "${args[@]}" 2>&1)
rc=$?
printf '%s\n' "$out"
if [[ -n $log ]]; then
  mkdir -p "$(dirname "$log")"
  printf '%s\n' "$out" >"$log"
fi
fail=0
if [[ $rc -ne $status ]]; then
  echo "qemu_check: exit status $rc, expected $status"
  fail=1
fi
for re in "${expects[@]}"; do
  grep -Eq -- "$re" <<<"$out" || { echo "qemu_check: no output line matches: $re"; fail=1; }
done
for re in "${rejects[@]}"; do
  if grep -Eq -- "$re" <<<"$out"; then echo "qemu_check: an output line matches: $re"; fail=1; fi
done
exit $fail
