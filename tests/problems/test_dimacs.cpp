// DIMACS reader/writer: accepted dialects (SATLIB trailer, non-ASCII
// comments, clauses across lines), strict rejections with FILE:LINE, the
// lenient mode, and a write/read round trip.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <random>
#include <sstream>

#include "problems/cnf.hpp"
#include "core/errors.hpp"

using sethkit::Cnf;
using sethkit::DimacsOptions;
using sethkit::InputError;
using sethkit::parse_dimacs;
using ::testing::HasSubstr;

namespace {

std::string error_of(const std::string& text, bool lenient = false) {
  try {
    parse_dimacs(text, "f.cnf", DimacsOptions{lenient});
  } catch (const InputError& e) {
    return e.what();
  }
  return "<accepted>";
}

}  // namespace

TEST(Dimacs, ReadsSatlibTrailerAndNonAsciiComment) {
  const Cnf f = sethkit::read_dimacs_file("examples/uf20-01.cnf");
  EXPECT_EQ(f.num_vars, 20);
  ASSERT_EQ(f.num_clauses(), 91u);
  EXPECT_EQ(f.clauses[0], (std::vector<int>{4, -18, 19}));
  EXPECT_EQ(f.clauses[90], (std::vector<int>{4, -16, -5}));
}

TEST(Dimacs, ReadsFileWithoutTrailer) {
  const Cnf f = sethkit::read_dimacs_file("examples/uf20-02.cnf");
  EXPECT_EQ(f.num_vars, 20);
  EXPECT_EQ(f.num_clauses(), 91u);
}

TEST(Dimacs, ClausesSpanLinesAndShareLines) {
  const Cnf f = parse_dimacs("c x\np cnf 4 3\n1 -2\n 3 0 -4 0\n\n2\n0\n", "f");
  ASSERT_EQ(f.num_clauses(), 3u);
  EXPECT_EQ(f.clauses[0], (std::vector<int>{1, -2, 3}));
  EXPECT_EQ(f.clauses[1], (std::vector<int>{-4}));
  EXPECT_EQ(f.clauses[2], (std::vector<int>{2}));
}

TEST(Dimacs, EmptyClauseAndNoClauses) {
  EXPECT_EQ(parse_dimacs("p cnf 2 1\n0\n", "f").clauses[0].size(), 0u);
  EXPECT_EQ(parse_dimacs("p cnf 0 0\n", "f").num_clauses(), 0u);
}

TEST(Dimacs, StrictRejectionsNameTheLine) {
  EXPECT_THAT(error_of("1 2 0\n"), HasSubstr("f.cnf:1: expected a 'p cnf"));
  EXPECT_THAT(error_of("c only comments\n"), HasSubstr("f.cnf:1: no 'p cnf"));
  EXPECT_THAT(error_of("p cnf 2 1\n1 3 0\n"), HasSubstr("f.cnf:2: literal 3 is out of range"));
  EXPECT_THAT(error_of("p cnf 2 2\n1 0\n"), HasSubstr("f.cnf:1: header declares 2 clauses but the file has 1"));
  EXPECT_THAT(error_of("p cnf 2 1\n1 0 2 0\n"), HasSubstr("f.cnf:2: more clauses than the 1"));
  EXPECT_THAT(error_of("p cnf 2 1\n1 a 0\n"), HasSubstr("f.cnf:2: expected a literal"));
  EXPECT_THAT(error_of("p cnf 2 1\n1 +2 0\n"), HasSubstr("found '+2'"));
  EXPECT_THAT(error_of("p cnf 2 1\n1 - 0\n"), HasSubstr("found '-'"));
  EXPECT_THAT(error_of("p dnf 2 1\n1 0\n"), HasSubstr("f.cnf:1: expected 'p cnf', found 'p dnf'"));
  EXPECT_THAT(error_of(""), HasSubstr("f.cnf: empty file"));
  EXPECT_THAT(error_of(" \n\n"), HasSubstr("empty file"));
  EXPECT_THAT(error_of("p cnf 4000000000 1\n1 0\n"), HasSubstr("variable count 4000000000 exceeds"));
  EXPECT_THAT(error_of("p cnf 2 3000000000\n1 0\n"), HasSubstr("clause count 3000000000 exceeds"));
  EXPECT_THAT(error_of("p cnf -1 1\n1 0\n"), HasSubstr("negative variable count"));
  EXPECT_THAT(error_of("p cnf 1 -1\n1 0\n"), HasSubstr("negative clause count"));
  EXPECT_THAT(error_of("p cnf 99999999999999999999 1\n"), HasSubstr("too large"));
  EXPECT_THAT(error_of(std::string("p cnf 2 1\n\x01\x02\xff 0\n", 16)), HasSubstr("binary data"));
  EXPECT_THAT(error_of("p cnf 2 2\n1 0\n2 -1\n"), HasSubstr("f.cnf:3: last clause is not terminated"));
  EXPECT_THAT(error_of("p cnf 2 1\np cnf 2 1\n1 0\n"), HasSubstr("f.cnf:2: second 'p' line"));
  EXPECT_THAT(error_of("p cnf 2 1 3\n1 0\n"), HasSubstr("unexpected '3'"));
}

