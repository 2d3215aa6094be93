#include "attention/blas_threads.hpp"

// OpenBLAS's thread control, declared weak so the library still links (and
// then simply does not adjust anything) against a BLAS without it.
extern "C" {
void openblas_set_num_threads(int num_threads) __attribute__((weak));
int openblas_get_num_threads(void) __attribute__((weak));
}

namespace sethkit::attention {

BlasSingleThreaded::BlasSingleThreaded() {
  if (openblas_get_num_threads != nullptr && openblas_set_num_threads != nullptr) {
    saved_ = openblas_get_num_threads();
    if (saved_ != 1) openblas_set_num_threads(1);
  }
}

BlasSingleThreaded::~BlasSingleThreaded() {
  if (saved_ > 1) openblas_set_num_threads(saved_);
}

}  // namespace sethkit::attention
