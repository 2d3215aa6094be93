#include "tools/reduce.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "core/atomic_file.hpp"
#include "core/errors.hpp"
#include "core/progress.hpp"
#include "problems/kov_instance.hpp"
#include "problems/maxip_instance.hpp"
#include "reductions/chain.hpp"
#include "tools/common.hpp"
#include "tools/split_option.hpp"

namespace sethkit::tools {

CLI::App* setup_reduce(CLI::App& app, ReduceOptions& o) {
  CLI::App* sub = app.add_subcommand("reduce", "Write the instance a CNF reduces to at one level of the chain");
  sub->add_option("FILE", o.file, "CNF file (DIMACS)")->required();
  sub->add_option("--to", o.to, "target level: kov, maxip (direct signed route), gap-maxip (protocol route, explicit) or attention (an attention directory, Lemma B.1, over --route)")
      ->check(CLI::IsMember({"kov", "maxip", "gap-maxip", "attention"}))
      ->capture_default_str();
  sub->add_option("--route", o.route, "maxip and attention: direct (signed, exact k-MaxIP; the default) or protocol (Gap-MaxIP by the MA protocol; --to maxip --route protocol is --to gap-maxip)")
      ->check(CLI::IsMember({"direct", "protocol"}));
  sub->add_option("--k", o.k, "order k (number of parties)")->check(CLI::Range(2, 16))->capture_default_str();
  add_split_option(*sub, o.split);
  sub->add_option("-o,--output", o.output, "output file")->required();
  sub->add_flag("--binary", o.binary, "write the binary form (SETHKOV1 / SETHMIP1; float32 .npy for attention)");
  sub->add_option("--eps", o.eps, "attention: relative error of O a backend may make (sets beta)")
      ->check(CLI::Range(1e-15, 0.49))
      ->capture_default_str();
  add_protocol_options(*sub, o.code, o.soundness);
  add_max_bytes_option(*sub, o.max_bytes);
  sub->add_flag("--keep-unused", o.keep_unused, "keep variables that occur in no clause (default: dropped before the split)");
  auto* quiet = sub->add_flag("--quiet", o.quiet, "print nothing on success, and no progress");
  sub->add_flag("--json", o.json, "print the instance written and the time of each stage as one JSON object");
  sub->add_flag("--progress", o.progress, "progress on stderr even when it is not a terminal")->excludes(quiet);
  sub->add_flag("--lenient", o.lenient, "accept header mismatches and an unterminated last clause");
  return sub;
}

namespace {

// FNV-1a 64: a cheap, stable fingerprint for the provenance.
struct Fnv1a64 {
  uint64_t h = 1469598103934665603ull;
  void add(unsigned char c) {
    h ^= c;
    h *= 1099511628211ull;
  }
  std::string hex() const {
    char buf[20];
    std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
    return buf;
  }
};

}  // namespace

std::string fnv1a64_of_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  Fnv1a64 f;
  char c;
  while (in.get(c)) f.add(static_cast<unsigned char>(c));
  return f.hex();
}

std::string fnv1a64_of_text(std::string_view text) {
  Fnv1a64 f;
  for (char c : text) f.add(static_cast<unsigned char>(c));
  return f.hex();
}

