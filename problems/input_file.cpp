#include "problems/input_file.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/errors.hpp"

namespace sethkit {
namespace {

// What a non-regular file is, for "is a FIFO (named pipe)" messages.
const char* kind_of(mode_t mode) {
  if (S_ISFIFO(mode)) return "a FIFO (named pipe)";
  if (S_ISSOCK(mode)) return "a socket";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISDIR(mode)) return "a directory";
  return "not a regular file";
}

[[noreturn]] void refuse_type(const std::string& path, mode_t mode, const std::string& expected,
                              bool stdin_hint) {
  if (S_ISDIR(mode)) throw InputError(path, "is a directory, expected " + expected);
  throw InputError(path, std::string("is ") + kind_of(mode) + ", not a regular file: inputs are " +
                             "read only from regular files (through a symlink too)" +
                             (stdin_hint ? "; for a pipe, give - and redirect it to standard input" : ""));
}

[[noreturn]] void refuse_open(const std::string& path, int err) {
  if (err == ENOENT) throw InputError(path, "cannot open: no such file");
  if (err == EACCES || err == EPERM) throw InputError(path, "cannot open: permission denied");
  throw InputError(path, std::string("cannot open: ") + std::strerror(err));
}

std::string too_large(long double size, int64_t max_bytes) {
  return "file is " + byte_count_text(size) + ", more than the " + human_bytes(double(max_bytes)) +
         " this reader accepts";
}

std::string read_stdin(int64_t max_bytes) {
  std::string bytes;
  char buf[1 << 16];
  for (;;) {
    const ssize_t n = ::read(STDIN_FILENO, buf, sizeof buf);
    if (n == 0) break;
    if (n < 0) {
      if (errno == EINTR) continue;
      throw InputError(kStdinName, std::string("read error: ") + std::strerror(errno));
    }
    if (int64_t(bytes.size()) + n > max_bytes)
      throw InputError(kStdinName, "input is more than the " + human_bytes(double(max_bytes)) +
                                       " this reader accepts");
    bytes.append(buf, static_cast<std::size_t>(n));
  }
  return bytes;
}

}  // namespace

InputFile::InputFile(const std::string& path, const std::string& expected, bool stdin_hint)
    : path_(path) {
  // stat first: a FIFO or device is refused before open() could block on it
  // or act on the device.
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) refuse_open(path, errno);
  if (!S_ISREG(st.st_mode)) refuse_type(path, st.st_mode, expected, stdin_hint);
  // O_NONBLOCK: a FIFO swapped in after the stat still cannot block us.
  fd_ = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
  if (fd_ < 0) refuse_open(path, errno);
  if (::fstat(fd_, &st) != 0 || !S_ISREG(st.st_mode)) {
    const mode_t mode = st.st_mode;
    ::close(fd_);
    fd_ = -1;
    refuse_type(path, mode, expected, stdin_hint);
  }
  const int flags = ::fcntl(fd_, F_GETFL);
  if (flags >= 0) ::fcntl(fd_, F_SETFL, flags & ~O_NONBLOCK);
  size_ = static_cast<std::size_t>(st.st_size);
}

InputFile::~InputFile() {
  if (fd_ >= 0) ::close(fd_);
}

void InputFile::read_at(std::size_t offset, std::size_t n, char* dst) const {
  std::size_t done = 0;
  while (done < n) {
    const ssize_t got = ::pread(fd_, dst + done, n - done, static_cast<off_t>(offset + done));
    if (got < 0 && errno == EINTR) continue;
    if (got < 0)
      throw InputError(path_, "read failed at byte " + std::to_string(offset + done) + ": " +
                                  std::strerror(errno));
    if (got == 0)
      throw InputError(path_, "read failed at byte " + std::to_string(offset + done) +
                                  " (file changed while reading?)");
    done += static_cast<std::size_t>(got);
  }
}

std::string input_name(const std::string& path, bool allow_stdin) {
  return allow_stdin && path == "-" ? std::string(kStdinName) : path;
}

std::string read_input_bytes(const std::string& path, int64_t max_bytes, bool allow_stdin,
                             const std::string& expected) {
  if (allow_stdin && path == "-") return read_stdin(max_bytes);
  const InputFile file(path, expected, allow_stdin);
  if (file.size() > static_cast<uint64_t>(max_bytes))
    throw InputError(path, too_large(file.size(), max_bytes));
  std::string bytes(file.size(), '\0');
  file.read_at(0, bytes.size(), bytes.data());
  return bytes;
}

std::string quote_excerpt(std::string_view bytes) {
  constexpr std::size_t kShown = 32;
  std::string out = "'";
  for (std::size_t i = 0; i < bytes.size() && i < kShown; ++i) {
    const auto c = static_cast<unsigned char>(bytes[i]);
    if (c >= 0x20 && c < 0x7f && c != '\\' && c != '\'') {
      out += static_cast<char>(c);
    } else if (c == '\\' || c == '\'') {
      out += '\\';
      out += static_cast<char>(c);
    } else {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    }
  }
  if (bytes.size() > kShown) out += "...";
  return out + "'";
}

}  // namespace sethkit
