#include "tools/protocol.hpp"

#include <cmath>
#include <cstdio>
#include <iostream>

#include <nlohmann/json.hpp>

#include "problems/errors.hpp"
#include "protocols/ma_disjointness.hpp"
#include "reductions/sat_to_kov.hpp"
#include "tools/common.hpp"

namespace sethkit::tools {
namespace {

using nlohmann::json;

// Exact analysis over the given set tuples: the best Merlin message for each.
json analyse(const protocols::MaDisjointness& proto, const std::vector<std::vector<std::vector<std::uint8_t>>>& tuples) {
  std::vector<std::vector<codes::Element>> merlin;
  proto.for_each_merlin_message([&](std::span<const codes::Element> mu) { merlin.emplace_back(mu.begin(), mu.end()); });
  std::size_t disjoint = 0, complete = 0, intersecting = 0, worst = 0;
  for (const auto& tuple : tuples) {
    std::vector<protocols::EncodedSet> enc;
    bool common_any = false;
    for (std::size_t e = 0; e < proto.universe(); ++e) {
      bool all = true;
      for (const auto& s : tuple) all = all && s[e];
      common_any = common_any || all;
    }
    for (const auto& s : tuple) enc.push_back(proto.encode_set(s));
    std::size_t best = 0;
    for (const auto& mu_hat : merlin) best = std::max(best, proto.acceptance_count(mu_hat, enc));
    if (!common_any) {
      ++disjoint;
      complete += best == proto.positions();
    } else {
      ++intersecting;
      worst = std::max(worst, best);
    }
  }
  json a;
  a["tuples"] = tuples.size();
  a["merlin_messages"] = merlin.size();
  a["disjoint_tuples"] = disjoint;
  a["disjoint_accepted_everywhere"] = complete;
  a["intersecting_tuples"] = intersecting;
  a["intersecting_max_accepted"] = worst;
  a["soundness_bound"] = *proto.soundness_bound();
  a["completeness_holds"] = complete == disjoint;
  a["soundness_holds"] = worst <= *proto.soundness_bound();
  return a;
}

}  // namespace

CLI::App* setup_protocol(CLI::App& app, ProtocolOptions& o) {
  CLI::App* sub = app.add_subcommand("protocol", "Parameters and exact completeness/soundness of the MA protocol");
  sub->add_option("FILE", o.file, "CNF file: analyse the kOV instance of its split (optional)");
  sub->add_option("--m", o.m, "universe size (without FILE)")->check(CLI::Range(1, 64));
  sub->add_option("--k", o.k, "parties")->check(CLI::Range(2, 16))->capture_default_str();
  sub->add_option("--code", o.code, "rs or hermitian")->check(CLI::IsMember({"rs", "hermitian"}))->capture_default_str();
  sub->add_option("--soundness", o.soundness, "target soundness")->check(CLI::Range(1e-6, 0.999999))->capture_default_str();
  sub->add_option("--max-work", o.max_work, "field operations the exact analysis may take")->capture_default_str();
  sub->add_flag("--json", o.json, "print one JSON object");
  sub->add_flag("--lenient", o.lenient, "lenient DIMACS");
  return sub;
}

int run_protocol(const ProtocolOptions& o) {
  if (o.file.empty() && o.m == 0) throw InputError("", "give a CNF FILE or --m M (the universe size)");
  std::vector<std::vector<std::vector<std::uint8_t>>> tuples;
  std::size_t m = o.m;
  if (!o.file.empty()) {
    const Cnf cnf = load_cnf(o.file, o.lenient);
    const KOvInstance kov = reductions::sat_to_kov(cnf, o.k, 1e9);
    m = std::size_t(kov.d);
    double count = 1;
    for (const auto& party : kov.parties) count *= double(party.size());
    if (count > 1e6) throw SizeLimitError("the kOV instance has " + std::to_string(count) + " tuples (limit 1e6)");
    std::vector<std::size_t> idx(std::size_t(o.k), 0);
    while (count > 0) {
      std::vector<std::vector<std::uint8_t>> t;
      for (int p = 0; p < o.k; ++p) {
        std::vector<std::uint8_t> s(m);
        for (std::size_t e = 0; e < m; ++e) s[e] = kov.parties[std::size_t(p)].bit(idx[std::size_t(p)], int(e));
        t.push_back(std::move(s));
      }
      tuples.push_back(std::move(t));
      std::size_t p = 0;
      while (p < idx.size() && ++idx[p] == kov.parties[p].size()) idx[p++] = 0;
      if (p == idx.size()) break;
    }
  } else if (double(m) * o.k <= 20) {  // every tuple of subsets of [m]
    const std::uint64_t sets = std::uint64_t(1) << m;
    std::vector<std::uint64_t> idx(std::size_t(o.k), 0);
    while (true) {
      std::vector<std::vector<std::uint8_t>> t;
      for (std::uint64_t bits : idx) {
        std::vector<std::uint8_t> s(m);
        for (std::size_t e = 0; e < m; ++e) s[e] = (bits >> e) & 1;
        t.push_back(std::move(s));
      }
      tuples.push_back(std::move(t));
      std::size_t p = 0;
      while (p < idx.size() && ++idx[p] == sets) idx[p++] = 0;
      if (p == idx.size()) break;
    }
  }
  const protocols::ProtocolPlan plan = protocols::choose_parameters(m, o.k, o.soundness, o.code);
  json j;
  j["m"] = m;
  j["k"] = o.k;
  j["code"] = plan.code;
  j["field_size"] = plan.field_size;
  j["characteristic"] = plan.characteristic;
  j["T"] = plan.blocks;
  j["r"] = plan.block_size;
  j["n_C"] = plan.positions;
  j["product_dimension"] = plan.product_dimension;
  j["soundness_bound"] = plan.soundness_bound;
  j["soundness"] = plan.soundness;
  j["log2_merlin_messages"] = plan.log2_merlin_messages;
  j["log2_dimension"] = std::log2(double(plan.positions)) + plan.log2_messages_per_party * (o.k - 1);
  j["paper_merlin_bits"] = plan.paper_merlin_bits;
  j["paper_party_bits"] = plan.paper_party_bits;
  const double work = double(tuples.size()) * std::exp2(plan.log2_merlin_messages) * double(plan.positions) *
                      double(plan.blocks) * o.k;
  if (tuples.empty()) {
    j["analysis"] = "skipped: the universe is too large to enumerate every set tuple";
  } else if (work > o.max_work) {
    j["analysis"] = "skipped: about " + std::to_string(work) + " field operations (limit --max-work " +
                    std::to_string(o.max_work) + ")";
  } else {
    protocols::MaDisjointness proto(m, o.k, plan.blocks, protocols::build_code(plan));
    j["analysis"] = analyse(proto, tuples);
  }
  if (o.json) {
    std::cout << j.dump(2) << '\n';
  } else {
    std::printf("MA protocol for %d-party disjointness over [%zu] (Theorem 4.5)\n", o.k, m);
    std::printf("  code             %s over GF(%llu), char %llu\n", plan.code.c_str(),
                (unsigned long long)plan.field_size, (unsigned long long)plan.characteristic);
    std::printf("  blocks T, r      %zu blocks of %zu elements\n", plan.blocks, plan.block_size);
    std::printf("  n_C, dim C'      %zu positions, product code dimension %zu\n", plan.positions, plan.product_dimension);
    std::printf("  soundness        a wrong message passes at most %zu of %zu positions (%.3f)\n", plan.soundness_bound,
                plan.positions, plan.soundness);
    std::printf("  Merlin messages  2^%.2f per party-1 vector   (paper: O(m log T / T) = %.1f bits)\n",
                plan.log2_merlin_messages, plan.paper_merlin_bits);
    std::printf("  Gap-MaxIP dim    2^%.2f before compression   (paper: each party sends T log T = %.1f bits)\n",
                j["log2_dimension"].get<double>(), plan.paper_party_bits);
    if (j["analysis"].is_string()) {
      std::printf("  exact analysis   %s\n", j["analysis"].get<std::string>().c_str());
    } else {
      const json& a = j["analysis"];
      std::printf("  exact analysis   %zu tuples x %zu Merlin messages\n", a["tuples"].get<std::size_t>(),
                  a["merlin_messages"].get<std::size_t>());
      std::printf("    completeness   %zu of %zu disjoint tuples accepted at all %zu positions\n",
                  a["disjoint_accepted_everywhere"].get<std::size_t>(), a["disjoint_tuples"].get<std::size_t>(),
                  plan.positions);
      std::printf("    soundness      intersecting tuples: best message accepted at %zu positions (bound %zu)\n",
                  a["intersecting_max_accepted"].get<std::size_t>(), plan.soundness_bound);
    }
  }
  if (j["analysis"].is_object() &&
      !(j["analysis"]["completeness_holds"].get<bool>() && j["analysis"]["soundness_holds"].get<bool>()))
    return kExitError;
  return kExitOk;
}

}  // namespace sethkit::tools
