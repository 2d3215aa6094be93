// sethkit sweep: solver time per route against the size of the formula
// (issue 16 part 4, DESIGN.md goal 3). For a family of `sethkit gen` (or a
// folder of CNFs), a range of one parameter (--vars A:B:STEP), seeds and
// routes, every (instance, route) runs in a fresh child process
// (`sethkit solve FILE --via ... --json`) under --timeout and --max-bytes,
// and becomes one row of the CSV (default), the JSON document and the plot:
//
//   sethkit sweep --family random-ksat --vars 6:16:2 --ratio 4.26 --seeds 3
//                 --routes sat,kov,maxip,gap-maxip,attention,cadical --csv s.csv --png s.png
//
// Columns (kSweepColumns): the instance (family, parameters, seed, vars,
// clauses), the run (route, k, code), its outcome (answer, agrees with
// CaDiCaL, status ok|timeout|refused|error), the times (reduce, solve), the
// measured size of the instance decided (vectors per party, dimension,
// bytes) and beside it the size reductions/chain's plan_chain predicts from
// the paper's formulas (split and list: 2^{|group|} vectors of M bits; the
// direct route: dimension 2M; the protocol route: n_C |F|^{T(k-1)}
// implicitly; Lemma B.1: d~ = 2d plus padding rows), computed even for runs
// that are refused or time out. Resumable: a row already in the CSV is not
// run again.
//
// Under mpirun (issue 19) the runs are dealt to the ranks round-robin and
// rank 0 alone writes, appending each round's rows in input order: the CSV
// and JSON hold the single process's rows except the timing columns
// (reduce_seconds, solve_seconds) and, for a run near --timeout, its status.
// The CNFs (--dir, --workdir) must be on a file system every rank reads.
#pragma once

#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "tools/common.hpp"

namespace sethkit::tools {

inline const std::vector<std::string> kSweepColumns = {
    "family",        "parameters", "seed",          "vars",
    "clauses",       "route",      "k",             "code",
    "answer",        "agrees",     "status",        "reduce_seconds",
    "solve_seconds", "vectors_per_party", "dimension", "bytes",
    "predicted_vectors_per_party", "predicted_dimension", "predicted_bytes", "file"};

struct SweepOptions {
  std::string family;               // a gen family, or empty with --dir
  std::string dir;                  // a folder of .cnf files
  std::string range = "";           // A:B:STEP of --over
  std::string over = "vars";        // the gen option the range sweeps
  std::string ratio, clauses, width;  // passed to gen as --ratio, --clauses, --k
  std::vector<std::string> gen_args;  // more gen options, verbatim
  int seeds = 1;
  std::vector<std::string> routes = {"sat", "kov", "maxip", "cadical"};
  int k = 3;
  std::string code = "rs";
  double timeout = 60;
  double max_bytes = kDefaultMaxBytes;
  std::string csv, json, png;
  std::string workdir;  // where the generated CNFs go
  bool quiet = false;
  bool progress = false;
};

CLI::App* setup_sweep(CLI::App& app, SweepOptions& options);
int run_sweep(const SweepOptions& options);

}  // namespace sethkit::tools
