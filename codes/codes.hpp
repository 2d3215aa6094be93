// sethkit_codes: the codes of the Merlin-Arthur protocol, in one include.
//
// Paper 001 (Alman & Song), Theorem 4.4: two systematic codes C and C' over
// F_{q^2} with k-way polynomial closure (entrywise products of k codewords
// of C lie in C'), used by the protocol of Theorem 4.5 and the reduction of
// Theorem 4.7 (DESIGN.md, "kOV -> Gap-k-MaxIP"). This module provides
//   codes/field.hpp          F_p and F_{p^2} (on NTL), elements as dense indices
//   codes/linear_algebra.hpp dense matrices; row reduction, kernels (NTL)
//   codes/linear_code.hpp    the systematic LinearCode interface, enumeration,
//                            exact minimum distance, Schur powers
//   codes/reed_solomon.hpp   Reed-Solomon, C^(k) = RS_{k(r-1)+1}
//   codes/hermitian.hpp      one-point Hermitian C_L(a P_inf), C^(k) = C_L(k a P_inf)
//
// Worked example (the protocol's view, k = 3 parties):
//   using namespace sethkit::codes;
//   HermitianCode c(5, 40);                      // C over GF(25): n = 125, dim 31
//   std::unique_ptr<LinearCode> c3 = c.product(3);  // C' = L(120 P_inf), dim 111
//   // Each party encodes its 0/1 block on the information set:
//   std::vector<Element> bits(c.dimension(), 0); bits[4] = 1;
//   std::vector<Element> a = c.encode(bits);     // a[c.information_set()[4]] == 1
//   // Products of k codewords are codewords of C':
//   assert(c3->contains(entrywise_product(c.field(), {a, a, a})));
//   // Merlin's candidates: codewords of C' vanishing on C's information set.
//   Matrix merlin = c3->vanishing_subcode(c.information_set());
//   // Symbols at one random position, without encoding everything:
//   Element s = c.symbol(bits, 17);
//
// Requires/ensures, in short: every constructor validates its parameters and
// throws sethkit::InputError (bad parameters) or SizeLimitError (too big),
// never aborts; codes are immutable after construction and safe to share
// between threads; NTL's global modulus is always restored.
#pragma once

#include "codes/field.hpp"
#include "codes/hermitian.hpp"
#include "codes/linear_algebra.hpp"
#include "codes/linear_code.hpp"
#include "codes/reed_solomon.hpp"
