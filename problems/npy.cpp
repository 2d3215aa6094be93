#include "problems/npy.hpp"

#include <algorithm>
#include <bit>
#include <cerrno>
#include <sys/stat.h>
#include <cmath>
#include <cstring>
#include <limits>
#include <ostream>
#include <sstream>

#include "core/atomic_file.hpp"
#include "core/errors.hpp"
#include "problems/input_file.hpp"

namespace sethkit {

static_assert(std::endian::native == std::endian::little,
              "the .npy reader copies little-endian data as is");
static_assert(std::numeric_limits<double>::is_iec559 && sizeof(double) == 8 &&
              sizeof(float) == 4);

const char* to_string(NpyDtype t) { return t == NpyDtype::float32 ? "float32" : "float64"; }

namespace {

constexpr char kMagic[] = "\x93NUMPY";
constexpr std::size_t kMagicBytes = 6;
// A header longer than this is not something np.save writes for a plain
// array; refusing it keeps a corrupt length field from driving a huge read.
constexpr std::size_t kMaxHeaderBytes = std::size_t(1) << 20;
// Tuples and lists inside the header dict; np.save writes depth 1.
constexpr int kMaxHeaderNesting = 64;

// Where the bytes come from: a file (read on demand, so the data buffer is
// only allocated once the header has been checked against the size) or memory.
class ByteSource {
 public:
  virtual ~ByteSource() = default;
  virtual std::size_t size() const = 0;
  // Requires offset + n <= size().
  virtual void read(std::size_t offset, std::size_t n, char* dst) = 0;
};

class MemorySource final : public ByteSource {
 public:
  explicit MemorySource(const std::string& bytes) : bytes_(bytes) {}
  std::size_t size() const override { return bytes_.size(); }
  void read(std::size_t offset, std::size_t n, char* dst) override {
    // An empty array has no buffer (dst == nullptr), and memcpy from or to
    // a null pointer is undefined even for 0 bytes (found by fuzzing).
    if (n != 0) std::memcpy(dst, bytes_.data() + offset, n);
  }

 private:
  const std::string& bytes_;
};

class FileSource final : public ByteSource {
 public:
  // A regular file only (problems/input_file.hpp): a FIFO or device is
  // refused before it could block or stream without end.
  explicit FileSource(const std::string& path) : file_(open(path), "a .npy file") {}
  std::size_t size() const override { return file_.size(); }
  void read(std::size_t offset, std::size_t n, char* dst) override { file_.read_at(offset, n, dst); }

 private:
  // "no such file" alone (the readers of directories of .npy files say so).
  static const std::string& open(const std::string& path) {
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0 && errno == ENOENT) throw InputError(path, "no such file");
    return path;
  }
  InputFile file_;
};

std::string shape_string(const std::vector<std::size_t>& shape) {
  std::string s = "(";
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (i) s += ", ";
    s += std::to_string(shape[i]);
  }
  if (shape.size() == 1) s += ",";
  return s + ")";
}

// The header is a Python dict literal, e.g.
//   {'descr': '<f8', 'fortran_order': False, 'shape': (3, 4), }
// This parser accepts exactly the literals np.save writes: strings, True /
// False, non-negative integers and tuples of them. Nesting deeper than
// kMaxHeaderNesting is refused before the recursion (no input can overflow
// the stack), and so is a key given twice.
struct PyValue {
  enum Kind { string, boolean, integer, tuple, list } kind = string;
  std::string text;
  bool flag = false;
  std::size_t number = 0;
  std::vector<PyValue> items;
};

class HeaderParser {
 public:
  HeaderParser(const std::string& text, const std::string& name) : text_(text), name_(name) {}

  // Returns key -> value in order of appearance.
  std::vector<std::pair<std::string, PyValue>> dict() {
    std::vector<std::pair<std::string, PyValue>> entries;
    skip_blanks();
    expect('{', "'{' opening the header dict");
    for (;;) {
      skip_blanks();
      if (peek() == '}') {
        ++pos_;
        break;
      }
      PyValue key = value(1);
      if (key.kind != PyValue::string) fail("expected a quoted key in the header dict");
      for (const auto& entry : entries)
        if (entry.first == key.text) fail("key " + quote_excerpt(key.text) + " appears twice");
      skip_blanks();
      expect(':', "':' after key " + quote_excerpt(key.text));
      skip_blanks();
      entries.emplace_back(key.text, value(1));
      skip_blanks();
      if (peek() == ',') {
        ++pos_;
      } else if (peek() != '}') {
        fail("expected ',' or '}' after the value of " + quote_excerpt(entries.back().first));
      }
    }
    skip_blanks();
    if (pos_ != text_.size()) fail("unexpected text after the header dict");
    return entries;
  }

