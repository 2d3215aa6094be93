// The problems as Python objects: sethkit.Cnf (DIMACS literals, as
// problems/cnf.hpp) and the DIMACS reader with the command line's messages.
#include <pybind11/stl.h>

#include <sstream>
#include <string>
#include <vector>

#include "core/errors.hpp"
#include "problems/cnf.hpp"
#include "python/bindings/bindings.hpp"

namespace py = pybind11;

namespace sethkit::python {
namespace {

// The checks the DIMACS reader makes, for a formula built in memory.
Cnf make_cnf(long long num_vars, std::vector<std::vector<long long>> clauses) {
  if (num_vars < 0 || num_vars > kMaxDimacsVariables)
    throw InputError("", "num_vars = " + std::to_string(num_vars) + " is outside 0.." +
                             std::to_string(kMaxDimacsVariables));
  Cnf cnf;
  cnf.num_vars = int(num_vars);
  cnf.clauses.reserve(clauses.size());
  for (std::size_t c = 0; c < clauses.size(); ++c) {
    std::vector<int> clause;
    clause.reserve(clauses[c].size());
    for (long long lit : clauses[c]) {
      if (lit == 0 || lit > num_vars || lit < -num_vars)
        throw InputError("", "clause " + std::to_string(c + 1) + ": literal " + std::to_string(lit) +
                                 " is not a literal of " + std::to_string(num_vars) +
                                 " variables (expected +-1..+-" + std::to_string(num_vars) + ")");
      clause.push_back(int(lit));
    }
    cnf.clauses.push_back(std::move(clause));
  }
  return cnf;
}

}  // namespace

void bind_problems(py::module_& m) {
  py::class_<Cnf>(m, "Cnf", R"doc(A CNF formula with DIMACS literals.

    Cnf(num_vars, clauses): clauses is a sequence of sequences of non-zero
    ints, +v for variable v true and -v for false, 1 <= v <= num_vars.

    >>> f = sethkit.Cnf(2, [[1, 2], [-1]])
    >>> f.satisfied_by([False, True])
    True
)doc")
      .def(py::init(&make_cnf), py::arg("num_vars"), py::arg("clauses"))
      .def_readonly("num_vars", &Cnf::num_vars)
      .def_readonly("clauses", &Cnf::clauses)
      .def_property_readonly("num_clauses", &Cnf::num_clauses)
      .def(
          "satisfied_by",
          [](const Cnf& cnf, const std::vector<bool>& assignment) {
            if (assignment.size() != std::size_t(cnf.num_vars))
              throw InputError("", "the assignment has " + std::to_string(assignment.size()) + " values for " +
                                       std::to_string(cnf.num_vars) + " variables");
            return cnf.satisfied_by(assignment);
          },
          py::arg("assignment"), "True iff the assignment (assignment[v-1] for variable v) satisfies every clause.")
      .def(
          "to_dimacs",
          [](const Cnf& cnf) {
            std::ostringstream out;
            write_dimacs(out, cnf);
            return out.str();
          },
          "The formula as DIMACS text.")
      .def("__repr__", [](const Cnf& cnf) {
        return "<sethkit.Cnf " + std::to_string(cnf.num_vars) + " variables, " + std::to_string(cnf.num_clauses()) +
               " clauses>";
      });

  m.def(
      "read_cnf",
      [](const std::string& path, bool lenient) {
        DimacsOptions options;
        options.lenient = lenient;
        py::gil_scoped_release release;
        return read_dimacs_file(path, options);
      },
      py::arg("path"), py::arg("lenient") = false,
      "Reads a DIMACS file as `sethkit check` and `solve` do; InputError names FILE:LINE.");
  m.def(
      "parse_cnf",
      [](const std::string& text, const std::string& name, bool lenient) {
        DimacsOptions options;
        options.lenient = lenient;
        return parse_dimacs(text, name, options);
      },
      py::arg("text"), py::arg("name") = "<string>", py::arg("lenient") = false, "Parses DIMACS text.");
}

}  // namespace sethkit::python
