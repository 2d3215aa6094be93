#include "solvers/external_sat.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <memory>
#include <thread>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/cleanup.hpp"
#include "core/deadline.hpp"
#include "core/errors.hpp"
#include "problems/text_reader.hpp"

extern char** environ;

namespace sethkit::solvers {
namespace {

// A private temporary directory, removed with everything in it on scope exit,
// and by the signal handler (core/cleanup.hpp) on SIGINT/SIGTERM/SIGHUP.
class TempDir {
 public:
  TempDir() {
    install_cleanup_handlers();
    std::string pattern = (std::filesystem::temp_directory_path() / "sethkit-XXXXXX").string();
    if (!::mkdtemp(pattern.data())) throw ToolError(std::string("cannot create a temporary directory: ") + std::strerror(errno));
    path_ = pattern;
    guards_.push_back(std::make_unique<CleanupGuard>(path_.string(), CleanupKind::directory));
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  std::string file(const char* name) {
    const std::string f = (path_ / name).string();
    guards_.push_back(std::make_unique<CleanupGuard>(f, CleanupKind::file));
    return f;
  }

 private:
  std::filesystem::path path_;
  std::vector<std::unique_ptr<CleanupGuard>> guards_;
};

std::string find_on_path(const std::string& binary) {
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path ? path : "/usr/bin:/bin");
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    const auto candidate = std::filesystem::path(dir.empty() ? "." : dir) / binary;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate.string();
  }
  return {};
}

// Runs argv with stdout and stderr sent to files, in its own process group
// (so that the group can be killed: on --timeout here, on a signal by the
// cleanup handler); returns the exit status. TimeoutError when the run's
// deadline passes first (the group is killed and reaped).
int run_program(const std::vector<std::string>& argv, const std::string& stdout_path,
                const std::string& stderr_path) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, stdout_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_addopen(&actions, 2, stderr_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK);
  posix_spawnattr_setpgroup(&attr, 0);
  sigset_t empty;
  sigemptyset(&empty);
  posix_spawnattr_setsigmask(&attr, &empty);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  // Signals wait until the group is registered, so none can leave an orphan.
  sigset_t block, old;
  sigemptyset(&block);
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) sigaddset(&block, sig);
  pthread_sigmask(SIG_BLOCK, &block, &old);
  pid_t pid;
  const int rc = posix_spawn(&pid, args[0], &actions, &attr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  std::unique_ptr<CleanupGuard> group;
  if (rc == 0) group = std::make_unique<CleanupGuard>(pid);
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  if (rc != 0) throw ToolError("cannot start " + argv[0] + ": " + std::strerror(rc));
  int status = 0;
  for (;;) {
    const pid_t got = ::waitpid(pid, &status, deadline_active() ? WNOHANG : 0);
    if (got == pid) break;
    if (got < 0 && errno != EINTR) throw ToolError("waitpid failed for " + argv[0]);
    if (got == 0) {
      if (deadline_expired()) {
        ::kill(-pid, SIGKILL);
        while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
        }
        throw TimeoutError(deadline_budget());
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }
  ::kill(-pid, SIGKILL);  // anything the solver left in its group
  if (WIFSIGNALED(status))
    throw ToolError(argv[0] + " was killed by signal " + std::to_string(WTERMSIG(status)));
  return WEXITSTATUS(status);
}

std::string slurp(const std::string& path) { return read_text_file(path, int64_t(1) << 34); }

// Model literals ("1 -2 3 ... 0") into model[v-1]; unmentioned variables are
// false (any value satisfies the formula for them).
void read_model_literals(TextReader& in, int num_vars, std::vector<bool>& model, bool& ended) {
  while (!in.at_end_of_line()) {
    const int64_t lit = in.integer("a model literal");
    if (lit == 0) {
      ended = true;
      return;
    }
    const int64_t v = lit < 0 ? -lit : lit;
    if (v > num_vars) in.fail("model literal " + std::to_string(lit) + " is out of range");
    model[static_cast<std::size_t>(v - 1)] = lit > 0;
  }
}

ExternalAnswer parse_cadical(const std::string& out, int num_vars) {
  TextReader in(out, "cadical output");
  ExternalAnswer answer;
  answer.model.assign(static_cast<std::size_t>(num_vars), false);
  bool have_status = false, ended = false;
  while (in.next_line()) {
    if (in.line_starts_with('s')) {
      in.expect_word("s");
      std::string status = in.word("a status");
      if (status == "SATISFIABLE") answer.satisfiable = true;
      else if (status == "UNSATISFIABLE") answer.satisfiable = false;
      else in.fail("unknown status '" + status + "'");
      have_status = true;
    } else if (in.line_starts_with('v')) {
      in.expect_word("v");
      read_model_literals(in, num_vars, answer.model, ended);
    }
  }
  if (!have_status) throw ToolError("cadical printed no 's' status line");
  if (answer.satisfiable && !ended) throw ToolError("cadical's model is not terminated by 0");
  return answer;
}

ExternalAnswer parse_minisat(const std::string& out, int num_vars) {
  TextReader in(out, "minisat result");
  ExternalAnswer answer;
  answer.model.assign(static_cast<std::size_t>(num_vars), false);
  if (!in.next_line()) throw ToolError("minisat wrote an empty result file");
  const std::string status = in.word("SAT or UNSAT");
  if (status == "UNSAT") return answer;
  if (status != "SAT") throw ToolError("minisat result starts with '" + status + "'");
  answer.satisfiable = true;
  bool ended = false;
  while (!ended && in.next_line()) read_model_literals(in, num_vars, answer.model, ended);
  if (!ended) throw ToolError("minisat's model is not terminated by 0");
  return answer;
}

}  // namespace

const char* solver_binary(ExternalSolver solver) {
  return solver == ExternalSolver::cadical ? "cadical" : "minisat";
}

bool external_solver_available(ExternalSolver solver) {
  return !find_on_path(solver_binary(solver)).empty();
}

ExternalAnswer run_external_solver(ExternalSolver solver, const Cnf& cnf) {
  const std::string name = solver_binary(solver);
  const std::string binary = find_on_path(name);
  if (binary.empty())
    throw ToolError(name + " not found on PATH: install the Debian package '" + name +
                    "' (scripts/install-deps does)");
  TempDir dir;
  const std::string input = dir.file("input.cnf");
  {
    std::ofstream out(input);
    write_dimacs(out, cnf);
    if (!out) throw ToolError("cannot write the temporary formula " + input);
  }
  const std::string out_path = dir.file("stdout"), err_path = dir.file("stderr");
  if (solver == ExternalSolver::cadical) {
    const int rc = run_program({binary, "-q", input}, out_path, err_path);
    if (rc != 10 && rc != 20)
      throw ToolError("cadical exited with status " + std::to_string(rc) + ": " + slurp(err_path));
    ExternalAnswer answer = parse_cadical(slurp(out_path), cnf.num_vars);
    if (answer.satisfiable != (rc == 10)) throw ToolError("cadical's exit status and 's' line disagree");
    return answer;
  }
  const std::string result = dir.file("result");
  const int rc = run_program({binary, "-verb=0", input, result}, out_path, err_path);
  if (rc != 10 && rc != 20)
    throw ToolError("minisat exited with status " + std::to_string(rc) + ": " + slurp(err_path));
  ExternalAnswer answer = parse_minisat(slurp(result), cnf.num_vars);
  if (answer.satisfiable != (rc == 10)) throw ToolError("minisat's exit status and result disagree");
  return answer;
}

}  // namespace sethkit::solvers
