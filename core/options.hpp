// One table of every limit and tunable of sethkit (after CaDiCaL's
// options.hpp: one line per option with its name, default, range and help,
// so that the code, the command line, the benchmarks and the README read the
// same values).
//
// Each header keeps its named constant and takes the value from here:
//   inline constexpr int kMaxOrder = core::option_as<int>("kov.max_order");
//   std::size_t tile_a = core::option_as<std::size_t>("exact.tile_a");
// option() and option_as() are consteval: an unknown name, or a default that
// does not fit the constant's type exactly, is a compile error.
//
// Range: for a tunable or a command-line option, the values it accepts; for a
// fixed limit, min is the smallest value that still lets the code work and max
// the largest the code is written for (raising a limit past max needs a code
// change, lowering it never does). Infinity means no upper bound.
//
// The README's "Limits" table is options_markdown(); tests/core checks it.
#pragma once

#include <cmath>
#include <cstddef>
#include <iterator>
#include <limits>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace sethkit::core {

struct OptionSpec {
  std::string_view name;      // "<module>.<what>", the key for option()
  double value;               // the default
  double min, max;            // the range (see above)
  std::string_view unit;      // bytes, count, operations, ns, ratio, bits
  std::string_view constant;  // the C++ name that carries it
  std::string_view flag;      // the command-line option that sets it, or ""
  std::string_view help;
};

inline constexpr double kUnbounded = std::numeric_limits<double>::infinity();
inline constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;
inline constexpr double kMiB = 1024.0 * 1024.0;