TEST(Dimacs, HugeHeaderAllocatesNothing) {
  // A header promising 2^31-1 clauses with one clause present fails on the
  // count, quickly and without reserving space for the promise.
  EXPECT_THAT(error_of("p cnf 2147483647 2147483647\n1 0\n"), HasSubstr("declares 2147483647 clauses"));
}

TEST(Dimacs, PercentTrailerEndsClauses) {
  const Cnf f = parse_dimacs("p cnf 2 1\n1 2 0\n%\n0\ngarbage after the trailer\n", "f");
  EXPECT_EQ(f.num_clauses(), 1u);
}

TEST(Dimacs, LenientAcceptsMismatches) {
  const Cnf f = parse_dimacs("p cnf 2 5\n1 3 0\n-2", "f", DimacsOptions{true});
  EXPECT_EQ(f.num_vars, 3);
  ASSERT_EQ(f.num_clauses(), 2u);
  EXPECT_EQ(f.clauses[1], (std::vector<int>{-2}));
  EXPECT_EQ(parse_dimacs("1 -2 0\n", "f", DimacsOptions{true}).num_vars, 2);
  // Bad tokens stay errors.
  EXPECT_THAT(error_of("p cnf 2 1\n1 x 0\n", true), HasSubstr("expected a literal"));
}

TEST(Dimacs, WriteReadRoundTrip) {
  std::mt19937 rng(7);
  for (int trial = 0; trial < 50; ++trial) {
    Cnf f;
    f.num_vars = 1 + int(rng() % 30);
    const int m = int(rng() % 40);
    for (int j = 0; j < m; ++j) {
      std::vector<int> c;
      const int w = int(rng() % 5);
      for (int t = 0; t < w; ++t) c.push_back((1 + int(rng() % f.num_vars)) * (rng() % 2 ? 1 : -1));
      f.clauses.push_back(c);
    }
    std::ostringstream out;
    sethkit::write_dimacs(out, f, {"round trip"});
    const Cnf g = parse_dimacs(out.str(), "rt");
    EXPECT_EQ(g.num_vars, f.num_vars);
    EXPECT_EQ(g.clauses, f.clauses);
  }
}

TEST(Dimacs, SatisfiedBy) {
  const Cnf f = parse_dimacs("p cnf 3 2\n1 -2 0\n3 0\n", "f");
  EXPECT_TRUE(f.satisfied_by({true, true, true}));
  EXPECT_FALSE(f.satisfied_by({false, true, true}));
  EXPECT_EQ(f.first_falsified({true, false, false}), 1);
  EXPECT_FALSE(f.satisfied_by({true, true}));  // wrong length
}
