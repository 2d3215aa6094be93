#include "problems/atomic_file.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "problems/errors.hpp"

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

}  // namespace sethkit
