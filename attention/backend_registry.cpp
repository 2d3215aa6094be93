// The list of attention backends (attention/backend.hpp). Adding a backend:
// write attention/backend_<name>.cpp defining `const Backend& <name>_backend()`
// (a function-local static), add the file to attention/CMakeLists.txt, and
// add its name to the one line below. Registry order is the order of the
// CLI's --backend choices; exact stays first (the default).
#include "attention/backend.hpp"

namespace sethkit::attention {

#define SETHKIT_ATTENTION_BACKENDS(X) X(exact) X(poly) X(reference) X(float) X(sparse)

#define SETHKIT_DECLARE_BACKEND(name) const Backend& name##_backend();
SETHKIT_ATTENTION_BACKENDS(SETHKIT_DECLARE_BACKEND)
#undef SETHKIT_DECLARE_BACKEND

const std::vector<const Backend*>& backends() {
#define SETHKIT_LIST_BACKEND(name) &name##_backend(),
  static const std::vector<const Backend*> all{SETHKIT_ATTENTION_BACKENDS(SETHKIT_LIST_BACKEND)};
#undef SETHKIT_LIST_BACKEND
  return all;
}

}  // namespace sethkit::attention
