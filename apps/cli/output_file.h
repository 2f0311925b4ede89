// Writing an output file whole or not at all: the bytes go to a temporary
// file of a unique name in the target's directory, which is renamed over the
// target only once complete.
//
// What OUT may name: a new file in an existing directory, or an existing
// regular file, also through a symbolic link (the link stays; the file it
// points to is replaced). Anything else is refused and left untouched: a
// directory, a device (/dev/null, a terminal, /dev/stdout and other links to
// one), a FIFO, a socket, a link to nothing. Writing into such a thing is
// never an atomic replacement, and the commands print their summary on
// standard output, which a write "through" /dev/stdout would corrupt.
#pragma once

#include <cstdint>
#include <cstdio>
#include <functional>
#include <string>

#include "llmcu/status.h"

namespace llmcu::cli {

// Calls `write(f, tmp_path)` on a new temporary file beside `path`, then
// flushes, syncs and renames it over `path`; on any failure, or a signal
// that ends the process, the temporary file is removed and `path` is left as
// it was. `expected_bytes` (0: unknown) is checked first against the free
// space of the file system and the file-size limit. I/O errors of `write`
// get `path` in front of their message.
Status write_atomically(const std::string& path, uint64_t expected_bytes,
                        const std::function<Status(FILE* f, const std::string& tmp)>& write);

// A model writer's sink (llmcu/quantize.h, llmcu/llmcu_format.h) into the FILE* at `user`.
Status write_to_file(void* user, const uint8_t* data, size_t size);

}  // namespace llmcu::cli
