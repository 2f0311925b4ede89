#include "model_store.h"

#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "sha256.h"

extern char** environ;

namespace llmcu::cli {
namespace {

struct KnownFile {
  const char* name;
  const char* url;
  const char* sha256;
};

constexpr KnownFile kKnownFiles[] = {
    {"stories260K.bin",
     "https://huggingface.co/karpathy/tinyllamas/resolve/main/stories260K/stories260K.bin",
     "b0a507e7ad0f626624f17112325e66691f9076d622e1d3274d103d00299f2696"},
    {"tok512.bin", "https://huggingface.co/karpathy/tinyllamas/resolve/main/stories260K/tok512.bin",
     "037cb335abb25d1fa9e8ecae30ed2a3a8ace9302862ebcdc05d51a6bbb10c312"},
};

std::string directory_of(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? "." : path.substr(0, slash);
}

bool make_directories(const std::string& dir) {
  for (size_t i = 1; i <= dir.size(); ++i) {
    if (i == dir.size() || dir[i] == '/') {
      const std::string prefix = dir.substr(0, i);
      if (mkdir(prefix.c_str(), 0755) != 0 && errno != EEXIST) return false;
    }
  }
  return true;
}

std::string file_sha256(const std::string& path) {
  FILE* f = fopen(path.c_str(), "rb");
  if (f == nullptr) return "";
  Sha256 hash;
  std::vector<char> chunk(1 << 16);
  size_t n;
  while ((n = fread(chunk.data(), 1, chunk.size(), f)) > 0) hash.update(chunk.data(), n);
  fclose(f);
  return hash.hex_digest();
}

// Runs curl without a shell; its progress bar goes to our standard error.
bool run_curl(const std::string& url, const std::string& out) {
  std::vector<std::string> args = {
      "curl",     "--fail", "--location", "--progress-bar", "--connect-timeout", "15",
      "--output", out,      url};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid;
  if (posix_spawnp(&pid, "curl", nullptr, nullptr, argv.data(), environ) != 0) return false;
  int status = 0;
  if (waitpid(pid, &status, 0) < 0) return false;
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

}  // namespace

bool file_exists(const std::string& path) {
  struct stat st {};
  return stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

std::string models_directory() {
  if (const char* env = getenv("LLMCU_MODELS"); env != nullptr && env[0] != '\0') return env;
  if (const char* xdg = getenv("XDG_CACHE_HOME"); xdg != nullptr && xdg[0] != '\0') {
    return std::string(xdg) + "/llmcu";
  }
  const char* home = getenv("HOME");
  return std::string(home != nullptr ? home : ".") + "/.cache/llmcu";
}

Result<std::string> ensure_default_file(const std::string& name) {
  const std::string dir = models_directory();
  const std::string path = dir + "/" + name;
  if (file_exists(path)) return path;
  const KnownFile* known = nullptr;
  for (const KnownFile& k : kKnownFiles) {
    if (name == k.name) known = &k;
  }
  if (known == nullptr) {
    return Status::error(StatusCode::kIoError, "%s: not found", path.c_str());
  }
  if (getenv("LLMCU_MODELS") != nullptr && getenv("LLMCU_MODELS")[0] != '\0') {
    return Status::error(StatusCode::kIoError,
                         "%s: not found in LLMCU_MODELS; put %s there or unset LLMCU_MODELS to "
                         "download it into the user cache",
                         path.c_str(), name.c_str());
  }
  if (!make_directories(dir)) {
    return Status::error(StatusCode::kIoError, "%s: cannot create directory: %s", dir.c_str(),
                         strerror(errno));
  }
  fprintf(stderr, "downloading %s to %s\n", known->url, path.c_str());
  const std::string partial = path + ".part." + std::to_string(getpid());
  const bool fetched = run_curl(known->url, partial);
  const std::string digest = fetched ? file_sha256(partial) : "";
  if (!fetched || digest != known->sha256) {
    unlink(partial.c_str());
    if (fetched) {
      return Status::error(StatusCode::kIoError,
                           "%s: downloaded file has SHA-256 %s, expected %s; nothing was kept",
                           name.c_str(), digest.c_str(), known->sha256);
    }
    return Status::error(StatusCode::kIoError,
                         "could not download %s (no network, or curl missing). Put stories260K.bin "
                         "and tok512.bin in a directory and point LLMCU_MODELS at it, e.g. "
                         "LLMCU_MODELS=/path/to/models llmcu run",
                         name.c_str());
  }
  if (rename(partial.c_str(), path.c_str()) != 0) {
    unlink(partial.c_str());
    return Status::error(StatusCode::kIoError, "%s: cannot rename the download: %s", path.c_str(),
                         strerror(errno));
  }
  return path;
}

Result<std::string> tokenizer_next_to(const std::string& model_path, int vocab_size) {
  const std::string dir = directory_of(model_path);
  const std::string by_vocab = dir + "/tok" + std::to_string(vocab_size) + ".bin";
  if (file_exists(by_vocab)) return by_vocab;
  const std::string generic = dir + "/tokenizer.bin";
  if (file_exists(generic)) return generic;
  return Status::error(StatusCode::kIoError,
                       "no tokenizer next to %s (looked for %s and %s); give one with -z",
                       model_path.c_str(), by_vocab.c_str(), generic.c_str());
}

}  // namespace llmcu::cli
