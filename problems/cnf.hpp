// CNF formulas and the DIMACS format (the input of the whole chain, DESIGN.md
// "File formats"). The reader is strict by default, CaDiCaL-style: every
// error names FILE:LINE and what was expected; counts in the header are
// checked against limits and never used to allocate.
//
//   sethkit::Cnf f = sethkit::read_dimacs_file("examples/uf20-01.cnf");
//   std::vector<bool> x(f.num_vars);          // x[v-1] is variable v
//   bool ok = f.satisfied_by(x);
#pragma once

#include <cstdint>
#include <iosfwd>
#include <string>
#include <string_view>
#include <vector>
#include "core/options.hpp"

namespace sethkit {

struct Cnf {
  int num_vars = 0;
  // DIMACS literals: +v is variable v true, -v false, 1 <= v <= num_vars.
  std::vector<std::vector<int>> clauses;

  std::size_t num_clauses() const { return clauses.size(); }
  // Requires assignment.size() == num_vars; assignment[v-1] is variable v.
  bool satisfied_by(const std::vector<bool>& assignment) const;
  // Index of the first clause the assignment falsifies, or -1.
  long first_falsified(const std::vector<bool>& assignment) const;
};

// DIMACS limits: variables are 32-bit signed in every solver we call.
inline constexpr int64_t kMaxDimacsVariables = core::option_as<int64_t>("dimacs.max_variables");
inline constexpr int64_t kMaxDimacsClauses = core::option_as<int64_t>("dimacs.max_clauses");
// A CNF file is read whole; beyond this it is refused before reading.
inline constexpr int64_t kMaxDimacsFileBytes = core::option_as<int64_t>("dimacs.max_file_bytes");

struct DimacsOptions {
  // Lenient accepts a clause-count mismatch, an unterminated last clause,
  // literals beyond the header's variable count (the count grows) and a
  // missing header. Bad tokens and binary data stay errors.
  bool lenient = false;
  // read_dimacs_file: the most bytes read, and (for gzip, bzip2 and xz
  // input) the most bytes decompressed.
  int64_t max_bytes = kMaxDimacsFileBytes;
};

// Throws InputError("NAME:LINE: ...") on malformed input. What CaDiCaL
// accepts in its default (strict) mode is accepted: blank lines and comment
// lines anywhere, a '%' line ending the clauses (SATLIB).
Cnf parse_dimacs(std::string_view text, const std::string& name,
                 const DimacsOptions& options = {});
// `path` "-" reads standard input (named "<stdin>" in messages); a regular
// file only otherwise (problems/input_file.hpp). gzip, bzip2 and xz input is
// detected by its magic bytes and decompressed (problems/decompress.hpp).
Cnf read_dimacs_file(const std::string& path, const DimacsOptions& options = {});

// Writes "p cnf V C" and one clause a line; comment lines first, each
// prefixed with "c ".
void write_dimacs(std::ostream& out, const Cnf& cnf,
                  const std::vector<std::string>& comments = {});

}  // namespace sethkit
