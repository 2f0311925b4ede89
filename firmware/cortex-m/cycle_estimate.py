#!/usr/bin/env python3
"""Estimated Cortex-M4 cycles of a run, from the insn_count plugin's block profile.

    run_qemu.sh --no-icount --plugin libinsn_count.so --profile prof.txt IMAGE ARGS...
    cycle_estimate.py IMAGE prof.txt [--vmla-cycles N]

Each executed instruction (the blocks of the profile, disassembled with
arm-none-eabi-objdump) is weighted by its issue cost on a Cortex-M4 with no
wait states, from the timing tables of the Cortex-M4 Technical Reference
Manual: 1 for data processing, multiplies, SXTB16, SMLAD, IT and most FPU
instructions; 2 for single loads and stores (VLDR/VSTR included); 3 for
LDRD/STRD; 1 + N for LDM/STM/PUSH/VLDM/VSTM of N registers (+3 for a POP into
pc); 14 for VDIV/VSQRT; 8 for SDIV/UDIV (2-12); 2 for a conditional branch
and 3 for others; VMLA/VMLS/VFMA 3 (the table's figure; back-to-back
accumulations are reported to forward, so --vmla-cycles 1 gives the other
end). No pipelining of neighbouring loads, no wait states, no stall model:
an estimate, not a measurement. Prints instructions, cycles and their ratio.
"""
import argparse
import bisect
import re
import subprocess

COND = "eq|ne|cs|hs|cc|lo|mi|pl|vs|vc|hi|ls|ge|lt|gt|le"


def list_size(ops):
    m = re.search(r"\{([^}]*)\}", ops)
    if not m:
        return 1
    n = 0
    for part in m.group(1).split(","):
        part = part.strip()
        if "-" in part:
            lo, hi = part.split("-")
            n += int(re.sub(r"\D", "", hi)) - int(re.sub(r"\D", "", lo)) + 1
        else:
            n += 1
    return n


def cycles(mnemonic, ops, vmla):
    base = mnemonic.split(".")[0]
    if re.fullmatch(rf"b({COND})", base) or base in ("cbz", "cbnz"):
        return 2
    if re.fullmatch(rf"v(n?ml[as]|fn?m[as])({COND})?", base):
        return vmla
    name = re.sub(rf"({COND})$", "", base) if len(base) > 3 else base
    if name.startswith("v"):
        if name in ("vdiv", "vsqrt"):
            return 14
        if name in ("vldr", "vstr"):
            return 2
        if name in ("vldmia", "vstmia", "vldmdb", "vstmdb", "vpush", "vpop", "vldm", "vstm"):
            return 1 + list_size(ops)
        if name == "vmov" and ops.count(",") == 3:
            return 2
        return 1
    if name in ("ldmia", "ldm", "stmia", "stm", "stmdb", "ldmdb", "push"):
        return 1 + list_size(ops)
    if name == "pop":
        return 1 + list_size(ops) + (3 if "pc" in ops else 0)
    if name in ("ldrd", "strd"):
        return 3
    if name.startswith(("ldr", "str")):
        return 2
    if name in ("sdiv", "udiv"):
        return 8
    if name in ("b", "bl", "bx", "blx"):
        return 3
    return 1


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("image")
    ap.add_argument("profile")
    ap.add_argument("--vmla-cycles", type=int, default=3)
    a = ap.parse_args()
    text = subprocess.run(["arm-none-eabi-objdump", "-d", "--no-show-raw-insn", a.image],
                          capture_output=True, text=True, check=True).stdout
    addrs, insns = [], []
    for line in text.splitlines():
        m = re.match(r"\s+([0-9a-f]+):\s+(\S+)\s*(.*)", line)
        if m:
            addrs.append(int(m.group(1), 16))
            insns.append((m.group(2), m.group(3)))
    total_i = total_c = 0
    with open(a.profile) as f:
        for line in f:
            fields = line.split()
            if len(fields) != 3:
                continue
            addr, n, count = int(fields[0], 16), int(fields[1]), int(fields[2])
            k = bisect.bisect_left(addrs, addr)
            c = sum(cycles(*insns[j], a.vmla_cycles) for j in range(k, min(k + n, len(insns))))
            total_i += n * count
            total_c += c * count
    print(f"instructions {total_i} estimated cycles {total_c} CPI {total_c / total_i:.2f}")


if __name__ == "__main__":
    main()
