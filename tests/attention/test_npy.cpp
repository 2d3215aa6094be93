// The .npy reader and writer: round trips in both header versions and both
// precisions, numpy's header variants, and every refusal (missing file, bad
// magic/version, dtype, byte order, Fortran order, truncation, trailing
// bytes, NaN/Inf, oversized shapes) with a message naming the file.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <random>
#include <sstream>

#include "core/errors.hpp"
#include "problems/npy.hpp"
#include "temp_dir.hpp"

using namespace sethkit;
using sethkit::testing_support::TempDir;
using ::testing::HasSubstr;

namespace {

std::vector<double> random_values(std::size_t n, unsigned seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(-30.0, 30.0);
  std::vector<double> v(n);
  for (auto& x : v) x = u(rng);
  if (n > 2) {
    v[0] = 1e300;  // survives float64 exactly
    v[1] = -0.0;
  }
  return v;
}

std::string to_bytes(const std::vector<std::size_t>& shape, const std::vector<double>& data,
                     NpyDtype dtype, int version) {
  std::ostringstream out;
  NpyWriteOptions opt;
  opt.dtype = dtype;
  opt.version = version;
  write_npy(out, shape, data.data(), opt);
  return out.str();
}

// A .npy file with a hand-written header dict and raw data bytes.
std::string raw_npy(const std::string& dict, const std::string& data, int version = 1) {
  std::string header = dict + "\n";
  std::string out = std::string("\x93NUMPY", 6);
  out += static_cast<char>(version);
  out += '\0';
  const std::size_t len = header.size();
  out += static_cast<char>(len & 0xff);
  out += static_cast<char>((len >> 8) & 0xff);
  if (version >= 2) {
    out += static_cast<char>((len >> 16) & 0xff);
    out += static_cast<char>((len >> 24) & 0xff);
  }
  return out + header + data;
}

std::string doubles(const std::vector<double>& v) {
  return std::string(reinterpret_cast<const char*>(v.data()), v.size() * 8);
}

void write_raw(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary);
  out << bytes;
}

// The InputError message read_npy gives for these bytes saved as `path`.
std::string file_error(const std::string& path, const std::string& bytes,
                       const NpyReadOptions& options = {}) {
  write_raw(path, bytes);
  try {
    read_npy(path, options);
  } catch (const InputError& e) {
    return e.what();
  }
  return "<accepted>";
}

}  // namespace

TEST(attention_npy, RoundTripVersion1Float64IsExact) {
  const std::vector<std::size_t> shape{3, 5};
  const auto data = random_values(15, 1);
  const std::string bytes = to_bytes(shape, data, NpyDtype::float64, 1);
  EXPECT_EQ(bytes.substr(0, 8), std::string("\x93NUMPY\x01\x00", 8));
  const std::size_t header_len = static_cast<unsigned char>(bytes[8]) |
                                 (static_cast<unsigned char>(bytes[9]) << 8);
  EXPECT_EQ((10 + header_len) % 64, 0u) << "np.save aligns the data to 64 bytes";
  EXPECT_EQ(bytes.size(), 10 + header_len + 15 * 8);
  NpyArray a = parse_npy(bytes, "a.npy");
  EXPECT_EQ(a.shape, shape);
  EXPECT_EQ(a.dtype, NpyDtype::float64);
  ASSERT_EQ(a.data.size(), data.size());
  for (std::size_t i = 0; i < data.size(); ++i) EXPECT_EQ(a.data[i], data[i]) << i;
  EXPECT_TRUE(std::signbit(a.data[1]));
}

TEST(attention_npy, RoundTripVersion2Float32RoundsToFloat) {
  const std::vector<std::size_t> shape{4, 3};
  auto data = random_values(12, 2);
  data[0] = 1.0 / 3.0;
  const std::string bytes = to_bytes(shape, data, NpyDtype::float32, 2);
  EXPECT_EQ(bytes.substr(0, 8), std::string("\x93NUMPY\x02\x00", 8));
  const std::size_t header_len = static_cast<unsigned char>(bytes[8]) |
                                 (static_cast<unsigned char>(bytes[9]) << 8) |
                                 (static_cast<unsigned char>(bytes[10]) << 16);
  EXPECT_EQ((12 + header_len) % 64, 0u);
  EXPECT_EQ(bytes.size(), 12 + header_len + 12 * 4);
  NpyArray a = parse_npy(bytes, "a.npy");
  EXPECT_EQ(a.shape, shape);
  EXPECT_EQ(a.dtype, NpyDtype::float32);
  for (std::size_t i = 0; i < data.size(); ++i)
    EXPECT_EQ(a.data[i], static_cast<double>(static_cast<float>(data[i]))) << i;
  EXPECT_NE(a.data[0], 1.0 / 3.0);
}