// clang-format off
inline constexpr OptionSpec kOptions[] = {
  // problems/: file formats
  {"dimacs.max_file_bytes", 4 * kGiB, 1, kUnbounded, "bytes", "kMaxDimacsFileBytes", "", "a DIMACS file is read whole; larger ones are refused before reading"},
  {"dimacs.max_variables", 2147483647.0, 1, 2147483647.0, "count", "kMaxDimacsVariables", "", "variables of a CNF (32-bit signed in every SAT solver called)"},
  {"dimacs.max_clauses", 2147483647.0, 1, 2147483647.0, "count", "kMaxDimacsClauses", "", "clauses of a CNF"},
  {"kov.max_file_bytes", 64 * kGiB, 1, kUnbounded, "bytes", "kMaxKovFileBytes", "", "a kOV file"},
  {"maxip.max_file_bytes", 64 * kGiB, 1, kUnbounded, "bytes", "kMaxMaxIpFileBytes", "", "a MaxIP file"},
  {"kov.max_order", 16, 2, 16, "count", "kMaxOrder", "", "order k of a kOV or MaxIP instance"},
  {"attention.max_order", 16, 2, 16, "count", "kMaxAttentionOrder", "", "order k of an attention instance"},
  {"kov.max_dimension", 16777216.0, 1, 16777216.0, "count", "kMaxKovDimension", "", "dimension d of a kOV instance"},
  {"maxip.max_dimension", 268435456.0, 1, 268435456.0, "count", "kMaxMaxIpDimension", "", "dimension d of a MaxIP instance"},
  {"party.max_vectors", 8589934592.0, 1, 8589934592.0, "count", "kMaxPartyVectors", "", "vectors in one kOV or MaxIP party (also with d = 0)"},
  {"attention.max_bytes", 64 * kGiB, 1, kUnbounded, "bytes", "kMaxAttentionBytes", "", "an attention directory's matrices, held as double"},
  {"manifest.max_base_bytes", 65536, 1024, kUnbounded, "bytes", "kMaxManifestBaseBytes", "", "manifest.json, plus manifest.max_bytes_per_row per matrix row"},
  {"manifest.max_bytes_per_row", 32, 1, kUnbounded, "bytes", "kMaxManifestBytesPerRow", "", "manifest.json bytes allowed per matrix row (its row map)"},
  {"gen.max_literals", 33554432.0, 1, kUnbounded, "count", "kMaxGeneratedLiterals", "", "literals of a formula sethkit gen writes (about 250 MB of DIMACS)"},
  // codes/
  {"field.max_characteristic", 65535, 2, 65535, "count", "kMaxCharacteristic", "", "field characteristic (lazy-reduction dot products add 2^30 products in 64 bits)"},
  {"field.max_listed_elements", 67108864.0, 1, kUnbounded, "count", "kMaxListedElements", "", "elements Field::elements() lists (4 bytes each)"},
  {"codes.max_codewords", 16777216.0, 1, kUnbounded, "count", "kDefaultEnumerationLimit", "--max-codewords", "codewords enumerated for an exact minimum distance"},
  {"codes.max_enumerated_symbols", 4294967296.0, 1, kUnbounded, "count", "kMaxEnumeratedSymbols", "", "codewords times length visited by a minimum-distance enumeration"},
  {"codes.max_macwilliams_bytes", 256 * kMiB, 1, kUnbounded, "bytes", "kMaxMacWilliamsBytes", "", "exact integers of the MacWilliams identity (dual route of the minimum distance)"},
  {"elimination.max_work", 1e10, 1, kUnbounded, "operations", "kMaxEliminationWork", "", "r·r·n field operations of one Gaussian elimination"},
  {"elimination.max_entries", 16777216.0, 1, kUnbounded, "count", "kMaxMatrixEntries", "", "entries of one matrix eliminated"},
  // protocols/ and `sethkit protocol`
  {"protocol.k", 3, 2, 16, "count", "ProtocolOptions::k", "--k", "parties of the protocol"},
  {"protocol.soundness", 0.5, 1e-6, 0.999999, "ratio", "ProtocolOptions::soundness", "--soundness", "target soundness of the parameter chooser"},
  {"protocol.max_work", 2e9, 0, kUnbounded, "operations", "ProtocolOptions::max_work", "--max-work", "field operations the exact analysis may take (over it: skipped)"},
  {"protocol.max_tuples", 1048576.0, 1, kUnbounded, "count", "kMaxProtocolTuples", "", "set tuples the exact analysis lists"},
  // solvers/
  {"sat.max_brute_force_variables", 40, 0, 62, "count", "kMaxBruteForceVariables", "", "variables of brute-force SAT (2^n assignments)"},
  {"gap_maxip.max_work", 2e10, 1, kUnbounded, "operations", "kMaxGapMaxIpWork", "", "field operations of the exact brute-force Gap-MaxIP maximum (~10 s); past it the pruned decision runs"},
  {"gap_maxip.max_pruned_work", 3e11, 1, kUnbounded, "operations", "kMaxGapMaxIpPrunedWork", "", "field operations of the pruned Gap-MaxIP decision: kOV tuples x n_C (T k + dim), one candidate message each (~1 min)"},
  {"gap_maxip.table_bytes", 256 * kMiB, 0, kUnbounded, "bytes", "kGapMaxIpTableBytes", "", "Merlin's messages are listed up to this; past it they are formed on demand"},
  {"kov.small_dimension_max_bits", 26, 1, 30, "bits", "kSmallDimensionMaxBits", "", "largest d of the small-dimension table (2^d entries of 4 bytes)"},
  {"kov.packed_ns_per_tuple_word", 0.18, 0, kUnbounded, "ns", "kPackedNsPerTupleWord", "", "measured cost of a k-tuple test per 64-bit word (bench_kov)"},
  {"kov.zeta_ns_per_step", 1.5, 0, kUnbounded, "ns", "kZetaNsPerStep", "", "measured cost of one zeta-transform step (bench_kov)"},
  {"kov.table_ns_per_query", 5.0, 0, kUnbounded, "ns", "kTableNsPerQuery", "", "measured cost of one table query (bench_kov)"},
  // reductions/
  {"attention.backend_relative_error", 1e-6, 0, 0.5, "ratio", "kDefaultBackendRelativeError", "", "relative error of log O the MaxIP -> attention threshold allows a backend"},
  // attention/
  {"threads.max", 1024, 1, kUnbounded, "count", "kMaxThreads", "", "OpenMP threads any backend accepts (scratch is per thread)"},
  {"exact.max_bytes", 4 * kGiB, 1, kUnbounded, "bytes", "kExactMaxBytes", "", "exact attention (O, log D, copies, scratch) in the library; the CLI uses --max-bytes"},
  {"exact.tile_a", 64, 1, kUnbounded, "count", "ExactTuning::tile_a", "", "rows of K_{k-2} per tile (M of the score GEMM)"},
  {"exact.tile_b", 512, 1, kUnbounded, "count", "ExactTuning::tile_b", "", "rows of K_{k-1} per tile (N of the score GEMM)"},
  {"exact.rows_per_task", 1, 1, kUnbounded, "count", "ExactTuning::rows_per_task", "", "query rows per OpenMP work item"},
  {"exact.tile_kernels", 1, 0, 1, "count", "ExactTuning::tile_kernels", "", "1: the exact forward's and backward's tile products on AVX-512 micro-kernels where the CPU has AVX-512F; 0: cblas"},
  {"sparse.block_tuple_size", 1024, 1, kUnbounded, "count", "SparseTuning::block_tuple_size", "", "key tuples per block of the sparse backend's bounds, at least: p rows a side, p the least power of two with p^{k-1} >= this"},
  {"sparse.max_block_tuples", 65536, 1, kUnbounded, "count", "SparseTuning::max_block_tuples", "", "block-tuples per query row (blocks grow past it)"},
  {"sparse.exact_fraction", 0.5, 0, 1, "ratio", "SparseTuning::exact_fraction", "", "share of a row's tuples past which the sparse backend runs the exact kernel"},
  {"grad.tile_a", 64, 1, kUnbounded, "count", "GradientTuning::tile_a", "", "rows of K_{k-2} per tile of the exact backward"},
  {"grad.tile_b", 256, 1, kUnbounded, "count", "GradientTuning::tile_b", "", "rows of K_{k-1} per tile of the exact backward"},
  {"grad.max_chunks", 64, 1, kUnbounded, "count", "GradientTuning::max_chunks", "", "row chunks with a private dK/dV accumulator"},
  {"grad.chunk_bytes_budget", 1 * kGiB, 1, kUnbounded, "bytes", "GradientTuning::chunk_bytes_budget", "", "bytes of all chunk accumulators together"},
  {"poly.max_bytes", 4 * kGiB, 1, kUnbounded, "bytes", "kPolyMaxBytes", "", "scratch and output of one polynomial-method run"},
  {"poly.max_radius", 40, 0, 40, "ratio", "kPolyMaxRadius", "", "score radius R past which the polynomial method refuses (double floor 2^-53 e^{2R})"},
  {"poly.max_degree", 128, 0, 512, "count", "PolyOptions::max_degree", "", "where the degree search stops"},
  {"poly.degree_limit", 512, 0, 512, "count", "kMaxExpDegree", "", "largest degree certified (O(g^3) interval operations)"},
  {"poly.degree_stall", 6, 1, kUnbounded, "count", "kExpDegreeStall", "", "degrees without halving the lower bound before the search stops"},
  {"poly.row_block", 128, 1, kUnbounded, "count", "PolyTuning::row_block", "", "rows of a side per feature block"},
  {"poly.rank_chunk", 512, 1, kUnbounded, "count", "PolyTuning::rank_chunk", "", "rank terms the query side sums per chunk"},
  // tools/
  {"cli.max_bytes", 1 * kGiB, 1, kUnbounded, "bytes", "kDefaultMaxBytes", "--max-bytes", "what solve, reduce, verify, attention, grad and protocol build"},
};
// clang-format on

