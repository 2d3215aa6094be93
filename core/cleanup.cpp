#include "core/cleanup.hpp"

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstring>

namespace sethkit {

namespace {

constexpr std::size_t kPathMax = 4096;

struct Slot {
  std::atomic<int> state{0};  // 0 free, 1 being written, 2 live
  CleanupKind kind = CleanupKind::file;
  pid_t pgid = 0;
  std::uint64_t order = 0;
  char path[kPathMax] = {};
};

Slot g_slots[kCleanupSlots];
std::atomic<std::uint64_t> g_order{0};

void on_signal(int sig) {
  // Children first (they may hold files), then files, then directories
  // (newest first, so a directory's files go before it).
  for (Slot& s : g_slots)
    if (s.state.load() == 2 && s.kind == CleanupKind::process_group && s.pgid > 0) ::kill(-s.pgid, SIGKILL);
  for (Slot& s : g_slots)
    if (s.state.load() == 2 && s.kind == CleanupKind::file) ::unlink(s.path);
  for (int pass = 0; pass < kCleanupSlots; ++pass) {
    Slot* newest = nullptr;
    for (Slot& s : g_slots)
      if (s.state.load() == 2 && s.kind == CleanupKind::directory && (!newest || s.order > newest->order))
        newest = &s;
    if (!newest) break;
    ::rmdir(newest->path);
    newest->state.store(0);
  }
  ::_exit(128 + sig);
}

int claim() {
  for (int i = 0; i < kCleanupSlots; ++i) {
    int expected = 0;
    if (g_slots[i].state.compare_exchange_strong(expected, 1)) return i;
  }
  return -1;
}

}  // namespace

void install_cleanup_handlers() {
  static std::atomic<bool> installed{false};
  if (installed.exchange(true)) return;
  struct sigaction sa;
  std::memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigfillset(&sa.sa_mask);  // no second signal while cleaning up
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) {
    struct sigaction old;
    if (::sigaction(sig, nullptr, &old) == 0 && old.sa_handler == SIG_IGN) continue;  // nohup stays nohup
    ::sigaction(sig, &sa, nullptr);
  }
}

int register_cleanup(const std::string& path, CleanupKind kind) {
  if (path.size() >= kPathMax) return -1;
  const int i = claim();
  if (i < 0) return -1;
  Slot& s = g_slots[i];
  s.kind = kind;
  s.pgid = 0;
  s.order = ++g_order;
  std::memcpy(s.path, path.c_str(), path.size() + 1);
  s.state.store(2);
  return i;
}

int register_process_group(pid_t pgid) {
  const int i = claim();
  if (i < 0) return -1;
  Slot& s = g_slots[i];
  s.kind = CleanupKind::process_group;
  s.pgid = pgid;
  s.order = ++g_order;
  s.path[0] = '\0';
  s.state.store(2);
  return i;
}

void unregister_cleanup(int slot) {
  if (slot >= 0 && slot < kCleanupSlots) g_slots[slot].state.store(0);
}

}  // namespace sethkit
