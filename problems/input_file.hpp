// Opening an input safely (issue 14, part 2). Every reader opens its file
// through here so that a FIFO, socket or device (directly or through a
// symlink) is refused with a message naming it, nothing blocks waiting on a
// FIFO (the type is checked with stat before opening, the open itself uses
// O_NONBLOCK, and fstat checks the opened descriptor again), and the size
// limit is checked on the opened file before any byte is read. The path "-"
// means standard input where a format allows it (DIMACS, kOV, MaxIP).
//
//   std::string bytes = sethkit::read_input_bytes("x.cnf", 1 << 20, true);
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace sethkit {

// The name standard input has in messages ("<stdin>:3: ...").
inline constexpr const char* kStdinName = "<stdin>";

// A read-only descriptor of a regular file. Throws InputError naming the
// path when it does not exist, cannot be opened (permission denied says so)
// or is not a regular file; `expected` completes "is a directory, expected
// ..." ("a file", "a .npy file").
class InputFile {
 public:
  // stdin_hint: the refusal of a FIFO suggests "-" (formats that read stdin).
  explicit InputFile(const std::string& path, const std::string& expected = "a file",
                     bool stdin_hint = false);
  ~InputFile();
  InputFile(const InputFile&) = delete;
  InputFile& operator=(const InputFile&) = delete;

  std::size_t size() const { return size_; }
  const std::string& path() const { return path_; }
  // Reads exactly n bytes at offset (pread); InputError when the file ends
  // early (it changed while being read).
  void read_at(std::size_t offset, std::size_t n, char* dst) const;

 private:
  std::string path_;
  int fd_ = -1;
  std::size_t size_ = 0;
};

// The whole input. A regular file is refused before reading when it is
// larger than max_bytes; with allow_stdin, "-" reads standard input to its
// end and is refused as soon as it passes max_bytes.
std::string read_input_bytes(const std::string& path, int64_t max_bytes, bool allow_stdin,
                             const std::string& expected = "a file");

// The name of `path` in messages: kStdinName for "-" (when allowed).
std::string input_name(const std::string& path, bool allow_stdin);

// At most 32 bytes of `bytes` in single quotes, non-printable bytes as \xNN,
// "..." when cut: the only way input is quoted in an error message.
std::string quote_excerpt(std::string_view bytes);

}  // namespace sethkit