TEST(attention_npy, FileRoundTripIsAtomicAndLeavesNoTemporary) {
  TempDir dir;
  auto data = random_values(6, 3);
  {
    NpyWriteOptions opt;
    opt.dtype = NpyDtype::float32;
    EXPECT_THROW(write_npy(dir / "x.npy", {2, 3}, data.data(), opt), InputError)
        << "1e300 does not fit in float32";
    EXPECT_FALSE(std::filesystem::exists(dir / "x.npy"));
  }
  data[0] = 1.5;
  for (int version : {1, 2}) {
    for (NpyDtype dtype : {NpyDtype::float32, NpyDtype::float64}) {
      NpyWriteOptions opt;
      opt.dtype = dtype;
      opt.version = version;
      write_npy(dir / "x.npy", {2, 3}, data.data(), opt);
      const NpyHeader h = read_npy_header(dir / "x.npy");
      EXPECT_EQ(h.major_version, version);
      EXPECT_EQ(h.dtype, dtype);
      EXPECT_EQ(h.count, 6u);
      NpyArray a = read_npy(dir / "x.npy");
      EXPECT_EQ(a.shape, (std::vector<std::size_t>{2, 3}));
      EXPECT_EQ(a.data[5], dtype == NpyDtype::float64 ? data[5] : double(float(data[5])));
    }
  }
  int entries = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir.path())) ++entries;
  EXPECT_EQ(entries, 1);
}

TEST(attention_npy, OtherShapesRoundTrip) {
  for (const auto& shape : std::vector<std::vector<std::size_t>>{{7}, {}, {0, 4}, {2, 1, 3}}) {
    std::size_t n = 1;
    for (auto s : shape) n *= s;
    const auto data = random_values(n, 4);
    NpyArray a = parse_npy(to_bytes(shape, data, NpyDtype::float64, 0), "s.npy");
    EXPECT_EQ(a.shape, shape);
    EXPECT_EQ(a.data, data);
  }
}

TEST(attention_npy, AcceptsHeaderVariantsNumpyWrites) {
  const std::vector<double> v{1, 2, 3, 4};
  // Keys in another order, double quotes, no trailing comma, Python 2 'L'.
  NpyArray a = parse_npy(raw_npy("{\"shape\": (2,2L), 'fortran_order': False, 'descr': '<f8'}",
                                 doubles(v)),
                         "v.npy");
  EXPECT_EQ(a.shape, (std::vector<std::size_t>{2, 2}));
  EXPECT_EQ(a.data, v);
  NpyArray b = parse_npy(raw_npy("{'descr': '<f8', 'fortran_order': False, 'shape': (4,), }   ",
                                 doubles(v), 2),
                         "v.npy");
  EXPECT_EQ(b.shape, (std::vector<std::size_t>{4}));
}

TEST(attention_npy, MissingFileNamesIt) {
  TempDir dir;
  try {
    read_npy(dir / "absent.npy");
    FAIL() << "accepted a missing file";
  } catch (const InputError& e) {
    EXPECT_THAT(e.what(), HasSubstr(dir / "absent.npy"));
    EXPECT_THAT(e.what(), HasSubstr("no such file"));
  }
}

