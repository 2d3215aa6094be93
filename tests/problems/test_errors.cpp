// Size messages (issue 9): sizes are printed exactly or as human units,
// never as "72.000000" or "inf EiB", and the text readers refuse a file over
// their limit before reading it.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>

#include "problems/cnf.hpp"
#include "problems/errors.hpp"
#include "problems/text_reader.hpp"

using namespace sethkit;
using ::testing::HasSubstr;

TEST(SizeMessages, ByteCountsAreExactWhileTheyFit) {
  EXPECT_EQ(byte_count_text(72), "72 bytes");
  EXPECT_EQ(byte_count_text(68719476944.0L), "68719476944 bytes");
  EXPECT_EQ(byte_count_text(0x1p70L), "1024.00 EiB");
}

TEST(SizeMessages, CountsAreExactOrPowersOfTwo) {
  EXPECT_EQ(count_text(1048576), "1048576");
  EXPECT_EQ(count_text(20000000000.0), "20000000000");
  EXPECT_EQ(count_text(0x1p60), "2^60.0");
  EXPECT_EQ(count_text(std::exp2(62.51344)), "2^62.5");
  EXPECT_EQ(count_text(std::numeric_limits<double>::infinity()), "infinitely many");
}

TEST(SizeMessages, HumanBytes) {
  EXPECT_EQ(human_bytes(1023), "1023 B");
  EXPECT_EQ(human_bytes(1536), "1.50 KiB");
  EXPECT_EQ(human_bytes(double(int64_t(1) << 32)), "4.00 GiB");
  EXPECT_EQ(human_bytes(std::numeric_limits<double>::infinity()), "more than 1e308 B");
}

// A sparse file one byte over the DIMACS limit: refused by its size, never
// read (it takes no disk space).
TEST(SizeMessages, TextReaderRefusesAFileOverItsLimit) {
  const auto path = std::filesystem::temp_directory_path() / ("sethkit-sparse-" + std::to_string(::getpid()) + ".cnf");
  { std::ofstream(path) << "p cnf 1 1\n1 0\n"; }
  std::filesystem::resize_file(path, std::uintmax_t(kMaxDimacsFileBytes) + 1);
  try {
    read_dimacs_file(path.string());
    FAIL() << "expected a refusal";
  } catch (const InputError& e) {
    EXPECT_THAT(e.what(), HasSubstr(path.string() + ": file is 4294967297 bytes, more than the 4.00 GiB this reader accepts"));
  }
  std::filesystem::remove(path);
}
