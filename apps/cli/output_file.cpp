#include "output_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace llmcu::cli {

Status write_to_file(void* user, const uint8_t* data, size_t size) {
  FILE* f = static_cast<FILE*>(user);
  if (fwrite(data, 1, size, f) != size) {
    return Status::error(StatusCode::kIoError, "write failed: %s", strerror(errno));
  }
  return Status::ok();
}

Status write_atomically(const std::string& path,
                        const std::function<Status(FILE* f, const std::string& tmp)>& write) {
  std::string tmp = path + ".tmp.XXXXXX";
  const int fd = mkstemp(tmp.data());
  if (fd < 0) {
    return Status::error(StatusCode::kIoError, "%s: cannot create a temporary file: %s",
                         tmp.c_str(), strerror(errno));
  }
  FILE* f = fdopen(fd, "wb");
  if (f == nullptr) {
    close(fd);
    unlink(tmp.c_str());
    return Status::error(StatusCode::kIoError, "%s: %s", tmp.c_str(), strerror(errno));
  }
  Status status = write(f, tmp);
  // A failed write is about the output file; other errors name their own source.
  if (status.code() == StatusCode::kIoError) status.with_context(path.c_str());
  if (status.is_ok() && (fflush(f) != 0 || fsync(fileno(f)) != 0)) {
    status = Status::error(StatusCode::kIoError, "%s: %s", tmp.c_str(), strerror(errno));
  }
  if (fclose(f) != 0 && status.is_ok()) {
    status = Status::error(StatusCode::kIoError, "%s: %s", tmp.c_str(), strerror(errno));
  }
  if (status.is_ok()) {
    // mkstemp makes the file 0600; an output file is as readable as any other.
    const mode_t mask = umask(0);
    umask(mask);
    chmod(tmp.c_str(), 0666 & ~mask);
    if (rename(tmp.c_str(), path.c_str()) != 0) {
      status = Status::error(StatusCode::kIoError, "cannot rename %s to %s: %s", tmp.c_str(),
                             path.c_str(), strerror(errno));
    }
  }
  if (!status.is_ok()) unlink(tmp.c_str());
  return status;
}

}  // namespace llmcu::cli
