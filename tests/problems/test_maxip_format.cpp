// MaxIP text and binary formats: round trips (with and without the gap
// line) and the rejection of bad counts, entries and thresholds.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <random>
#include <sstream>

#include "core/errors.hpp"
#include "problems/maxip_instance.hpp"

using namespace sethkit;
using ::testing::HasSubstr;

namespace {

std::string error_of(const std::string& bytes) {
  try {
    parse_maxip(bytes, "x.maxip");
  } catch (const InputError& e) {
    return e.what();
  }
  return "<accepted>";
}

}  // namespace

TEST(MaxIpFormat, RoundTrips) {
  std::mt19937 rng(9);
  for (int trial = 0; trial < 60; ++trial) {
    MaxIpInstance inst;
    inst.k = 2 + trial % 3;
    inst.d = int(rng() % 12);
    for (int p = 0; p < inst.k; ++p) {
      IntVectors v(rng() % 5, inst.d);
      for (std::size_t i = 0; i < v.size(); ++i)
        for (int j = 0; j < inst.d; ++j) v.row(i)[j] = int32_t(rng() % 7) - 3;
      inst.parties.push_back(v);
    }
    if (trial % 2) inst.gap = MaxIpGap{int64_t(rng() % 50), -int64_t(rng() % 9)};
    std::ostringstream text, binary;
    write_maxip_text(text, inst, {"c"});
    write_maxip_binary(binary, inst);
    EXPECT_EQ(parse_maxip(text.str(), "t"), inst);
    EXPECT_EQ(parse_maxip(binary.str(), "b"), inst);
  }
}

TEST(MaxIpFormat, Rejections) {
  EXPECT_THAT(error_of(""), HasSubstr("x.maxip: empty file"));
  EXPECT_THAT(error_of("p maxip 1 2 1\n1 1\n"), HasSubstr("x.maxip:1: order k = 1"));
  EXPECT_THAT(error_of("p maxip 2 2 1 1\n1 1\n1\n"), HasSubstr("x.maxip:3: expected entry 2 of 2"));
  EXPECT_THAT(error_of("p maxip 2 2 1 1\n1 1\n1 1 1\n"), HasSubstr("x.maxip:3: unexpected '1' after 2 entries"));
  EXPECT_THAT(error_of("p maxip 2 2 1 1\n1 1\n1 x\n"), HasSubstr("found 'x'"));
  EXPECT_THAT(error_of("p maxip 2 1 1 1\n1\n9999999999\n"), HasSubstr("does not fit in 32 bits"));
  EXPECT_THAT(error_of("p maxip 2 1 1 1\nt 3 5\n1\n1\n"), HasSubstr("NO bound 5 must be below the threshold 3"));
  EXPECT_THAT(error_of("p maxip 2 1 1 1\n1\nt 3 1\n1\n"), HasSubstr("before the vectors"));
  EXPECT_THAT(error_of("p maxip 2 1 1 2\n1\n1\n"), HasSubstr("file ends after 1 of the 2 vectors of party 2"));
  EXPECT_THAT(error_of("p maxip 2 4 100000 1\n1 1 1 1\n"), HasSubstr("truncated file or wrong counts"));
  MaxIpInstance inst;
  inst.k = 2;
  inst.d = 3;
  inst.parties = {IntVectors(2, 3), IntVectors(1, 3)};
  std::ostringstream out;
  write_maxip_binary(out, inst);
  EXPECT_THAT(error_of(out.str().substr(0, out.str().size() - 2)), HasSubstr("truncated or corrupt"));
}
