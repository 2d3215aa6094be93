#include "problems/cnf.hpp"

#include <cstdlib>
#include <fstream>
#include <ostream>
#include <sstream>

#include "core/errors.hpp"
#include "problems/decompress.hpp"
#include "problems/input_file.hpp"
#include "problems/text_reader.hpp"

namespace sethkit {

long Cnf::first_falsified(const std::vector<bool>& assignment) const {
  for (std::size_t j = 0; j < clauses.size(); ++j) {
    bool sat = false;
    for (int lit : clauses[j]) {
      const bool value = assignment[static_cast<std::size_t>(std::abs(lit) - 1)];
      if ((lit > 0) == value) {
        sat = true;
        break;
      }
    }
    if (!sat) return static_cast<long>(j);
  }
  return -1;
}

bool Cnf::satisfied_by(const std::vector<bool>& assignment) const {
  return static_cast<int>(assignment.size()) == num_vars && first_falsified(assignment) < 0;
}

Cnf parse_dimacs(std::string_view text, const std::string& name,
                 const DimacsOptions& options) {
  TextReader in(text, name);
  if (in.at_end_of_file()) {
    in.fail("empty file: expected a 'p cnf VARIABLES CLAUSES' header");
  }
  Cnf cnf;
  bool have_header = false;
  int64_t header_clauses = 0;
  int64_t header_line = 0;
  std::vector<int> clause;
  int64_t clause_line = 0;  // line where the open clause started

  while (in.next_line()) {
    if (in.at_end_of_line()) continue;       // blank lines anywhere (CaDiCaL)
    if (in.line_starts_with('c')) continue;  // comments may hold any bytes
    if (in.line_starts_with('%')) break;     // SATLIB trailer ends the clauses
    if (in.line_starts_with('p')) {
      if (have_header) in.fail("second 'p' line (first on line " + std::to_string(header_line) + ")");
      if (!cnf.clauses.empty() || !clause.empty()) in.fail("'p cnf' header after clauses");
      in.expect_word("p");
      const std::string format = in.word("the format 'cnf' after 'p'");
      if (format != "cnf") in.fail("expected 'p cnf', found 'p " + format + "' (only CNF is supported)");
      const int64_t vars = in.integer("the variable count after 'p cnf'");
      if (vars < 0) in.fail("negative variable count " + std::to_string(vars) + " in 'p cnf' header");
      if (vars > kMaxDimacsVariables)
        in.fail("variable count " + std::to_string(vars) + " exceeds the limit " +
                std::to_string(kMaxDimacsVariables));
      header_clauses = in.integer("the clause count after 'p cnf " + std::to_string(vars) + "'");
      if (header_clauses < 0)
        in.fail("negative clause count " + std::to_string(header_clauses) + " in 'p cnf' header");
      if (header_clauses > kMaxDimacsClauses)
        in.fail("clause count " + std::to_string(header_clauses) + " exceeds the limit " +
                std::to_string(kMaxDimacsClauses));
      in.expect_end_of_line("after 'p cnf " + std::to_string(vars) + " " +
                            std::to_string(header_clauses) + "'");
      cnf.num_vars = static_cast<int>(vars);
      have_header = true;
      header_line = in.line_number();
      continue;
    }
    if (!have_header && !options.lenient)
      in.fail("expected a 'p cnf VARIABLES CLAUSES' header before the clauses");
    while (!in.at_end_of_line()) {
      const std::string_view tok = in.peek_word();
      if (tok[0] == 'c')
        in.fail("column " + std::to_string(in.column()) + ": " + quote_token(tok) +
                " after literals on this line: a comment ('c') must start its own line");
      if (tok.size() >= 2 && tok[0] == '-' && tok.find_first_not_of('0', 1) == std::string_view::npos)
        in.fail("column " + std::to_string(in.column()) + ": " + quote_token(tok) +
                " is not a literal (a literal is a non-zero integer; 0 alone ends the clause)");
      const int64_t lit = in.integer("a literal (a non-zero integer) or 0 to end the clause");
      if (lit == 0) {
        cnf.clauses.push_back(std::move(clause));
        clause.clear();
        continue;
      }
      const int64_t var = lit < 0 ? -lit : lit;
      if (var > cnf.num_vars) {
        if (!options.lenient || var > kMaxDimacsVariables)
          in.fail("literal " + std::to_string(lit) + " is out of range: the header declares " +
                  std::to_string(cnf.num_vars) + " variables");
        cnf.num_vars = static_cast<int>(var);
      }
      if (clause.empty()) clause_line = in.line_number();
      clause.push_back(static_cast<int>(lit));
      if (!options.lenient && static_cast<int64_t>(cnf.clauses.size()) >= header_clauses)
        in.fail("more clauses than the " + std::to_string(header_clauses) +
                " declared in the header (line " + std::to_string(header_line) + ")");
    }
  }
  if (!clause.empty()) {
    if (!options.lenient)
      in.fail_at(clause_line, "last clause is not terminated by 0 (it starts on this line)");
    cnf.clauses.push_back(std::move(clause));
  }
  if (!have_header && !options.lenient)
    in.fail("no 'p cnf VARIABLES CLAUSES' header in the file");
  if (!options.lenient && static_cast<int64_t>(cnf.clauses.size()) != header_clauses)
    in.fail_at(header_line, "header declares " + std::to_string(header_clauses) +
                                " clauses but the file has " + std::to_string(cnf.clauses.size()));
  return cnf;
}

Cnf read_dimacs_file(const std::string& path, const DimacsOptions& options) {
  const std::string name = input_name(path, true);
  // Compressed or not, the limit holds for the bytes the parser sees.
  return parse_dimacs(decompress(read_input_bytes(path, options.max_bytes, true), name, options.max_bytes),
                      name, options);
}

void write_dimacs(std::ostream& out, const Cnf& cnf, const std::vector<std::string>& comments) {
  for (const auto& c : comments) out << "c " << c << '\n';
  out << "p cnf " << cnf.num_vars << ' ' << cnf.clauses.size() << '\n';
  for (const auto& clause : cnf.clauses) {
    for (int lit : clause) out << lit << ' ';
    out << "0\n";
  }
}

}  // namespace sethkit
