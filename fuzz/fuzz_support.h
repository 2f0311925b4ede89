// Helpers shared by the fuzz targets: fixtures from the shared directory and
// aligned copies of the input (the core reads weights in place and expects
// the 4-byte alignment an mmap or mapped flash gives).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace llmcu::fuzz {

// $LLMCU_SHARED_DIR/models/NAME, else the directory CMake was configured with.
inline std::vector<uint8_t> read_fixture(const char* name) {
  const char* env = getenv("LLMCU_SHARED_DIR");
  const std::string dir = (env != nullptr && env[0] != '\0') ? env : LLMCU_DEFAULT_SHARED_DIR;
  const std::string path = dir + "/models/" + name;
  FILE* f = fopen(path.c_str(), "rb");
  if (f == nullptr) {
    fprintf(stderr, "fuzz fixture %s is missing (set LLMCU_SHARED_DIR)\n", path.c_str());
    abort();
  }
  std::vector<uint8_t> bytes;
  uint8_t chunk[1 << 16];
  size_t n;
  while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) bytes.insert(bytes.end(), chunk, chunk + n);
  fclose(f);
  return bytes;
}

// An exactly-sized heap copy, so that ASan flags a read one byte past the end.
inline std::vector<uint8_t> exact_copy(const uint8_t* data, size_t size) {
  return std::vector<uint8_t>(data, data + size);
}

// Reads one byte so that ASan checks the address; the value is discarded.
inline void touch(const void* p) {
  const volatile uint8_t* byte = static_cast<const volatile uint8_t*>(p);
  (void)*byte;
}

// Touches the first and the last byte of [p, p + bytes).
inline void touch_range(const void* p, size_t bytes) {
  if (bytes == 0) return;
  touch(p);
  touch(static_cast<const uint8_t*>(p) + bytes - 1);
}

// llama2.c-style tokenizer of `vocab_size` tokens: <unk>, <s>, </s>, the 256
// byte tokens "<0xXX>" (as many as fit), a few letters and merges, then
// filler pieces.
inline std::vector<uint8_t> make_tokenizer(int32_t vocab_size) {
  std::vector<uint8_t> b;
  // resize + memcpy rather than insert: GCC 12 warns falsely on the latter.
  auto put = [&b](const void* p, size_t n) {
    const size_t at = b.size();
    b.resize(at + n);
    if (n > 0) memcpy(b.data() + at, p, n);
  };
  const uint32_t max_len = 16;
  put(&max_len, 4);
  auto token = [&put](const char* text, float score) {
    const auto length = static_cast<int32_t>(strlen(text));
    put(&score, 4);
    put(&length, 4);
    put(text, static_cast<size_t>(length));
  };
  token("<unk>", 0);
  token("\n<s>\n", 0);
  token("\n</s>\n", 0);
  char piece[16];
  int32_t id = 3;
  for (int i = 0; i < 256 && id < vocab_size; ++i, ++id) {
    snprintf(piece, sizeof(piece), "<0x%02X>", i);
    token(piece, 0);
  }
  const char* extra[] = {" ", "a", "b", "c", "ab", "abc", " a", " ab", "bc", "ca", "e", " the"};
  for (const char* e : extra) {
    if (id >= vocab_size) break;
    token(e, -static_cast<float>(id));
    ++id;
  }
  for (; id < vocab_size; ++id) {
    snprintf(piece, sizeof(piece), "x%ld", static_cast<long>(id));
    token(piece, -static_cast<float>(id));
  }
  return b;
}

}  // namespace llmcu::fuzz
