#include "cli.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <new>

#include "git_revision.h"
#include "llmcu/arena.h"
#include "llmcu/build_info.h"
#include "llmcu/model_check.h"
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

namespace {

// The model bytes of `file`: the model part of a container, else all of it.
std::span<const uint8_t> model_part(std::span<const uint8_t> file) {
  if (!is_container(file)) return file;
  Result<Container> c = open_container(file, "container", /*verify_checksums=*/false);
  return c.is_ok() ? c->model : std::span<const uint8_t>();
}

}  // namespace

Result<std::unique_ptr<LoadedModel>> load_model_file(const std::string& path,
                                                     const LoadOptions& options) {
  if (path.empty()) return Status::error(StatusCode::kIoError, "the model path is empty");
  auto loaded = std::make_unique<LoadedModel>();
  LLMCU_TRY_ASSIGN(loaded->file, host::MappedFile::open(path));
  std::span<const uint8_t> bytes =
      weights_for_decoding(loaded->file.bytes(), options.huge_pages, &loaded->copy);
  if (is_container(bytes)) {
    LLMCU_TRY_ASSIGN(const Container c,
                     open_container(bytes, path.c_str(), /*verify_checksums=*/true));
    loaded->packed = true;
    loaded->container = c.header;
    loaded->packed_tokenizer = c.tokenizer;
    bytes = c.model;
  }
  LLMCU_TRY_ASSIGN(const size_t memory, model_memory_bytes(bytes, path.c_str()));
  loaded->memory.resize(memory);
  LLMCU_TRY_ASSIGN(loaded->model, load_model(bytes, path.c_str(), loaded->memory));
  if (options.check_finite) {
    Status finite = check_weights_finite(loaded->model);
    if (!finite.is_ok()) return finite.with_context(path.c_str());
  }
  return loaded;
}

Result<std::string> read_text(const std::string& path, size_t max_bytes) {
  const bool standard_input = path == "-";
  const std::string name = standard_input ? "standard input" : path;
  if (path.empty()) return Status::error(StatusCode::kIoError, "the text file path is empty");
  // O_NONBLOCK: a FIFO without a writer must not hang the open; reads block again below.
  const int fd =
      standard_input ? STDIN_FILENO : open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    return Status::error(StatusCode::kIoError, "%s: cannot open: %s", name.c_str(),
                         strerror(errno));
  }
  auto close_fd = [&] {
    if (!standard_input) close(fd);
  };
  struct stat st {};
  if (fstat(fd, &st) != 0 || S_ISDIR(st.st_mode) || S_ISBLK(st.st_mode) || S_ISSOCK(st.st_mode)) {
    close_fd();
    return Status::error(StatusCode::kIoError, "%s: not a text file (a directory or a device)",
                         name.c_str());
  }
  if (!standard_input) fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
  std::string text;
  char chunk[1 << 16];
  while (true) {
    const ssize_t n = read(fd, chunk, sizeof(chunk));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int err = errno;
      close_fd();
      return Status::error(StatusCode::kIoError, "%s: cannot read: %s", name.c_str(),
                           strerror(err));
    }
    if (n == 0) break;
    if (text.size() + static_cast<size_t>(n) > max_bytes) {
      close_fd();
      return Status::error(StatusCode::kIoError, "%s: longer than %zu bytes, the most taken",
                           name.c_str(), max_bytes);
    }
    text.append(chunk, static_cast<size_t>(n));
  }
  close_fd();
  if (const size_t nul = text.find('\0'); nul != std::string::npos) {
    return Status::error(StatusCode::kInvalidArgument,
                         "%s: holds a NUL byte at offset %zu; a text cannot (it would end there)",
                         name.c_str(), nul);
  }
  return text;
}

std::string version_text() {
  std::string text = "llmcu " LLMCU_VERSION " (git " LLMCU_GIT_REVISION "), kernels ";
  text += kernel_family_name();
#if defined(__clang__)
  text += ", clang " __clang_version__;
#elif defined(__GNUC__)
  text += ", gcc " __VERSION__;
#endif
  return text;
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
  const std::span<const uint8_t> model = model_part(file);
  Result<size_t> memory = model_memory_bytes(model, "model");
  if (!memory.is_ok()) return file;
  std::vector<uint8_t> scratch(*memory);
  if (!load_model(model, "model", scratch).is_ok() || file.size() > available_memory_bytes() / 2) {
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
