#include "tools/subprocess.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstring>

#include "core/errors.hpp"

namespace sethkit::tools {
namespace {

std::atomic<int> g_child_group{0};

void close_fd(int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

}  // namespace

int running_child_group() { return g_child_group.load(); }

namespace {
std::string& executable_override() {
  static std::string path;
  return path;
}
}  // namespace

void set_self_executable(const std::string& path) { executable_override() = path; }

std::string self_executable() {
  if (!executable_override().empty()) return executable_override();
  char buf[4096];
  const ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) throw ToolError(std::string("cannot find the sethkit executable (/proc/self/exe): ") + std::strerror(errno));
  return std::string(buf, std::size_t(n));
}

ChildResult run_child(const std::vector<std::string>& argv, double timeout_seconds) {
  if (argv.empty()) throw std::logic_error("run_child: empty argv");
  std::vector<char*> cargv;
  for (const auto& a : argv) cargv.push_back(const_cast<char*>(a.c_str()));
  cargv.push_back(nullptr);
  int out_pipe[2], err_pipe[2];
  if (::pipe2(out_pipe, O_CLOEXEC) != 0) throw ToolError(std::string("cannot create a pipe: ") + std::strerror(errno));
  if (::pipe2(err_pipe, O_CLOEXEC) != 0) {
    ::close(out_pipe[0]);
    ::close(out_pipe[1]);
    throw ToolError(std::string("cannot create a pipe: ") + std::strerror(errno));
  }
  const pid_t parent = ::getpid();
  const auto start = std::chrono::steady_clock::now();
  const pid_t pid = ::fork();
  if (pid < 0) {
    for (int fd : {out_pipe[0], out_pipe[1], err_pipe[0], err_pipe[1]}) ::close(fd);
    throw ToolError(std::string("cannot start a child process: ") + std::strerror(errno));
  }
  if (pid == 0) {
    // Only async-signal-safe calls between fork and exec.
    ::setpgid(0, 0);
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);  // the parent died before prctl
    ::dup2(out_pipe[1], 1);
    ::dup2(err_pipe[1], 2);
    ::execv(cargv[0], cargv.data());
    ::_exit(127);
  }
  ::setpgid(pid, pid);  // both sides set it, so the kill below never races the child's setpgid
  g_child_group.store(pid);
  ::close(out_pipe[1]);
  ::close(err_pipe[1]);
  int fds[2] = {out_pipe[0], err_pipe[0]};
  ChildResult r;
  std::string* sinks[2] = {&r.out, &r.err};
  const bool limited = timeout_seconds > 0 && std::isfinite(timeout_seconds);
  const auto deadline = start + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                    std::chrono::duration<double>(limited ? timeout_seconds : 0.0));
  while (fds[0] >= 0 || fds[1] >= 0) {
    int wait_ms = -1;
    if (limited) {
      const auto left = std::chrono::duration<double, std::milli>(deadline - std::chrono::steady_clock::now()).count();
      if (left <= 0) {
        r.timed_out = true;
        ::kill(-pid, SIGKILL);
        break;
      }
      wait_ms = int(std::min(left + 1, 1000.0));
    }
    pollfd p[2];
    int n = 0;
    for (int i = 0; i < 2; ++i)
      if (fds[i] >= 0) p[n++] = {fds[i], POLLIN, 0};
    const int ready = ::poll(p, nfds_t(n), wait_ms);
    if (ready < 0 && errno != EINTR) break;
    for (int j = 0; j < n && ready > 0; ++j) {
      if (!(p[j].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      const int i = p[j].fd == fds[0] ? 0 : 1;
      char buf[65536];
      const ssize_t got = ::read(fds[i], buf, sizeof buf);
      if (got > 0) sinks[i]->append(buf, std::size_t(got));
      else if (got == 0 || errno != EINTR) close_fd(fds[i]);
    }
  }
  close_fd(fds[0]);
  close_fd(fds[1]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  ::kill(-pid, SIGKILL);  // anything the child left in its group
  g_child_group.store(0);
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (WIFEXITED(status)) r.exit_code = WEXITSTATUS(status);
  else if (WIFSIGNALED(status)) r.signal = WTERMSIG(status);
  return r;
}

}  // namespace sethkit::tools
