#!/usr/bin/env python3
"""Checks the figures the READMEs and docs/ quote against the tools that produce them, and
with --update writes the tools' figures in their place.

A figure is marked by an HTML comment right after it, invisible once rendered:

    | arena | 733,952<!--fig:plan stories260K.bin --ram 2M|arena--> |
    about 685<!--fig:mcu m4 golden|insn_per_token|/1000--> K instructions

that is `<!--fig:SOURCE|FIELD-->`, or `<!--fig:SOURCE|FIELD|/N-->` for the figure divided by N
and rounded. Figures inside a fenced code block are named by a comment just before the block,
one `REGEX => SOURCE|FIELD` a line; the regex's first group is the figure:

    <!--fig-block:
    arena (\\d+) bytes \\(kv cache => ref-plan stories260K.bin --max-prompt-bytes 256|arena
    -->

Sources (MODEL: a file of the shared models directory, or NAME_gN.llmcu for NAME.bin quantized
by `llmcu quantize --format llmcu --group-size N`):
    plan MODEL ARGS...           `llmcu plan`: weights, kv_cache, activations, logits, sampler,
                                 tokenizer_tables, prompt_work, arena, hot (without the KV
                                 cache), total, ram, longest (longest seq_len that fits)
    inspect MODEL ARGS...        `llmcu inspect`: file_bytes, parameters, and the plan's fields
    ref-plan MODEL ARGS...       the core's plan as the firmwares make it: built with the
                                 reference kernel family's layout (keys in rows, as on the
                                 Cortex-M and the ESP32-S3, not in x86 tiles), and for options
                                 the CLI has no flag for (tests/docs_plan.cpp: --seq-len,
                                 --max-prompt-bytes, --ram); the plan's fields and longest
    pack MODEL TOKENIZER         `llmcu pack`: bytes, model_bytes, model_offset,
                                 tokenizer_bytes, tokenizer_offset
    file MODEL                   bytes
    mcu VARIANT CASE             the Cortex-M image's output (VARIANT m4 or m7; CASE golden: the
                                 golden greedy case, int8: the int8 benchmark case), from the
                                 mcu tests' logs: insn_total, insn_per_token, insn_pos1,
                                 insn_pos_last, weights, arena, kv_cache, activations, logits,
                                 sampler, tokenizer_tables, prompt_work, static_arena, stack,
                                 stack_size, arena_plus_stack_size, ram_used, ram_static, heap,
                                 budget_use
    mcu-size VARIANT             arm-none-eabi-size of its llmcu_mcu_app.elf: text, data, bss,
                                 and each section's size as section_NAME (section_text, ...)
    mcu-bench VARIANT            the ggml kernel bench image (llmcu_kernel_bench.elf) under QEMU:
                                 instructions per multiply-add, KERNEL_ROWSxCOLS_ref for ref's,
                                 KERNEL_ROWSxCOLS for the image's, KERNEL_ROWSxCOLS_speedup
                                 (e.g. q8_0_64x64_ref, q8_0_64x64, q8_0_64x64_speedup)
    mcu-tests image|host         how many tests ctest lists in the m4 image's own build, or
                                 with label mcu in the host build: count

Counts under QEMU's -icount move by a few dozen instructions from run to run (the kernel bench
averages 4 calls, +-40), so the Cortex-M instruction counts pass within 0.01% and the kernel
bench's per-MAC figures within one unit of their last digit; every other figure must be equal.

The host check (label docs) runs every source but mcu and mcu-size; the Cortex-M check (test
mcu_docs_figures, label mcu) only those, given --mcu-logs and --mcu-images. Figures that are
measurements on one machine (tok/s) are not marked: the text names their command and machine.

--layout also checks that the README's Layout block names every folder of the repository down to
two levels (`git ls-files`).

Ends with one line: `docs figures: N passed, N failed` (and what was skipped).
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_FILES = ["README.md", "docs/gguf.md", "docs/int8.md", "docs/llmcu-format.md",
                 "firmware/cortex-m/README.md", "firmware/esp32s3/README.md"]
MCU_SOURCES = ("mcu", "mcu-size", "mcu-tests", "mcu-bench")
MCU_BOARDS = {"m4": "mps2-an386", "m7": "mps2-an500"}

INLINE = re.compile(r"(\d[\d,]*(?:\.\d+)?)<!--fig:([^>]*?)-->")
BLOCK = re.compile(r"<!--fig-block:\n(.*?)-->\n", re.S)
FENCE = re.compile(r"^```[^\n]*\n(.*?)^```", re.S | re.M)


class Failure(Exception):
    pass


def run(cmd):
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if proc.returncode != 0:
        raise Failure("%s: exit status %d:\n%s" % (" ".join(cmd), proc.returncode, proc.stdout))
    return proc.stdout


def plan_fields(text):
    """The fields of `llmcu plan` / `llmcu inspect` output."""
    names = {"weights (in place)": "weights", "kv cache": "kv_cache", "activations": "activations",
             "logits": "logits", "sampler": "sampler", "tokenizer tables": "tokenizer_tables",
             "prompt work": "prompt_work", "arena total": "arena", "arena without kv": "hot",
             "total": "total", "ram budget:": "ram"}
    fields = {}
    for line in text.splitlines():
        m = re.match(r"\s*([a-zA-Z][a-zA-Z ():]*?)\s+(\d+) bytes", line)
        if m and m.group(1).lower() in names:
            fields[names[m.group(1).lower()]] = int(m.group(2))
        m = re.match(r"longest seq_len that fits: (\d+|none)", line)
        if m:
            fields["longest"] = 0 if m.group(1) == "none" else int(m.group(1))
        m = re.match(r"file:\s+.*\((\d+) bytes\)", line)
        if m:
            fields["file_bytes"] = int(m.group(1))
        m = re.match(r"parameters:\s+(\d+)", line)
        if m:
            fields["parameters"] = int(m.group(1))
    return fields


def mcu_fields(text):
    """The fields of the Cortex-M image's statistics (firmware/cortex-m/llmcu_app.cpp)."""
    f = {}
    patterns = [
        (r"^instructions: (\d+) for", ["insn_total"]),
        (r"^(?:int8 )?instructions/token: (\d+)", ["insn_per_token"]),
        (r"^instructions/position: (\d+) at position 1, (\d+) at", ["insn_pos1", "insn_pos_last"]),
        (r"^memory: weights (\d+) bytes", ["weights"]),
        (r"^memory: arena (\d+) bytes for seq_len \d+ \(kv cache (\d+), activations (\d+), "
         r"logits (\d+), sampler (\d+), tokenizer (\d+), prompt (\d+)\) in a static arena of (\d+)",
         ["arena", "kv_cache", "activations", "logits", "sampler", "tokenizer_tables",
          "prompt_work", "static_arena"]),
        (r"^memory: stack high-water (\d+) of (\d+) bytes", ["stack", "stack_size"]),
        (r"^memory: RAM used (\d+) bytes = (\d+) static .* \+ (\d+) heap",
         ["ram_used", "ram_static", "heap"]),
        (r"^memory: arena \+ stack high-water = (\d+) bytes", ["budget_use"]),
    ]
    for line in text.splitlines():
        for pattern, keys in patterns:
            m = re.match(pattern, line)
            if m:
                f.update(zip(keys, (int(g) for g in m.groups())))
    if "static_arena" in f and "stack_size" in f:
        f["arena_plus_stack_size"] = f["static_arena"] + f["stack_size"]
    return f


