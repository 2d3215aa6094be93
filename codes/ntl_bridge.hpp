// Internal to sethkit_codes: NTL contexts of a Field and conversions between
// Element indices and NTL's zz_p / zz_pE. Not part of the public facade.
//
// NTL keeps the current modulus in (thread-local) global state. Every use of
// NTL arithmetic here sits inside an NtlScope, which pushes the field's
// zz_p (and for F_{p^2} also zz_pE) context and restores the previous ones at
// scope end (NTL's zz_pPush / zz_pEPush), so any number of fields can be used
// in one process and callers' NTL state is left untouched.
#pragma once

#include <memory>

#include <NTL/lzz_p.h>
#include <NTL/lzz_pE.h>
#include <NTL/lzz_pX.h>
#include <NTL/mat_lzz_p.h>
#include <NTL/mat_lzz_pE.h>

#include "codes/field.hpp"

namespace sethkit::codes {

struct Field::NtlState {
  NTL::zz_pContext prime_context;
  NTL::zz_pEContext extension_context;  // only for degree 2
  NTL::zz_pX modulus;                    // only for degree 2
};

// Pushes the field's NTL contexts for the lifetime of the scope.
class NtlScope {
 public:
  explicit NtlScope(const Field& field) : prime_(field.ntl_state().prime_context) {
    if (field.degree() == 2)
      extension_ = std::make_unique<NTL::zz_pEPush>(field.ntl_state().extension_context);
  }
  NtlScope(const NtlScope&) = delete;
  NtlScope& operator=(const NtlScope&) = delete;

 private:
  NTL::zz_pPush prime_;
  std::unique_ptr<NTL::zz_pEPush> extension_;  // destroyed first: pops zz_pE before zz_p
};

// Conversions; valid only inside an NtlScope of `field`.
inline NTL::zz_p to_ntl_prime(const Field& field, Element x) {
  return NTL::to_zz_p(long(field.coordinates(x)[0]));
}
inline NTL::zz_pE to_ntl_extension(const Field& field, Element x) {
  const auto c = field.coordinates(x);
  NTL::zz_pX poly;
  NTL::SetCoeff(poly, 0, long(c[0]));
  NTL::SetCoeff(poly, 1, long(c[1]));
  return NTL::to_zz_pE(poly);
}
inline Element from_ntl(const Field& field, const NTL::zz_p& x) {
  return field.from_coordinates(std::uint32_t(NTL::rep(x)), 0);
}
inline Element from_ntl(const Field& field, const NTL::zz_pE& x) {
  const NTL::zz_pX& poly = NTL::rep(x);
  return field.from_coordinates(std::uint32_t(NTL::rep(NTL::coeff(poly, 0))),
                                std::uint32_t(NTL::rep(NTL::coeff(poly, 1))));
}

// Typed dispatch so linear algebra can be written once for mat_zz_p and
// mat_zz_pE.
template <class T> T to_ntl(const Field& field, Element x);
template <> inline NTL::zz_p to_ntl<NTL::zz_p>(const Field& f, Element x) { return to_ntl_prime(f, x); }
template <> inline NTL::zz_pE to_ntl<NTL::zz_pE>(const Field& f, Element x) { return to_ntl_extension(f, x); }

}  // namespace sethkit::codes
