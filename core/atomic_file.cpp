#include "core/atomic_file.hpp"

#include <fcntl.h>
#include <stdio.h>  // renameat2, RENAME_EXCHANGE (glibc >= 2.28, _GNU_SOURCE)
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "core/errors.hpp"

namespace sethkit {

void write_file_atomically(const std::string& path,
                           const std::function<void(std::ostream&)>& write, bool binary) {
  namespace fs = std::filesystem;
  const fs::path target(path);
  const fs::path temp = target.parent_path() /
                        ("." + target.filename().string() + ".tmp." + std::to_string(::getpid()));
  try {
    {
      std::ofstream out(temp, binary ? std::ios::binary | std::ios::trunc : std::ios::trunc);
      if (!out) throw InputError(path, std::string("cannot write: ") + std::strerror(errno));
      write(out);
      out.flush();
      if (!out) throw InputError(path, "write failed (disk full?)");
    }
    std::error_code ec;
    fs::rename(temp, target, ec);
    if (ec) throw InputError(path, "cannot rename the finished output into place: " + ec.message());
  } catch (...) {
    std::error_code ignored;
    fs::remove(temp, ignored);
    throw;
  }
}

void write_directory_atomically(const std::string& dir, const std::vector<OutputFile>& files,
                                const std::function<bool(const std::string& name)>& is_own_file,
                                const std::string& kind) {
  namespace fs = std::filesystem;
  fs::path target = fs::path(dir).lexically_normal();
  if (target.filename().empty()) target = target.parent_path();  // "out/" -> "out"
  if (target.empty() || target.filename() == "." || target.filename() == "..")
    throw InputError(dir, "cannot be used as an output directory name");
  fs::path parent = target.parent_path();
  if (parent.empty()) parent = ".";
  std::error_code ec;
  if (!fs::is_directory(parent, ec))
    throw InputError(dir, "the parent directory " + parent.string() + " does not exist");

  const bool replacing = fs::exists(target, ec);
  if (replacing) {
    if (!fs::is_directory(target, ec))
      throw InputError(dir, "exists and is not a directory; choose another output path");
    for (const auto& entry : fs::directory_iterator(target, ec)) {
      const std::string name = entry.path().filename().string();
      if (!entry.is_regular_file() || !is_own_file(name))
        throw InputError(dir, "exists and holds '" + name + "', which is not " + kind +
                                  "; refusing to replace it (remove it or choose another output path)");
    }
  }

  const std::string pid = std::to_string(::getpid());
  const fs::path temp = parent / ("." + target.filename().string() + ".tmp." + pid);
  fs::remove_all(temp, ec);  // a leftover of a killed earlier run with our pid
  if (!fs::create_directory(temp, ec) || ec)
    throw InputError(dir, "cannot create the temporary directory " + temp.string() + ": " + ec.message());
  try {
    for (const OutputFile& f : files) {
      const fs::path path = temp / f.name;
      std::ofstream out(path, f.binary ? std::ios::binary | std::ios::trunc : std::ios::trunc);
      if (!out) throw InputError(path.string(), std::string("cannot write: ") + std::strerror(errno));
      f.write(out);
      out.flush();
      if (!out) throw InputError(path.string(), "write failed (disk full?)");
    }
    if (!replacing) {
      fs::rename(temp, target, ec);
      if (ec) throw InputError(dir, "cannot rename the finished directory into place: " + ec.message());
      return;
    }
    if (::renameat2(AT_FDCWD, temp.c_str(), AT_FDCWD, target.c_str(), RENAME_EXCHANGE) == 0) {
      fs::remove_all(temp, ec);  // now holds the old directory
      return;
    }
    const fs::path old = parent / ("." + target.filename().string() + ".old." + pid);
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

}  // namespace sethkit