class Sources:
    def __init__(self, args, work):
        self.args = args
        self.work = work
        self.cache = {}

    def model(self, name):
        path = os.path.join(self.args.shared, "models", name)
        if os.path.exists(path):
            return path
        m = re.fullmatch(r"(.+)_g(\d+)\.llmcu", name)
        if not m:
            raise Failure("no model %s in %s/models" % (name, self.args.shared))
        out = os.path.join(self.work, name)
        if not os.path.exists(out):
            run([self.args.cli, "quantize", self.model(m.group(1) + ".bin"), out,
                 "--format", "llmcu", "--group-size", m.group(2)])
        return out

    def fields(self, source):
        if source not in self.cache:
            self.cache[source] = self._fields(source.split())
        return self.cache[source]

    def _fields(self, words):
        kind, rest = words[0], words[1:]
        a = self.args
        if kind in ("plan", "inspect"):
            return plan_fields(run([a.cli, kind, self.model(rest[0])] + rest[1:]))
        if kind == "ref-plan":
            out = run([a.docs_plan, self.model(rest[0])] + rest[1:])
            return {k: int(v) for k, v in (line.split() for line in out.splitlines())}
        if kind == "file":
            return {"bytes": os.path.getsize(self.model(rest[0]))}
        if kind == "pack":
            out_path = os.path.join(self.work, "pack.llmcu")
            out = run([a.cli, "pack", self.model(rest[0]), self.model(rest[1]), out_path])
            f = {"bytes": os.path.getsize(out_path)}
            for part in ("model", "tokenizer"):
                m = re.search(r"^\s*%s\s+(\d+) bytes at offset (\d+)" % part, out, re.M)
                if m:
                    f[part + "_bytes"], f[part + "_offset"] = int(m.group(1)), int(m.group(2))
            return f
        if kind == "mcu":
            variant, case = rest
            name = {"golden": "golden_greedy", "int8": "int8_greedy"}[case]
            log = os.path.join(a.mcu_logs, "mcu_%s_%s.log" % (variant, name))
            if not os.path.exists(log):
                raise Failure("no log %s (written by the test mcu_%s_%s)" % (log, variant, name))
            with open(log, encoding="utf-8", errors="replace") as fh:
                return mcu_fields(fh.read())
        if kind == "mcu-size":
            elf = os.path.join(a.mcu_images, rest[0], "llmcu_mcu_app.elf")
            out = run([a.arm_size, elf]).splitlines()
            text, data, bss = out[1].split()[:3]
            f = {"text": int(text), "data": int(data), "bss": int(bss)}
            for line in run([a.arm_size, "-A", elf]).splitlines():
                m = re.match(r"\.(\w+)\s+(\d+)\s", line)
                if m:
                    f["section_" + m.group(1)] = int(m.group(2))
            return f
        if kind == "mcu-bench":
            elf = os.path.join(a.mcu_images, rest[0], "llmcu_kernel_bench.elf")
            out = run([os.path.join(ROOT, "firmware", "cortex-m", "run_qemu.sh"),
                       "-M", MCU_BOARDS[rest[0]], elf])
            f = {}
            for m in re.finditer(r"^(\w+)\s+(\d+x\d+)\s+ref\s+\d+ \(\s*([\d.]+)/MAC\)\s+\w+"
                                 r"\s+\d+ \(\s*([\d.]+)/MAC\)\s+([\d.]+)x", out, re.M):
                key = m.group(1) + "_" + m.group(2)
                f[key + "_ref"] = float(m.group(3))
                f[key] = float(m.group(4))
                f[key + "_speedup"] = float(m.group(5))
            return f
        if kind == "mcu-tests":
            where = {"image": ["--test-dir", os.path.join(a.mcu_images, "m4")],
                     "host": ["--test-dir", a.host_build, "-L", "mcu"]}[rest[0]]
            m = re.search(r"^Total Tests: (\d+)", run([a.ctest, "-N"] + where), re.M)
            return {"count": int(m.group(1))} if m else {}
        raise Failure("unknown source '%s'" % kind)


