#include "output_file.h"

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <optional>

#include "signals.h"

namespace llmcu::cli {
namespace {

const char* kind_of(mode_t mode) {
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISSOCK(mode)) return "a socket";
  return "not a regular file";
}

Status not_replaced(const std::string& path, const char* kind) {
  return Status::error(StatusCode::kIoError,
                       "%s: is %s; output files are written whole and only replace regular "
                       "files (give a file name)",
                       path.c_str(), kind);
}

Status is_stream(const std::string& path, const char* stream) {
  return Status::error(StatusCode::kIoError,
                       "%s: is this command's %s, where its report goes; give another file",
                       path.c_str(), stream);
}

// Whether `st` is the file standard output or standard error writes to:
// `pack ... /dev/stdout > x` or `quantize in x > x` would replace the file
// the command's report is going into.
const char* standard_stream(const struct stat& st) {
  struct stat stream {};
  if (fstat(STDOUT_FILENO, &stream) == 0 && stream.st_dev == st.st_dev &&
      stream.st_ino == st.st_ino) {
    return "standard output";
  }
  if (fstat(STDERR_FILENO, &stream) == 0 && stream.st_dev == st.st_dev &&
      stream.st_ino == st.st_ino) {
    return "standard error";
  }
  return nullptr;
}

// The file to create or replace for `path` (see output_file.h).
Result<std::string> resolve_target(const std::string& path) {
  if (path.empty()) return Status::error(StatusCode::kIoError, "the output path is empty");
  if (path.back() == '/') return not_replaced(path, "a directory");
  struct stat st {};
  if (lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return path;  // a new file
    return Status::error(StatusCode::kIoError, "%s: %s", path.c_str(), strerror(errno));
  }
  if (S_ISREG(st.st_mode)) {
    if (const char* stream = standard_stream(st)) return is_stream(path, stream);
    return path;
  }
  if (!S_ISLNK(st.st_mode)) return not_replaced(path, kind_of(st.st_mode));
  if (stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) {
      return Status::error(StatusCode::kIoError,
                           "%s: is a symbolic link to a file that does not exist; not replaced",
                           path.c_str());
    }
    return Status::error(StatusCode::kIoError, "%s: %s", path.c_str(), strerror(errno));
  }
  if (!S_ISREG(st.st_mode)) return not_replaced(path, kind_of(st.st_mode));
  if (const char* stream = standard_stream(st)) return is_stream(path, stream);
  char* real = realpath(path.c_str(), nullptr);
  if (real == nullptr) {
    return Status::error(StatusCode::kIoError, "%s: %s", path.c_str(), strerror(errno));
  }
  std::string target = real;
  free(real);
  return target;
}

std::string directory_of(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

std::string base_of(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

// Refuses a write of `bytes` that the file system or the file-size limit
// (ulimit -f) could not take, before anything is written.
Status check_room(const std::string& path, const std::string& dir, uint64_t bytes) {
  if (bytes == 0) return Status::ok();
  struct rlimit limit {};
  if (getrlimit(RLIMIT_FSIZE, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY &&
      bytes > limit.rlim_cur) {
    return Status::error(StatusCode::kIoError,
                         "%s: would be %llu bytes, over the file-size limit of %llu bytes "
                         "(ulimit -f)",
                         path.c_str(), static_cast<unsigned long long>(bytes),
                         static_cast<unsigned long long>(limit.rlim_cur));
  }
  struct statvfs fs {};
  if (statvfs(dir.c_str(), &fs) == 0) {
    const unsigned long long free_bytes =
        static_cast<unsigned long long>(fs.f_bavail) * static_cast<unsigned long long>(fs.f_frsize);
    if (bytes > free_bytes) {
      return Status::error(StatusCode::kIoError,
                           "%s: needs %llu bytes, but its file system has %llu bytes free",
                           path.c_str(), static_cast<unsigned long long>(bytes), free_bytes);
    }
  }
  return Status::ok();
}

Status io_error(const std::string& what) {
  return Status::error(StatusCode::kIoError, "%s: %s", what.c_str(), strerror(errno));
}

void sync_directory(const std::string& dir) {
  const int fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  (void)fsync(fd);
  close(fd);
}

}  // namespace

Status write_to_file(void* user, const uint8_t* data, size_t size) {
  FILE* f = static_cast<FILE*>(user);
  if (fwrite(data, 1, size, f) != size) {
    return Status::error(StatusCode::kIoError, "write failed: %s", strerror(errno));
  }
  return Status::ok();
}

Status write_atomically(const std::string& path, uint64_t expected_bytes,
                        const std::function<Status(FILE* f, const std::string& tmp)>& write) {
  LLMCU_TRY_ASSIGN(const std::string target, resolve_target(path));
  const std::string dir = directory_of(target);
  LLMCU_TRY(check_room(path, dir, expected_bytes));
  // A hidden name of its own (mkstemp), short enough beside any file name:
  // an existing OUT.tmp is never touched, and concurrent writers never share one.
  std::string tmp = dir + "/." + base_of(target).substr(0, 64) + ".tmp-XXXXXX";
  std::optional<TempFileGuard> guard;
  int fd;
  {
    SignalsBlocked blocked;  // no signal between creating the file and registering it
    fd = mkostemp(tmp.data(), O_CLOEXEC);
    if (fd >= 0) guard.emplace(tmp);
  }
  if (fd < 0) {
    return Status::error(StatusCode::kIoError, "%s: cannot create a temporary file in %s: %s",
                         path.c_str(), dir.c_str(), strerror(errno));
  }
  // The new file gets the old one's permissions, or those of a new file.
  struct stat old {};
  const mode_t mask = umask(0);
  umask(mask);
  const mode_t mode = stat(target.c_str(), &old) == 0 ? (old.st_mode & 07777) : (0666 & ~mask);
  (void)fchmod(fd, mode);
  FILE* f = fdopen(fd, "wb");
  if (f == nullptr) {
    const Status status = io_error(tmp);
    close(fd);
    unlink(tmp.c_str());
    return status;
  }
  Status status = write(f, tmp);
  // A failed write is about the output file; other errors name their own source.
  if (status.code() == StatusCode::kIoError) status.with_context(path.c_str());
  if (status.is_ok() && (fflush(f) != 0 || fsync(fileno(f)) != 0)) status = io_error(path);
  if (fclose(f) != 0 && status.is_ok()) status = io_error(path);
  if (status.is_ok()) {
    // The target may have been replaced by something else while we wrote.
    Result<std::string> still = resolve_target(path);
    if (!still.is_ok()) {
      status = still.status();
    } else if (*still != target) {
      status = Status::error(StatusCode::kIoError, "%s: was replaced while it was being written",
                             path.c_str());
    }
  }
  SignalsBlocked blocked;
  if (status.is_ok() && rename(tmp.c_str(), target.c_str()) != 0) {
    status = Status::error(StatusCode::kIoError, "cannot rename %s to %s: %s", tmp.c_str(),
                           target.c_str(), strerror(errno));
  }
  if (!status.is_ok()) {
    unlink(tmp.c_str());
  } else {
    sync_directory(dir);
  }
  guard->release();
  return status;
}

}  // namespace llmcu::cli
