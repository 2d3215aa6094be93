#include "tools/reduce.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "core/atomic_file.hpp"
#include "core/errors.hpp"
#include "problems/kov_instance.hpp"
#include "problems/maxip_instance.hpp"
#include "reductions/kov_to_gap_maxip.hpp"
#include "reductions/kov_to_maxip.hpp"
#include "reductions/maxip_to_attention.hpp"
#include "reductions/sat_to_kov.hpp"
#include "tools/common.hpp"

namespace sethkit::tools {

CLI::App* setup_reduce(CLI::App& app, ReduceOptions& o) {
  CLI::App* sub = app.add_subcommand("reduce", "Write the instance a CNF reduces to at one level of the chain");
  sub->add_option("FILE", o.file, "CNF file (DIMACS)")->required();
  sub->add_option("--to", o.to, "target level: kov, maxip (direct signed route), gap-maxip (protocol route, explicit) or attention (an attention directory, Lemma B.1)")
      ->check(CLI::IsMember({"kov", "maxip", "gap-maxip", "attention"}))
      ->capture_default_str();
  sub->add_option("--k", o.k, "order k (number of parties)")->check(CLI::Range(2, 16))->capture_default_str();
  sub->add_option("-o,--output", o.output, "output file")->required();
  sub->add_flag("--binary", o.binary, "write the binary form (SETHKOV1 / SETHMIP1; float32 .npy for attention)");
  sub->add_option("--eps", o.eps, "attention: relative error of O a backend may make (sets beta)")
      ->check(CLI::Range(1e-15, 0.49))
      ->capture_default_str();
  add_protocol_options(*sub, o.code, o.soundness);
  add_max_bytes_option(*sub, o.max_bytes);
  sub->add_flag("--quiet", o.quiet, "print nothing on success");
  sub->add_flag("--lenient", o.lenient, "accept header mismatches and an unterminated last clause");
  return sub;
}

namespace {

// Provenance: a cheap, stable fingerprint of the input file.
std::string fnv1a64_of_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  uint64_t h = 1469598103934665603ull;
  char c;
  while (in.get(c)) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ull;
  }
  char buf[20];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  return buf;
}

std::vector<std::string> split_comments(const ReduceOptions& o, const reductions::VariableSplit& split) {
  std::vector<std::string> comments = {
      "sethkit reduce --to " + o.to + " --k " + std::to_string(o.k) + " " + o.file,
      "SAT -> kOV by split and list: party p lists the partial assignments of its variable group;",
      "bit t of a vector's index (0-based, in file order) is the value of the group's t-th variable;",
      "kOV coordinate j is 1 iff that partial assignment satisfies no literal of clause j."};
  for (int p = 0; p < o.k; ++p)
    comments.push_back("party " + std::to_string(p + 1) + ": variables " + std::to_string(split.first_var[p]) + ".." +
                       std::to_string(split.first_var[p] + split.size[p] - 1));
  if (o.to == "maxip")
    comments.push_back("direct route: a'_1 = [1;a_1], a'_2 = [1;-a_2], a'_p = [1;a_p]; YES iff max = M = " +
                       std::string("the number of clauses"));
  return comments;
}

}  // namespace