namespace {

// The level written and its route: --to maxip --route protocol is the
// protocol route's MaxIP level, the explicit Gap-MaxIP instance.
reductions::Route route_of(const ReduceOptions& o) {
  reductions::Route r;
  const reductions::LevelAndRoute target = reductions::parse_target(o.to, o.route);
  r.to = target.level;
  r.route = target.route;
  r.k = o.k;
  r.code = o.code;
  r.target_soundness = o.soundness;
  r.attention_eps = o.eps;
  r.explicit_gap_maxip = true;
  r.split = o.split;
  r.keep_unused = o.keep_unused;
  return r;
}

// Bytes of the file the last stage of the plan makes; 0 when that stage's
// size is an upper bound (the exact size is checked in memory by
// build_chain, and the file is no larger than the instance in memory).
double file_bytes(const ReduceOptions& o, const reductions::ChainPlan& plan) {
  const reductions::StageSize& s = plan.last();
  if (!s.exact) return 0;
  double vectors = 0;
  for (auto n : s.vectors) vectors += double(n);
  switch (s.stage) {
    case reductions::Stage::kov:
      return o.binary ? kov_binary_bytes(o.k, int(s.dimension), s.vectors) : kov_text_bytes(o.k, int(s.dimension), s.vectors);
    case reductions::Stage::attention:
      return s.bytes / 8.0 * (o.binary ? 4.0 : 8.0);  // float32 or float64 .npy
    default:
      // Text: up to 3 bytes an entry, and a vector of no entries is a "-" line.
      return 64.0 + 8.0 * o.k + vectors * (o.binary ? s.dimension * 4.0 : std::max(s.dimension * 3.0, 2.0));
  }
}

std::vector<std::string> split_comments(const ReduceOptions& o, const reductions::ChainPlan& plan) {
  const reductions::VariableSplit& split = plan.split;
  std::vector<std::string> comments = {
      "sethkit reduce --to " + o.to + (o.route.empty() ? "" : " --route " + o.route) + " --k " + std::to_string(o.k) +
          (o.split.empty() ? "" : " --split " + o.split) + " " + o.file,
      "SAT -> kOV by split and list: party p lists the partial assignments of its variable group;",
      "bit t of a vector's index (0-based, in file order) is the value of the group's t-th variable;",
      "kOV coordinate j is 1 iff that partial assignment satisfies no literal of clause j."};
  for (int p = 0; p < o.k; ++p) {
    std::string vars;  // the variable of bit 0, 1, ... of the party's index
    for (int v : split.vars[p]) vars += (vars.empty() ? "" : " ") + std::to_string(v);
    comments.push_back("party " + std::to_string(p + 1) + ": variables " + vars);
  }
  if (plan.dropped_vars() > 0)
    comments.push_back(std::to_string(plan.dropped_vars()) +
                       " variables occur in no clause and were dropped before the split (--keep-unused keeps "
                       "them); variables below are renumbered in order");
  if (plan.route.to == reductions::Level::maxip)
    comments.push_back("direct route: a'_1 = [1;a_1], a'_2 = [1;-a_2], a'_p = [1;a_p]; YES iff max = M = " +
                       std::string("the number of clauses"));
  if (plan.protocol) {
    const protocols::ProtocolPlan& p = *plan.protocol;
    comments.push_back("protocol route (Theorem 4.5/4.7): " + p.code + " code over GF(" + std::to_string(p.field_size) +
                       "), T = " + std::to_string(p.blocks) + ", r = " + std::to_string(p.block_size) +
                       ", n_C = " + std::to_string(p.positions) + ", " + std::to_string(plan.merlin_messages) +
                       " Merlin messages");
  }
  return comments;
}

void write_maxip(const ReduceOptions& o, const MaxIpInstance& mip, const std::vector<std::string>& comments) {
  write_file_atomically(
      o.output,
      [&](std::ostream& out) {
        if (o.binary) write_maxip_binary(out, mip);
        else write_maxip_text(out, mip, comments);
      },
      o.binary);
}

}  // namespace

std::string write_reduction(const ReduceOptions& o, reductions::Chain& chain, const std::string& input_hash) {
  const reductions::ChainPlan& plan = chain.plan;
  const reductions::Route& route = plan.route;
  const KOvInstance& kov = chain.kov;
  std::vector<std::string> comments = split_comments(o, plan);
  std::string summary;
  switch (route.to) {
    case reductions::Level::kov:
      write_file_atomically(
          o.output,
          [&](std::ostream& out) {
            if (o.binary) write_kov_binary(out, kov);
            else write_kov_text(out, kov, comments);
          },
          o.binary);
      summary = "kov k = " + std::to_string(kov.k) + ", d = " + std::to_string(kov.d);
      break;
    case reductions::Level::gap_maxip: {
      const MaxIpInstance& mip = *chain.maxip;
      comments.push_back("party-1 vector alpha * " + std::to_string(chain.gap->merlin_messages()) +
                         " + mu is (kOV vector alpha, Merlin message mu); coordinates compressed to " +
                         std::to_string(mip.d));
      write_maxip(o, mip, comments);
      summary = "gap-maxip k = " + std::to_string(mip.k) + ", d = " + std::to_string(mip.d) + ", YES iff max = " +
                std::to_string(mip.gap->threshold) + ", NO iff max <= " + std::to_string(mip.gap->no_bound) +
                ", party sizes";
      for (auto n : mip.sizes()) summary += " " + std::to_string(n);
      break;
    }
    case reductions::Level::attention: {
      reductions::AttentionEmbedding& emb = *chain.attention;
      auto& provenance = emb.instance.manifest->provenance;
      provenance["tool"] = "sethkit " SETHKIT_VERSION_STRING;
      provenance["input"] = o.file;
      provenance["input_fnv1a64"] = input_hash;
      provenance["route"] = to_string(route.route);
      provenance["chain"] = {"sat_to_kov (split and list, k = " + std::to_string(o.k) + ")",
                             plan.protocol ? comments.back() + ", explicit after coordinate compression (d = " +
                                                 std::to_string(chain.maxip->d) + ")"
                                           : std::string("kov_to_maxip (direct signed route)"),
                             "maxip_to_attention (Lemma B.1, eps_a = " + std::to_string(o.eps) + ")"};
      provenance["variable_groups"] = nlohmann::json::array();
      for (int p = 0; p < o.k; ++p)
        provenance["variable_groups"].push_back(plan.split.vars[p]);
      provenance["split"] = plan.split.spec;
      AttentionWriteOptions write;
      if (o.binary) write.dtype = NpyDtype::float32;
      write_attention_directory(o.output, emb.instance, write);
      char text[200];
      std::snprintf(text, sizeof text, "attention k = %d, d = %zu, beta = %.6g, B = %.6g (paper: %.6g)",
                    emb.instance.k, emb.instance.d(), emb.beta, emb.entry_bound, emb.paper_entry_bound);
      summary = text;
      if (plan.protocol) summary += " (protocol route)";
      break;
    }
    default: {
      const MaxIpInstance& mip = *chain.maxip;
      write_maxip(o, mip, comments);
      summary = "maxip k = " + std::to_string(mip.k) + ", d = " + std::to_string(mip.d) + ", threshold " +
                std::to_string(mip.gap->threshold);
    }
  }
  return summary;
}

