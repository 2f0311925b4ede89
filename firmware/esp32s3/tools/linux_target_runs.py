#!/usr/bin/env python3
"""Runs the firmware built for ESP-IDF's linux target and checks its console.

Called by check-linux-target.sh once both builds exist. For each run it
assembles a flash image (the build's partition table at its offset, the
container at the model partition's offset, or a damaged or erased partition
instead), starts the ELF with the image and the emulated RAM in its
environment, and checks what the console shows: stories260K's greedy text
byte for byte against llama2.c's (../shared/golden/cases.json), the log lines
the firmware README promises, and a clear error without a crash for each
broken setup. Prints one line per check and exits non-zero if any failed.
"""

import argparse
import json
import os
import re
import struct
import subprocess
import sys

FLASH_BYTES = 16 * 1024 * 1024  # CONFIG_ESPTOOLPY_FLASHSIZE_16MB
TABLE_OFFSET = 0x8000  # CONFIG_PARTITION_TABLE_OFFSET
ENTRY = struct.Struct("<2sBBII16sI")  # ESP-IDF's 32-byte partition table entry
ENTRY_MAGIC = b"\xaa\x50"
LOG_LINE = re.compile(r"^[IWE] \(\d+\) [\w-]+: ")


def find_partition(table, label):
    """(offset, size) of `label` in a partition-table.bin."""
    for pos in range(0, len(table) - ENTRY.size + 1, ENTRY.size):
        magic, _type, _subtype, offset, size, name, _flags = ENTRY.unpack_from(table, pos)
        if magic != ENTRY_MAGIC:
            break
        if name.rstrip(b"\0").decode() == label:
            return offset, size
    sys.exit(f"partition table has no partition '{label}'")


def write_image(path, table, container, model, mode):
    """An erased 16 MB flash with the partition table and, unless mode is
    'erased', the container; 'damaged' flips one bit inside the model."""
    offset, size = model
    if len(container) > size:
        sys.exit(f"container ({len(container)} bytes) larger than the partition ({size})")
    image = bytearray(b"\xff" * FLASH_BYTES)
    image[TABLE_OFFSET:TABLE_OFFSET + len(table)] = table
    if mode != "erased":
        image[offset:offset + len(container)] = container
    if mode == "damaged":
        image[offset + 4096] ^= 0x10  # past the 64-byte header: a weight
    with open(path, "wb") as f:
        f.write(image)


def run(elf, image, stdin_text="", internal_kb=None, psram_kb=None, timeout=600):
    env = dict(os.environ)
    env["LLMCU_FLASH_IMAGE"] = image
    for name, value in (("LLMCU_INTERNAL_RAM_KB", internal_kb), ("LLMCU_PSRAM_KB", psram_kb)):
        env.pop(name, None)
        if value is not None:
            env[name] = str(value)
    done = subprocess.run([elf], input=stdin_text.encode(), stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, env=env, timeout=timeout, check=False)
    return done.returncode, done.stdout.decode("utf-8", errors="replace")


def generated_text(console, label):
    """The text between 'Generating (label)' and the next 'achieved tok/s' line."""
    lines = console.splitlines(keepends=True)
    for i, line in enumerate(lines):
        if LOG_LINE.match(line) and line.rstrip().endswith(f"llmcu: Generating ({label})"):
            text = []
            for rest in lines[i + 1:]:
                if LOG_LINE.match(rest) and "llmcu: achieved tok/s" in rest:
                    return "".join(text)
                text.append(rest)
    return None


