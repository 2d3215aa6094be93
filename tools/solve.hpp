// sethkit solve FILE [--via sat|kov|...] [--k K] [--format F] [--threshold T] [--json] [--quiet]
// Decides a CNF at the chosen level of the chain; the witness is mapped back
// and checked on the CNF before "s SATISFIABLE" / "v ... 0" is printed
// (exit 10), else "s UNSATISFIABLE" (exit 20). An instance file of another
// level (kOV, MaxIP, attention directory) is decided as it is: "s YES" and
// the witness tuple "w i_1 .. i_k" (exit 10) or "s NO" (exit 20); see
// tools/solve_instance.hpp. With --json a failure is a JSON object on stdout
// too (tools/common.hpp run_guarded). Progress on stderr (core/progress.hpp)
// for runs past a second: on a terminal, or with --progress; --quiet
// silences it.
#pragma once

#include <optional>
#include <string>

#include <CLI/CLI.hpp>

#include "tools/common.hpp"

namespace sethkit::tools {

struct SolveOptions {
  std::string file;
  std::string format = "auto";        // auto, cnf, kov, maxip, attention
  std::optional<double> threshold;    // instance files: overrides the file's threshold
  std::string via = "kov";
  int k = 3;
  std::string kov_algorithm = "auto";
  bool no_prune = false;
  std::string code = "rs";
  std::string backend = "exact";  // attention: a registry name (attention/backend.hpp)
  std::string precision = "double";  // attention: float runs the certified float32 backend ("float")
  std::string route = "direct";
  std::string split;  // variable groups (reductions::parse_split); empty: consecutive
  double soundness = 0.5;
  double max_bytes = kDefaultMaxBytes;
  bool json = false;
  bool quiet = false;
  bool progress = false;  // progress on stderr even when it is not a terminal (--quiet silences it)
  bool lenient = false;
  bool keep_unused = false;
};

CLI::App* setup_solve(CLI::App& app, SolveOptions& options);
// The attention backend solve uses: --precision float turns the exact backend
// into the certified float32 one ("float", attention/backend_float.hpp).
inline std::string attention_backend_of(const SolveOptions& o) {
  return o.precision == "float" && o.backend == "exact" ? std::string("float") : o.backend;
}
int run_solve(const SolveOptions& options);

}  // namespace sethkit::tools
