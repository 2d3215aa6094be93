// The pieces of the `sethkit._sethkit` extension (issue 15), one file per
// area; module.cpp only wires them. Library calls run with the GIL released;
// C++ errors become the Python exceptions of bind_errors.cpp.
#pragma once

#include <pybind11/pybind11.h>

#include <nlohmann/json.hpp>

namespace sethkit::python {

// nlohmann::json -> the equal Python object (dicts, lists, numbers, None);
// the GIL must be held.
pybind11::object to_python(const nlohmann::json& j);

void bind_errors(pybind11::module_& m);
void bind_problems(pybind11::module_& m);
void bind_attention(pybind11::module_& m);
void bind_chain(pybind11::module_& m);
void bind_codes(pybind11::module_& m);

}  // namespace sethkit::python
