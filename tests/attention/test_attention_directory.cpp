// The attention directory (DESIGN.md "File formats"): round trips for k = 2,
// 3, 4 with and without manifest, k inferred from the files, the precision
// flag, atomic replacement, and each bad directory refused with an InputError
// that names the offending file.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "problems/attention_instance.hpp"
#include "core/errors.hpp"
#include "problems/npy.hpp"
#include "random_attention.hpp"
#include "temp_dir.hpp"

using namespace sethkit;
using sethkit::testing_support::random_attention;
using sethkit::testing_support::TempDir;
using ::testing::HasSubstr;
namespace fs = std::filesystem;

namespace {

std::vector<std::string> entries(const fs::path& dir) {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir)) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

void save(const std::string& path, std::vector<std::size_t> shape, double fill = 1.0) {
  std::size_t n = 1;
  for (auto s : shape) n *= s;
  std::vector<double> data(n, fill);
  write_npy(path, shape, data.data());
}

// A valid k = 3 directory: Q 4x3, K1 5x3, K2 6x3, V1 5x2, V2 6x2.
void valid_k3(const TempDir& dir) {
  save(dir / "Q.npy", {4, 3});
  save(dir / "K1.npy", {5, 3});
  save(dir / "K2.npy", {6, 3});
  save(dir / "V1.npy", {5, 2});
  save(dir / "V2.npy", {6, 2});
}

std::string read_error(const std::string& dir) {
  try {
    read_attention_directory(dir);
  } catch (const InputError& e) {
    return e.what();
  }
  return "<accepted>";
}

}  // namespace

TEST(attention_dir, RoundTripForEachOrderWithoutManifest) {
  for (std::size_t k = 2; k <= 4; ++k) {
    TempDir tmp;
    std::vector<std::size_t> lengths{7};
    for (std::size_t p = 1; p < k; ++p) lengths.push_back(3 + p);
    const AttentionInstance inst = random_attention(unsigned(k), lengths, 5, 2, 30.0);
    const std::string dir = tmp / "inst";
    write_attention_directory(dir, inst);
    std::vector<std::string> expected{"Q.npy"};
    for (std::size_t p = 1; p < k; ++p) {
      expected.push_back("K" + std::to_string(p) + ".npy");
      expected.push_back("V" + std::to_string(p) + ".npy");
    }
    std::sort(expected.begin(), expected.end());
    EXPECT_EQ(entries(dir), expected) << "no manifest for the default scale";
    EXPECT_EQ(entries(tmp.path()), std::vector<std::string>{"inst"}) << "no temporary left";
    const AttentionInstance back = read_attention_directory(dir);
    EXPECT_EQ(back.k, int(k));
    EXPECT_EQ(back.q, inst.q);
    EXPECT_EQ(back.keys, inst.keys);
    EXPECT_EQ(back.values, inst.values);
    EXPECT_EQ(back.scale, 1.0 / 5.0);
    EXPECT_EQ(back.precision, NpyDtype::float64);
    EXPECT_FALSE(back.manifest.has_value());
    EXPECT_EQ(back.lengths(), lengths);
  }
}

TEST(attention_dir, ManifestRoundTrip) {
  TempDir tmp;
  AttentionInstance inst = random_attention(7, {3, 4, 2}, 2, 3, 1.0);
  inst.scale = 0.125;
  AttentionManifest m;
  m.beta = 41.5;
  m.threshold = -3.25;
  m.row_map = {{0, 1, 2}, {5, -1, 3, 4}, {-1, 0}};
  m.provenance = {{"input_sha256", "abc"}, {"tool", "sethkit 0.1.0"}};
  m.extra = {{"B", 3.46}, {"paper_B", {{"C_b", 1.0}}}};
  inst.manifest = m;
  write_attention_directory(tmp / "d", inst);
  EXPECT_TRUE(fs::exists(tmp / "d/manifest.json"));
  const AttentionInstance back = read_attention_directory(tmp / "d");
  EXPECT_EQ(back.scale, 0.125);
  ASSERT_TRUE(back.manifest.has_value());
  EXPECT_EQ(*back.manifest, m);
}

TEST(attention_dir, ScaleWithoutManifestIsOneOverD) {
  TempDir tmp;
  AttentionInstance inst = random_attention(8, {3, 4}, 4, 1, 1.0);
  inst.scale = 0.5;  // not 1/d: a manifest must carry it
  write_attention_directory(tmp / "d", inst);
  EXPECT_EQ(read_attention_directory(tmp / "d").scale, 0.5);
  fs::remove(tmp / "d/manifest.json");
  EXPECT_EQ(read_attention_directory(tmp / "d").scale, 0.25);
}

