// The run's wall-clock budget (--timeout, issue 14 part 3). One process-wide
// deadline, set once by the command line; hot loops poll it cooperatively
// (check_deadline() at least every ~100 ms of work) and stop with a
// TimeoutError. Without a deadline every check is one relaxed atomic load.
//
//   set_deadline(2.5);                 // main, before the work starts
//   for (...) { check_deadline(); ... }  // a search loop
//   if (deadline_expired()) break;     // inside an OpenMP region (no throw)
#pragma once

#include <atomic>
#include <memory>

namespace sethkit {

// Starts a budget of `seconds` (> 0, finite) from now; 0 clears it.
void set_deadline(double seconds);
// True when a deadline is set.
bool deadline_active();
// The budget given to set_deadline (0 when none).
double deadline_budget();
// Seconds left (may be negative); +infinity when no deadline is set.
double deadline_remaining();
// True when a deadline is set and has passed. Safe in any thread.
bool deadline_expired();
// Throws TimeoutError(budget) when the deadline has passed.
void check_deadline();

// Counts calls and reads the clock only every `stride` of them, for loops
// whose body is a few nanoseconds. Not thread-safe (one per thread).
class DeadlinePoller {
 public:
  explicit DeadlinePoller(unsigned stride = 4096) : stride_(stride) {}
  void poll() {
    if (++count_ >= stride_) {
      count_ = 0;
      check_deadline();
    }
  }

 private:
  unsigned stride_;
  unsigned count_ = 0;
};

// For parallel searches that already stop on an atomic flag: while a
// deadline is set, a watcher thread raises `stop` when it passes (polling
// every 10 ms). finish() joins the watcher and throws TimeoutError when it
// fired, so a search stopped by the deadline never reports "not found".
//
//   std::atomic<bool> stop{false};
//   DeadlineWatch watch(stop);
//   #pragma omp parallel for ... if (stop) continue; ...
//   watch.finish();  // throws TimeoutError if the deadline stopped it
class DeadlineWatch {
 public:
  explicit DeadlineWatch(std::atomic<bool>& stop);
  ~DeadlineWatch();
  DeadlineWatch(const DeadlineWatch&) = delete;
  DeadlineWatch& operator=(const DeadlineWatch&) = delete;
  void finish();

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace sethkit
