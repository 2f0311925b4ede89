#!/usr/bin/env bash
# Run a Cortex-M image under QEMU with semihosting; QEMU's exit status is the program's
# (exit()/return from main: low 8 bits; 3 = CPU fault, 4 = fatal runtime error, 124 = timeout).
#
# usage: run_qemu.sh [options] IMAGE.elf [PROGRAM ARGS...]
#   -M BOARD          QEMU machine: mps2-an386 (default, Cortex-M4F) or mps2-an500 (Cortex-M7)
#   -t SECONDS        kill QEMU after SECONDS (default 60; 0 = no limit)
#   --no-icount       do not pass -icount shift=0 (llmcu_mcu_instructions() then follows host
#                     time instead of counting instructions)
#   --plugin SO       load the insn_count plugin (path to libinsn_count.so); the address of
#                     llmcu_insn_mark is looked up with arm-none-eabi-nm
#   --plugin-log FILE write the plugin's report to FILE instead of stderr
#   --profile FILE    with --plugin: instructions per translated block to FILE
#                     (insn_profile.sh IMAGE FILE sums them per function)
# Program args reach argv[1..] through -append (semihosting SYS_GET_CMDLINE); argv[0] is the
# image path. Args containing blanks are quoted so they stay one argument.
set -euo pipefail

board=mps2-an386 timeout_s=60 icount=1 plugin="" plugin_log="" profile=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    -M) board=$2; shift 2 ;;
    -t) timeout_s=$2; shift 2 ;;
    --no-icount) icount=0; shift ;;
    --plugin) plugin=$2; shift 2 ;;
    --plugin-log) plugin_log=$2; shift 2 ;;
    --profile) profile=$2; shift 2 ;;
    -h|--help) sed -n '2,18p' "$0"; exit 0 ;;
    --) shift; break ;;
    -*) echo "run_qemu.sh: unknown option $1" >&2; exit 2 ;;
    *) break ;;
  esac
done
[[ $# -ge 1 ]] || { echo "usage: run_qemu.sh [options] IMAGE.elf [ARGS...]" >&2; exit 2; }
image=$1; shift
[[ -f $image ]] || { echo "run_qemu.sh: no such image: $image" >&2; exit 2; }

append=""
for a in "$@"; do
  if [[ $a =~ [[:space:]] || -z $a ]]; then
    if [[ $a == *'"'* ]]; then a="'$a'"; else a="\"$a\""; fi
  fi
  append+="${append:+ }$a"
done

cmd=("${LLMCU_QEMU:-qemu-system-arm}" -M "$board" -display none -monitor none -serial none
     -chardev stdio,id=sh -semihosting-config enable=on,target=native,chardev=sh
     -kernel "$image")
[[ -n $append ]] && cmd+=(-append "$append")
[[ $icount == 1 ]] && cmd+=(-icount shift=0)
if [[ -n $plugin ]]; then
  mark=$(arm-none-eabi-nm "$image" | awk '$3 == "llmcu_insn_mark" { print $1 }')
  [[ -n $mark ]] || { echo "run_qemu.sh: llmcu_insn_mark not found in $image" >&2; exit 2; }
  cmd+=(-plugin "$plugin,mark=0x$mark${profile:+,prof=$profile}" -d plugin)
  [[ -n $plugin_log ]] && cmd+=(-D "$plugin_log")
fi

# stdin must stay open (the stdio chardev fails on a closed stdin) but must not be a terminal.
if [[ $timeout_s == 0 ]]; then
  exec "${cmd[@]}" </dev/null
fi
exec timeout -k 5 "$timeout_s" "${cmd[@]}" </dev/null
