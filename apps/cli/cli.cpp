#include "cli.h"

#include <cstdarg>
#include <cstdio>
#include <new>

#include "llmcu/arena.h"
#include "thread_pool.h"

namespace llmcu::cli {

Outcome Outcome::usage(const char* format, ...) {
  char message[Status::kMaxMessage];
  va_list args;
  va_start(args, format);
  vsnprintf(message, sizeof(message), format, args);
  va_end(args);
  Outcome o(Status::error(StatusCode::kInvalidArgument, "%s", message));
  o.usage_ = true;
  return o;
}

int Outcome::finish() const {
  if (status_.is_ok()) return kExitOk;
  if (usage_) {
    fprintf(stderr, "%s\n", status_.message());
    return kExitUsage;
  }
  fprintf(stderr, "error: %s\n", status_.message());
  return kExitBadInput;
}

Result<std::unique_ptr<LoadedModel>> load_model_file(const std::string& path, bool huge_pages) {
  auto loaded = std::make_unique<LoadedModel>();
  LLMCU_TRY_ASSIGN(loaded->file, host::MappedFile::open(path));
  const std::span<const uint8_t> bytes =
      weights_for_decoding(loaded->file.bytes(), huge_pages, &loaded->copy);
  LLMCU_TRY_ASSIGN(loaded->model, load_model(bytes, path.c_str()));
  return loaded;
}

int choose_threads(int32_t requested, uint64_t weight_bytes) {
  if (requested > 0) return requested;
  // Measured on a 2-core Zen 4 VM (bench/compare.sh, 15 alternating runs):
  // below a few MB of weights a token takes ~25 us and its 21 fork/joins cost
  // about what the second core saves. stories260K (~1 MB) decodes at the same
  // median on one thread and on two, but two swing from 25,000 to 48,000
  // tok/s with the neighbours' load, one only from 32,000 to 39,000: one it
  // is. Above that, decoding is memory-bound and every core helps.
  constexpr uint64_t kSmallModelBytes = 8ull << 20;
  if (weight_bytes < kSmallModelBytes) return 1;
  return host::ThreadPool::available_cpus();
}

uint64_t available_memory_bytes() {
  FILE* f = fopen("/proc/meminfo", "r");
  if (f == nullptr) return 0;
  char line[256];
  unsigned long long kib = 0;
  while (fgets(line, sizeof(line), f) != nullptr) {
    if (sscanf(line, "MemAvailable: %llu kB", &kib) == 1) break;
  }
  fclose(f);
  return static_cast<uint64_t>(kib) * 1024;
}

std::span<const uint8_t> weights_for_decoding(std::span<const uint8_t> file, bool allowed,
                                              host::HugePageCopy* copy) {
  // Below this the weights stay in the caches from token to token, and the
  // copy would only cost time and memory.
  constexpr size_t kMinBytes = size_t{16} << 20;
  if (!allowed || file.size() < kMinBytes || !host::HugePageCopy::available()) return file;
  // Only a file that loads is worth copying: a corrupt or sparse one is
  // refused from the mapping without reading it all. And the copy must leave
  // room for everything else (it is only a speed-up).
  if (!load_model(file, "model").is_ok() || file.size() > available_memory_bytes() / 2) {
    return file;
  }
  Result<host::HugePageCopy> made = host::HugePageCopy::of(file, "model", /*release_source=*/true);
  if (!made.is_ok()) return file;  // no memory for a copy: the mapping works too
  *copy = std::move(*made);
  return copy->bytes();
}

Result<ArenaMemory> ArenaMemory::allocate(size_t bytes, const std::string& what) {
  ArenaMemory m;
  if (bytes <= SIZE_MAX - Arena::kAlignment) {
    m.storage_.reset(new (std::nothrow) uint8_t[bytes + Arena::kAlignment]);
  }
  if (m.storage_ == nullptr) {
    return Status::error(StatusCode::kResourceExhausted,
                         "%s: cannot allocate the %zu bytes its session plans; try a shorter "
                         "--seq-len",
                         what.c_str(), bytes);
  }
  const auto base = reinterpret_cast<uintptr_t>(m.storage_.get());
  m.aligned_ =
      m.storage_.get() + (Arena::kAlignment - base % Arena::kAlignment) % Arena::kAlignment;
  m.size_ = bytes;
  return m;
}

}  // namespace llmcu::cli
