// sethkit gen FAMILY [parameters] [--seed S] -o FILE.cnf|-
// Writes one formula of an instance family (problems/cnf_families.hpp) in
// DIMACS, atomically (core/atomic_file.hpp), or to stdout with `-o -`. The
// `c` header names the family, its parameters, the seed and the sethkit
// version, so a file says how to make it again; the same command gives the
// same bytes on every machine. Families (cnfgen's names where it has them):
//   random-ksat  --vars N (--clauses M | --ratio R) [--k W]   (W = 3 default)
//   random-2sat  --vars N (--clauses M | --ratio R)
//   planted-ksat --vars N (--clauses M | --ratio R) [--k W]   (`c planted` lines)
//   php          --pigeons P --holes H [--functional] [--onto]
//   tseitin      --vertices V --degree D --charge odd|even
//   parity       --vars N
//   coloring     --vertices V --edges E --colors C
// Exit 0; 2 for a parameter out of range (the message names the option and
// the range); 1 when the formula would pass the size limit (the size is
// said) or the output cannot be written.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

namespace sethkit::tools {

struct GenOptions {
  std::string family;  // set by the family's subcommand
  std::vector<std::string> unknown;  // words after `gen` that name no family
  uint64_t seed = 0;
  std::string output;
  int vars = 0;
  std::optional<int64_t> clauses;  // exactly one of clauses and ratio
  std::optional<double> ratio;
  int k = 3;
  int pigeons = 0;
  int holes = 0;
  bool functional = false;
  bool onto = false;
  int vertices = 0;
  int degree = 0;
  std::string charge;
  int64_t edges = 0;
  int colors = 0;
};

CLI::App* setup_gen(CLI::App& app, GenOptions& options);
int run_gen(const GenOptions& options);

}  // namespace sethkit::tools
