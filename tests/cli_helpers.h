// Helpers of the CLI tests: temporary directories, running the llmcu command
// with a given standard input, and the checks every refusal must pass.
#pragma once

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "test_support.h"

namespace llmcu::test {

inline std::string q(const std::string& s) {
  return shell_quote(s);
}
inline std::string models() {
  return shared_dir() + "/models";
}
inline std::string cli() {
  return q(LLMCU_CLI_PATH);
}

// A fresh temporary directory, removed with everything in it.
class TempDir {
 public:
  TempDir() {
    char pattern[] = "/tmp/llmcu_cli_XXXXXX";
    path_ = mkdtemp(pattern);
  }
  ~TempDir() {
    const std::string cmd = "chmod -R u+rwx " + q(path_) + " 2>/dev/null; rm -rf " + q(path_);
    if (system(cmd.c_str()) != 0) fprintf(stderr, "could not remove %s\n", path_.c_str());
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string file(const std::string& name, const std::vector<uint8_t>& bytes) const {
    const std::string p = path_ + "/" + name;
    std::ofstream out(p, std::ios::binary);
    out.write(reinterpret_cast<const char*>(bytes.data()),
              static_cast<std::streamsize>(bytes.size()));
    return p;
  }
  std::string text(const std::string& name, const std::string& content) const {
    return file(name, std::vector<uint8_t>(content.begin(), content.end()));
  }
  // Names in the directory, sorted, without . and ..
  std::vector<std::string> listing() const {
    std::vector<std::string> names;
    const std::string cmd = "ls -A " + q(path_);
    FILE* pipe = popen(cmd.c_str(), "r");
    char line[4096];
    while (pipe != nullptr && fgets(line, sizeof(line), pipe) != nullptr) {
      std::string name = line;
      if (!name.empty() && name.back() == '\n') name.pop_back();
      names.push_back(name);
    }
    if (pipe != nullptr) pclose(pipe);
    return names;
  }

 private:
  std::string path_;
};

// Runs `command` with /bin/sh, standard output captured, standard error
// captured through a file; exit_code is 128 + N for a death by signal N.
inline CommandResult run_shell(const std::string& command) {
  char err_path[] = "/tmp/llmcu_cli_err_XXXXXX";
  const int err_fd = mkstemp(err_path);
  close(err_fd);
  const std::string cmd = "(" + command + ") 2>" + err_path;
  CommandResult result;
  FILE* pipe = popen(cmd.c_str(), "r");
  if (pipe == nullptr) return result;
  char buffer[4096];
  size_t n;
  while ((n = fread(buffer, 1, sizeof(buffer), pipe)) > 0) result.out.append(buffer, n);
  const int status = pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  std::ifstream err(err_path, std::ios::binary);
  result.err.assign(std::istreambuf_iterator<char>(err), std::istreambuf_iterator<char>());
  unlink(err_path);
  return result;
}

// llmcu with `args`, standard input from `input` (a path; /dev/null if empty).
inline CommandResult run_cli_input(const std::string& args, const std::string& input) {
  return run_shell(cli() + " " + args + " <" + q(input.empty() ? "/dev/null" : input));
}

// The process ended by itself (no signal) with `code`, said something on
// standard error and nothing that looks like a crash report.
inline void expect_clean_failure(const CommandResult& r, int code, const std::string& what) {
  EXPECT_EQ(r.exit_code, code) << what << "\n" << r.err;
  EXPECT_FALSE(r.err.empty()) << what;
  for (const char* crash : {"Sanitizer", "runtime error", "terminate called", "Aborted",
                            "Segmentation", "core dumped", "Bus error"}) {
    EXPECT_EQ(r.err.find(crash), std::string::npos) << what << "\n" << r.err;
  }
}

inline bool is_root() {
  return geteuid() == 0;
}

}  // namespace llmcu::test
