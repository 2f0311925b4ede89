#!/usr/bin/env bash
# Instructions per function from the insn_count plugin's block profile:
#   run_qemu.sh --no-icount --plugin libinsn_count.so --profile prof.txt IMAGE ARGS...
#   insn_profile.sh IMAGE prof.txt [N]      (the N largest, default 25)
# Each block is attributed to the function symbol at or below its address (arm-none-eabi-nm).
set -euo pipefail
[[ $# -ge 2 ]] || { echo "usage: insn_profile.sh IMAGE PROFILE [N]" >&2; exit 2; }
image=$1 profile=$2 top=${3:-25}
arm-none-eabi-nm -n -C "$image" | awk '$2 ~ /^[tTwW]$/ { print $1, substr($0, index($0, $3)) }' \
  >"$profile.symbols"
# Plain POSIX awk (Debian has mawk: no strtonum), so hex is converted by hand.
awk -v top="$top" '
  function hex(s,   i, v) {
    sub(/^0x/, "", s); s = tolower(s); v = 0
    for (i = 1; i <= length(s); i++) v = v * 16 + index("0123456789abcdef", substr(s, i, 1)) - 1
    return v
  }
  NR == FNR { addr[n] = hex($1); $1 = ""; name[n] = substr($0, 2); n++; next }
  {
    a = hex($1); insns = $2 * $3; total += insns
    lo = 0; hi = n - 1; f = -1                     # last symbol with address <= a
    while (lo <= hi) { mid = int((lo + hi) / 2); if (addr[mid] <= a) { f = mid; lo = mid + 1 } else hi = mid - 1 }
    key = f >= 0 ? name[f] : "?"; sum[key] += insns
  }
  END {
    printf "%14s %6s  %s\n", "instructions", "share", "function"
    for (k in sum) printf "%14d %5.1f%%  %s\n", sum[k], 100 * sum[k] / total, k | "sort -rn | head -n " top
    close("sort -rn | head -n " top)
    printf "%14d 100.0%%  total\n", total
  }' "$profile.symbols" "$profile"
rm -f "$profile.symbols"