 private:
  char peek() const { return pos_ < text_.size() ? text_[pos_] : '\0'; }
  void skip_blanks() {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t' ||
                                   text_[pos_] == '\n' || text_[pos_] == '\r'))
      ++pos_;
  }
  void expect(char c, const std::string& what) {
    if (peek() != c) fail("expected " + what);
    ++pos_;
  }
  [[noreturn]] void fail(const std::string& what) const {
    // Never the whole header: at most 32 bytes from where it went wrong.
    throw InputError(name_, "malformed .npy header: " + what + " at header byte " +
                                std::to_string(pos_) + ", at " +
                                quote_excerpt(std::string_view(text_).substr(std::min(pos_, text_.size()))));
  }

  // `depth`: 1 for a dict key or value, one more inside each tuple or list.
  PyValue value(int depth) {
    PyValue v;
    const char c = peek();
    if (c == '\'' || c == '"') {
      ++pos_;
      const std::size_t end = text_.find(c, pos_);
      if (end == std::string::npos) fail("unterminated string");
      v.kind = PyValue::string;
      v.text = text_.substr(pos_, end - pos_);
      pos_ = end + 1;
    } else if (c == '(' || c == '[') {
      if (depth >= kMaxHeaderNesting)
        fail("tuples or lists nested deeper than " + std::to_string(kMaxHeaderNesting) + " levels");
      const char close = c == '(' ? ')' : ']';
      v.kind = c == '(' ? PyValue::tuple : PyValue::list;
      ++pos_;
      for (;;) {
        skip_blanks();
        if (peek() == close) {
          ++pos_;
          break;
        }
        v.items.push_back(value(depth + 1));
        skip_blanks();
        if (peek() == ',') {
          ++pos_;
        } else if (peek() != close) {
          fail(std::string("expected ',' or '") + close + "'");
        }
      }
    } else if (c >= '0' && c <= '9') {
      v.kind = PyValue::integer;
      std::size_t n = 0;
      while (peek() >= '0' && peek() <= '9') {
        const std::size_t digit = static_cast<std::size_t>(peek() - '0');
        // Overflow is checked before the multiply (CaDiCaL's habit).
        if (n > (std::numeric_limits<std::size_t>::max() - digit) / 10)
          fail("integer too large");
        n = n * 10 + digit;
        ++pos_;
      }
      if (peek() == 'L') ++pos_;  // Python 2 long suffix, written by old numpy
      v.number = n;
    } else if (text_.compare(pos_, 4, "True") == 0) {
      v.kind = PyValue::boolean;
      v.flag = true;
      pos_ += 4;
    } else if (text_.compare(pos_, 5, "False") == 0) {
      v.kind = PyValue::boolean;
      v.flag = false;
      pos_ += 5;
    } else {
      fail("expected a string, True, False, an integer or a tuple");
    }
    return v;
  }

  const std::string& text_;
  const std::string& name_;
  std::size_t pos_ = 0;
};