nlohmann::json chain_instance_json(const reductions::Chain& chain) {
  const reductions::Level to = chain.plan.route.to;
  nlohmann::json j = {{"level", reductions::to_string(to)}, {"k", chain.plan.route.k}, {"bytes", chain.built.empty() ? chain.plan.last().bytes : chain.built.back().bytes}};
  if (to == reductions::Level::kov) {
    j["n"] = chain.kov.sizes();
    j["d"] = chain.kov.d;
  } else if (to == reductions::Level::attention) {
    j["n"] = chain.attention->instance.lengths();
    j["d"] = chain.attention->instance.d();
  } else {
    j["n"] = chain.maxip->sizes();
    j["d"] = chain.maxip->d;
  }
  return j;
}

int run_reduce(const ReduceOptions& o) {
  using Clock = std::chrono::steady_clock;
  if (o.json && o.output == "-")
    throw UsageError("--json and -o - both want standard output; write the instance to a file with -o FILE");
  ProgressReporter progress("reduce", Progress::enabled(o.progress, o.quiet));
  auto start = Clock::now();
  auto lap = [&start] {
    const auto now = Clock::now();
    const double s = std::chrono::duration<double>(now - start).count();
    start = now;
    return s;
  };
  progress.stage("reading " + o.file);
  const Cnf cnf = load_cnf(o.file, o.lenient);
  const double read_seconds = lap();
  progress.stage("planning the " + o.to + " instance");
  const reductions::Route route = route_of(o);
  // Every size comes from the chain's plan; the output's own size is
  // checked first, then the chain's shared budget, before anything is built.
  const reductions::ChainPlan sizes = reductions::plan_chain(cnf, route, reductions::kNoBudget);
  const double bytes = file_bytes(o, sizes);
  check_size("writing the " + o.to + " instance to " + o.output, bytes, o.max_bytes,
             "raise --max-bytes or use a larger --k");
  if (sizes.protocol) {
    const double messages = std::exp2(sizes.protocol->log2_merlin_messages);
    check_size("Merlin's " + count_text(messages) + " messages per party-1 vector",
               double(sizes.at(reductions::Stage::kov).vectors[0]) * messages * double(sizes.protocol->positions) * 4.0,
               o.max_bytes, "the protocol route fits only tiny formulas; use --to maxip");
  }
  const reductions::ChainPlan plan = reductions::plan_chain(cnf, route, o.max_bytes);
  const double plan_seconds = lap();
  progress.stage("building the " + o.to + " instance");
  reductions::Chain chain = reductions::build_chain(plan);
  const double reduce_seconds = lap();
  progress.stage("writing " + o.output);
  const KOvInstance& kov = chain.kov;
  const std::string summary = write_reduction(o, chain, fnv1a64_of_file(o.file));
  const double write_seconds = lap();
  progress.finish();
  if (o.json) {
    nlohmann::json j;
    j["file"] = o.file;
    j["to"] = o.to;
    j["route"] = reductions::to_string(route.route);
    j["split"] = plan.split.spec;
    j["dropped_variables"] = plan.dropped_vars();
    j["output"] = o.output;
    j["output_bytes"] = bytes;  // 0 when the plan's size is only an upper bound
    j["instance"] = chain_instance_json(chain);
    j["instance_summary"] = summary;
    j["times"] = {{"read", read_seconds}, {"plan", plan_seconds}, {"reduce", reduce_seconds}, {"write", write_seconds}};
    j["seconds"] = read_seconds + plan_seconds + reduce_seconds + write_seconds;
    std::cout << j.dump(2) << '\n';
    return kExitOk;
  }
  if (!o.quiet) {
    std::ostream& info = o.output == "-" ? std::cerr : std::cout;  // -o -: stdout holds the instance
    if (plan.dropped_vars() > 0)
      info << "c " << plan.dropped_vars() << " variables occur in no clause: dropped before the split\n";
    info << "c wrote " << o.output << ": " << summary;
    if (route.to != reductions::Level::gap_maxip) {
      info << ", n =";  // the kOV party sizes the instance was built from
      for (auto n : kov.sizes()) info << ' ' << n;
    }
    if (bytes > 0) info << " (" << human_bytes(bytes) << ")";
    info << '\n';
  }
  return kExitOk;
}

}  // namespace sethkit::tools
