// Reference SAT solvers run as the Debian binaries (`cadical`, `minisat`):
// the formula goes to a temporary DIMACS file, the solver's answer and model
// are parsed back. The caller re-checks any model on the formula: a witness
// is never trusted from the program that produced it.
#pragma once

#include <string>
#include <vector>

#include "problems/cnf.hpp"

namespace sethkit::solvers {

enum class ExternalSolver { cadical, minisat };

struct ExternalAnswer {
  bool satisfiable = false;
  std::vector<bool> model;  // model[v-1] is variable v (when satisfiable)
};

const char* solver_binary(ExternalSolver solver);
// True when the binary is on PATH.
bool external_solver_available(ExternalSolver solver);
// Throws ToolError when the binary is missing (naming the Debian package),
// exits abnormally, or prints an answer that cannot be parsed.
ExternalAnswer run_external_solver(ExternalSolver solver, const Cnf& cnf);

}  // namespace sethkit::solvers
