#include "tools/check.hpp"

#include <filesystem>
#include <iostream>
#include <sstream>

#include "problems/attention_instance.hpp"
#include "problems/cnf.hpp"
#include "core/errors.hpp"
#include "problems/kov_instance.hpp"
#include "problems/maxip_instance.hpp"
#include "problems/npy.hpp"
#include "tools/common.hpp"

namespace sethkit::tools {
namespace {

std::string format_from_path(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (fs::is_directory(path, ec)) return "attention";
  const std::string ext = fs::path(path).extension().string();
  if (ext == ".cnf") return "cnf";
  if (ext == ".kov") return "kov";
  if (ext == ".maxip") return "maxip";
  if (ext == ".npy") return "npy";
  throw InputError(path, "cannot tell the format from the name; pass --format cnf|kov|maxip|npy|attention");
}

std::string join_sizes(const std::vector<std::size_t>& sizes, const char* separator = " ") {
  std::string s;
  for (std::size_t i = 0; i < sizes.size(); ++i) s += (i ? separator : "") + std::to_string(sizes[i]);
  return s;
}

}  // namespace

CLI::App* setup_check(CLI::App& app, CheckOptions& o) {
  CLI::App* sub = app.add_subcommand("check", "Read one input file with its format's reader and print a summary");
  sub->add_option("FILE", o.path, "a .cnf, .kov, .maxip or .npy file, or an attention directory")->required();
  sub->add_option("--format", o.format, "cnf, kov, maxip, npy or attention (default: from the name)")
      ->check(CLI::IsMember({"cnf", "kov", "maxip", "npy", "attention"}));
  sub->add_flag("--lenient", o.lenient, "DIMACS: accept what `solve --lenient` accepts");
  return sub;
}

int run_check(const CheckOptions& o) {
  const std::string format = o.format.empty() ? format_from_path(o.path) : o.format;
  // The summary is printed only once the reader has succeeded.
  std::ostringstream summary;
  if (format == "cnf") {
    DimacsOptions options;
    options.lenient = o.lenient;
    const Cnf f = read_dimacs_file(o.path, options);
    summary << "cnf, " << f.num_vars << " variables, " << f.num_clauses() << " clauses\n";
  } else if (format == "kov") {
    const KOvInstance inst = read_kov_file(o.path);
    summary << "kov k = " << inst.k << ", d = " << inst.d << ", n = " << join_sizes(inst.sizes()) << '\n';
  } else if (format == "maxip") {
    const MaxIpInstance inst = read_maxip_file(o.path);
    summary << "maxip k = " << inst.k << ", d = " << inst.d << ", n = " << join_sizes(inst.sizes());
    if (inst.gap) summary << ", threshold " << inst.gap->threshold << ", NO bound " << inst.gap->no_bound;
    summary << '\n';
  } else if (format == "npy") {
    const NpyArray a = read_npy(o.path);
    summary << "npy " << to_string(a.dtype) << ", shape (" << join_sizes(a.shape, ", ") << ")\n";
  } else {
    const AttentionInstance inst = read_attention_directory(o.path);
    summary << "attention k = " << inst.k << ", n = " << join_sizes(inst.lengths()) << ", d = " << inst.d()
              << ", d_v = " << inst.d_v() << ", scale " << inst.scale << '\n';
  }
  std::cout << o.path << ": " << summary.str();
  return kExitOk;
}

}  // namespace sethkit::tools
