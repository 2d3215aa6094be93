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
#include <cstdint>
#include <cstdio>
#include <functional>
#include <memory>
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

// ---- the run's work meter (process-wide) -----------------------------------
// Library loops that know nothing of the command line count their items here
// (one relaxed atomic add each: safe in any thread, OpenMP regions included);
// a ProgressReporter shows the fraction, rate and ETA. Without a reporter the
// counts are never read. A loop of n items calls progress_expect(n) once, then
// progress_advance() per item (attention/kernel_core.hpp's parallel_rows does).
void progress_expect(std::uint64_t items);
void progress_advance(std::uint64_t items = 1);
struct WorkMeter {
  std::uint64_t done = 0, total = 0;
};
WorkMeter work_meter();
void reset_work_meter();

// A command's progress on stderr (issue 16 part 6) from a background thread,
// for work that runs inside one library call (a kOV search, the attention
// rows): nothing for the first `delay` seconds, so a short run is silent;
// then one line per `interval`: the stage, the work meter's fraction, rate
// and ETA when a loop counts its items, and the time in the stage.
//
//   ProgressReporter r("solve", Progress::enabled(o.progress, o.quiet));
//   r.stage("reading " + file);
//   r.stage("deciding via kov");   // resets the work meter
//   r.finish();                    // before the answer goes to stdout
//
// "solve: deciding via kov: 1200/4096 (29%), 310/s, ETA 9.3 s; 4.1 s": on a
// terminal rewritten in place and cleared by finish(); on a pipe (forced by
// --progress) whole lines, and finish() adds "solve: done in 3.2 s" when
// anything was shown. SETHKIT_PROGRESS_DELAY and SETHKIT_PROGRESS_INTERVAL
// (seconds) override delay and interval; with a delay of 0 a forced run
// always ends with its "done" line (the tests rely on it).
class ProgressReporter {
 public:
  ProgressReporter(std::string what, bool enabled, std::FILE* out = stderr, double delay_seconds = 1.0,
                   double interval_seconds = 0.5);
  ~ProgressReporter();
  ProgressReporter(const ProgressReporter&) = delete;
  ProgressReporter& operator=(const ProgressReporter&) = delete;

  // A new stage starts: its name, and the work meter starts from zero.
  void stage(const std::string& name);
  // Stops the thread; clears the line on a terminal, or prints the "done"
  // line on a pipe. Idempotent; called by the destructor.
  void finish();
  bool enabled() const { return state_ != nullptr; }

  // The text of a line (no control characters), for tests.
  static std::string line(const std::string& what, const std::string& stage, WorkMeter meter, double stage_seconds);

 private:
  struct State;
  std::shared_ptr<State> state_;
};

}  // namespace sethkit
