// The chain for Python (issue 15 part 4): plan, reduce, solve and verify.
#include "python/bindings/bindings.hpp"

namespace sethkit::python {

void bind_chain(pybind11::module_&) {}

}  // namespace sethkit::python
