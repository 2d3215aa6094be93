// The codes of the MA protocol for Python (issue 15 part 4): generator and
// parity-check matrices of Reed-Solomon and one-point Hermitian codes (paper
// 001, Theorem 4.4) as integer arrays. Field elements are the integers
// a0 + a1 p of codes/field.hpp (a0 alone in a prime field). The parameters
// (distances, information set) come from `sethkit codes --json`, run in
// process by the Python layer, so they are the command line's.
#include <pybind11/numpy.h>
#include <pybind11/stl.h>

#include <memory>
#include <string>

#include "codes/field.hpp"
#include "codes/hermitian.hpp"
#include "codes/linear_code.hpp"
#include "codes/reed_solomon.hpp"
#include "core/errors.hpp"
#include "python/bindings/bindings.hpp"

namespace py = pybind11;

namespace sethkit::python {
namespace {

py::array_t<std::int64_t> matrix_array(const codes::Matrix& m) {
  py::array_t<std::int64_t> out({py::ssize_t(m.rows()), py::ssize_t(m.cols())});
  auto w = out.mutable_unchecked<2>();
  for (std::size_t i = 0; i < m.rows(); ++i)
    for (std::size_t j = 0; j < m.cols(); ++j) w(py::ssize_t(i), py::ssize_t(j)) = std::int64_t(m(i, j));
  return out;
}

py::dict code_dict(const codes::LinearCode& code, int product) {
  py::dict d;
  const codes::Field& f = code.field();
  py::dict field;
  field["name"] = f.name();
  field["order"] = f.size();
  field["characteristic"] = f.characteristic();
  field["degree"] = f.degree();
  field["modulus"] = f.degree() == 2 ? py::object(py::str(f.modulus_string())) : py::object(py::none());
  field["encoding"] = f.degree() == 2 ? "element a0 + a1 t is the integer a0 + a1 p" : "element a is the integer a";
  d["field"] = field;
  d["generator"] = matrix_array(code.generator());
  d["parity_check"] = matrix_array(code.parity_check());
  if (product > 0) d["product_generator"] = matrix_array(code.product(product)->generator());
  return d;
}

}  // namespace

void bind_codes(py::module_& m) {
  m.def(
      "_reed_solomon_matrices",
      [](std::int64_t q, std::int64_t n, std::int64_t dim, int product) {
        if (n < 1 || dim < 1 || dim > n)
          throw InputError("", "Reed-Solomon code: need 1 <= dim <= n, got n = " + std::to_string(n) +
                                   ", dim = " + std::to_string(dim));
        const auto code = codes::ReedSolomonCode::first_points(codes::Field::of_order(q), std::size_t(n),
                                                               std::size_t(dim));
        return code_dict(code, product);
      },
      py::arg("q"), py::arg("n"), py::arg("dim"), py::arg("product") = 0);
  m.def(
      "_hermitian_matrices",
      [](std::int64_t q, std::int64_t a, int product) { return code_dict(codes::HermitianCode(q, a), product); },
      py::arg("q"), py::arg("a"), py::arg("product") = 0);
}

}  // namespace sethkit::python