def format_like(value, original, plain=False):
    """`value` written as `original` is: its decimals, its thousands separators (a short
    number in prose gets them when it grows past 999; a code block's numbers never do)."""
    digits = original.replace(",", "")
    if "." in digits:
        decimals = len(digits.split(".")[1])
        return "%.*f" % (decimals, value)
    if isinstance(value, float):
        value = int(round(value))
    commas = "," in original or (not plain and len(digits) <= 3 and value >= 1000)
    return "{:,}".format(value) if commas else str(value)


def close_enough(source, field, value, original):
    """Within the run-to-run noise of QEMU's instruction counts (see the module's text)."""
    kind = source.split()[0]
    text = float(original.replace(",", ""))
    if kind == "mcu" and field.startswith("insn"):
        return abs(value - text) <= 1e-4 * max(abs(text), 1) or abs(value - text) <= 1
    if kind == "mcu-bench" and "." in original:
        unit = 10.0 ** -len(original.split(".")[1])
        return abs(value - text) <= unit * 1.0001
    return False


def parse_mark(mark):
    parts = [p.strip() for p in mark.split("|")]
    if len(parts) not in (2, 3) or (len(parts) == 3 and not re.fullmatch(r"/\d+", parts[2])):
        raise Failure("bad mark '%s' (SOURCE|FIELD or SOURCE|FIELD|/N)" % mark)
    divisor = int(parts[2][1:]) if len(parts) == 3 else 1
    return parts[0], parts[1], divisor


