// The codes and the protocol for Python (issue 15 part 4).
#include "python/bindings/bindings.hpp"

namespace sethkit::python {

void bind_codes(pybind11::module_&) {}

}  // namespace sethkit::python