// The index of the entry named `name`, or kOptionCount when there is none.
// An index, not a pointer: GCC's sanitizer build refuses to compare the
// address of a table entry with null in a constant expression. constexpr,
// not consteval: clang 14 (the fuzz build) refuses a consteval function that
// passes its parameter on to another consteval function.
inline constexpr std::size_t kOptionCount = std::size(kOptions);
constexpr std::size_t option_index(std::string_view name) {
  for (std::size_t i = 0; i < kOptionCount; ++i)
    if (kOptions[i].name == name) return i;
  return kOptionCount;
}

// The entry named `name`; a compile error (consteval) when there is none.
consteval const OptionSpec& option_spec(std::string_view name) {
  const std::size_t i = option_index(name);
  if (i == kOptionCount) throw std::invalid_argument("core::option: no option of this name in core/options.hpp");
  return kOptions[i];
}

// The default of `name`.
consteval double option(std::string_view name) {
  const std::size_t i = option_index(name);
  if (i == kOptionCount) throw std::invalid_argument("core::option: no option of this name in core/options.hpp");
  return kOptions[i].value;
}

// The default of `name` as T; a compile error unless it is exactly a T.
template <class T>
consteval T option_as(std::string_view name) {
  const std::size_t i = option_index(name);
  if (i == kOptionCount) throw std::invalid_argument("core::option: no option of this name in core/options.hpp");
  const double v = kOptions[i].value;
  if constexpr (std::is_integral_v<T>) {
    if (!(v >= double(std::numeric_limits<T>::min()) && v < 2.0 * (double(std::numeric_limits<T>::max() / 2) + 1)))
      throw std::invalid_argument("core::option_as: the default is out of this integer type's range");
    const T t = static_cast<T>(v);
    if (double(t) != v) throw std::invalid_argument("core::option_as: the default is not exactly this integer type");
    return t;
  } else {
    return static_cast<T>(v);
  }
}

// Run-time lookup: the entry named `name`, or InputError naming the known ones.
const OptionSpec& find_option(std::string_view name);

// A value in an option's range as text: "1 GiB", "2^24", "0.18", "unbounded".
std::string option_value_text(const OptionSpec& o, double value);

// The README's Limits table: one row per option (option, default, range,
// unit, C++ name or flag, what it bounds).
std::string options_markdown();

}  // namespace sethkit::core
