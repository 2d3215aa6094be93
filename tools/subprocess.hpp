// Running one sethkit command in a fresh child process under a wall-clock
// limit, for verify (one child per level) and sweep (one per run): a level
// that hangs or exhausts memory cannot take the run down with it, and a time
// limit is a kill, not a request the solver may ignore.
//
//   ChildResult r = run_child({self_executable(), "solve", "f.cnf", "--json"}, 10.0);
//   if (r.timed_out) ...; else parse(r.out), r.exit_code
//
// The child runs in its own process group (killed as a group on timeout, so
// an external solver it starts dies too) and gets SIGKILL when this process
// dies (PR_SET_PDEATHSIG), so a killed verify or sweep leaves nothing behind.
#pragma once

#include <string>
#include <vector>

namespace sethkit::tools {

struct ChildResult {
  int exit_code = -1;      // the child's exit status; -1 when killed by a signal
  int signal = 0;          // the signal that ended it, 0 when it exited
  bool timed_out = false;  // killed by us at the limit
  std::string out;         // stdout
  std::string err;         // stderr
  double seconds = 0;      // wall-clock
};

// argv[0] is the program's path (no PATH search). timeout_seconds <= 0: no
// limit. ToolError when the child cannot be started.
ChildResult run_child(const std::vector<std::string>& argv, double timeout_seconds);

// The path of the running sethkit binary (/proc/self/exe), or the one set by
// set_self_executable: the Python package runs the command line in process,
// where /proc/self/exe is the interpreter, and names its bundled `sethkit`.
void set_self_executable(const std::string& path);
std::string self_executable();

// The process group of the child now running, 0 when none: a signal handler
// may kill(-group, SIGKILL) before the parent exits.
int running_child_group();

}  // namespace sethkit::tools
