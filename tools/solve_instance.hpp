// sethkit solve FILE on an instance of any level (issue 16 part 3): a kOV or
// MaxIP file (text or binary), or an attention directory (its manifest's
// threshold, or --threshold). The format is detected from the file (binary
// magic, the 'p' line, a directory) unless --format names it. The answer is
// YES (exit 10) with the witness tuple (0-based, one index per party; for
// attention the query row and the key rows) or NO (exit 20). When the file
// carries provenance from `sethkit reduce` (the first 'c' line of a text
// file, the manifest's provenance), the chain (reductions/chain.hpp) is
// rebuilt from the CNF it names, checked to give the same instance, and the
// witness is mapped back to an assignment that is checked on that CNF.
// Under mpirun a kOV or MaxIP file is searched across the ranks
// (solvers/rank_split.hpp: the first party split, the witness the
// single-process one-thread witness); an attention directory runs whole on
// every rank.
#pragma once

#include <string>

#include "core/progress.hpp"
#include "tools/solve.hpp"

namespace sethkit::tools {

// cnf, kov, maxip or attention; InputError when it cannot be told.
std::string detect_format(const std::string& path);

// Decides the instance at o.file of the given format (not cnf); prints the
// answer (text or o.json) and returns 10 or 20. progress (may be null) is
// told each stage and finished before the answer is printed.
int solve_instance_file(const SolveOptions& o, const std::string& format, ProgressReporter* progress = nullptr);

}  // namespace sethkit::tools
