#!/usr/bin/env python3
"""Lists a GGUF file's tensors as `name type bytes crc32`, one per line, in
file order: the CRC-32 (zlib's) of each tensor's data. Tests compare the
bytes llmcu's quantizers produce with a file another tool wrote, without
the file itself.

Usage: gguf_tensor_crcs.py FILE.gguf
"""
import struct
import sys
import zlib

TYPE_NAMES = {0: "F32", 1: "F16", 2: "Q4_0", 8: "Q8_0"}
BLOCKS = {0: (1, 4), 1: (1, 2), 2: (32, 18), 8: (32, 34)}  # values, bytes per block
SCALAR_BYTES = {0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8}


class Reader:
    def __init__(self, data):
        self.data = data
        self.pos = 0

    def take(self, fmt):
        values = struct.unpack_from("<" + fmt, self.data, self.pos)
        self.pos += struct.calcsize("<" + fmt)
        return values[0] if len(values) == 1 else values

    def string(self):
        n = self.take("Q")
        s = self.data[self.pos:self.pos + n]
        self.pos += n
        return s.decode("utf-8", "replace")

    def skip_value(self, kind):
        if kind == 8:
            self.string()
        elif kind == 9:
            element, count = self.take("I"), self.take("Q")
            for _ in range(count):
                self.skip_value(element)
        else:
            self.pos += SCALAR_BYTES[kind]


def main(path):
    data = open(path, "rb").read()
    r = Reader(data)
    magic, version, n_tensors, n_kv = r.take("4sIQQ")
    if magic != b"GGUF" or version not in (2, 3):
        sys.exit(f"{path}: not a GGUF v2/v3 file")
    alignment = 32
    for _ in range(n_kv):
        key, kind = r.string(), r.take("I")
        if key == "general.alignment":
            alignment = r.take("I")
        else:
            r.skip_value(kind)
    infos = []
    for _ in range(n_tensors):
        name = r.string()
        dims = [r.take("Q") for _ in range(r.take("I"))]
        kind, offset = r.take("I"), r.take("Q")
        infos.append((name, dims, kind, offset))
    base = (r.pos + alignment - 1) // alignment * alignment
    for name, dims, kind, offset in infos:
        if kind not in BLOCKS:
            sys.exit(f"{path}: tensor {name}: type {kind} not listed here")
        count = 1
        for d in dims:
            count *= d
        values, block_bytes = BLOCKS[kind]
        size = count // values * block_bytes
        chunk = data[base + offset:base + offset + size]
        print(f"{name} {TYPE_NAMES[kind]} {size} {zlib.crc32(chunk):08x}")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
