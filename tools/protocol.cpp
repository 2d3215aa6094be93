#include "tools/protocol.hpp"

#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <iostream>
#include <limits>
#include <optional>

#include <nlohmann/json.hpp>

#include "core/errors.hpp"
#include "core/options.hpp"
#include "protocols/code_family.hpp"
#include "protocols/ma_disjointness.hpp"
#include "reductions/sat_to_kov.hpp"
#include "tools/common.hpp"

namespace sethkit::tools {
namespace {

using nlohmann::json;
using Tuples = std::vector<std::vector<std::vector<std::uint8_t>>>;

// A count given as its log2 (so that 2^5000 is no overflow): the nearest
// integer below 2^53, else "2^x" (never "%f" digits, never "inf").
std::string log2_count_text(double log2_count) {
  if (!(log2_count < 53)) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "2^%.1f", log2_count);
    return buf;
  }
  return std::to_string(static_cast<unsigned long long>(std::llround(std::exp2(log2_count))));
}

// Bytes of `count` tuples of k sets of m bytes as nested vectors: per tuple
// its vector (24 bytes) and its block of k set vectors (24 each, plus 16 of
// malloc overhead), per set a block of m bytes in 16-byte granules plus 16.
double tuple_bytes(double count, int k, std::size_t m) {
  const double set = 24.0 + 16.0 + 16.0 * std::ceil(double(std::max<std::size_t>(m, 1)) / 16.0);
  return count * (24.0 + 16.0 + double(k) * set);
}

// Bytes of the Merlin messages analyse() keeps: each is n_C field elements
// in its own vector.
double merlin_bytes(double log2_count, std::size_t positions) {
  return std::exp2(log2_count) * (24.0 + 16.0 + 4.0 * double(positions));
}

// Lists the set tuples after checking their number and storage: the kOV
// tuples of `kov` (one per choice of a vector in each party), or without it
// every tuple of k subsets of [m].
Tuples list_tuples(const KOvInstance* kov, std::size_t m, int k, double log2_count, double max_bytes) {
  const std::string what = log2_count_text(log2_count) + " set tuples (" + std::to_string(k) + " sets of m = " +
                           std::to_string(m) + " elements each)";
  const std::string hint = "--max-work 0 to print the parameters only";
  if (std::exp2(log2_count) > kMaxProtocolTuples)
    throw SizeLimitError("the exact analysis would list " + what + ", over the limit of " +
                         count_text(kMaxProtocolTuples) + " (2^20) tuples; pass " + hint);
  check_size("listing the " + what, tuple_bytes(std::exp2(log2_count), k, m), max_bytes,
             "pass a larger --max-bytes, or " + hint);
  Tuples tuples;
  tuples.reserve(std::size_t(std::llround(std::exp2(log2_count))));
  std::vector<std::size_t> idx(std::size_t(k), 0);
  const auto party_size = [&](std::size_t p) {
    return kov ? kov->parties[p].size() : std::size_t(1) << m;  // m k <= 20 here without kov
  };
  while (true) {
    std::vector<std::vector<std::uint8_t>> t;
    for (std::size_t p = 0; p < idx.size(); ++p) {
      std::vector<std::uint8_t> s(m);
      for (std::size_t e = 0; e < m; ++e)
        s[e] = kov ? std::uint8_t(kov->parties[p].bit(idx[p], int(e))) : std::uint8_t((idx[p] >> e) & 1);
      t.push_back(std::move(s));
    }
    tuples.push_back(std::move(t));
    std::size_t p = 0;
    while (p < idx.size() && ++idx[p] == party_size(p)) idx[p++] = 0;
    if (p == idx.size()) break;
  }
  return tuples;
}

