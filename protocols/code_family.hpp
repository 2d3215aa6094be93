// The code families the Merlin-Arthur protocol can run on (paper 001,
// Theorem 4.4: a systematic code whose k-way product code C^(k) has large
// distance), each behind one interface so that the parameter chooser, the
// protocol and `sethkit codes` / `sethkit protocol` name them the same way.
//
//   const CodeFamily& rs = code_family("rs");
//   for (const ProtocolPlan& plan : rs.candidates(m, k, 0.5)) ...
//   auto code = rs.build(plan);                     // dim = plan.block_size
//
// Adding a family is one CodeFamily in code_family.cpp's list.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "codes/linear_code.hpp"
#include "protocols/ma_disjointness.hpp"

namespace sethkit::protocols {

struct CodeFamily {
  std::string name;  // "rs", "hermitian": the --code value and ProtocolPlan::code
  std::string help;  // one line for --help
  // Every plan of this family for a universe of m elements and k parties
  // whose soundness bound is at most target * n_C, with every field of
  // ProtocolPlan but the paper figures filled in; within the family's reach
  // (characteristic <= codes::kMaxCharacteristic). Empty when none qualifies.
  // requires: k >= 2, 0 < target < 1, m >= 1.
  std::function<std::vector<ProtocolPlan>(std::size_t m, int k, double target)> candidates;
  // The code C a plan of this family names: dimension plan.block_size, length
  // plan.positions, over a field of plan.field_size elements.
  std::function<std::shared_ptr<const codes::LinearCode>(const ProtocolPlan& plan)> build;
};

// The registered families, in a fixed order.
const std::vector<CodeFamily>& code_families();

// Their names, in the same order ("rs", "hermitian").
std::vector<std::string> code_family_names();

// The family called `name`; InputError naming the known ones otherwise.
const CodeFamily& code_family(std::string_view name);

}  // namespace sethkit::protocols