TEST(attention_npy, RejectsEachBadFileWithItsName) {
  TempDir dir;
  const std::string p = dir / "bad.npy";
  const std::string ok_dict = "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 2), }";
  const std::string four = doubles({1, 2, 3, 4});
  struct Case {
    std::string what, bytes, expect;
  };
  const std::vector<Case> cases{
      {"bad magic", std::string("\x93NUMPZ", 6) + raw_npy(ok_dict, four).substr(6), "not a .npy file"},
      {"too short", "\x93NUM", "too short"},
      {"version 3", [&] { auto b = raw_npy(ok_dict, four); b[6] = 3; return b; }(),
       "unsupported .npy format version 3.0"},
      {"int dtype", raw_npy("{'descr': '<i8', 'fortran_order': False, 'shape': (2, 2), }", four),
       "dtype '<i8' is not supported"},
      {"float16", raw_npy("{'descr': '<f2', 'fortran_order': False, 'shape': (2, 2), }", four),
       "dtype '<f2' is not supported"},
      {"big endian", raw_npy("{'descr': '>f8', 'fortran_order': False, 'shape': (2, 2), }", four),
       "big-endian"},
      {"structured", raw_npy("{'descr': [('a', '<f8')], 'fortran_order': False, 'shape': (2, 2), }", four),
       "structured dtypes are not supported"},
      {"fortran", raw_npy("{'descr': '<f8', 'fortran_order': True, 'shape': (2, 2), }", four),
       "Fortran (column-major) order is not supported"},
      {"truncated data", raw_npy(ok_dict, four.substr(0, 27)), "truncated"},
      {"truncated header", raw_npy(ok_dict, four).substr(0, 40), "truncated"},
      {"trailing bytes", raw_npy(ok_dict, four + "xyz"), "3 unexpected bytes after the data"},
      {"missing key", raw_npy("{'descr': '<f8', 'shape': (2, 2), }", four), "lacks 'fortran_order'"},
      {"unknown key", raw_npy("{'descr': '<f8', 'fortran_order': False, 'shape': (2, 2), 'x': 1}", four),
       "unexpected key 'x'"},
      {"malformed dict", raw_npy("{'descr': '<f8' 'fortran_order': False}", four),
       "malformed .npy header"},
      {"shape not ints", raw_npy("{'descr': '<f8', 'fortran_order': False, 'shape': ('a', 2), }", four),
       "shape must be a tuple of integers"},
      {"NaN", raw_npy(ok_dict, doubles({1, 2, std::nan(""), 4})), "entry (1, 0) is NaN"},
      {"Inf", raw_npy(ok_dict, doubles({1, 2, 3, -HUGE_VAL})), "entry (1, 1) is infinite"},
      // A header promising far more than the file holds must be refused from
      // the size alone: allocating 2^46 doubles would fail with bad_alloc.
      {"huge shape", raw_npy("{'descr': '<f8', 'fortran_order': False, 'shape': (1073741824, 65536), }", four),
       "truncated"},
      {"overflowing shape",
       raw_npy("{'descr': '<f8', 'fortran_order': False, 'shape': (4294967296, 4294967296), }", four),
       "too large to address"},
  };
  for (const auto& c : cases) {
    const std::string message = file_error(p, c.bytes);
    EXPECT_THAT(message, HasSubstr(p)) << c.what;
    EXPECT_THAT(message, HasSubstr(c.expect)) << c.what;
  }
}

TEST(attention_npy, NonFiniteAcceptedOnRequest) {
  const std::string dict = "{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }";
  NpyReadOptions opt;
  opt.allow_non_finite = true;
  NpyArray a = parse_npy(raw_npy(dict, doubles({1, -HUGE_VAL, 3})), "logd.npy", opt);
  EXPECT_EQ(a.data[1], -HUGE_VAL);
  // And float32 NaN is caught after widening too.
  float f[2] = {1.0f, std::nanf("")};
  const std::string data(reinterpret_cast<const char*>(f), 8);
  EXPECT_THROW(
      parse_npy(raw_npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", data), "f.npy"),
      InputError);
}

TEST(attention_npy, SizeLimitRefusesBeforeAllocating) {
  const auto data = random_values(100, 5);
  NpyReadOptions opt;
  opt.max_bytes = 799;  // 100 doubles need 800
  EXPECT_THROW(parse_npy(to_bytes({10, 10}, data, NpyDtype::float64, 1), "big.npy", opt),
               SizeLimitError);
  opt.max_bytes = 800;
  EXPECT_NO_THROW(parse_npy(to_bytes({10, 10}, data, NpyDtype::float64, 1), "big.npy", opt));
}