TEST(attention_dir, Float32PrecisionIsRecordedAndKept) {
  TempDir tmp;
  AttentionInstance inst = random_attention(9, {3, 4, 5}, 3, 2, 30.0, /*float_exact=*/true);
  inst.precision = NpyDtype::float32;
  write_attention_directory(tmp / "d", inst);
  EXPECT_EQ(read_npy_header(tmp / "d/K2.npy").dtype, NpyDtype::float32);
  AttentionInstance back = read_attention_directory(tmp / "d");
  EXPECT_EQ(back.precision, NpyDtype::float32);
  EXPECT_EQ(back.keys, inst.keys);  // float-exact entries survive
  // One float64 file makes the whole instance float64.
  save(tmp / "d/V1.npy", {4, 2}, 0.5);
  EXPECT_EQ(read_attention_directory(tmp / "d").precision, NpyDtype::float64);
  // An explicit dtype overrides the instance's precision.
  AttentionWriteOptions opt;
  opt.dtype = NpyDtype::float64;
  write_attention_directory(tmp / "e", inst, opt);
  EXPECT_EQ(read_npy_header(tmp / "e/Q.npy").dtype, NpyDtype::float64);
}

TEST(attention_dir, KIsInferredFromTheFiles) {
  TempDir tmp;
  valid_k3(tmp);
  EXPECT_EQ(read_attention_directory(tmp.path()).k, 3);
  save(tmp / "K3.npy", {2, 3});
  save(tmp / "V3.npy", {2, 2});
  EXPECT_EQ(read_attention_directory(tmp.path()).k, 4);
}

TEST(attention_dir, ReplacesAnExistingAttentionDirectoryWhole) {
  TempDir tmp;
  write_attention_directory(tmp / "d", random_attention(10, {3, 4, 5}, 2, 2, 1.0));
  const AttentionInstance k2 = random_attention(11, {6, 2}, 3, 1, 1.0);
  write_attention_directory(tmp / "d/", k2);  // trailing slash names the same directory
  EXPECT_EQ(entries(tmp / "d"), (std::vector<std::string>{"K1.npy", "Q.npy", "V1.npy"}));
  EXPECT_EQ(read_attention_directory(tmp / "d").q, k2.q);
  EXPECT_EQ(entries(tmp.path()), std::vector<std::string>{"d"}) << "no temporary or old copy left";
}

TEST(attention_dir, RefusesToReplaceAnythingElse) {
  TempDir tmp;
  const AttentionInstance inst = random_attention(12, {3, 4}, 2, 2, 1.0);
  fs::create_directory(tmp / "home");
  std::ofstream(tmp / "home/notes.txt") << "precious";
  try {
    write_attention_directory(tmp / "home", inst);
    FAIL() << "replaced a directory holding other files";
  } catch (const InputError& e) {
    EXPECT_THAT(e.what(), HasSubstr("notes.txt"));
  }
  EXPECT_TRUE(fs::exists(tmp / "home/notes.txt"));
  std::ofstream(tmp / "file") << "x";
  EXPECT_THROW(write_attention_directory(tmp / "file", inst), InputError);
  EXPECT_THROW(write_attention_directory(tmp / "no/such/parent", inst), InputError);
  EXPECT_EQ(entries(tmp.path()), (std::vector<std::string>{"file", "home"}));
}

TEST(attention_dir, InvalidInstanceWritesNothing) {
  TempDir tmp;
  AttentionInstance inst = random_attention(13, {3, 4, 5}, 2, 2, 1.0);
  inst.keys[1](2, 1) = std::nan("");
  try {
    write_attention_directory(tmp / "d", inst);
    FAIL() << "wrote a NaN instance";
  } catch (const InputError& e) {
    EXPECT_THAT(e.what(), HasSubstr("K2.npy"));
  }
  EXPECT_TRUE(entries(tmp.path()).empty());
}

TEST(attention_dir, MissingFilesAreNamed) {
  {
    TempDir tmp;
    EXPECT_THAT(read_error(tmp / "nothing"), HasSubstr("no such directory"));
  }
  {
    TempDir tmp;
    valid_k3(tmp);
    fs::remove(tmp / "Q.npy");
    EXPECT_THAT(read_error(tmp.path()), HasSubstr(tmp / "Q.npy"));
  }
  {
    TempDir tmp;
    valid_k3(tmp);
    fs::remove(tmp / "K1.npy");
    fs::remove(tmp / "K2.npy");
    EXPECT_THAT(read_error(tmp.path()), HasSubstr(tmp / "K1.npy"));
  }
  {
    TempDir tmp;
    valid_k3(tmp);
    fs::remove(tmp / "V2.npy");
    const std::string message = read_error(tmp.path());
    EXPECT_THAT(message, HasSubstr(tmp / "V2.npy"));
    EXPECT_THAT(message, HasSubstr("missing"));
  }
  {
    TempDir tmp;  // K3 without K2: a gap, not k = 2
    valid_k3(tmp);
    fs::rename(tmp / "K2.npy", tmp / "K3.npy");
    fs::rename(tmp / "V2.npy", tmp / "V3.npy");
    const std::string message = read_error(tmp.path());
    EXPECT_THAT(message, HasSubstr("3.npy"));
    EXPECT_THAT(message, HasSubstr("K2.npy is missing"));
  }
}