class Checks:
    def __init__(self, log_dir):
        self.passed = 0
        self.failed = 0
        self.log_dir = log_dir

    def check(self, ok, what, detail=""):
        print(f"{'PASS' if ok else 'FAIL'}  {what}" + (f"  ({detail})" if detail else ""))
        if ok:
            self.passed += 1
        else:
            self.failed += 1

    def keep(self, name, console):
        path = os.path.join(self.log_dir, f"{name}.console.txt")
        with open(path, "w") as f:
            f.write(console)
        return path

    def golden(self, console, label, expected, what):
        text = generated_text(console, label)
        if text is None:
            self.check(False, what, f"no 'Generating ({label})' ... 'achieved tok/s' in the console")
            return
        # run.c prints the text and one newline, which cases.json leaves out;
        # the firmware ends each generation with one newline too.
        got = text[:-1] if text.endswith("\n") else text
        if got == expected:
            self.check(True, what, f"{len(got.encode())} bytes identical")
            return
        at = next((i for i, (a, b) in enumerate(zip(got, expected)) if a != b),
                  min(len(got), len(expected)))
        self.check(False, what, f"differs at character {at}: got {got[at:at + 40]!r}, "
                                f"expected {expected[at:at + 40]!r}")

    def lines(self, console, patterns, what):
        missing = [p for p in patterns if not re.search(p, console, re.MULTILINE)]
        self.check(not missing, what, "missing: " + "; ".join(missing) if missing
                   else f"{len(patterns)} lines")

    def clean_exit(self, code, console, expected_code, what):
        crashed = code < 0 or code >= 128 or re.search(
            r"Guru Meditation|abort\(\)|assert failed|Segmentation|Aborted|panic", console)
        self.check(code == expected_code and not crashed, what,
                   f"exit status {code}" + (", crashed" if crashed else ""))


