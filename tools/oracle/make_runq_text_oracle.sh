#!/usr/bin/env bash
# Writes tests/data/q8/runq_text.json: what llama2.c's runq.c prints for the
# int8 model ../shared/models/stories260K_q8.bin, one case per set of
# arguments (those of ../shared/golden/cases.json's fp32 cases).
#
#   tools/oracle/make_runq_text_oracle.sh LLAMA2C_DIR [SHARED_DIR]
#
# LLAMA2C_DIR is a llama2.c checkout you supply. runq.c is built from it into
# build/oracle/runq_text with no fast-math and no FMA contraction
#   gcc -O3 -fopenmp runq.c -lm
# the flags under which its output is reproducible: -Ofast reorders the
# float sums, and GCC's default -ffp-contract=fast with -march=native fuses
# multiplies and adds; either changes the rounding of int8 activations and,
# within a few dozen tokens, the text. CI never runs this.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
l2c="$(cd "${1:?usage: make_runq_text_oracle.sh LLAMA2C_DIR [SHARED_DIR]}" && pwd)"
shared="$(cd "${2:-$root/../shared}" && pwd)"
bin="$root/build/oracle/runq_text"
mkdir -p "$(dirname "$bin")"
gcc -O3 -fopenmp "$l2c/runq.c" -lm -o "$bin"
revision="$(git -C "$l2c" rev-parse HEAD 2>/dev/null || echo unknown)"

python3 - "$bin" "$shared/models" "$revision" "$root/tests/data/q8/runq_text.json" <<'PY'
import json, os, subprocess, sys
runq, models, revision, out = sys.argv[1:]
# (prompt, temperature, topp, seed, steps), as in cases.json
cases = [("Once upon a time", 0.0, 1.0, 0, 200), ("Once upon a time", 0.0, 1.0, 0, 0),
         ("", 0.0, 1.0, 0, 256), ("Lily and Tom", 0.8, 0.9, 42, 256),
         ("Lily and Tom", 0.8, 0.9, 1337, 256), ("The cat", 1.0, 1.0, 7, 256),
         ("Café ☕ 😀 and a dog", 0.0, 1.0, 0, 128), ("One day, Ben", 0.5, 0.95, 123456, 512)]
result = {"oracle": "llama2.c runq.c " + revision + ", gcc -O3 -fopenmp runq.c -lm",
          "note": "expected: runq's standard output for `runq MODEL -z TOKENIZER -t T -p P -s SEED "
                  "-n STEPS -i PROMPT` without its one final newline (seed 0 with temperature 0: "
                  "greedy, no -s)",
          "generate": []}
for prompt, t, p, seed, steps in cases:
    args = [runq, os.path.join(models, "stories260K_q8.bin"), "-z", os.path.join(models, "tok512.bin"),
            "-t", str(t), "-p", str(p), "-n", str(steps), "-i", prompt]
    if seed:
        args += ["-s", str(seed)]
    text = subprocess.run(args, check=True, capture_output=True,
                          env=dict(os.environ, OMP_NUM_THREADS="1")).stdout.decode()
    assert text.endswith("\n")
    result["generate"].append({"model": "stories260K_q8.bin", "tokenizer": "tok512.bin",
                               "prompt": prompt, "temperature": t, "topp": p, "seed": seed,
                               "steps": steps, "expected": text[:-1]})
with open(out, "w", encoding="utf-8") as f:
    json.dump(result, f, ensure_ascii=False, indent=1)
    f.write("\n")
print(out)
PY
