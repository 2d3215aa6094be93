// sethkit._sethkit: the compiled half of the `sethkit` Python package. The
// public API is the pure-Python package around it (python/sethkit/); names
// starting with an underscore here are its private entry points.
#include "python/bindings/bindings.hpp"

namespace sethkit::python {

pybind11::object to_python(const nlohmann::json& j) {
  return pybind11::module_::import("json").attr("loads")(j.dump());
}

}  // namespace sethkit::python

PYBIND11_MODULE(_sethkit, m) {
  m.doc() = "sethkit's C++ core (use the `sethkit` package, not this module)";
  m.attr("__version__") = SETHKIT_VERSION_STRING;
  sethkit::python::bind_errors(m);
  sethkit::python::bind_problems(m);
  sethkit::python::bind_attention(m);
  sethkit::python::bind_chain(m);
  sethkit::python::bind_codes(m);
}
