#include "tools/check.hpp"

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <map>
#include <sstream>
#include <unordered_set>

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

// Bytes of a file, or of every regular file in a directory.
uintmax_t bytes_on_disk(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_directory(path, ec)) {
    const uintmax_t size = fs::file_size(path, ec);
    return ec ? 0 : size;
  }
  uintmax_t total = 0;
  for (const auto& entry : fs::directory_iterator(path, ec)) {
    if (entry.is_regular_file(ec)) total += entry.file_size(ec);
  }
  return total;
}

struct ClauseHash {
  std::size_t operator()(const std::vector<int>& c) const {
    std::size_t h = c.size();
    for (int lit : c) h ^= std::hash<int>()(lit) + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
    return h;
  }
};

// The statistics lines of a CNF (issue 16 part 7): what a researcher checks
// before trusting a benchmark file. A duplicate clause has the same set of
// literals as an earlier one (order and repeats ignored).
void cnf_statistics(std::ostream& out, const Cnf& f) {
  // Distinct variables by sorting the literal list: memory follows the file,
  // not the header's (possibly huge) variable count.
  std::vector<int> used;
  std::map<std::size_t, std::size_t> widths;
  std::unordered_set<std::vector<int>, ClauseHash> seen;
  std::size_t duplicates = 0, tautologies = 0, repeated = 0, repeated_literals = 0;
  std::vector<int> set;
  for (const auto& clause : f.clauses) {
    ++widths[clause.size()];
    for (int lit : clause) used.push_back(lit < 0 ? -lit : lit);
    set = clause;
    std::sort(set.begin(), set.end());
    const std::size_t before = set.size();
    set.erase(std::unique(set.begin(), set.end()), set.end());
    if (set.size() != before) ++repeated, repeated_literals += before - set.size();
    for (std::size_t i = 0; i < set.size(); ++i) {
      if (set[i] < 0 && std::binary_search(set.begin(), set.end(), -set[i])) {
        ++tautologies;
        break;
      }
    }
    if (!seen.insert(set).second) ++duplicates;
  }
  std::sort(used.begin(), used.end());
  const std::size_t used_count = std::size_t(std::unique(used.begin(), used.end()) - used.begin());
  out << "  variables: " << f.num_vars << " declared, " << used_count << " used\n";
  out << "  clauses: " << f.num_clauses() << '\n';
  out << "  clause widths:";
  if (widths.empty()) out << " none";
  for (auto [w, n] : widths) out << ' ' << w << ':' << n;
  out << "  (width:count)\n";
  out << "  duplicate clauses: " << duplicates << '\n';
  out << "  tautologies: " << tautologies << '\n';
  out << "  clauses with a repeated literal: " << repeated << " (" << repeated_literals << " repeats)\n";
}

void instance_counts(std::ostream& out, int k, const std::vector<std::size_t>& sizes, int d, uintmax_t bytes) {
  out << "  k: " << k << '\n';
  out << "  n per party: " << join_sizes(sizes) << '\n';
  out << "  d: " << d << '\n';
  out << "  bytes: " << bytes << '\n';
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
    cnf_statistics(summary, f);
  } else if (format == "kov") {
    const KOvInstance inst = read_kov_file(o.path);
    summary << "kov k = " << inst.k << ", d = " << inst.d << ", n = " << join_sizes(inst.sizes()) << '\n';
    instance_counts(summary, inst.k, inst.sizes(), inst.d, bytes_on_disk(o.path));
  } else if (format == "maxip") {
    const MaxIpInstance inst = read_maxip_file(o.path);
    summary << "maxip k = " << inst.k << ", d = " << inst.d << ", n = " << join_sizes(inst.sizes());
    if (inst.gap) summary << ", threshold " << inst.gap->threshold << ", NO bound " << inst.gap->no_bound;
    summary << '\n';
    instance_counts(summary, inst.k, inst.sizes(), inst.d, bytes_on_disk(o.path));
  } else if (format == "npy") {
    const NpyArray a = read_npy(o.path);
    summary << "npy " << to_string(a.dtype) << ", shape (" << join_sizes(a.shape, ", ") << ")\n";
    summary << "  bytes: " << bytes_on_disk(o.path) << '\n';
  } else {
    const AttentionInstance inst = read_attention_directory(o.path);
    summary << "attention k = " << inst.k << ", n = " << join_sizes(inst.lengths()) << ", d = " << inst.d()
              << ", d_v = " << inst.d_v() << ", scale " << inst.scale << '\n';
    instance_counts(summary, inst.k, inst.lengths(), int(inst.d()), bytes_on_disk(o.path));
    summary << "  d_v: " << inst.d_v() << '\n';
  }
  std::cout << o.path << ": " << summary.str();
  return kExitOk;
}

}  // namespace sethkit::tools
