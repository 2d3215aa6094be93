// kOV text and binary formats: round trips and rejection of every bad count
// and value, with the size checked before allocation.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <random>
#include <sstream>

#include "core/errors.hpp"
#include "problems/kov_instance.hpp"

using namespace sethkit;
using ::testing::HasSubstr;

namespace {

KOvInstance random_instance(std::mt19937& rng, int k, int d) {
  KOvInstance inst;
  inst.k = k;
  inst.d = d;
  for (int p = 0; p < k; ++p) {
    PackedVectors party(rng() % 6, d);
    for (std::size_t i = 0; i < party.size(); ++i)
      for (int j = 0; j < d; ++j) party.set(i, j, rng() % 2);
    inst.parties.push_back(party);
  }
  return inst;
}

std::string error_of(const std::string& bytes) {
  try {
    parse_kov(bytes, "x.kov");
  } catch (const InputError& e) {
    return e.what();
  }
  return "<accepted>";
}

}  // namespace

TEST(KovFormat, TextAndBinaryRoundTrip) {
  std::mt19937 rng(3);
  for (int trial = 0; trial < 60; ++trial) {
    const KOvInstance inst = random_instance(rng, 2 + trial % 3, int(rng() % 140));
    std::ostringstream text, binary;
    write_kov_text(text, inst, {"a comment"});
    write_kov_binary(binary, inst);
    EXPECT_EQ(parse_kov(text.str(), "t"), inst);
    EXPECT_EQ(parse_kov(binary.str(), "b"), inst);
  }
}

TEST(KovFormat, InnerProductCountsCommonOnes) {
  const KOvInstance inst = parse_kov("p kov 3 5 1 1 1\n11101\n10111\n11011\n", "x");
  EXPECT_EQ(inst.inner_product({0, 0, 0}), 2);  // coordinates 1 and 5
}

TEST(KovFormat, TextRejections) {
  EXPECT_THAT(error_of(""), HasSubstr("x.kov: empty file"));
  EXPECT_THAT(error_of("p kov 1 3 1\n101\n"), HasSubstr("x.kov:1: order k = 1 is outside"));
  EXPECT_THAT(error_of("p kov 3 -2 1 1 1\n"), HasSubstr("dimension -2 is outside"));
  EXPECT_THAT(error_of("p kov 2 3 1 -1\n"), HasSubstr("negative size -1"));
  EXPECT_THAT(error_of("p kov 2 3 1\n101\n"), HasSubstr("expected the size N_2"));
  EXPECT_THAT(error_of("p kov 2 3 1 1 1\n"), HasSubstr("exactly K sizes"));
  EXPECT_THAT(error_of("p kov 2 3 1000000000 1\n101\n"), HasSubstr("truncated file or wrong counts"));
  EXPECT_THAT(error_of("p kov 2 3 1 1\n101\n"), HasSubstr("file ends after 0 of the 1 vectors of party 2"));
  EXPECT_THAT(error_of("p kov 2 3 1 1\n101\n1011\n"), HasSubstr("x.kov:3: vector has 4 entries, expected D = 3"));
  EXPECT_THAT(error_of("p kov 2 3 1 1\n101\n1a1\n"), HasSubstr("x.kov:3: entry 2 of the vector is 'a'"));
  EXPECT_THAT(error_of("p kov 2 3 1 1\n101\n111\n000\n"), HasSubstr("x.kov:4: more vectors"));
  EXPECT_THAT(error_of("p mov 2 3 1 1\n"), HasSubstr("expected 'p kov'"));
  EXPECT_THAT(error_of("101\n"), HasSubstr("x.kov:1: expected a 'p kov"));
}

TEST(KovFormat, BinaryRejections) {
  std::mt19937 rng(5);
  KOvInstance inst = random_instance(rng, 3, 70);
  inst.parties[0] = PackedVectors(2, 70);
  std::ostringstream out;
  write_kov_binary(out, inst);
  const std::string good = out.str();
  EXPECT_THAT(error_of(good.substr(0, good.size() - 1)), HasSubstr("truncated or corrupt"));
  EXPECT_THAT(error_of(good.substr(0, 12)), HasSubstr("truncated binary kOV file"));
  std::string bad_k = good;
  bad_k[8] = 99;
  EXPECT_THAT(error_of(bad_k), HasSubstr("order k = 99"));
  std::string huge_n = good;
  huge_n[24 + 7] = 0x7f;  // N_1 about 2^62: over the vector limit, never allocated
  EXPECT_THAT(error_of(huge_n), HasSubstr("party 1 has 9151314442816847874 vectors, above the limit 2^33"));
  std::string long_n = good;
  long_n[24 + 4] = 1;  // N_1 = 2^32 + 2: within the limit, but not in the file
  EXPECT_THAT(error_of(long_n), HasSubstr("binary kOV header promises 68719476944 bytes but the file has 208"));
  std::string stray_bit = good;
  stray_bit[24 + 8 * 3 + 8 + 7] = char(0x80);  // bit 63 of word 2 of vector 1 (d = 70)
  EXPECT_THAT(error_of(stray_bit), HasSubstr("bits set beyond dimension 70"));
}
