// Outputs appear whole or not at all (DESIGN.md "Standards", issue 14 part 1).
//
// A regular (or absent) target is written to a temporary beside it, created
// with O_CREAT|O_EXCL|O_NOFOLLOW (a file or link planted at the name is never
// followed or overwritten), and renamed over it. The temporary's name is
// ".NAME.tmp.PID.N": a later write to the same target removes the stale
// temporaries of processes that no longer exist (a SIGKILL leaves one), and
// SIGINT/SIGTERM/SIGHUP remove the live ones (core/cleanup.hpp).
// A symlink target is resolved and the file it points to replaced; the link
// stays a link. A target that exists and is not a regular file (a device,
// FIFO or socket) is written through directly, never replaced: -o /dev/null
// discards, -o /dev/full fails with the write error. "-" is standard output.
// A directory target of a file output is refused.
#pragma once

#include <functional>
#include <iosfwd>
#include <memory>
#include <string>
#include <vector>

namespace sethkit {

// Calls write(out) on a temporary file next to `path`, then renames it to
// `path`. On any exception the temporary is removed and the error rethrown.
void write_file_atomically(const std::string& path,
                           const std::function<void(std::ostream&)>& write,
                           bool binary = false);

// Several file outputs of one run that appear together or not at all: every
// one is written to its temporary first; only when all succeeded are they
// renamed into place (an error before that leaves no target touched).
class OutputSet {
 public:
  OutputSet();
  ~OutputSet();  // removes the temporaries of an uncommitted set
  OutputSet(const OutputSet&) = delete;
  OutputSet& operator=(const OutputSet&) = delete;

  void add(const std::string& path, std::function<void(std::ostream&)> write, bool binary = true);
  void commit();

 private:
  struct Entry;
  std::vector<std::unique_ptr<Entry>> entries_;
};

// One file of a directory written by write_directory_atomically.
struct OutputFile {
  std::string name;
  std::function<void(std::ostream&)> write;
  bool binary = true;
};

// Writes `files` into a temporary sibling of `dir` (mkdtemp), then renames it
// into place in one step. An existing `dir` is replaced only if every entry in
// it is a regular file that `is_own_file` accepts (so a mistyped path never
// destroys unrelated data; `kind` names those files in the refusal); the swap
// is atomic (renameat2 RENAME_EXCHANGE) where the file system allows it,
// otherwise the old directory is moved aside first (a short window with no
// directory, never a half-written one). A symlink to a directory is resolved.
void write_directory_atomically(const std::string& dir, const std::vector<OutputFile>& files,
                                const std::function<bool(const std::string& name)>& is_own_file,
                                const std::string& kind);

// Removes ".NAME.tmp.PID.*" (and ".NAME.old.PID") entries of `dir`'s
// directory whose process no longer exists. Called by the writers above.
void remove_stale_temporaries(const std::string& parent, const std::string& name);

// An output path and the option that named it ("-o", "--logd").
struct NamedPath {
  std::string option;
  std::string path;
};

// Refuses (UsageError, exit 2) before any work an output that is the same
// file (device and inode, after symlinks) as an input or as a file inside an
// input directory, and two outputs naming one file. "-" and device files
// (/dev/null) are exempt.
void check_outputs_distinct(const std::vector<std::string>& inputs, const std::vector<NamedPath>& outputs);

}  // namespace sethkit
