#include "core/progress.hpp"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <thread>

namespace sethkit {
namespace {

std::string seconds_text(double s) {
  char buf[32];
  if (s < 60) std::snprintf(buf, sizeof buf, "%.1f s", s);
  else if (s < 3600) std::snprintf(buf, sizeof buf, "%.0f min %02.0f s", std::floor(s / 60), std::fmod(s, 60));
  else std::snprintf(buf, sizeof buf, "%.1f h", s / 3600);
  return buf;
}

}  // namespace

Progress::Progress(std::string what, double total, bool enabled, std::FILE* out, double interval_seconds)
    : Progress(std::move(what), total, enabled, out, interval_seconds, out && ::isatty(::fileno(out)) != 0) {}

Progress::Progress(std::string what, double total, bool enabled, std::FILE* out, double interval_seconds, bool tty)
    : what_(std::move(what)), total_(total), enabled_(enabled && out), out_(out), interval_(interval_seconds), tty_(tty) {
  start_ = now_();
  last_ = start_;
}

Progress::~Progress() { finish(); }

bool Progress::enabled(bool force, bool quiet) { return force || (!quiet && ::isatty(2) != 0); }

std::string Progress::line(double done, double elapsed, const std::string& detail) const {
  char buf[160];
  std::string s = what_ + ": ";
  if (total_ > 0) {
    std::snprintf(buf, sizeof buf, "%.0f/%.0f (%.0f%%)", done, total_, 100.0 * done / total_);
  } else {
    std::snprintf(buf, sizeof buf, "%.0f", done);
  }
  s += buf;
  if (elapsed > 0 && done > 0) {
    std::snprintf(buf, sizeof buf, ", %.3g/s", done / elapsed);
    s += buf;
    if (total_ > 0 && done < total_) s += ", ETA " + seconds_text((total_ - done) * elapsed / done);
  }
  if (!detail.empty()) s += ": " + detail;
  return s;
}

void Progress::update(double done, const std::string& detail) {
  if (!enabled_ || finished_) return;
  const Clock::time_point now = now_();
  // The first line waits one interval too: a run shorter than that is silent.
  if (std::chrono::duration<double>(now - last_).count() < interval_) return;
  last_ = now;
  const std::string text = line(done, std::chrono::duration<double>(now - start_).count(), detail);
  if (tty_) std::fprintf(out_, "\r%s\033[K", text.c_str());
  else std::fprintf(out_, "%s\n", text.c_str());
  std::fflush(out_);
  shown_ = true;
}

void Progress::finish() {
  if (finished_) return;
  finished_ = true;
  if (enabled_ && shown_ && tty_) {
    std::fprintf(out_, "\r\033[K");
    std::fflush(out_);
  }
}

namespace {

std::atomic<std::uint64_t> g_done{0};
std::atomic<std::uint64_t> g_total{0};

// A non-negative finite number of seconds from the environment, else fallback.
double seconds_from_env(const char* name, double fallback) {
  const char* text = std::getenv(name);
  if (text == nullptr || *text == '\0') return fallback;
  char* end = nullptr;
  const double v = std::strtod(text, &end);
  return (*end == '\0' && std::isfinite(v) && v >= 0 && v <= 3600) ? v : fallback;
}

}  // namespace

void progress_expect(std::uint64_t items) { g_total.fetch_add(items, std::memory_order_relaxed); }
void progress_advance(std::uint64_t items) { g_done.fetch_add(items, std::memory_order_relaxed); }
WorkMeter work_meter() {
  return {g_done.load(std::memory_order_relaxed), g_total.load(std::memory_order_relaxed)};
}
void reset_work_meter() {
  g_done.store(0, std::memory_order_relaxed);
  g_total.store(0, std::memory_order_relaxed);
}

struct ProgressReporter::State {
  using Clock = std::chrono::steady_clock;
  std::string what, stage;
  std::FILE* out = nullptr;
  double delay = 1, interval = 0.5;
  bool tty = false;
  bool shown = false;
  bool stop = false;
  Clock::time_point start, stage_start;
  std::mutex mutex;
  std::condition_variable wake;
  std::thread thread;

  double since(Clock::time_point t) const { return std::chrono::duration<double>(Clock::now() - t).count(); }
  void print_locked() {
    const std::string text = line(what, stage, work_meter(), since(stage_start));
    if (tty) std::fprintf(out, "\r%s\033[K", text.c_str());
    else std::fprintf(out, "%s\n", text.c_str());
    std::fflush(out);
    shown = true;
  }
  void run() {
    std::unique_lock<std::mutex> lock(mutex);
    const auto wait = [&](double s) {
      return wake.wait_for(lock, std::chrono::duration<double>(s), [&] { return stop; });
    };
    if (wait(delay)) return;
    do print_locked();
    while (!wait(interval));
  }
};

std::string ProgressReporter::line(const std::string& what, const std::string& stage, WorkMeter meter,
                                   double stage_seconds) {
  std::string s = what + ": " + stage;
  if (meter.total > 0) {
    const double done = double(std::min(meter.done, meter.total)), total = double(meter.total);
    char buf[160];
    std::snprintf(buf, sizeof buf, ": %.0f/%.0f (%.0f%%)", done, total, 100.0 * done / total);
    s += buf;
    if (stage_seconds > 0 && done > 0) {
      std::snprintf(buf, sizeof buf, ", %.3g/s", done / stage_seconds);
      s += buf;
      if (done < total) s += ", ETA " + seconds_text((total - done) * stage_seconds / done);
    }
  }
  return s + "; " + seconds_text(stage_seconds);
}

ProgressReporter::ProgressReporter(std::string what, bool enabled, std::FILE* out, double delay_seconds,
                                   double interval_seconds) {
  reset_work_meter();
  if (!enabled || out == nullptr) return;
  state_ = std::make_shared<State>();
  State& st = *state_;
  st.what = std::move(what);
  st.stage = "starting";
  st.out = out;
  st.delay = seconds_from_env("SETHKIT_PROGRESS_DELAY", delay_seconds);
  st.interval = std::max(0.01, seconds_from_env("SETHKIT_PROGRESS_INTERVAL", interval_seconds));
  st.tty = ::isatty(::fileno(out)) != 0;
  st.start = st.stage_start = State::Clock::now();
  st.thread = std::thread([state = state_] { state->run(); });
}

ProgressReporter::~ProgressReporter() { finish(); }

void ProgressReporter::stage(const std::string& name) {
  if (!state_) return;
  std::lock_guard<std::mutex> lock(state_->mutex);
  state_->stage = name;
  state_->stage_start = State::Clock::now();
  reset_work_meter();
}

void ProgressReporter::finish() {
  if (!state_) return;
  {
    std::lock_guard<std::mutex> lock(state_->mutex);
    state_->stop = true;
  }
  state_->wake.notify_all();
  if (state_->thread.joinable()) state_->thread.join();
  State& st = *state_;
  if (st.tty && st.shown) {
    std::fprintf(st.out, "\r\033[K");
  } else if (!st.tty && (st.shown || st.delay == 0)) {
    std::fprintf(st.out, "%s: done in %s\n", st.what.c_str(), seconds_text(st.since(st.start)).c_str());
  }
  std::fflush(st.out);
  state_.reset();
}

}  // namespace sethkit