# The log lines firmware/esp32s3/README.md shows ("What it prints"), as the
# default placement prints them: the KV cache in PSRAM, the rest internal.
def readme_lines(cores, worker_core, seq_len, prompt_tokens):
    lines = [
        r"^I \(\d+\) llmcu: partition 'model' found at 0x[0-9a-f]+, \d+ bytes; "
        r"container mapped: \d+ bytes$",
        r"^I \(\d+\) llmcu: container: \d+ bytes; model \d+ bytes at \+\d+, "
        r"tokenizer \d+ bytes at \+\d+; checksums verified$",
        r"^I \(\d+\) llmcu: checksums took \d+ ms$",
        r"^I \(\d+\) llmcu: model: llama2\.c version 0 \(legacy fp32\), dim 64, hidden_dim 172, "
        r"n_layers 5, n_heads 8, n_kv_heads 4, vocab_size 512, seq_len 512, \d+ parameters, "
        r"read in place$",
        rf"^I \(\d+\) llmcu: memory plan: seq_len {seq_len}, arena \d+ bytes \(kv cache \d+, .*\); "
        r"weights \d+ bytes stay in flash$",
        r"^I \(\d+\) llmcu: heap before loading: internal \d+ KiB free \(largest block \d+ KiB\), "
        r"PSRAM \d+ KiB free \(largest block \d+ KiB\)$",
        r"^I \(\d+\) llmcu: arena: \d+ bytes in internal RAM \(everything but the KV cache\)$",
        r"^I \(\d+\) llmcu: KV cache: \d+ bytes in PSRAM$",
        r"^I \(\d+\) llmcu: heap after loading: internal \d+ KiB free",
        rf"^I \(\d+\) llmcu: cores: {cores}$",
        r"^I \(\d+\) llmcu: Generating \(1/1\)$",
        r"^I \(\d+\) llmcu: achieved tok/s: \d+\.\d\d$",
        rf"^I \(\d+\) llmcu: prompt tokens {prompt_tokens}, generated tokens \d+, positions "
        r"\d+, first token after \d+\.\d ms, seed \d+$",
        r"^I \(\d+\) llmcu: done$",
    ]
    if worker_core is not None:
        lines.append(rf"^I \(\d+\) llmcu: worker task on core {worker_core}, stack \d+ bytes$")
        # The worker ran tasks itself: the text above came (partly) from it.
        lines.append(r"^I \(\d+\) llmcu: worker task ran [1-9]\d* of the \d+ tasks shared with it "
                     r"\(\d+%\)$")
    return lines


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--elf-1core", required=True)
    parser.add_argument("--elf-2cores", required=True)
    parser.add_argument("--partition-table", required=True, help="the build's partition-table.bin")
    parser.add_argument("--container", required=True, help="from `llmcu pack`")
    parser.add_argument("--golden", required=True, help="golden/cases.json")
    parser.add_argument("--prompt", required=True, help="CONFIG_LLMCU_PROMPT of both builds")
    parser.add_argument("--work", required=True)
    args = parser.parse_args()

    with open(args.golden) as f:
        cases = json.load(f)["generate"]
    golden = next(c for c in cases if c["model"] == "stories260K.bin" and c["temperature"] == 0
                  and c["steps"] == 0 and c["prompt"] == args.prompt)["expected"]
    with open(args.partition_table, "rb") as f:
        table = f.read()
    with open(args.container, "rb") as f:
        container = f.read()
    model = find_partition(table, "model")
    images = {}
    for mode in ("good", "damaged", "erased"):
        images[mode] = os.path.join(args.work, f"flash-{mode}.bin")
        write_image(images[mode], table, container, model, mode)
    print(f"flash images: model partition at 0x{model[0]:x} ({model[1]} bytes), "
          f"container {len(container)} bytes")

    checks = Checks(args.work)

    # 1 core: the batch generation against llama2.c, and the README's lines
    # (default emulated RAM: the KV cache goes to PSRAM).
    code, out = run(args.elf_1core, images["good"])
    checks.keep("1core", out)
    checks.clean_exit(code, out, 0, "1 core: runs to the end")
    checks.golden(out, "1/1", golden, "1 core: greedy text = llama2.c's (stories260K, whole context)")
    checks.lines(out, readme_lines(1, None, 512, 5), "1 core: the README's log lines")

    # 2 cores: the worker task takes part in every matvec and attention
    # fork/join; then one console line (empty: the configured prompt again).
    code, out = run(args.elf_2cores, images["good"], stdin_text="\n")
    checks.keep("2cores", out)
    checks.clean_exit(code, out, 0, "2 cores: runs to the end")
    checks.golden(out, "1/1", golden, "2 cores: greedy text = llama2.c's")
    checks.golden(out, "prompt 1", golden, "2 cores: console line (empty = configured prompt)")
    checks.lines(out, readme_lines(2, 0, 512, 5) + [
        r"^I \(\d+\) llmcu: interactive: type a prompt and press Enter",
        r"^I \(\d+\) llmcu: console closed$"], "2 cores: the README's log lines")

    # Arena placement for three boards' worth of RAM (KiB).
    placements = [
        ("all in internal RAM", 2048, 0,
         [r"^I \(\d+\) llmcu: arena: \d+ bytes in internal RAM$"]),
        ("KV cache in PSRAM, the rest internal", 320, 2048,
         [r"^I \(\d+\) llmcu: arena: \d+ bytes in internal RAM \(everything but the KV cache\)$",
          r"^I \(\d+\) llmcu: KV cache: 655360 bytes in PSRAM$"]),
        ("all in PSRAM", 80, 2048, [r"^I \(\d+\) llmcu: arena: \d+ bytes in PSRAM$"]),
    ]
    for name, internal_kb, psram_kb, patterns in placements:
        code, out = run(args.elf_2cores, images["good"], internal_kb=internal_kb,
                        psram_kb=psram_kb)
        checks.keep(f"placement-{internal_kb}k-{psram_kb}k", out)
        what = f"arena placement, internal {internal_kb} KiB + PSRAM {psram_kb} KiB: {name}"
        checks.lines(out, patterns, what)
        checks.golden(out, "1/1", golden, f"{what}: same text")

    # Broken setups: a clear error, a clean exit, no crash.
    errors = [
        ("damaged container", images["damaged"], {},
         r"^E \(\d+\) llmcu: partition 'model': model checksum is 0x[0-9a-f]+, the header says "
         r"0x[0-9a-f]+ \(corrupt or partly flashed\)$"),
        ("erased partition", images["erased"], {},
         r"^E \(\d+\) llmcu: partition 'model': not an llmcu container .*erased flash reads "
         r"0xff.*llmcu pack"),
        ("arena too small", images["good"], {"internal_kb": 64, "psram_kb": 0},
         r"^E \(\d+\) llmcu: arena: \d+ bytes needed \(KV cache \d+\); largest free blocks: "
         r"PSRAM 0, internal RAM 65536 \(65536 kept free\); plan a shorter context "
         r"\(CONFIG_LLMCU_SEQ_LEN; `llmcu plan MODEL --ram BYTES`\)$"),
    ]
    for name, image, ram, pattern in errors:
        code, out = run(args.elf_2cores, image, internal_kb=ram.get("internal_kb"),
                        psram_kb=ram.get("psram_kb"))
        checks.keep(name.replace(" ", "-"), out)
        checks.lines(out, [pattern], f"{name}: the error is logged")
        checks.clean_exit(code, out, 1, f"{name}: exits with status 1, no crash")
        checks.check("Generating" not in out, f"{name}: nothing generated")

    print(f"consoles in {args.work}")
    print(f"linux target: {checks.passed} passed, {checks.failed} failed")
    return 1 if checks.failed else 0


if __name__ == "__main__":
    sys.exit(main())
