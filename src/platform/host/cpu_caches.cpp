#include "cpu_caches.h"

#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <initializer_list>

namespace llmcu::host {
namespace {

// The first line of dir/index<index>/<name>, without its newline; false if
// the file cannot be read.
bool read_cache_field(const char* dir, int index, const char* name, char* out, size_t size) {
  char path[512];
  if (snprintf(path, sizeof(path), "%s/index%d/%s", dir, index, name) >=
      static_cast<int>(sizeof(path))) {
    return false;
  }
  FILE* f = fopen(path, "r");
  if (f == nullptr) return false;
  const bool ok = fgets(out, static_cast<int>(size), f) != nullptr;
  fclose(f);
  if (ok) out[strcspn(out, "\n")] = '\0';
  return ok;
}

// "32768K", "1M" or "512" in bytes; 0 if it does not parse.
uint64_t parse_size(const char* text) {
  unsigned long long value = 0;
  char unit = '\0';
  if (sscanf(text, "%llu%c", &value, &unit) < 1) return 0;
  switch (unit) {
    case 'K': return value << 10;
    case 'M': return value << 20;
    case 'G': return value << 30;
    default: return value;
  }
}

}  // namespace

uint64_t largest_cache_bytes_in(const char* cache_dir) {
  uint64_t best = 0;
  // index0.. are numbered without gaps; 16 is more levels and kinds than any CPU has.
  for (int index = 0; index < 16; ++index) {
    char size[64];
    if (!read_cache_field(cache_dir, index, "size", size, sizeof(size))) break;
    char type[64] = "";
    read_cache_field(cache_dir, index, "type", type, sizeof(type));
    if (strcmp(type, "Instruction") == 0) continue;
    const uint64_t bytes = parse_size(size);
    if (bytes > best) best = bytes;
  }
  return best;
}

uint64_t largest_cache_bytes() {
  const uint64_t from_sysfs = largest_cache_bytes_in("/sys/devices/system/cpu/cpu0/cache");
  if (from_sysfs != 0) return from_sysfs;
  uint64_t best = 0;
#ifdef _SC_LEVEL3_CACHE_SIZE
  for (int name : {_SC_LEVEL2_CACHE_SIZE, _SC_LEVEL3_CACHE_SIZE, _SC_LEVEL4_CACHE_SIZE}) {
    const long v = sysconf(name);
    if (v > 0 && static_cast<uint64_t>(v) > best) best = static_cast<uint64_t>(v);
  }
#endif
  return best;
}

}  // namespace llmcu::host