TEST(attention_dir, WrongShapesAcrossTheDirectoryNameTheFile) {
  struct Case {
    std::string file;
    std::vector<std::size_t> shape;
    std::string expect;
  };
  const std::vector<Case> cases{
      {"K2.npy", {6, 4}, "has 4 columns but Q.npy has d = 3"},
      {"V1.npy", {4, 2}, "has 4 rows but K1.npy has 5"},
      {"V2.npy", {6, 3}, "has 3 columns but V1.npy has 2"},
      {"Q.npy", {12}, "must be a 2-D array"},
      {"K1.npy", {5, 3, 1}, "must be a 2-D array"},
      {"Q.npy", {0, 3}, "n_q and d must be at least 1"},
  };
  for (const auto& c : cases) {
    TempDir tmp;
    valid_k3(tmp);
    save(tmp / c.file, c.shape);
    const std::string message = read_error(tmp.path());
    EXPECT_THAT(message, HasSubstr(tmp / c.file)) << c.file;
    EXPECT_THAT(message, HasSubstr(c.expect)) << c.file;
  }
}

TEST(attention_dir, BadNpyFilesInsideTheDirectoryNameTheFile) {
  const std::string header_i8 = "{'descr': '<i8', 'fortran_order': False, 'shape': (5, 3), }";
  const std::string header_fortran = "{'descr': '<f8', 'fortran_order': True, 'shape': (4, 3), }";
  auto raw = [](const std::string& dict, std::size_t data_bytes) {
    std::string h = dict + "\n";
    std::string out("\x93NUMPY\x01\x00", 8);
    out += static_cast<char>(h.size() & 0xff);
    out += static_cast<char>(h.size() >> 8);
    return out + h + std::string(data_bytes, '\0');
  };
  struct Case {
    std::string file, bytes, expect;
  };
  const std::vector<Case> cases{
      {"K1.npy", raw(header_i8, 120), "dtype '<i8' is not supported"},
      {"Q.npy", raw(header_fortran, 96), "Fortran"},
  };
  for (const auto& c : cases) {
    TempDir tmp;
    valid_k3(tmp);
    std::ofstream(tmp / c.file, std::ios::binary) << c.bytes;
    const std::string message = read_error(tmp.path());
    EXPECT_THAT(message, HasSubstr(tmp / c.file)) << c.file;
    EXPECT_THAT(message, HasSubstr(c.expect)) << c.file;
  }
  {
    TempDir tmp;  // truncated: cut the last 5 bytes of V1.npy
    valid_k3(tmp);
    fs::resize_file(tmp / "V1.npy", fs::file_size(tmp / "V1.npy") - 5);
    const std::string message = read_error(tmp.path());
    EXPECT_THAT(message, HasSubstr(tmp / "V1.npy"));
    EXPECT_THAT(message, HasSubstr("truncated"));
  }
  {
    TempDir tmp;  // NaN entry in K2
    valid_k3(tmp);
    std::vector<double> k2(18, 1.0);
    k2[7] = std::nan("");
    write_npy(tmp / "K2.npy", {6, 3}, k2.data());
    const std::string message = read_error(tmp.path());
    EXPECT_THAT(message, HasSubstr(tmp / "K2.npy"));
    EXPECT_THAT(message, HasSubstr("entry (2, 1) is NaN"));
  }
}

TEST(attention_dir, BadManifestIsNamed) {
  {
    TempDir tmp;
    valid_k3(tmp);
    std::ofstream(tmp / "manifest.json") << R"({"k": 4, "scale": 0.5})";
    const std::string message = read_error(tmp.path());
    EXPECT_THAT(message, HasSubstr(tmp / "manifest.json"));
    EXPECT_THAT(message, HasSubstr("'k' is 4"));
  }
  {
    TempDir tmp;
    valid_k3(tmp);
    std::ofstream(tmp / "manifest.json") << R"({"k": 3, "scale": )";
    EXPECT_THAT(read_error(tmp.path()), HasSubstr("invalid JSON"));
  }
  {
    TempDir tmp;
    valid_k3(tmp);
    std::ofstream(tmp / "manifest.json") << R"({"k": 3, "row_map": [[0, 1, 2, 3], [0], [0]]})";
    const std::string message = read_error(tmp.path());
    EXPECT_THAT(message, HasSubstr("manifest.json"));
    EXPECT_THAT(message, HasSubstr("row_map[1] has 1 entries but K1.npy has 5 rows"));
  }
  {
    TempDir tmp;
    valid_k3(tmp);
    std::ofstream(tmp / "manifest.json") << R"({"k": 3, "scale": 0.75, "note": "kept"})";
    const AttentionInstance inst = read_attention_directory(tmp.path());
    EXPECT_EQ(inst.scale, 0.75);
    EXPECT_EQ(inst.manifest->extra["note"], "kept");
  }
}

TEST(attention_dir, SizeLimitRefusesBeforeLoading) {
  TempDir tmp;
  valid_k3(tmp);
  AttentionReadOptions opt;
  opt.max_bytes = 100;  // 12 + 15 + 18 + 10 + 12 doubles = 536 bytes
  EXPECT_THROW(read_attention_directory(tmp.path(), opt), SizeLimitError);
}
