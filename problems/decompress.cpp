#include "problems/decompress.hpp"

#include <bzlib.h>
#include <cstring>
#include <lzma.h>
#include <zlib.h>

#include "core/errors.hpp"

namespace sethkit {
namespace {

constexpr std::size_t kChunk = std::size_t(1) << 16;

[[noreturn]] void too_large(const std::string& name, Compression c, int64_t max_bytes) {
  throw InputError(name, std::string(to_string(c)) + " data expands to more than the " +
                             human_bytes(double(max_bytes)) + " this reader accepts");
}

[[noreturn]] void corrupt(const std::string& name, Compression c, const std::string& why) {
  throw InputError(name, std::string("corrupt ") + to_string(c) + " data: " + why);
}

// Appends n bytes of output, refusing past the limit before the append.
void append(std::string& out, const char* data, std::size_t n, const std::string& name,
            Compression c, int64_t max_bytes) {
  if (int64_t(out.size()) + int64_t(n) > max_bytes) too_large(name, c, max_bytes);
  out.append(data, n);
}

std::string gunzip(const std::string& in, const std::string& name, int64_t max_bytes) {
  std::string out;
  char buf[kChunk];
  std::size_t pos = 0;
  // One member after another (gzip allows concatenation), as gzip -d does.
  while (pos < in.size()) {
    z_stream z{};
    if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK) corrupt(name, Compression::gzip, "zlib init failed");
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data() + pos));
    const std::size_t avail = std::min<std::size_t>(in.size() - pos, UINT32_MAX);
    z.avail_in = static_cast<uInt>(avail);
    int rc = Z_OK;
    do {
      z.next_out = reinterpret_cast<Bytef*>(buf);
      z.avail_out = sizeof buf;
      rc = inflate(&z, Z_NO_FLUSH);
      if (rc != Z_OK && rc != Z_STREAM_END) {
        const std::string why = z.msg ? z.msg : rc == Z_BUF_ERROR ? "truncated" : "inflate failed";
        inflateEnd(&z);
        corrupt(name, Compression::gzip, why);
      }
      try {
        append(out, buf, sizeof buf - z.avail_out, name, Compression::gzip, max_bytes);
      } catch (...) {
        inflateEnd(&z);
        throw;
      }
      if (rc != Z_STREAM_END && z.avail_in == 0 && z.avail_out != 0) {
        inflateEnd(&z);
        corrupt(name, Compression::gzip, "truncated (the stream ends early)");
      }
    } while (rc != Z_STREAM_END);
    pos += avail - z.avail_in;
    inflateEnd(&z);
    // Trailing zero padding (tar-style) ends the input.
    if (pos < in.size() && detect_compression(std::string_view(in).substr(pos)) != Compression::gzip) {
      if (in.find_first_not_of('\0', pos) == std::string::npos) break;
      corrupt(name, Compression::gzip, "unexpected bytes after the last gzip member");
    }
  }
  return out;
}

std::string bunzip2(const std::string& in, const std::string& name, int64_t max_bytes) {
  std::string out;
  char buf[kChunk];
  std::size_t pos = 0;
  while (pos < in.size()) {
    bz_stream z{};
    if (BZ2_bzDecompressInit(&z, 0, 0) != BZ_OK) corrupt(name, Compression::bzip2, "init failed");
    z.next_in = const_cast<char*>(in.data() + pos);
    const std::size_t avail = std::min<std::size_t>(in.size() - pos, UINT32_MAX);
    z.avail_in = static_cast<unsigned>(avail);
    int rc = BZ_OK;
    do {
      z.next_out = buf;
      z.avail_out = sizeof buf;
      rc = BZ2_bzDecompress(&z);
      if (rc != BZ_OK && rc != BZ_STREAM_END) {
        BZ2_bzDecompressEnd(&z);
        corrupt(name, Compression::bzip2,
                rc == BZ_DATA_ERROR_MAGIC ? "not a bzip2 stream"
                : rc == BZ_MEM_ERROR      ? "out of memory"
                                          : "the data fails its integrity check (error " + std::to_string(rc) + ")");
      }
      try {
        append(out, buf, sizeof buf - z.avail_out, name, Compression::bzip2, max_bytes);
      } catch (...) {
        BZ2_bzDecompressEnd(&z);
        throw;
      }
      if (rc != BZ_STREAM_END && z.avail_in == 0 && z.avail_out != 0) {
        BZ2_bzDecompressEnd(&z);
        corrupt(name, Compression::bzip2, "truncated (the stream ends early)");
      }
    } while (rc != BZ_STREAM_END);
    pos += avail - z.avail_in;
    BZ2_bzDecompressEnd(&z);
    if (pos < in.size() && detect_compression(std::string_view(in).substr(pos)) != Compression::bzip2)
      corrupt(name, Compression::bzip2, "unexpected bytes after the bzip2 stream");
  }
  return out;
}

std::string unxz(const std::string& in, const std::string& name, int64_t max_bytes) {
  std::string out;
  char buf[kChunk];
  lzma_stream z = LZMA_STREAM_INIT;
  // The memory limit bounds the dictionary a crafted header may ask for.
  if (lzma_stream_decoder(&z, uint64_t(1) << 30, LZMA_CONCATENATED) != LZMA_OK)
    corrupt(name, Compression::xz, "init failed");
  z.next_in = reinterpret_cast<const uint8_t*>(in.data());
  z.avail_in = in.size();
  lzma_ret rc = LZMA_OK;
  while (rc != LZMA_STREAM_END) {
    z.next_out = reinterpret_cast<uint8_t*>(buf);
    z.avail_out = sizeof buf;
    rc = lzma_code(&z, z.avail_in == 0 ? LZMA_FINISH : LZMA_RUN);
    if (rc != LZMA_OK && rc != LZMA_STREAM_END) {
      lzma_end(&z);
      corrupt(name, Compression::xz,
              rc == LZMA_MEMLIMIT_ERROR ? "needs more than 1 GiB of decoder memory"
              : rc == LZMA_BUF_ERROR    ? "truncated (the stream ends early)"
              : rc == LZMA_FORMAT_ERROR ? "not an xz stream"
              : rc == LZMA_OPTIONS_ERROR ? "unsupported xz options"
                                        : "the data fails its integrity check (error " + std::to_string(int(rc)) + ")");
    }
    try {
      append(out, buf, sizeof buf - z.avail_out, name, Compression::xz, max_bytes);
    } catch (...) {
      lzma_end(&z);
      throw;
    }
  }
  lzma_end(&z);
  return out;
}

}  // namespace

Compression detect_compression(std::string_view b) {
  auto starts = [&](const char* magic, std::size_t n) {
    return b.size() >= n && std::memcmp(b.data(), magic, n) == 0;
  };
  if (starts("\x1f\x8b", 2)) return Compression::gzip;
  if (starts("BZh", 3)) return Compression::bzip2;
  if (starts("\xfd" "7zXZ\0", 6)) return Compression::xz;
  return Compression::none;
}

const char* to_string(Compression c) {
  switch (c) {
    case Compression::gzip: return "gzip";
    case Compression::bzip2: return "bzip2";
    case Compression::xz: return "xz";
    case Compression::none: break;
  }
  return "uncompressed";
}

std::string decompress(std::string bytes, const std::string& name, int64_t max_bytes) {
  switch (detect_compression(bytes)) {
    case Compression::gzip: return gunzip(bytes, name, max_bytes);
    case Compression::bzip2: return bunzip2(bytes, name, max_bytes);
    case Compression::xz: return unxz(bytes, name, max_bytes);
    case Compression::none: break;
  }
  return bytes;
}

}  // namespace sethkit
