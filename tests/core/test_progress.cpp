// The progress line (core/progress.hpp): its text, the rate limit, silence
// when disabled, and whole lines on a pipe; a fake clock, never wall time.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

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

// ---- the work meter and the reporter of one command ---------------------------

TEST(ProgressReporter, LineHasStageFractionRateEtaAndStageTime) {
  EXPECT_EQ(ProgressReporter::line("attention", "exact attention, rows", {30, 120}, 2.0),
            "attention: exact attention, rows: 30/120 (25%), 15/s, ETA 6.0 s; 2.0 s");
  // No loop counts its items: the stage and its time only.
  EXPECT_EQ(ProgressReporter::line("solve", "deciding via kov", {0, 0}, 75.0), "solve: deciding via kov; 1 min 15 s");
  // Done past the total (a region that counted late) is shown as the total, without an ETA.
  EXPECT_EQ(ProgressReporter::line("grad", "rows", {9, 8}, 4.0), "grad: rows: 8/8 (100%), 2/s; 4.0 s");
}

TEST(ProgressReporter, WorkMeterCountsAcrossThreadsAndStagesResetIt) {
  ProgressReporter r("reduce", false);  // disabled: the meter still counts
  progress_expect(1000);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([] {
      for (int i = 0; i < 250; ++i) progress_advance();
    });
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(work_meter().done, 1000u);
  EXPECT_EQ(work_meter().total, 1000u);
  reset_work_meter();
  EXPECT_EQ(work_meter().done, 0u);
  EXPECT_EQ(work_meter().total, 0u);
}

TEST(ProgressReporter, DisabledPrintsNothing) {
  std::FILE* f = std::tmpfile();
  ASSERT_NE(f, nullptr);
  {
    ProgressReporter r("grad", false, f, 0.0, 0.01);
    r.stage("writing");
    EXPECT_FALSE(r.enabled());
  }
  EXPECT_EQ(read_all(f), "");
  std::fclose(f);
}

TEST(ProgressReporter, ForcedOnAFileEndsWithItsDoneLine) {
  std::FILE* f = std::tmpfile();
  ASSERT_NE(f, nullptr);
  {
    // A file is no terminal: whole lines. Delay 0: the "done" line always comes.
    ProgressReporter r("solve", true, f, 0.0, 0.01);
    r.stage("reading x.cnf");
    r.stage("deciding via kov");
    r.finish();
    r.finish();  // idempotent
  }
  const std::string out = read_all(f);
  std::fclose(f);
  EXPECT_EQ(out.find('\r'), std::string::npos) << out;
  ASSERT_GE(out.size(), 1u);
  const std::size_t last = out.rfind('\n', out.size() - 2);
  const std::string tail = out.substr(last == std::string::npos ? 0 : last + 1);
  EXPECT_EQ(tail.rfind("solve: done in ", 0), 0u) << out;
  // Every other line names the command and a stage.
  std::size_t start = 0;
  for (std::size_t end; (end = out.find('\n', start)) != std::string::npos; start = end + 1)
    EXPECT_EQ(out.compare(start, 7, "solve: "), 0) << out;
}
