// Progress on stderr for long runs (issue 16 part 6, DESIGN.md "Standards":
// long work shows progress on stderr, off when not a TTY or with --quiet).
// One rate-limited line: what is being done, the fraction done, the rate and
// the ETA where the total is known. On a terminal the line is rewritten in
// place ("\r...\033[K") and cleared at the end, so it never mixes with the
// s/v lines on stdout; forced on a pipe (--progress) it prints whole lines,
// at most one per interval.
//
//   Progress p("verify", files.size(), Progress::enabled(o.progress, o.quiet));
//   for (...) { p.update(i, name); ... }
//   p.finish();
#pragma once

#include <chrono>
#include <cstdio>
#include <functional>
#include <string>

namespace sethkit {

class Progress {
 public:
  using Clock = std::chrono::steady_clock;

  // total <= 0: unknown (no fraction, no ETA). interval: the least time
  // between two lines. tty: rewrite in place (default: whether out is a
  // terminal).
  Progress(std::string what, double total, bool enabled, std::FILE* out = stderr, double interval_seconds = 0.25);
  Progress(std::string what, double total, bool enabled, std::FILE* out, double interval_seconds, bool tty);
  ~Progress();
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  // Shown when `force`, else when stderr is a terminal and not `quiet`.
  static bool enabled(bool force, bool quiet);

  // done units of total are finished; detail says what is running now.
  // Prints only if enabled and the interval has passed since the last line.
  void update(double done, const std::string& detail = "");
  // Clears the line on a terminal. Called by the destructor.
  void finish();

  // The text of the line at `elapsed` seconds (no control characters):
  // "what: 3/10 (30%), 1.5/s, ETA 4.7 s: detail".
  std::string line(double done, double elapsed_seconds, const std::string& detail) const;

  // For tests: the clock the interval and rate use; the run starts anew at its now().
  void set_clock(std::function<Clock::time_point()> now) {
    now_ = std::move(now);
    start_ = last_ = now_();
  }

 private:
  std::string what_;
  double total_;
  bool enabled_;
  std::FILE* out_;
  double interval_;
  bool tty_;
  bool shown_ = false;
  bool finished_ = false;
  std::function<Clock::time_point()> now_ = [] { return Clock::now(); };
  Clock::time_point start_;
  Clock::time_point last_;
};

}  // namespace sethkit
