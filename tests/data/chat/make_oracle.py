#!/usr/bin/env python3
"""Regenerates the chat oracle outputs in this directory (NAME.out, random.crc32):
llama2.c's `run -m chat` on each case of cases.json, its standard input piped
from the case's .in file.

Usage: make_oracle.py LLAMA2C_CHECKOUT LLMCU_BINARY SHARED_MODELS_DIR
builds run.c from the checkout with `gcc -O3 -o run run.c -lm` in a temporary
directory, writes the random-weight model with `llmcu gen-random`, and runs
every case (see README.md)."""
import json
import os
import subprocess
import sys
import tempfile
import zlib

here = os.path.dirname(os.path.abspath(__file__))
checkout, llmcu, models = sys.argv[1], sys.argv[2], sys.argv[3]
spec = json.load(open(os.path.join(here, "cases.json")))
with tempfile.TemporaryDirectory() as tmp:
    run = os.path.join(tmp, "run")
    subprocess.run(["gcc", "-O3", "-o", run, os.path.join(checkout, "run.c"), "-lm"], check=True)
    rnd = spec["random_model"]
    random_model = os.path.join(tmp, rnd["file"])
    subprocess.run([llmcu, "gen-random", random_model, "--shape", rnd["shape"],
                    "--seed", str(rnd["seed"])], check=True, stdout=subprocess.DEVNULL)
    crc = zlib.crc32(open(random_model, "rb").read())
    with open(os.path.join(here, "random.crc32"), "w") as f:
        f.write("%08x\n" % crc)
    for case in spec["cases"]:
        model = (os.path.join(models, "stories260K.bin") if case["model"] == "stories260K"
                 else random_model)
        with open(os.path.join(here, case["stdin"]), "rb") as stdin:
            out = subprocess.run([run, model, "-z", os.path.join(models, "tok512.bin"), "-m", "chat"]
                                 + case["args"], stdin=stdin, stdout=subprocess.PIPE,
                                 stderr=subprocess.DEVNULL, check=True).stdout
        with open(os.path.join(here, case["name"] + ".out"), "wb") as f:
            f.write(out)
        print("%-26s %6d bytes, %d user turns" % (case["name"], len(out), out.count(b"User: ")))
