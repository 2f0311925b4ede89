// Code point classes for the pre-tokenizers, from tables generated at build
// time (tools/unicode/gen_unicode_tables.py), and UTF-8 decoding that treats
// bad bytes the way llama.cpp's tokenizers do.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace llmcu::unicode {

// Major general category (the first letter of Unicode's two-letter one).
enum Category : uint8_t {
  kUnassigned = 0,   // Cn
  kNumber = 1,       // N*
  kLetter = 2,       // L*
  kSeparator = 3,    // Z*
  kMark = 4,         // M*
  kPunctuation = 5,  // P*
  kSymbol = 6,       // S*
  kControl = 7,      // Cc, Cf, Co, Cs
};

struct CodePointClass {
  Category category;
  bool whitespace;  // Unicode's White_Space property (regex \s)
  bool is(Category c) const { return category == c; }
};

CodePointClass classify(uint32_t cp);

// Bytes the generated class table occupies.
size_t table_bytes();

constexpr uint32_t kReplacement = 0xFFFD;

// The code point at text[offset] and its length in bytes. A byte that does
// not start a well-formed sequence (by lead byte and continuation bytes, with
// no check for overlong forms or surrogates) decodes as U+FFFD and is
// consumed alone; so does a sequence above U+10FFFF.
uint32_t decode(std::string_view text, size_t offset, size_t* length);

// Writes cp as UTF-8 to out (room for 4 bytes); returns the byte count.
size_t encode(uint32_t cp, char* out);

// Bytes of the UTF-8 character that starts with `lead`, by its high bits
// alone (1 for continuation bytes): how sentencepiece splits text.
inline size_t length_from_lead(char lead) {
  static constexpr uint8_t kLengths[16] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 3, 4};
  return kLengths[static_cast<uint8_t>(lead) >> 4];
}

}  // namespace llmcu::unicode
