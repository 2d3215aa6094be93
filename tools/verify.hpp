// sethkit verify FILE.cnf... [--k K[,K...]] [--levels L,...] [--reference cadical|minisat|brute]
//                [--expect sat|unsat] [--strict] [--timeout-level S] [--timeout S] [--json|--jsonl]
//                [--split interleaved|A-B,C-D,...] [--backend NAME] [--precision float|double]
// For each file: the truth from the reference solver (its model re-checked),
// then every level of the chain (DESIGN.md "verify"), each in a fresh child
// process (`sethkit solve FILE --via LEVEL --json`) under the time limits, its
// witness mapped back and checked there. Every level gets a status: agree,
// DISAGREE, skipped (with the refusal or the option that excluded it) or
// timeout; a skip is never an agreement. The measured gap (maxip, gap-maxip:
// the largest inner product against the promise) and the attention margin
// (log O of the closest NO and YES rows against the threshold) are reported.
// With --levels ...,protocol also the protocol's exact completeness and
// soundness on the file's kOV tuples (sethkit protocol FILE --k K).
// Rows stream as files finish (table or --jsonl); --json prints one document.
// --split chooses the variable groups of every level past sat (each child's
// plan_chain); ranges name one group per party, so every --k must equal
// their count. Exit: 4 a level disagrees; 3 a level timed out (or, under --strict, was
// skipped); 1 a file is bad input; 0 otherwise; 2 usage.
#pragma once

#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "tools/common.hpp"

namespace sethkit::tools {

inline constexpr int kExitDisagree = 4;  // verify: a level disagrees with the reference

struct VerifyOptions {
  std::vector<std::string> files;
  std::vector<int> ks = {3};
  std::vector<std::string> levels = {"sat", "kov", "maxip", "gap-maxip", "attention"};
  std::string reference = "cadical";
  std::string expect;          // "sat" / "unsat": the known answer replaces the reference
  std::string split;           // variable groups (reductions::parse_split); empty: consecutive
  std::string backend = "exact";     // attention levels: the backend that decides the rows (solve --backend)
  std::string precision = "double";  // attention levels: float runs the certified float32 backend
  double max_bytes = kDefaultMaxBytes;
  double timeout_level = 0;    // seconds per level, 0 = none
  double timeout = 0;          // seconds for the whole run, 0 = none
  bool strict = false;
  bool json = false;
  bool jsonl = false;
  bool quiet = false;
  bool progress = false;
  bool lenient = false;
};

CLI::App* setup_verify(CLI::App& app, VerifyOptions& options);
int run_verify(const VerifyOptions& options);

}  // namespace sethkit::tools
