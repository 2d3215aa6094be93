#include "core/atomic_file.hpp"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>  // renameat2, RENAME_EXCHANGE (glibc >= 2.28, _GNU_SOURCE)
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <ostream>
#include <streambuf>

#include "core/cleanup.hpp"
#include "core/deadline.hpp"
#include "core/errors.hpp"

namespace sethkit {

namespace fs = std::filesystem;

namespace {

// An ostream buffer over a file descriptor that remembers the first errno.
class FdBuf : public std::streambuf {
 public:
  explicit FdBuf(int fd) : fd_(fd) { setp(buf_, buf_ + sizeof buf_); }
  ~FdBuf() override { sync(); }
  int error() const { return error_; }

 protected:
  int_type overflow(int_type ch) override {
    if (flush_buffer() != 0) return traits_type::eof();
    if (!traits_type::eq_int_type(ch, traits_type::eof())) {
      *pptr() = traits_type::to_char_type(ch);
      pbump(1);
    }
    return traits_type::not_eof(ch);
  }
  int sync() override { return flush_buffer(); }

 private:
  int flush_buffer() {
    const char* p = pbase();
    while (p < pptr()) {
      const ssize_t n = ::write(fd_, p, static_cast<std::size_t>(pptr() - p));
      if (n < 0) {
        if (errno == EINTR) continue;
        if (error_ == 0) error_ = errno;
        setp(buf_, buf_ + sizeof buf_);
        return -1;
      }
      p += n;
    }
    setp(buf_, buf_ + sizeof buf_);
    return 0;
  }
  int fd_;
  int error_ = 0;
  char buf_[1 << 16];
};

// Runs write on fd; throws InputError(path, ...) on a write error.
void write_to_fd(int fd, const std::string& path, const std::function<void(std::ostream&)>& write) {
  FdBuf buf(fd);
  std::ostream out(&buf);
  write(out);
  out.flush();
  if (buf.error() != 0 || !out)
    throw InputError(path, std::string("write failed: ") +
                               (buf.error() ? std::strerror(buf.error()) : "stream error (disk full?)"));
}

bool process_alive(long pid) {
  if (pid <= 0) return false;
  return ::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM;
}

// The file a path names after following symlinks (absent files allowed: a
// dangling link resolves to its target). Directories of the path must exist.
fs::path resolve_target(const std::string& path) {
  fs::path p(path);
  for (int hops = 0; hops < 40; ++hops) {
    std::error_code ec;
    const fs::file_status st = fs::symlink_status(p, ec);
    if (ec || st.type() != fs::file_type::symlink) return p;
    fs::path link = fs::read_symlink(p, ec);
    if (ec) throw InputError(path, "cannot read the symbolic link: " + ec.message());
    p = link.is_absolute() ? link : p.parent_path() / link;
  }
  throw InputError(path, "too many levels of symbolic links");
}

fs::path parent_of(const fs::path& p) {
  fs::path parent = p.parent_path();
  return parent.empty() ? fs::path(".") : parent;
}

// A temporary opened with O_EXCL|O_NOFOLLOW beside target; the name carries
// the pid and a counter, skipping names that exist (planted or stale).
struct Temp {
  fs::path path;
  int fd = -1;
};

Temp open_temporary(const fs::path& target, const std::string& shown) {
  const fs::path parent = parent_of(target);
  const std::string base = "." + target.filename().string() + ".tmp." + std::to_string(::getpid()) + ".";
  remove_stale_temporaries(parent.string(), target.filename().string());
  for (int n = 0; n < 1000; ++n) {
    Temp t;
    t.path = parent / (base + std::to_string(n));
    t.fd = ::open(t.path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
    if (t.fd >= 0) return t;
    if (errno != EEXIST) throw InputError(shown, std::string("cannot write: ") + std::strerror(errno));
  }
  throw InputError(shown, "cannot create a temporary file beside it (1000 names taken)");
}

}  // namespace

void remove_stale_temporaries(const std::string& parent, const std::string& name) {
  const std::string tmp = "." + name + ".tmp.";
  const std::string old = "." + name + ".old.";
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(parent, ec)) {
    const std::string f = entry.path().filename().string();
    std::string rest;
    if (f.rfind(tmp, 0) == 0) rest = f.substr(tmp.size());
    else if (f.rfind(old, 0) == 0) rest = f.substr(old.size());
    else continue;
    char* end = nullptr;
    const long pid = std::strtol(rest.c_str(), &end, 10);
    if (end == rest.c_str() || (*end != '\0' && *end != '.')) continue;
    if (pid == ::getpid() || process_alive(pid)) continue;
    std::error_code ignored;
    if (entry.is_symlink(ignored) || !entry.is_directory(ignored)) fs::remove(entry.path(), ignored);
    else fs::remove_all(entry.path(), ignored);
  }
}

struct OutputSet::Entry {
  std::string shown;  // the path as given
  fs::path target;    // after resolving symlinks
  std::function<void(std::ostream&)> write;
  bool direct = false;  // stdout or a non-regular file: written through at commit
  fs::path temp;
  std::unique_ptr<CleanupGuard> guard;
  bool staged = false;
};

OutputSet::OutputSet() { install_cleanup_handlers(); }

OutputSet::~OutputSet() {
  for (auto& e : entries_) {
    if (!e->staged) continue;
    std::error_code ignored;
    fs::remove(e->temp, ignored);
  }
}

void OutputSet::add(const std::string& path, std::function<void(std::ostream&)> write, bool /*binary*/) {
  auto e = std::make_unique<Entry>();
  e->shown = path;
  e->write = std::move(write);
  if (path == "-") {
    e->direct = true;
  } else {
    if (path.empty()) throw InputError(path, "empty output path");
    e->target = resolve_target(path);
    struct stat st;
    if (::stat(e->target.c_str(), &st) == 0) {
      if (S_ISDIR(st.st_mode)) throw InputError(path, "is a directory; give a file name for this output");
      if (!S_ISREG(st.st_mode)) e->direct = true;
    } else if (errno != ENOENT) {
      throw InputError(path, std::string("cannot write: ") + std::strerror(errno));
    }
  }
  if (!e->direct) {
    // Staged now, so a later failure (of this or another output) leaves the
    // targets untouched.
    Temp t = open_temporary(e->target, path);
    e->temp = t.path;
    e->guard = std::make_unique<CleanupGuard>(t.path.string(), CleanupKind::file);
    e->staged = true;
    try {
      write_to_fd(t.fd, path, e->write);
    } catch (...) {
      ::close(t.fd);
      entries_.push_back(std::move(e));  // the destructor removes the temporary
      throw;
    }
    if (::close(t.fd) != 0)
      throw InputError(path, std::string("write failed: ") + std::strerror(errno));
  }
  entries_.push_back(std::move(e));
}

void OutputSet::commit() {
  check_deadline();  // a run past --timeout writes nothing
  // Direct outputs (devices, stdout) cannot be staged: written last, after
  // every staged file succeeded, and before any rename.
  for (auto& e : entries_) {
    if (!e->direct) continue;
    if (e->shown == "-") {
      std::fflush(stdout);  // what std::cout printed goes first
      write_to_fd(1, "standard output", e->write);
      continue;
    }
    const int fd = ::open(e->target.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) throw InputError(e->shown, std::string("cannot write: ") + std::strerror(errno));
    ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    try {
      write_to_fd(fd, e->shown, e->write);
    } catch (...) {
      ::close(fd);
      throw;
    }
    ::close(fd);
  }
  for (auto& e : entries_) {
    if (e->direct) continue;
    std::error_code ec;
    fs::rename(e->temp, e->target, ec);
    if (ec) throw InputError(e->shown, "cannot rename the finished output into place: " + ec.message());
    e->staged = false;
    e->guard.reset();
  }
}

void write_file_atomically(const std::string& path, const std::function<void(std::ostream&)>& write, bool binary) {
  OutputSet set;
  set.add(path, write, binary);
  set.commit();
}

void write_directory_atomically(const std::string& dir, const std::vector<OutputFile>& files,
                                const std::function<bool(const std::string& name)>& is_own_file,
                                const std::string& kind) {
  install_cleanup_handlers();
  fs::path target = fs::path(dir).lexically_normal();
  if (target.filename().empty()) target = target.parent_path();  // "out/" -> "out"
  if (target.empty() || target.filename() == "." || target.filename() == "..")
    throw InputError(dir, "cannot be used as an output directory name");
  target = resolve_target(target.string());
  const fs::path parent = parent_of(target);
  std::error_code ec;
  if (!fs::is_directory(parent, ec))
    throw InputError(dir, "the parent directory " + parent.string() + " does not exist");

  const fs::file_status st = fs::symlink_status(target, ec);
  const bool replacing = fs::exists(st);
  if (replacing) {
    if (!fs::is_directory(st))
      throw InputError(dir, "exists and is not a directory; choose another output path");
    for (const auto& entry : fs::directory_iterator(target, ec)) {
      const std::string name = entry.path().filename().string();
      if (entry.is_symlink() || !entry.is_regular_file() || !is_own_file(name))
        throw InputError(dir, "exists and holds '" + name + "', which is not " + kind +
                                  "; refusing to replace it (remove it or choose another output path)");
    }
  }

  const std::string name = target.filename().string();
  const std::string pid = std::to_string(::getpid());
  remove_stale_temporaries(parent.string(), name);
  std::string templ = (parent / ("." + name + ".tmp." + pid + ".XXXXXX")).string();
  if (::mkdtemp(templ.data()) == nullptr)
    throw InputError(dir, "cannot create a temporary directory beside it: " + std::string(std::strerror(errno)));
  const fs::path temp(templ);
  CleanupGuard dir_guard(temp.string(), CleanupKind::directory);
  std::vector<std::unique_ptr<CleanupGuard>> file_guards;
  try {
    for (const OutputFile& f : files) {
      const fs::path path = temp / f.name;
      file_guards.push_back(std::make_unique<CleanupGuard>(path.string(), CleanupKind::file));
      const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
      if (fd < 0) throw InputError(path.string(), std::string("cannot write: ") + std::strerror(errno));
      try {
        write_to_fd(fd, path.string(), f.write);
      } catch (...) {
        ::close(fd);
        throw;
      }
      if (::close(fd) != 0) throw InputError(path.string(), std::string("write failed: ") + std::strerror(errno));
    }
    check_deadline();  // a run past --timeout writes nothing
    if (!replacing) {
      fs::rename(temp, target, ec);
      if (ec) throw InputError(dir, "cannot rename the finished directory into place: " + ec.message());
      return;
    }
    if (::renameat2(AT_FDCWD, temp.c_str(), AT_FDCWD, target.c_str(), RENAME_EXCHANGE) == 0) {
      fs::remove_all(temp, ec);  // now holds the old directory
      return;
    }
    const fs::path old = parent / ("." + name + ".old." + pid);
    fs::remove_all(old, ec);
    fs::rename(target, old, ec);
    if (ec) throw InputError(dir, "cannot move the existing directory aside: " + ec.message());
    fs::rename(temp, target, ec);
    if (ec) {
      std::error_code ignored;
      fs::rename(old, target, ignored);
      throw InputError(dir, "cannot rename the finished directory into place: " + ec.message());
    }
    fs::remove_all(old, ec);
  } catch (...) {
    std::error_code ignored;
    fs::remove_all(temp, ignored);
    throw;
  }
}

namespace {
struct FileId {
  dev_t dev;
  ino_t ino;
  bool operator==(const FileId& o) const { return dev == o.dev && ino == o.ino; }
};

bool file_id(const fs::path& p, FileId& id) {
  struct stat st;
  if (::stat(p.c_str(), &st) != 0) return false;
  id = {st.st_dev, st.st_ino};
  return true;
}

// What an output path will name: its file when it exists, else the
// normalized absolute path of its resolved target.
std::string output_key(const std::string& path) {
  std::error_code ec;
  const fs::path abs = fs::weakly_canonical(fs::absolute(resolve_target(path)), ec);
  return ec ? path : abs.string();
}
}  // namespace

void check_outputs_distinct(const std::vector<std::string>& inputs, const std::vector<NamedPath>& outputs) {
  std::vector<std::pair<FileId, std::string>> input_ids;  // every input file, and the files of input directories
  for (const std::string& in : inputs) {
    if (in.empty() || in == "-") continue;
    FileId id{};
    if (!file_id(in, id)) continue;  // the reader reports it
    input_ids.push_back({id, in});
    std::error_code ec;
    if (fs::is_directory(in, ec))
      for (const auto& entry : fs::directory_iterator(in, ec)) {
        FileId f{};
        if (file_id(entry.path(), f)) input_ids.push_back({f, entry.path().string()});
      }
  }
  for (std::size_t i = 0; i < outputs.size(); ++i) {
    const NamedPath& out = outputs[i];
    if (out.path.empty() || out.path == "-") continue;
    FileId id{};
    const bool exists = file_id(out.path, id);
    struct stat st;
    const bool special = exists && ::stat(out.path.c_str(), &st) == 0 && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode);
    if (special) continue;  // /dev/null may be named twice
    if (exists)
      for (const auto& [in_id, in_name] : input_ids)
        if (in_id == id)
          throw UsageError(out.option + " " + out.path + " is the same file as the input " + in_name +
                           "; writing it would destroy the input (choose another output path)");
    for (std::size_t j = 0; j < i; ++j) {
      const NamedPath& other = outputs[j];
      if (other.path.empty() || other.path == "-") continue;
      FileId other_id{};
      const bool same = (exists && file_id(other.path, other_id) && other_id == id) ||
                        output_key(other.path) == output_key(out.path);
      if (same)
        throw UsageError(other.option + " " + other.path + " and " + out.option + " " + out.path +
                         " name the same file; give each output its own path");
    }
  }
}

}  // namespace sethkit
