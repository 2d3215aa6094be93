#include "core/progress.hpp"

#include <unistd.h>

#include <cmath>

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

}  // namespace sethkit
