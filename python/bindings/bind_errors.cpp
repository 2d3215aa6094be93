// C++ errors as Python exceptions, with the command line's messages:
//   InputError      -> sethkit.InputError      (a ValueError)
//   SizeLimitError  -> sethkit.SizeLimitError  (a MemoryError: a refusal with its size)
//   ToolError       -> sethkit.ToolError       (a RuntimeError: an external solver failed)
//   TimeoutError    -> sethkit.TimeoutError    (a TimeoutError: --timeout passed)
//   UsageError      -> sethkit.UsageError      (a ValueError: an option out of range or off its mode)
//   std::bad_alloc  -> MemoryError, std::logic_error -> RuntimeError (pybind11's defaults)
#include "core/errors.hpp"
#include "python/bindings/bindings.hpp"

namespace sethkit::python {

void bind_errors(pybind11::module_& m) {
  pybind11::register_exception<InputError>(m, "InputError", PyExc_ValueError);
  pybind11::register_exception<SizeLimitError>(m, "SizeLimitError", PyExc_MemoryError);
  pybind11::register_exception<ToolError>(m, "ToolError", PyExc_RuntimeError);
  pybind11::register_exception<TimeoutError>(m, "TimeoutError", PyExc_TimeoutError);
  pybind11::register_exception<UsageError>(m, "UsageError", PyExc_ValueError);
}

}  // namespace sethkit::python
