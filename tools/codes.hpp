// sethkit codes --code rs --q Q --n N --dim R [--product K] [--json]
// sethkit codes --code hermitian --q Q --a A [--product K] [--json]
// Builds one code of the MA protocol (paper 001, Theorems 4.4 and 4.5) and
// prints its parameters: field size, length, dimension, designed and exact
// minimum distance (exact when enumerable, else null), information set
// (0-based), and with --product K the parameters of C^(K). JSON keys follow
// DESIGN.md ("Command line", `codes`); without --json a readable table.
// --time-encode adds the encoding speed. Bad parameters exit 1
// (run_guarded), usage errors exit 2.
#pragma once

#include <cstdint>
#include <string>

#include <CLI/CLI.hpp>
#include "core/options.hpp"

namespace sethkit::tools {

struct CodesOptions {
  std::string code;               // "rs" or "hermitian"
  std::int64_t q = 0;             // rs: field order (p or p^2); hermitian: the prime q of F_{q^2}
  std::int64_t n = 0;             // rs: number of evaluation points
  std::int64_t dim = 0;           // rs: dimension r
  std::int64_t a = 0;             // hermitian: L(a P_inf)
  bool has_product = false;
  int product = 0;                // K of --product K
  std::uint64_t max_codewords = core::option_as<std::uint64_t>("codes.max_codewords");  // enumeration limit for min_distance
  bool time_encode = false;       // report encode speed (codewords per second)
  bool json = false;
  double max_work = 2e9;  // field operations the construction may take (estimated before work)
};

CLI::App* setup_codes(CLI::App& app, CodesOptions& options);
int run_codes(const CodesOptions& options);

}  // namespace sethkit::tools
