// Outputs appear whole or not at all (DESIGN.md "Standards"): write to a
// temporary name beside the target, flush, then rename over it. A failure or
// a kill mid-write leaves at most the temporary, never a partial target.
#pragma once

#include <functional>
#include <iosfwd>
#include <string>
#include <vector>

namespace sethkit {

// Calls write(out) on a temporary file next to `path`, then renames it to
// `path`. On any exception the temporary is removed and the error rethrown.
void write_file_atomically(const std::string& path,
                           const std::function<void(std::ostream&)>& write,
                           bool binary = false);

// One file of a directory written by write_directory_atomically.
struct OutputFile {
  std::string name;
  std::function<void(std::ostream&)> write;
  bool binary = true;
};

// Writes `files` into a temporary sibling of `dir`, then renames it into
// place in one step. An existing `dir` is replaced only if every entry in it
// is a regular file that `is_own_file` accepts (so a mistyped path never
// destroys unrelated data; `kind` names those files in the refusal); the swap
// is atomic (renameat2 RENAME_EXCHANGE) where the file system allows it,
// otherwise the old directory is moved aside first (a short window with no
// directory, never a half-written one).
void write_directory_atomically(const std::string& dir, const std::vector<OutputFile>& files,
                                const std::function<bool(const std::string& name)>& is_own_file,
                                const std::string& kind);

}  // namespace sethkit
