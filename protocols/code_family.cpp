#include "protocols/code_family.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "codes/hermitian.hpp"
#include "codes/reed_solomon.hpp"
#include "core/errors.hpp"

namespace sethkit::protocols {

namespace {

bool is_prime(std::uint64_t p) {
  if (p < 2) return false;
  for (std::uint64_t q = 2; q * q <= p; ++q)
    if (p % q == 0) return false;
  return true;
}

std::uint64_t next_prime(std::uint64_t p) {
  while (!is_prime(p)) ++p;
  return p;
}

// Reed-Solomon over F_p: T blocks of r = ceil(m / T), C' = RS of dimension
// k(r-1)+1, so a wrong message passes at most k(r-1) of n_C positions.
std::vector<ProtocolPlan> rs_candidates(std::size_t m, int k, double target) {
  std::vector<ProtocolPlan> plans;
  for (std::size_t t = 1; t <= m; ++t) {
    const std::size_t r = (m + t - 1) / t;
    const std::size_t dim_product = std::size_t(k) * (r - 1) + 1;
    // soundness k(r-1)/n_C <= target and a product code that fits: n_C >= dim C'.
    const std::size_t n =
        std::max<std::size_t>(dim_product, std::size_t(std::ceil(double(k) * double(r - 1) / target - 1e-9)));
    const std::uint64_t p = next_prime(std::max<std::uint64_t>(t + 1, n));
    if (p > codes::kMaxCharacteristic) {
      if (t + 1 > codes::kMaxCharacteristic) break;  // every larger T needs char > T as well
      continue;
    }
    ProtocolPlan plan;
    plan.code = "rs";
    plan.field_size = p;
    plan.characteristic = p;
    plan.blocks = t;
    plan.block_size = r;
    plan.positions = n;
    plan.product_dimension = dim_product;
    plan.soundness_bound = std::size_t(k) * (r - 1);
    plan.soundness = double(plan.soundness_bound) / double(n);
    plan.log2_merlin_messages = double(dim_product - r) * std::log2(double(p));
    plan.log2_messages_per_party = double(t) * std::log2(double(p));
    plans.push_back(plan);
  }
  return plans;
}

std::shared_ptr<const codes::LinearCode> rs_build(const ProtocolPlan& plan) {
  auto field = codes::Field::prime(std::int64_t(plan.field_size));
  return std::make_shared<codes::ReedSolomonCode>(
      codes::ReedSolomonCode::first_points(field, plan.positions, plan.block_size));
}

// One-point Hermitian C = L(aP) on the q^3 affine points over F_{q^2}, q
// prime (char q > T); C' = L(kaP), so a wrong message passes at most ka.
std::vector<ProtocolPlan> hermitian_candidates(std::size_t m, int k, double target) {
  std::vector<ProtocolPlan> plans;
  for (std::uint64_t q = 2; q <= 13; ++q) {
    if (!is_prime(q)) continue;
    const std::uint64_t n = q * q * q;
    for (std::uint64_t a = 0; std::uint64_t(k) * a < n; ++a) {
      const std::uint64_t r = codes::HermitianCode::riemann_roch_dimension(q, a);
      const std::size_t t = (m + r - 1) / r;
      if (q <= t) continue;  // char = q must exceed T
      const double sound = double(std::uint64_t(k) * a) / double(n);
      if (sound > target) break;
      const std::uint64_t dim_product = codes::HermitianCode::riemann_roch_dimension(q, std::uint64_t(k) * a);
      ProtocolPlan plan;
      plan.code = "hermitian";
      plan.field_size = q * q;
      plan.characteristic = q;
      plan.blocks = t;
      plan.block_size = r;
      plan.positions = n;
      plan.product_dimension = dim_product;
      plan.soundness_bound = std::size_t(k) * a;
      plan.hermitian_a = a;
      plan.soundness = sound;
      plan.log2_merlin_messages = double(dim_product - r) * std::log2(double(q * q));
      plan.log2_messages_per_party = double(t) * std::log2(double(q * q));
      plans.push_back(plan);
    }
  }
  return plans;
}

std::shared_ptr<const codes::LinearCode> hermitian_build(const ProtocolPlan& plan) {
  return std::make_shared<codes::HermitianCode>(std::int64_t(plan.characteristic), std::int64_t(plan.hermitian_a));
}

}  // namespace

const std::vector<CodeFamily>& code_families() {
  static const std::vector<CodeFamily> families = {
      {"rs", "Reed-Solomon", rs_candidates, rs_build},
      {"hermitian", "one-point Hermitian AG code over F_{q^2}, q prime", hermitian_candidates, hermitian_build},
  };
  return families;
}

std::vector<std::string> code_family_names() {
  std::vector<std::string> names;
  for (const CodeFamily& f : code_families()) names.push_back(f.name);
  return names;
}

const CodeFamily& code_family(std::string_view name) {
  for (const CodeFamily& f : code_families())
    if (f.name == name) return f;
  std::string known;
  for (const CodeFamily& f : code_families()) known += (known.empty() ? "" : ", ") + f.name;
  throw InputError("", "unknown code '" + std::string(name) + "' (known: " + known + ")");
}

}  // namespace sethkit::protocols
