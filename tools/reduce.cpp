#include "tools/reduce.hpp"

#include <iostream>

#include "problems/atomic_file.hpp"
#include "problems/errors.hpp"
#include "problems/kov_instance.hpp"
#include "problems/maxip_instance.hpp"
#include "reductions/kov_to_maxip.hpp"
#include "reductions/sat_to_kov.hpp"
#include "tools/common.hpp"

namespace sethkit::tools {

CLI::App* setup_reduce(CLI::App& app, ReduceOptions& o) {
  CLI::App* sub = app.add_subcommand("reduce", "Write the instance a CNF reduces to at one level of the chain");
  sub->add_option("FILE", o.file, "CNF file (DIMACS)")->required();
  sub->add_option("--to", o.to, "target level: kov or maxip (direct signed route)")
      ->check(CLI::IsMember({"kov", "maxip"}))
      ->capture_default_str();
  sub->add_option("--k", o.k, "order k (number of parties)")->check(CLI::Range(2, 16))->capture_default_str();
  sub->add_option("-o,--output", o.output, "output file")->required();
  sub->add_flag("--binary", o.binary, "write the binary form (SETHKOV1 / SETHMIP1) instead of text");
  add_max_bytes_option(*sub, o.max_bytes);
  sub->add_flag("--quiet", o.quiet, "print nothing on success");
  sub->add_flag("--lenient", o.lenient, "accept header mismatches and an unterminated last clause");
  return sub;
}

namespace {

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
  } else {
    double vectors = 0;
    for (auto n : sizes) vectors += double(n);
    bytes = 64.0 + 8.0 * o.k + vectors * 2.0 * m * (o.binary ? 4.0 : 3.0);
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
    std::cout << "c wrote " << o.output << ": " << summary << ", n =";
    for (auto n : kov.sizes()) std::cout << ' ' << n;
    std::cout << " (" << human_bytes(bytes) << ")\n";
  }
  return kExitOk;
}

}  // namespace sethkit::tools