uint32_t little_endian(const unsigned char* p, int bytes) {
  uint32_t v = 0;
  for (int i = bytes - 1; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

NpyHeader parse_header(ByteSource& src, const std::string& name) {
  const std::size_t size = src.size();
  if (size < kMagicBytes + 4) {
    throw InputError(name, "truncated: " + std::to_string(size) +
                               " bytes is too short for a .npy file (not a .npy file?)");
  }
  unsigned char prefix[12] = {};
  src.read(0, std::min<std::size_t>(size, 12), reinterpret_cast<char*>(prefix));
  if (std::memcmp(prefix, kMagic, kMagicBytes) != 0)
    throw InputError(name, "not a .npy file: the magic string \\x93NUMPY is missing");
  NpyHeader h;
  h.major_version = prefix[6];
  const int minor = prefix[7];
  if ((h.major_version != 1 && h.major_version != 2) || minor != 0) {
    throw InputError(name, "unsupported .npy format version " + std::to_string(h.major_version) +
                               "." + std::to_string(minor) + " (expected 1.0 or 2.0)");
  }
  const int len_bytes = h.major_version == 1 ? 2 : 4;
  const std::size_t prelude = kMagicBytes + 2 + static_cast<std::size_t>(len_bytes);
  if (size < prelude) throw InputError(name, "truncated inside the header length field");
  const std::size_t header_len = little_endian(prefix + 8, len_bytes);
  if (header_len > kMaxHeaderBytes) {
    throw InputError(name, "header length " + std::to_string(header_len) +
                               " is implausible (limit " + std::to_string(kMaxHeaderBytes) +
                               "); the file is corrupt");
  }
  if (size - prelude < header_len) {
    throw InputError(name, "truncated: the header claims " + std::to_string(header_len) +
                               " bytes but the file ends after " + std::to_string(size - prelude));
  }
  std::string text(header_len, '\0');
  src.read(prelude, header_len, text.data());
  h.data_offset = prelude + header_len;

  bool have_descr = false, have_order = false, have_shape = false;
  for (auto& [key, value] : HeaderParser(text, name).dict()) {
    if (key == "descr") {
      have_descr = true;
      if (value.kind != PyValue::string) {
        throw InputError(name, "structured dtypes are not supported; expected a plain "
                               "float32 ('<f4') or float64 ('<f8') array");
      }
      const std::string& d = value.text;
      if (d == "<f8") {
        h.dtype = NpyDtype::float64;
      } else if (d == "<f4") {
        h.dtype = NpyDtype::float32;
      } else if (d == ">f8" || d == ">f4") {
        throw InputError(name, "big-endian dtype " + quote_excerpt(d) +
                                   " is not supported; convert with numpy: "
                                   "np.save(path, a.astype('<f" + d.substr(2) + "'))");
      } else {
        throw InputError(name, "dtype " + quote_excerpt(d) +
                                   " is not supported; expected float32 ('<f4') or float64 "
                                   "('<f8'), little-endian; convert with numpy: "
                                   "np.save(path, a.astype(np.float64))");
      }
    } else if (key == "fortran_order") {
      have_order = true;
      if (value.kind != PyValue::boolean) throw InputError(name, "fortran_order must be True or False");
      if (value.flag) {
        throw InputError(name, "Fortran (column-major) order is not supported; save a C-order "
                               "array: np.save(path, np.ascontiguousarray(a))");
      }
    } else if (key == "shape") {
      have_shape = true;
      if (value.kind != PyValue::tuple) throw InputError(name, "shape must be a tuple of integers");
      for (const auto& item : value.items) {
        if (item.kind != PyValue::integer) throw InputError(name, "shape must be a tuple of integers");
        h.shape.push_back(item.number);
      }
    } else {
      throw InputError(name, "unexpected key " + quote_excerpt(key) +
                                 " in the .npy header (expected descr, fortran_order, shape)");
    }
  }
  if (!have_descr || !have_order || !have_shape) {
    throw InputError(name, std::string("the .npy header lacks ") +
                               (!have_descr ? "'descr'" : !have_order ? "'fortran_order'" : "'shape'"));
  }

  // Shape product and byte count, overflow checked before each multiply.
  const std::size_t item = npy_item_bytes(h.dtype);
  std::size_t count = 1;
  for (std::size_t dim : h.shape) {
    if (dim != 0 && count > std::numeric_limits<std::size_t>::max() / item / dim) {
      throw InputError(name, "shape " + shape_string(h.shape) +
                                 " is too large to address (corrupt header?)");
    }
    count *= dim;
  }
  h.count = count;
  const std::size_t data_bytes = count * item;
  const std::size_t available = size - h.data_offset;
  if (available < data_bytes) {
    throw InputError(name, "truncated: shape " + shape_string(h.shape) + " of " +
                               to_string(h.dtype) + " needs " + std::to_string(data_bytes) +
                               " bytes of data but only " + std::to_string(available) +
                               " follow the header");
  }
  if (available > data_bytes) {
    throw InputError(name, std::to_string(available - data_bytes) +
                               " unexpected bytes after the data of shape " +
                               shape_string(h.shape) + " " + to_string(h.dtype) +
                               " (wrong shape in the header?)");
  }
  return h;
}

std::string index_string(std::size_t flat, const std::vector<std::size_t>& shape) {
  std::vector<std::size_t> idx(shape.size());
  for (std::size_t a = shape.size(); a-- > 0;) {
    idx[a] = flat % shape[a];
    flat /= shape[a];
  }
  std::string s = "(";
  for (std::size_t a = 0; a < idx.size(); ++a) s += (a ? ", " : "") + std::to_string(idx[a]);
  return s + ")";
}

NpyArray read_array(ByteSource& src, const std::string& name, const NpyReadOptions& options) {
  const NpyHeader h = parse_header(src, name);
  check_size(name + ": array of shape " + shape_string(h.shape), double(h.count) * 8.0,
             options.max_bytes, "");
  NpyArray a;
  a.shape = h.shape;
  a.dtype = h.dtype;
  a.data.resize(h.count);
  if (h.dtype == NpyDtype::float64) {
    src.read(h.data_offset, h.count * 8, reinterpret_cast<char*>(a.data.data()));
  } else {
    constexpr std::size_t kChunk = 1 << 16;
    std::vector<float> buf(std::min(kChunk, h.count));
    for (std::size_t done = 0; done < h.count; done += buf.size()) {
      const std::size_t n = std::min(buf.size(), h.count - done);
      src.read(h.data_offset + done * 4, n * 4, reinterpret_cast<char*>(buf.data()));
      for (std::size_t i = 0; i < n; ++i) a.data[done + i] = buf[i];
    }
  }
  if (!options.allow_non_finite) {
    for (std::size_t i = 0; i < a.data.size(); ++i) {
      if (!std::isfinite(a.data[i])) {
        throw InputError(name, "entry " + index_string(i, a.shape) + " is " +
                                   (std::isnan(a.data[i]) ? "NaN" : "infinite") +
                                   "; every entry must be finite");
      }
    }
  }
  return a;
}

}  // namespace

NpyHeader read_npy_header(const std::string& path) {
  FileSource src(path);
  return parse_header(src, path);
}

NpyArray read_npy(const std::string& path, const NpyReadOptions& options) {
  FileSource src(path);
  return read_array(src, path, options);
}

NpyArray parse_npy(const std::string& bytes, const std::string& name,
                   const NpyReadOptions& options) {
  MemorySource src(bytes);
  return read_array(src, name, options);
}

void write_npy(std::ostream& out, const std::vector<std::size_t>& shape, const double* data,
               const NpyWriteOptions& options) {
  std::size_t count = 1;
  for (std::size_t dim : shape) {
    if (dim != 0 && count > std::numeric_limits<std::size_t>::max() / 8 / dim)
      throw InputError("", "write_npy: shape " + shape_string(shape) + " is too large");
    count *= dim;
  }
  std::string dict = std::string("{'descr': '") +
                     (options.dtype == NpyDtype::float32 ? "<f4" : "<f8") +
                     "', 'fortran_order': False, 'shape': " + shape_string(shape) + ", }";
  // np.save pads with spaces and a final newline so the data starts on a
  // 64-byte boundary.
  auto padded_length = [&](std::size_t prelude) {
    const std::size_t unpadded = prelude + dict.size() + 1;
    return dict.size() + 1 + (64 - unpadded % 64) % 64;
  };
  int version = options.version;
  if (version == 0) version = padded_length(10) <= 65535 ? 1 : 2;
  if (version != 1 && version != 2)
    throw InputError("", "write_npy: version must be 0 (automatic), 1 or 2");
  const std::size_t prelude = version == 1 ? 10 : 12;
  const std::size_t header_len = padded_length(prelude);
  if (version == 1 && header_len > 65535)
    throw InputError("", "write_npy: header too long for format version 1.0");
  dict.append(header_len - dict.size() - 1, ' ');
  dict += '\n';

  out.write(kMagic, kMagicBytes);
  const char ver[2] = {static_cast<char>(version), 0};
  out.write(ver, 2);
  for (std::size_t b = 0; b < prelude - 8; ++b) out.put(static_cast<char>((header_len >> (8 * b)) & 0xff));
  out.write(dict.data(), static_cast<std::streamsize>(dict.size()));
  if (options.dtype == NpyDtype::float64) {
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(count * 8));
  } else {
    constexpr std::size_t kChunk = 1 << 16;
    std::vector<float> buf(std::min(kChunk, count));
    for (std::size_t done = 0; done < count; done += buf.size()) {
      const std::size_t n = std::min(buf.size(), count - done);
      for (std::size_t i = 0; i < n; ++i) {
        buf[i] = static_cast<float>(data[done + i]);
        if (std::isinf(buf[i]) && std::isfinite(data[done + i])) {
          throw InputError("", "write_npy: entry " + index_string(done + i, shape) + " = " +
                                   std::to_string(data[done + i]) + " does not fit in float32");
        }
      }
      out.write(reinterpret_cast<const char*>(buf.data()), static_cast<std::streamsize>(n * 4));
    }
  }
}

void write_npy(const std::string& path, const std::vector<std::size_t>& shape, const double* data,
               const NpyWriteOptions& options) {
  try {
    write_file_atomically(
        path, [&](std::ostream& out) { write_npy(out, shape, data, options); }, true);
  } catch (const InputError& e) {
    const std::string what = e.what();
    if (what.rfind("write_npy: ", 0) == 0) throw InputError(path, what.substr(11));
    throw;
  }
}

}  // namespace sethkit
