// Size messages (issue 9): sizes are printed exactly or as human units,
// never as "72.000000" or "inf EiB".
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>

#include "core/errors.hpp"

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
