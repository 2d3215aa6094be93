#include "tests/fuzz/fuzz_readers.hpp"

#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "problems/attention_instance.hpp"
#include "problems/cnf.hpp"
#include "problems/json_reader.hpp"
#include "core/errors.hpp"
#include "problems/kov_instance.hpp"
#include "problems/maxip_instance.hpp"
#include "problems/npy.hpp"

namespace sethkit::fuzz {
namespace {

// Inputs are small; keep what a reader may allocate small too, so a header
// that asks for gigabytes is refused (SizeLimitError) rather than tried.
constexpr double kFuzzMaxBytes = double(1 << 26);
// With d = 0 a binary header may declare 2^63 (empty) vectors; the readers
// take that in O(1), but writing them back would not end: the round trip is
// skipped beyond this many vectors.
constexpr double kRoundTripMaxVectors = double(1 << 20);

double total_vectors(const std::vector<std::size_t>& sizes) {
  double total = 0;
  for (std::size_t n : sizes) total += double(n);
  return total;
}

void require(bool ok, const char* what) {
  if (!ok) throw std::logic_error(what);
}

void dimacs(const std::string& text) {
  for (bool lenient : {false, true}) {
    DimacsOptions options;
    options.lenient = lenient;
    try {
      const Cnf f = parse_dimacs(text, "fuzz.cnf", options);
      std::ostringstream out;
      write_dimacs(out, f);
      const Cnf g = parse_dimacs(out.str(), "again.cnf");
      require(g.num_vars == f.num_vars && g.clauses == f.clauses, "DIMACS write/read round trip differs");
    } catch (const InputError&) {
    }
  }
}

void kov(const std::string& bytes) {
  KOvInstance inst;
  try {
    inst = parse_kov(bytes, "fuzz.kov");
  } catch (const InputError&) {
    return;
  }
  if (total_vectors(inst.sizes()) > kRoundTripMaxVectors) return;
  std::ostringstream text, binary;
  write_kov_text(text, inst);
  write_kov_binary(binary, inst);
  require(parse_kov(text.str(), "again.kov") == inst, "kOV text round trip differs");
  require(parse_kov(binary.str(), "again.kov") == inst, "kOV binary round trip differs");
}

void maxip(const std::string& bytes) {
  MaxIpInstance inst;
  try {
    inst = parse_maxip(bytes, "fuzz.maxip");
  } catch (const InputError&) {
    return;
  }
  if (total_vectors(inst.sizes()) > kRoundTripMaxVectors) return;
  std::ostringstream text, binary;
  write_maxip_text(text, inst);
  write_maxip_binary(binary, inst);
  require(parse_maxip(text.str(), "again.maxip") == inst, "MaxIP text round trip differs");
  require(parse_maxip(binary.str(), "again.maxip") == inst, "MaxIP binary round trip differs");
}

void npy(const std::string& bytes) {
  for (bool non_finite : {false, true}) {
    NpyReadOptions options;
    options.allow_non_finite = non_finite;
    options.max_bytes = kFuzzMaxBytes;
    NpyArray a;
    try {
      a = parse_npy(bytes, "fuzz.npy", options);
    } catch (const InputError&) {
      continue;
    } catch (const SizeLimitError&) {
      continue;
    }
    std::size_t count = 1;
    for (std::size_t n : a.shape) count *= n;
    require(a.data.size() == count, ".npy data size differs from the shape");
    std::ostringstream out;
    NpyWriteOptions w;
    w.dtype = a.dtype;
    try {
      write_npy(out, a.shape, a.data.data(), w);
    } catch (const InputError&) {
      continue;  // a header too long for the writer; refused, not written
    }
    const NpyArray b = parse_npy(out.str(), "again.npy", options);
    require(b.shape == a.shape && b.dtype == a.dtype && b.data.size() == a.data.size(),
            ".npy write/read round trip differs");
  }
}

void manifest(const std::string& bytes) {
  nlohmann::json j;
  try {
    j = parse_json_strict(bytes, "manifest.json");  // what read_attention_directory parses with
  } catch (const InputError&) {
    return;
  }
  DenseMatrix q(2, 1), k1(3, 1), k2(1, 1), v1(3, 1), v2(1, 1);
  AttentionInstance inst = make_attention_instance(q, {k1, k2}, {v1, v2});
  try {
    manifest_from_json(j, "manifest.json", inst);
    inst.validate("fuzz");
  } catch (const InputError&) {
    return;
  }
  AttentionInstance again = make_attention_instance(q, {k1, k2}, {v1, v2});
  manifest_from_json(manifest_to_json(inst), "again.json", again);
  require(again.scale == inst.scale && again.manifest == inst.manifest, "manifest round trip differs");
}

}  // namespace

bool is_target(std::string_view t) {
  return t == "dimacs" || t == "kov" || t == "maxip" || t == "npy" || t == "manifest";
}

void run_one(std::string_view target, const uint8_t* data, std::size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  if (target == "dimacs") dimacs(bytes);
  else if (target == "kov") kov(bytes);
  else if (target == "maxip") maxip(bytes);
  else if (target == "npy") npy(bytes);
  else if (target == "manifest") manifest(bytes);
  else throw std::logic_error("unknown fuzz target");
}

}  // namespace sethkit::fuzz

#ifdef SETHKIT_FUZZ_TARGET
// libFuzzer entry (tests/fuzz/run-fuzz builds one binary per target with
// -DSETHKIT_FUZZ_TARGET=\"kov\" ...). An escaping exception aborts: a crash.
extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  sethkit::fuzz::run_one(SETHKIT_FUZZ_TARGET, data, size);
  return 0;
}
#endif
