// Checks for option values that CLI11 alone would let through.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <string>

namespace llmcu::cli {

// A whole number from 0 to 2^64 - 1. CLI11 converts "-1" and numbers past 64
// bits to an unsigned option without complaint (both become 2^64 - 1).
extern const CLI::Validator kUint64;

// Byte counts such as 1M, 512K or 1048576; false if `text` is not one.
bool parse_bytes(const std::string& text, uint64_t* out);

}  // namespace llmcu::cli
