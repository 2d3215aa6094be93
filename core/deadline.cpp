#include "core/deadline.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <limits>
#include <mutex>
#include <thread>

#include "core/errors.hpp"

namespace sethkit {

namespace {
using Clock = std::chrono::steady_clock;
std::atomic<bool> g_active{false};
std::atomic<Clock::rep> g_end{0};
std::atomic<double> g_budget{0};
}  // namespace

void set_deadline(double seconds) {
  if (!(seconds > 0)) {
    g_active.store(false);
    g_budget.store(0);
    return;
  }
  const auto span = std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  g_end.store((Clock::now() + span).time_since_epoch().count());
  g_budget.store(seconds);
  g_active.store(true);
}

bool deadline_active() { return g_active.load(std::memory_order_relaxed); }

double deadline_budget() { return g_budget.load(); }

double deadline_remaining() {
  if (!deadline_active()) return std::numeric_limits<double>::infinity();
  const Clock::rep left = g_end.load() - Clock::now().time_since_epoch().count();
  return std::chrono::duration<double>(Clock::duration(left)).count();
}

bool deadline_expired() {
  if (!g_active.load(std::memory_order_relaxed)) return false;
  return Clock::now().time_since_epoch().count() >= g_end.load(std::memory_order_relaxed);
}

void check_deadline() {
  if (deadline_expired()) throw TimeoutError(deadline_budget());
}

struct DeadlineWatch::State {
  std::atomic<bool>& stop;
  std::mutex mutex;
  std::condition_variable cv;
  bool done = false;
  std::atomic<bool> fired{false};
  std::thread thread;
  explicit State(std::atomic<bool>& s) : stop(s) {}
};

DeadlineWatch::DeadlineWatch(std::atomic<bool>& stop) {
  if (!deadline_active()) return;
  state_ = std::make_unique<State>(stop);
  State* st = state_.get();
  st->thread = std::thread([st] {
    std::unique_lock<std::mutex> lock(st->mutex);
    while (!st->done) {
      if (deadline_expired()) {
        st->fired.store(true);
        st->stop.store(true);
        return;
      }
      st->cv.wait_for(lock, std::chrono::milliseconds(10));
    }
  });
}

DeadlineWatch::~DeadlineWatch() {
  if (!state_) return;
  {
    std::lock_guard<std::mutex> lock(state_->mutex);
    state_->done = true;
  }
  state_->cv.notify_all();
  if (state_->thread.joinable()) state_->thread.join();
}

void DeadlineWatch::finish() {
  if (!state_) return;
  {
    std::lock_guard<std::mutex> lock(state_->mutex);
    state_->done = true;
  }
  state_->cv.notify_all();
  if (state_->thread.joinable()) state_->thread.join();
  if (state_->fired.load()) throw TimeoutError(deadline_budget());
}

}  // namespace sethkit
