// Writing an output file whole or not at all: the bytes go to a temporary
// file beside the target, which is renamed over it only once complete.
#pragma once

#include <cstdio>
#include <functional>
#include <string>

#include "llmcu/status.h"

namespace llmcu::cli {

// Calls `write(f, tmp_path)` on a new temporary file beside `path`, then
// flushes, syncs and renames it over `path`; on any failure the temporary
// file is removed and `path` is left as it was. I/O errors of `write` get
// `path` in front of their message.
Status write_atomically(const std::string& path,
                        const std::function<Status(FILE* f, const std::string& tmp)>& write);

// A model writer's sink (llmcu/quantize.h, llmcu/llmcu_format.h) into the FILE* at `user`.
Status write_to_file(void* user, const uint8_t* data, size_t size);

}  // namespace llmcu::cli
