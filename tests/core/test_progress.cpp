// The progress line (core/progress.hpp): its text, the rate limit, silence
// when disabled, and whole lines on a pipe; a fake clock, never wall time.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <string>

#include "core/progress.hpp"

using namespace sethkit;
using Clock = Progress::Clock;

namespace {

std::string read_all(std::FILE* f) {
  std::fflush(f);
  std::rewind(f);
  std::string s;
  char buf[256];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) s.append(buf, n);
  return s;
}

struct FakeClock {
  Clock::time_point t{};
  void advance(double s) { t += std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(s)); }
};

}  // namespace

TEST(Progress, LineHasFractionRateAndEta) {
  Progress p("verify", 10, false);
  EXPECT_EQ(p.line(3, 2.0, "a.cnf"), "verify: 3/10 (30%), 1.5/s, ETA 4.7 s: a.cnf");
  EXPECT_EQ(p.line(0, 0, ""), "verify: 0/10 (0%)");
  EXPECT_EQ(p.line(10, 5.0, ""), "verify: 10/10 (100%), 2/s");  // no ETA once done
  Progress unknown("solve", 0, false);
  EXPECT_EQ(unknown.line(7, 1.0, ""), "solve: 7, 7/s");
}

TEST(Progress, RateLimitedWholeLinesOnAPipe) {
  std::FILE* f = std::tmpfile();
  ASSERT_NE(f, nullptr);
  FakeClock clock;
  {
    Progress p("sweep", 4, true, f, 1.0, /*tty=*/false);
    p.set_clock([&clock] { return clock.t; });
    p.update(1);  // before the first interval: silent
    clock.advance(1.5);
    p.update(1, "x");
    clock.advance(0.5);
    p.update(2);  // within the interval: dropped
    clock.advance(0.6);
    p.update(3);
  }
  const std::string out = read_all(f);
  std::fclose(f);
  EXPECT_EQ(out.find('\r'), std::string::npos);
  EXPECT_NE(out.find("sweep: 1/4 (25%)"), std::string::npos) << out;
  EXPECT_EQ(out.find("sweep: 2/4"), std::string::npos) << out;
  EXPECT_NE(out.find("sweep: 3/4 (75%)"), std::string::npos) << out;
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 2) << out;
}

TEST(Progress, TerminalLineIsRewrittenAndCleared) {
  std::FILE* f = std::tmpfile();
  ASSERT_NE(f, nullptr);
  FakeClock clock;
  {
    Progress p("reduce", 2, true, f, 0.0, /*tty=*/true);
    p.set_clock([&clock] { return clock.t; });
    clock.advance(1);
    p.update(1);
  }
  const std::string out = read_all(f);
  std::fclose(f);
  EXPECT_EQ(out.rfind("\rreduce: 1/2 (50%)", 0), 0u) << out;
  EXPECT_EQ(out.substr(out.size() - 4), "\r\033[K");
  EXPECT_EQ(out.find('\n'), std::string::npos);
}

TEST(Progress, DisabledPrintsNothing) {
  std::FILE* f = std::tmpfile();
  ASSERT_NE(f, nullptr);
  {
    Progress p("grad", 3, false, f, 0.0, true);
    p.update(1);
    p.update(2);
  }
  EXPECT_EQ(read_all(f), "");
  std::fclose(f);
}
