#!/usr/bin/env bash
# scripts/demo.sh on a machine without the model and without network must say so at once,
# before installing or building anything. "No network": every proxy variable points at a
# closed local port, so curl fails at once; "building": cmake and apt-get are stand-ins on
# PATH that leave a mark if called.
set -uo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/bin" "$work/home" "$work/cache"
for tool in cmake apt-get sudo; do
  printf '#!/bin/sh\necho "%s $*" >>"%s/called"\nexit 1\n' "$tool" "$work" >"$work/bin/$tool"
  chmod +x "$work/bin/$tool"
done

passed=0 failed=0
check() {  # check DESCRIPTION COMMAND...
  if "${@:2}"; then
    echo "PASS  $1"
    passed=$((passed + 1))
  else
    echo "FAIL  $1"
    failed=$((failed + 1))
  fi
}

start=$SECONDS
env -u LLMCU_MODELS -u no_proxy -u NO_PROXY PATH="$work/bin:$PATH" HOME="$work/home" \
  XDG_CACHE_HOME="$work/cache" https_proxy=http://127.0.0.1:9 HTTPS_PROXY=http://127.0.0.1:9 \
  http_proxy=http://127.0.0.1:9 HTTP_PROXY=http://127.0.0.1:9 all_proxy=http://127.0.0.1:9 \
  "$repo/scripts/demo.sh" -t 0 >"$work/out" 2>&1
rc=$?
elapsed=$((SECONDS - start))
sed 's/^/  | /' "$work/out"
check "exits with status 1 (got $rc)" test "$rc" -eq 1
check "says there is no network" grep -q "demo: no network" "$work/out"
check "says how to run without network (LLMCU_MODELS)" grep -q "LLMCU_MODELS=" "$work/out"
check "ends with its summary line" grep -q "demo: 0 passed, 1 failed" "$work/out"
check "nothing installed or built (no cmake, apt-get or sudo call)" test ! -e "$work/called"
check "nothing downloaded into the cache" test -z "$(ls -A "$work/cache")"
check "fails fast (${elapsed} s, limit 30 s)" test "$elapsed" -le 30

# LLMCU_MODELS pointing at a directory without the files: the same, without trying the network.
env PATH="$work/bin:$PATH" LLMCU_MODELS="$work/empty" "$repo/scripts/demo.sh" >"$work/out2" 2>&1
rc=$?
sed 's/^/  | /' "$work/out2"
check "LLMCU_MODELS without the model: status 1 (got $rc)" test "$rc" -eq 1
check "LLMCU_MODELS without the model: names the directory" grep -q "LLMCU_MODELS=$work/empty has no" "$work/out2"
check "LLMCU_MODELS without the model: nothing built" test ! -e "$work/called"

echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
