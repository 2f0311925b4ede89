#include "core/unicode.h"

namespace llmcu::unicode {
namespace {

#include "unicode_tables.inc"

}  // namespace

CodePointClass classify(uint32_t cp) {
  // The last run whose first code point is <= cp.
  size_t lo = 0, hi = sizeof(kCodePointRuns) / sizeof(kCodePointRuns[0]);
  const uint32_t key = (cp << 4) | 0xF;
  while (hi - lo > 1) {
    const size_t mid = (lo + hi) / 2;
    if (kCodePointRuns[mid] <= key) {
      lo = mid;
    } else {
      hi = mid;
    }
  }
  const uint32_t flags = cp < 0x110000 ? (kCodePointRuns[lo] & 0xF) : 0;
  return {static_cast<Category>(flags & 7), (flags & 8) != 0};
}

size_t table_bytes() {
  return sizeof(kCodePointRuns);
}

uint32_t decode(std::string_view text, size_t offset, size_t* length) {
  const auto byte = [&](size_t i) { return static_cast<uint8_t>(text[offset + i]); };
  const uint8_t lead = byte(0);
  *length = 1;
  if (lead < 0x80) return lead;
  size_t n;
  uint32_t cp;
  if ((lead & 0xE0) == 0xC0) {
    n = 2, cp = lead & 0x1F;
  } else if ((lead & 0xF0) == 0xE0) {
    n = 3, cp = lead & 0x0F;
  } else if ((lead & 0xF8) == 0xF0) {
    n = 4, cp = lead & 0x07;
  } else {
    return kReplacement;  // a continuation byte or 0xF8..0xFF
  }
  if (offset + n > text.size()) return kReplacement;
  for (size_t i = 1; i < n; ++i) {
    if ((byte(i) & 0xC0) != 0x80) return kReplacement;
    cp = (cp << 6) | (byte(i) & 0x3F);
  }
  if (cp > 0x10FFFF) return kReplacement;
  *length = n;
  return cp;
}

size_t encode(uint32_t cp, char* out) {
  if (cp < 0x80) {
    out[0] = static_cast<char>(cp);
    return 1;
  }
  if (cp < 0x800) {
    out[0] = static_cast<char>(0xC0 | (cp >> 6));
    out[1] = static_cast<char>(0x80 | (cp & 0x3F));
    return 2;
  }
  if (cp < 0x10000) {
    out[0] = static_cast<char>(0xE0 | (cp >> 12));
    out[1] = static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out[2] = static_cast<char>(0x80 | (cp & 0x3F));
    return 3;
  }
  out[0] = static_cast<char>(0xF0 | (cp >> 18));
  out[1] = static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
  out[2] = static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
  out[3] = static_cast<char>(0x80 | (cp & 0x3F));
  return 4;
}

}  // namespace llmcu::unicode
