#include "tools/reduce.hpp"

#include <iostream>

#include "problems/atomic_file.hpp"
#include "problems/errors.hpp"
#include "problems/kov_instance.hpp"
#include "reductions/sat_to_kov.hpp"
#include "tools/common.hpp"

namespace sethkit::tools {

CLI::App* setup_reduce(CLI::App& app, ReduceOptions& o) {
  CLI::App* sub = app.add_subcommand("reduce", "Write the instance a CNF reduces to at one level of the chain");
  sub->add_option("FILE", o.file, "CNF file (DIMACS)")->required();
  sub->add_option("--to", o.to, "target level: kov")->check(CLI::IsMember({"kov"}))->capture_default_str();
  sub->add_option("--k", o.k, "order k (number of parties)")->check(CLI::Range(2, 16))->capture_default_str();
  sub->add_option("-o,--output", o.output, "output file")->required();
  sub->add_flag("--binary", o.binary, "write the binary kOV form (SETHKOV1) instead of text");
  add_max_bytes_option(*sub, o.max_bytes);
  sub->add_flag("--quiet", o.quiet, "print nothing on success");
  sub->add_flag("--lenient", o.lenient, "accept header mismatches and an unterminated last clause");
  return sub;
}

int run_reduce(const ReduceOptions& o) {
  const Cnf cnf = load_cnf(o.file, o.lenient);
  const auto split = reductions::split_variables(cnf.num_vars, o.k);
  std::vector<std::size_t> sizes;
  for (int s : split.size) sizes.push_back(s < 63 ? std::size_t(1) << s : std::size_t(-1));
  const int d = static_cast<int>(std::min<std::size_t>(cnf.num_clauses(), std::size_t(kMaxKovDimension) + 1));
  const double bytes = o.binary ? kov_binary_bytes(o.k, d, sizes) : kov_text_bytes(o.k, d, sizes);
  check_size("writing the kOV instance to " + o.output, bytes, o.max_bytes,
             "raise --max-bytes or use a larger --k");
  const KOvInstance inst = reductions::sat_to_kov(cnf, o.k, o.max_bytes);

  std::vector<std::string> comments = {
      "sethkit reduce --to kov --k " + std::to_string(o.k) + " " + o.file,
      "SAT -> kOV by split and list: party p lists the partial assignments of its variable group;",
      "bit t of a vector's index (0-based, in file order) is the value of the group's t-th variable;",
      "coordinate j is 1 iff that partial assignment satisfies no literal of clause j."};
  for (int p = 0; p < o.k; ++p)
    comments.push_back("party " + std::to_string(p + 1) + ": variables " + std::to_string(split.first_var[p]) + ".." +
                       std::to_string(split.first_var[p] + split.size[p] - 1));
  write_file_atomically(
      o.output,
      [&](std::ostream& out) {
        if (o.binary) write_kov_binary(out, inst);
        else write_kov_text(out, inst, comments);
      },
      o.binary);
  if (!o.quiet) {
    std::cout << "c wrote " << o.output << ": kov k = " << inst.k << ", d = " << inst.d << ", n =";
    for (auto n : inst.sizes()) std::cout << ' ' << n;
    std::cout << " (" << human_bytes(bytes) << ")\n";
  }
  return kExitOk;
}

}  // namespace sethkit::tools
