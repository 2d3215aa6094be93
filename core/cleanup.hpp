// What a signal must undo (issue 14 parts 1 and 3): on SIGINT, SIGTERM or
// SIGHUP the handler kills the registered child process groups (external SAT
// solvers), unlinks the registered temporary files and removes the
// registered temporary directories (their registered files first), then exits
// 128 + signal. Everything the handler does is async-signal-safe (kill,
// unlink, rmdir, _exit on preformatted paths); registration copies the path
// into a fixed table (slots: kCleanupSlots).
//
//   install_cleanup_handlers();              // once, in main
//   CleanupGuard tmp(path, CleanupKind::file);  // removed on a signal
//   ... rename(path, target); tmp.release();
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>

namespace sethkit {

inline constexpr int kCleanupSlots = 64;

enum class CleanupKind { file, directory, process_group };

// Installs the handlers for SIGINT, SIGTERM and SIGHUP (idempotent).
void install_cleanup_handlers();

// Registers a path (file or directory) or a process group id (as text is not
// needed: pass pgid) and returns its slot, or -1 when the table is full (the
// work goes on; only the cleanup on a signal is lost).
int register_cleanup(const std::string& path, CleanupKind kind);
int register_process_group(pid_t pgid);
void unregister_cleanup(int slot);

// Removes `path` at scope exit from the table (not from the disk).
class CleanupGuard {
 public:
  CleanupGuard(const std::string& path, CleanupKind kind) : slot_(register_cleanup(path, kind)) {}
  explicit CleanupGuard(pid_t pgid) : slot_(register_process_group(pgid)) {}
  ~CleanupGuard() { release(); }
  CleanupGuard(const CleanupGuard&) = delete;
  CleanupGuard& operator=(const CleanupGuard&) = delete;
  void release() {
    if (slot_ >= 0) unregister_cleanup(slot_);
    slot_ = -1;
  }

 private:
  int slot_;
};

}  // namespace sethkit
