#!/usr/bin/env bash
# tools/readme_figures.py on a page of its own: a stale figure (inline and in a code block) fails
# the check with both figures named, --update writes the tools' figures in the same style, and
# the check then passes; an unknown source fails.
# usage: readme_figures_test.sh LLMCU DOCS_PLAN SHARED_DIR
set -uo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
cli=$1 docs_plan=$2 shared=$3
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
figures() { python3 "$repo/tools/readme_figures.py" --cli "$cli" --docs-plan "$docs_plan" --shared "$shared" "$@"; }

cat >"$work/page.md" <<'PAGE'
| model | arena |
|---|---|
| stories260K | 1,234<!--fig:plan stories260K.bin --ram 2M|arena--> bytes, 12<!--fig:file stories260K.bin|bytes|/1000--> KB |

<!--fig-block:
container: (\d+) bytes => pack stories260K.bin tok512.bin|bytes
-->
```
container: 99 bytes
```
PAGE
passed=0 failed=0
check() {  # check DESCRIPTION COMMAND...
  if "${@:2}"; then echo "PASS  $1"; passed=$((passed + 1)); else echo "FAIL  $1"; failed=$((failed + 1)); fi
}
figures "$work/page.md" >"$work/out1"; rc=$?
cat "$work/out1"
check "stale figures fail the check" test $rc -eq 1
check "the inline figure is named with both values" grep -q "the text says 1,234, the tool says" "$work/out1"
check "the code block's figure is named" grep -q "the text says 99, the tool says" "$work/out1"
check "a summary line ends the output" grep -q "^docs figures: 0 passed, 3 failed" "$work/out1"

figures --update "$work/page.md" >/dev/null
check "--update writes the plan's arena with thousands separators" \
  grep -Eq "^\| stories260K \| [0-9]{3},[0-9]{3}<!--fig:plan" "$work/page.md"
check "--update writes the file size divided by 1000" grep -q " 1,057<!--fig:file" "$work/page.md"
check "--update writes the container size in the code block" grep -Eq "^container: [0-9]{7} bytes$" "$work/page.md"
figures "$work/page.md" >"$work/out2"; rc=$?
check "after --update the check passes" test $rc -eq 0

printf '1<!--fig:nonsense x|y-->\n' >"$work/bad.md"
figures "$work/bad.md" >"$work/out3"; rc=$?
check "an unknown source fails" test $rc -eq 1
check "and is named" grep -q "unknown source 'nonsense'" "$work/out3"

echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