// Exact analysis over the given set tuples: the best Merlin message for each.
json analyse(const protocols::MaDisjointness& proto, const Tuples& tuples) {
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
  // Defaults (ProtocolOptions) and ranges come from core/options.hpp, the
  // --code choices from protocols/code_family.hpp.
  const auto range = [](std::string_view name) {
    const core::OptionSpec& spec = core::find_option(name);
    return CLI::Range(spec.min, spec.max);
  };
  const core::OptionSpec& k_range = core::find_option("protocol.k");
  sub->add_option("--k", o.k, "parties")
      ->check(CLI::Range(int(k_range.min), int(k_range.max)))
      ->capture_default_str();
  std::string code_help = "the code family:";
  for (const protocols::CodeFamily& f : protocols::code_families())
    code_help += (f.name == protocols::code_families().front().name ? " " : ", ") + f.name + " (" + f.help + ")";
  sub->add_option("--code", o.code, code_help)
      ->check(CLI::IsMember(protocols::code_family_names()))
      ->capture_default_str();
  sub->add_option("--soundness", o.soundness, "target soundness")
      ->check(range("protocol.soundness"))
      ->capture_default_str();
  sub->add_option("--max-work", o.max_work, "field operations the exact analysis may take (over it: skipped)")
      ->check(range("protocol.max_work"))
      ->capture_default_str();
  add_max_bytes_option(*sub, o.max_bytes);
  sub->add_flag("--json", o.json, "print one JSON object");
  sub->add_flag("--lenient", o.lenient, "lenient DIMACS");
  return sub;
}

int run_protocol(const ProtocolOptions& o) {
  if (o.file.empty() && o.m == 0) throw InputError("", "give a CNF FILE or --m M (the universe size)");
  // How many set tuples the exact analysis would list (log2; -inf: none).
  // Nothing is listed before the work and size checks below.
  double log2_tuples = -std::numeric_limits<double>::infinity();
  std::optional<KOvInstance> kov;
  std::size_t m = o.m;
  auto start = std::chrono::steady_clock::now();
  double read_seconds = 0, reduce_seconds = 0;
  if (!o.file.empty()) {
    const Cnf cnf = load_cnf(o.file, o.lenient);
    read_seconds = lap_seconds(start);
    kov = reductions::sat_to_kov(cnf, o.k, o.max_bytes);
    reduce_seconds = lap_seconds(start);
    m = std::size_t(kov->d);
    log2_tuples = 0;
    for (const auto& party : kov->parties) log2_tuples += std::log2(double(party.size()));
  } else if (double(m) * o.k <= 20) {  // every tuple of subsets of [m]
    log2_tuples = double(m) * o.k;
  }
  const protocols::ProtocolPlan plan = protocols::choose_parameters(m, o.k, o.soundness, o.code);
  const double plan_seconds = lap_seconds(start);
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
  // Field operations of the analysis, as log2 (finite however large).
  const double log2_work = log2_tuples + plan.log2_merlin_messages + std::log2(double(plan.positions)) +
                           std::log2(double(plan.blocks)) + std::log2(double(o.k));
  // (At most 2^997: then no estimate below overflows to infinity.)
  const double log2_max_work = std::log2(std::min(o.max_work, 1e300));
  if (!std::isfinite(log2_tuples)) {
    j["analysis"] = "skipped: the universe is too large to enumerate every set tuple";
  } else if (!(log2_work <= log2_max_work)) {  // checked before anything is listed
    j["analysis"] = "skipped: about " + log2_count_text(log2_work) + " field operations (limit --max-work " +
                    count_text(std::max(o.max_work, 0.0)) + ")";
  } else {
    check_size("keeping the " + log2_count_text(plan.log2_merlin_messages) + " Merlin messages of " +
                   std::to_string(plan.positions) + " symbols each",
               merlin_bytes(plan.log2_merlin_messages, plan.positions), o.max_bytes,
               "pass a larger --max-bytes, or --max-work 0 to print the parameters only");
    const Tuples tuples = list_tuples(kov ? &*kov : nullptr, m, o.k, log2_tuples, o.max_bytes);
    protocols::MaDisjointness proto(m, o.k, plan.blocks, protocols::build_code(plan));
    j["analysis"] = analyse(proto, tuples);
  }
  // The kOV instance analysed (a FILE), and the time of each stage.
  if (kov) {
    double bytes = 0;
    for (std::size_t n : kov->sizes()) bytes += double(n) * double(words_for_bits(kov->d)) * 8.0;
    j["instance"] = {{"level", "kov"}, {"k", kov->k}, {"n", kov->sizes()}, {"d", kov->d}, {"bytes", bytes}};
  }
  j["times"] = {{"read", read_seconds}, {"reduce", reduce_seconds}, {"plan", plan_seconds},
                {"analysis", lap_seconds(start)}};
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
