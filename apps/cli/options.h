// Numeric options checked where they are parsed. CLI11 alone converts "-1"
// to 2^64 - 1 for an unsigned option, accepts NaN in a range check and
// prints a 309-digit bound; every number an llmcu command takes goes through
// these instead, with its own bounds, so no value that reaches a command can
// overflow what it is used for. Errors read
//   --threads must be between 0 and 256 (got -1)
//   --steps: 'abc' is not a number
// and are wrong usage (exit 2).
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <string>

namespace llmcu::cli {

// A whole number in [min, max] (digits, an optional sign; no fraction).
CLI::Option* add_int_option(CLI::App* cmd, const std::string& names, int32_t* value, int32_t min,
                            int32_t max, const std::string& help);
CLI::Option* add_uint64_option(CLI::App* cmd, const std::string& names, uint64_t* value,
                               const std::string& help);
// A finite decimal number in [min, max]; "nan" is not a number, "inf" and
// "1e309" are out of range.
CLI::Option* add_real_option(CLI::App* cmd, const std::string& names, float* value, double min,
                             double max, const std::string& help);

// The checks above on their own, for numbers inside other values (such as
// the fields of --shape): an empty string if `text` is a whole number in
// [min, max] (stored in *out), else the message, naming it `name`.
std::string parse_int(const std::string& name, const std::string& text, int64_t min, int64_t max,
                      int64_t* out);

// An option that names a file: "" is refused (an empty path would otherwise
// read as "not given" and pick a default).
CLI::Option* add_path_option(CLI::App* cmd, const std::string& names, std::string* value,
                             const std::string& help);

// Thread counts: 0 lets the command choose; more than this is refused (each
// is an OS thread with its own stack, and past the CPU count they only wait).
inline constexpr int32_t kMaxThreads = 256;

// Prompt tokens fed through the layers together (SessionOptions::batch): a
// 128-token batch reads each weight once where token by token reads it 128
// times, for 127 more rows of the per-token buffers (llmcu plan shows them).
// On the 2-core x86 host 128 prefills 8-15% faster than 64 from 15M to 135M
// weights, fp32 and int8, and 256 little more (bench/README.md).
inline constexpr int32_t kDefaultBatch = 128;

// Adds -b,--batch (1 to kMaxBatch) to `cmd`.
CLI::Option* add_batch_option(CLI::App* cmd, int32_t* batch);

// Byte counts such as 1M, 512K or 1048576; false if `text` is not one.
bool parse_bytes(const std::string& text, uint64_t* out);

}  // namespace llmcu::cli