int run_reduce(const ReduceOptions& o) {
  const Cnf cnf = load_cnf(o.file, o.lenient);
  const auto split = reductions::split_variables(cnf.num_vars, o.k);
  std::vector<std::size_t> sizes;
  for (int s : split.size) sizes.push_back(s < 63 ? std::size_t(1) << s : std::size_t(-1));
  const int m = static_cast<int>(std::min<std::size_t>(cnf.num_clauses(), std::size_t(kMaxKovDimension) + 1));
  // The output size is estimated from the header counts before anything is built.
  double bytes = 0;
  if (o.to == "kov") {
    bytes = o.binary ? kov_binary_bytes(o.k, m, sizes) : kov_text_bytes(o.k, m, sizes);
  } else if (o.to == "gap-maxip") {
    bytes = 0;  // estimated below from the protocol plan, before building
  } else if (o.to == "attention") {
    double rows = 0;  // Q has the party-1 rows; each key side data + padding rows
    for (std::size_t p = 0; p < sizes.size(); ++p) rows += (p == 0 ? 1.0 : 2.0) * double(sizes[p]);
    bytes = rows * 4.0 * m * (o.binary ? 4.0 : 8.0);
  } else {
    double vectors = 0;
    for (auto n : sizes) vectors += double(n);
    // Text: up to 3 bytes an entry, and a vector of no entries is a "-" line.
    bytes = 64.0 + 8.0 * o.k + vectors * (o.binary ? 2.0 * m * 4.0 : std::max(2.0 * m * 3.0, 2.0));
  }
  check_size("writing the " + o.to + " instance to " + o.output, bytes, o.max_bytes,
             "raise --max-bytes or use a larger --k");
  const KOvInstance kov = reductions::sat_to_kov(cnf, o.k, o.max_bytes);
  const std::vector<std::string> comments = split_comments(o, split);
  std::string summary;
  if (o.to == "kov") {
    write_file_atomically(
        o.output,
        [&](std::ostream& out) {
          if (o.binary) write_kov_binary(out, kov);
          else write_kov_text(out, kov, comments);
        },
        o.binary);
    summary = "kov k = " + std::to_string(kov.k) + ", d = " + std::to_string(kov.d);
  } else if (o.to == "gap-maxip") {
    const protocols::ProtocolPlan plan = protocols::choose_parameters(std::size_t(kov.d), kov.k, o.soundness, o.code);
    check_size("Merlin's " + count_text(std::exp2(plan.log2_merlin_messages)) + " messages per party-1 vector",
               double(kov.parties[0].size()) * std::exp2(plan.log2_merlin_messages) * double(plan.positions) * 4.0,
               o.max_bytes, "the protocol route fits only tiny formulas; use --to maxip");
    auto protocol = std::make_shared<protocols::MaDisjointness>(std::size_t(kov.d), kov.k, plan.blocks,
                                                                protocols::build_code(plan));
    const reductions::GapMaxIpReduction gap(kov, protocol, o.max_bytes);
    const MaxIpInstance mip = gap.explicit_instance(o.max_bytes);
    std::vector<std::string> c = comments;
    c.push_back("protocol route (Theorem 4.5/4.7): " + plan.code + " code over GF(" + std::to_string(plan.field_size) +
                "), T = " + std::to_string(plan.blocks) + ", r = " + std::to_string(plan.block_size) + ", n_C = " +
                std::to_string(plan.positions) + ", " + std::to_string(gap.merlin_messages()) + " Merlin messages");
    c.push_back("party-1 vector alpha * " + std::to_string(gap.merlin_messages()) +
                " + mu is (kOV vector alpha, Merlin message mu); coordinates compressed to " +
                std::to_string(mip.d));
    // Its file is no larger than the explicit instance in memory (4 bytes an
    // entry, 0/1 entries as text take 2), which explicit_instance checked.
    write_file_atomically(
        o.output,
        [&](std::ostream& out) {
          if (o.binary) write_maxip_binary(out, mip);
          else write_maxip_text(out, mip, c);
        },
        o.binary);
    summary = "gap-maxip k = " + std::to_string(mip.k) + ", d = " + std::to_string(mip.d) + ", YES iff max = " +
              std::to_string(mip.gap->threshold) + ", NO iff max <= " + std::to_string(mip.gap->no_bound) +
              ", party sizes";
    for (auto n : mip.sizes()) summary += " " + std::to_string(n);
  } else if (o.to == "attention") {
    const MaxIpInstance mip = reductions::kov_to_maxip(kov, o.max_bytes);
    reductions::AttentionEmbedding emb = reductions::maxip_to_attention(mip, o.eps, o.max_bytes);
    auto& provenance = emb.instance.manifest->provenance;
    provenance["tool"] = "sethkit " SETHKIT_VERSION_STRING;
    provenance["input"] = o.file;
    provenance["input_fnv1a64"] = fnv1a64_of_file(o.file);
    provenance["chain"] = {"sat_to_kov (split and list, k = " + std::to_string(o.k) + ")",
                           "kov_to_maxip (direct signed route)",
                           "maxip_to_attention (Lemma B.1, eps_a = " + std::to_string(o.eps) + ")"};
    provenance["variable_groups"] = nlohmann::json::array();
    for (int p = 0; p < o.k; ++p)
      provenance["variable_groups"].push_back({split.first_var[p], split.first_var[p] + split.size[p] - 1});
    AttentionWriteOptions write;
    if (o.binary) write.dtype = NpyDtype::float32;
    write_attention_directory(o.output, emb.instance, write);
    char text[200];
    std::snprintf(text, sizeof text, "attention k = %d, d = %zu, beta = %.6g, B = %.6g (paper: %.6g)",
                  emb.instance.k, emb.instance.d(), emb.beta, emb.entry_bound, emb.paper_entry_bound);
    summary = text;
  } else {
    const MaxIpInstance mip = reductions::kov_to_maxip(kov, o.max_bytes);
    write_file_atomically(
        o.output,
        [&](std::ostream& out) {
          if (o.binary) write_maxip_binary(out, mip);
          else write_maxip_text(out, mip, comments);
        },
        o.binary);
    summary = "maxip k = " + std::to_string(mip.k) + ", d = " + std::to_string(mip.d) + ", threshold " +
              std::to_string(mip.gap->threshold);
  }
  if (!o.quiet) {
    std::cout << "c wrote " << o.output << ": " << summary;
    if (o.to != "gap-maxip") {
      std::cout << ", n =";  // the kOV party sizes the instance was built from
      for (auto n : kov.sizes()) std::cout << ' ' << n;
    }
    std::cout << " (" << human_bytes(bytes) << ")\n";
  }
  return kExitOk;
}

}  // namespace sethkit::tools
