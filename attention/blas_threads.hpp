// BLAS single-threaded for a scope: the attention kernels parallelise with
// OpenMP over tiles and call BLAS from each thread on its own tile, where a
// multi-threaded BLAS would oversubscribe the cores. The process-wide setting
// is restored at scope end (NTL's zz_pPush idiom).
#pragma once

namespace sethkit::attention {

class BlasSingleThreaded {
 public:
  BlasSingleThreaded();
  ~BlasSingleThreaded();
  BlasSingleThreaded(const BlasSingleThreaded&) = delete;
  BlasSingleThreaded& operator=(const BlasSingleThreaded&) = delete;

 private:
  int saved_ = -1;  // OpenBLAS's thread count before; -1 without OpenBLAS
};

}  // namespace sethkit::attention