def check_layout(readme):
    """Every folder of the repository down to two levels is named in the README's Layout."""
    text = open(readme, encoding="utf-8").read()
    m = re.search(r"^## Layout\n.*?^```\n(.*?)^```", text, re.S | re.M)
    if not m:
        return ["README.md: no Layout block"]
    named = set(re.findall(r"(?<![\w/])((?:[\w.-]+/)+)", m.group(1)))
    try:
        files = subprocess.run(["git", "-C", ROOT, "ls-files"], stdout=subprocess.PIPE,
                               stderr=subprocess.DEVNULL, text=True, check=True).stdout.split()
    except (OSError, subprocess.CalledProcessError):
        files = []
        for d, dirs, names in os.walk(ROOT):
            dirs[:] = [x for x in dirs if x != ".git" and not x.startswith("build")
                       and x != "__pycache__"]
            files += [os.path.relpath(os.path.join(d, n), ROOT) for n in names]
    folders = set()
    for f in files:
        parts = f.split("/")[:-1]
        for depth in (1, 2):
            if len(parts) >= depth:
                folders.add("/".join(parts[:depth]) + "/")
    # A top folder is named by its own line or by its subfolders' (src/core/, src/kernels/, ...).
    missing = [d for d in sorted(folders) if d not in named and
               not (d.count("/") == 1 and any(n.startswith(d) for n in named))]
    return ["README.md Layout: folder %s is not listed" % d for d in missing]


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("files", nargs="*", help="Markdown files (default: the READMEs and docs/)")
    p.add_argument("--cli", help="the llmcu command")
    p.add_argument("--docs-plan", help="tests/docs_plan.cpp built")
    p.add_argument("--shared", default=os.environ.get("LLMCU_SHARED_DIR",
                                                      os.path.join(ROOT, "..", "shared")))
    p.add_argument("--mcu-logs", help="the mcu tests' logs: check the Cortex-M figures only")
    p.add_argument("--mcu-images", help="directory with m4/ and m7/ image builds")
    p.add_argument("--arm-size", default="arm-none-eabi-size")
    p.add_argument("--host-build", help="the host build directory (for mcu-tests host)")
    p.add_argument("--ctest", default="ctest")
    p.add_argument("--layout", action="store_true", help="also check the README's Layout")
    p.add_argument("--update", action="store_true", help="write the tools' figures in place")
    p.add_argument("-v", "--verbose", action="store_true", help="print every figure")
    args = p.parse_args()
    mcu_mode = args.mcu_logs is not None
    if not mcu_mode and not (args.cli and args.docs_plan):
        p.error("--cli and --docs-plan are needed (or --mcu-logs for the Cortex-M figures)")

    passed = failed = skipped = 0
    problems = []
    with tempfile.TemporaryDirectory() as work:
        sources = Sources(args, work)

        def figure(where, source, field, divisor, original, plain=False):
            """The tools' figure, formatted like `original`, or None (skipped/failed)."""
            nonlocal passed, failed, skipped
            if (source.split()[0] in MCU_SOURCES) != mcu_mode:
                skipped += 1
                return None
            try:
                fields = sources.fields(source)
                if field not in fields:
                    raise Failure("no field '%s' in %s (has %s)" % (field, source,
                                                                    ", ".join(sorted(fields))))
                value = fields[field]
                if divisor != 1:
                    value = int(round(value / divisor))
                elif "." in original and isinstance(value, float):
                    # Compare at the text's precision: "3.3" for 3.28.
                    value = round(value, len(original.split(".")[1]))
            except Failure as e:
                failed += 1
                problems.append("%s: %s" % (where, e))
                return None
            new = format_like(value, original, plain)
            if new != original and close_enough(source, field, value, original):
                new = original
            if new == original:
                passed += 1
                if args.verbose:
                    print("ok     %s: %s = %s" % (where, source + "|" + field, original))
            elif args.update:
                passed += 1
                print("update %s: %s: %s -> %s" % (where, source + "|" + field, original, new))
            else:
                failed += 1
                problems.append("%s: %s|%s: the text says %s, the tool says %s" %
                                (where, source, field, original, new))
            return new

        for name in args.files or DEFAULT_FILES:
            path = name if os.path.isabs(name) else os.path.join(ROOT, name)
            text = open(path, encoding="utf-8").read()
            rel = os.path.relpath(path, ROOT)

            def line_of(offset):
                return text.count("\n", 0, offset) + 1

            edits = []  # (start, end, replacement)
            for m in INLINE.finditer(text):
                where = "%s:%d" % (rel, line_of(m.start()))
                try:
                    source, field, divisor = parse_mark(m.group(2))
                except Failure as e:
                    failed += 1
                    problems.append("%s: %s" % (where, e))
                    continue
                new = figure(where, source, field, divisor, m.group(1))
                if new is not None and new != m.group(1):
                    edits.append((m.start(1), m.end(1), new))
            for m in BLOCK.finditer(text):
                fence = FENCE.search(text, m.end())
                where_block = "%s:%d" % (rel, line_of(m.start()))
                if not fence or fence.start() != m.end():
                    failed += 1
                    problems.append("%s: fig-block not followed by a code block" % where_block)
                    continue
                for rule in m.group(1).strip().splitlines():
                    regex, _, mark = rule.rpartition(" => ")
                    found = re.search(regex, fence.group(1), re.M) if regex else None
                    if not found:
                        failed += 1
                        problems.append("%s: '%s' matches nothing in the block" %
                                        (where_block, regex))
                        continue
                    start = fence.start(1) + found.start(1)
                    where = "%s:%d" % (rel, line_of(start))
                    try:
                        source, field, divisor = parse_mark(mark)
                    except Failure as e:
                        failed += 1
                        problems.append("%s: %s" % (where, e))
                        continue
                    new = figure(where, source, field, divisor, found.group(1), plain=True)
                    if new is not None and new != found.group(1):
                        edits.append((start, fence.start(1) + found.end(1), new))
            if args.update and edits:
                for start, end, new in sorted(edits, reverse=True):
                    text = text[:start] + new + text[end:]
                with open(path, "w", encoding="utf-8") as fh:
                    fh.write(text)

    if args.layout:
        layout = check_layout(os.path.join(ROOT, "README.md"))
        problems += layout
        failed += len(layout)
        passed += 0 if layout else 1
    for line in problems:
        print("FAIL   " + line)
    if problems and not args.update:
        print("(regenerate: tools/readme_figures.py --update with the same arguments)")
    what = "Cortex-M figures" if mcu_mode else "docs figures"
    print("%s: %d passed, %d failed (%d left to the %s check)" %
          (what, passed, failed, skipped, "host" if mcu_mode else "Cortex-M"))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
