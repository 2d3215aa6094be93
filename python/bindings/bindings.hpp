// The pieces of the `sethkit._sethkit` extension (issue 15), one file per
// area; module.cpp only wires them. Library calls run with the GIL released;
// C++ errors become the Python exceptions of bind_errors.cpp.
#pragma once

#include <pybind11/pybind11.h>

namespace sethkit::python {

void bind_errors(pybind11::module_& m);
void bind_problems(pybind11::module_& m);
void bind_attention(pybind11::module_& m);
void bind_chain(pybind11::module_& m);
void bind_codes(pybind11::module_& m);

}  // namespace sethkit::python
