// Typed errors shared by every module (the NTL idea: InputError, FileError,
// ...). Library code throws; only the command line chooses an exit code:
// InputError / SizeLimitError / ToolError -> exit 1, usage errors
// (UsageError) -> exit 2, TimeoutError -> exit 3.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>

namespace sethkit {

// Malformed or inconsistent input. `where` is "FILE:LINE" (or just FILE, or
// empty for in-memory data) so the message reads like a compiler's.
class InputError : public std::runtime_error {
 public:
  InputError(const std::string& where, const std::string& what)
      : std::runtime_error(where.empty() ? what : where + ": " + what) {}
};

// A size estimated before any work exceeds a limit. The message says the size
// and the limit so the user can decide what to change.
class SizeLimitError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// An external program (SAT solver) is missing or misbehaved.
class ToolError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The run's wall-clock budget (--timeout) ran out; thrown by
// check_deadline() in a hot loop. The command line prints
// "timeout after S s" and exits 3, with no output written.
class TimeoutError : public std::runtime_error {
 public:
  explicit TimeoutError(double seconds);
  double seconds() const { return seconds_; }

 private:
  double seconds_;
};

// A request that is misuse of the command line though found after parsing
// (an output that is also an input, two outputs naming one file): exit 2.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// "1.50 GiB" style rendering for size messages.
std::string human_bytes(double bytes);

// A byte count from a file header: exact ("72 bytes") while it fits in 63
// bits, otherwise human_bytes ("1.5e+03 EiB") - never "72.000000".
std::string byte_count_text(long double bytes);

// A count for a message: exact while below 2^53 ("1048576"), else as a power
// of two ("2^62.5"); "infinitely many" past double's range.
std::string count_text(double count);

// Throws SizeLimitError("<what> needs <bytes> (limit <limit>); <hint>") when
// bytes > limit.
void check_size(const std::string& what, double bytes, double limit,
                const std::string& hint);

}  // namespace sethkit
