#include "problems/maxip_instance.hpp"

#include <cstring>
#include <ostream>

#include "problems/binary_io.hpp"
#include "core/errors.hpp"
#include "problems/kov_instance.hpp"
#include "problems/input_file.hpp"
#include "problems/text_reader.hpp"

namespace sethkit {
namespace {

constexpr char kMagic[8] = {'S', 'E', 'T', 'H', 'M', 'I', 'P', '1'};

void check_order_and_dimension(const TextReader* in, const std::string& name, int64_t k, int64_t d) {
  std::string problem;
  if (k < 2 || k > kMaxOrder) problem = "order k = " + std::to_string(k) + " is outside 2.." + std::to_string(kMaxOrder);
  else if (d < 0 || d > kMaxMaxIpDimension)
    problem = "dimension " + std::to_string(d) + " is outside 0.." + std::to_string(kMaxMaxIpDimension);
  if (problem.empty()) return;
  if (in) in->fail(problem);
  throw InputError(name, problem);
}

MaxIpInstance parse_binary(const std::string& bytes, const std::string& name) {
  using binary_io::get_le;
  auto need = [&](std::size_t end) {
    if (bytes.size() < end)
      throw InputError(name, "truncated binary MaxIP file: " + std::to_string(bytes.size()) +
                                 " bytes, the header needs at least " + std::to_string(end));
  };
  need(24);
  const auto k = get_le<uint64_t>(bytes, 8), d = get_le<uint64_t>(bytes, 16);
  if (k > uint64_t(kMaxOrder) || d > uint64_t(kMaxMaxIpDimension))
    throw InputError(name, "binary header: k = " + std::to_string(k) + ", d = " + std::to_string(d) + " out of range");
  check_order_and_dimension(nullptr, name, int64_t(k), int64_t(d));
  const std::size_t header = 24 + 8 * k + 1 + 16;
  need(header);
  MaxIpInstance inst;
  inst.k = int(k);
  inst.d = int(d);
  long double expected = header;
  std::vector<uint64_t> n(k);
  for (uint64_t p = 0; p < k; ++p) {
    n[p] = get_le<uint64_t>(bytes, 24 + 8 * p);
    if (const std::string problem = party_size_problem(int(p), n[p]); !problem.empty())
      throw InputError(name, "binary header: " + problem);
    expected += 4.0L * d * static_cast<long double>(n[p]);
  }
  if (expected != static_cast<long double>(bytes.size()))
    throw InputError(name, "binary MaxIP header promises " + byte_count_text(expected) +
                               " but the file has " + std::to_string(bytes.size()) + " (truncated or corrupt)");
  const std::size_t flag_at = 24 + 8 * k;
  const auto flag = static_cast<unsigned char>(bytes[flag_at]);
  if (flag > 1) throw InputError(name, "binary header: threshold flag is " + std::to_string(flag) + ", expected 0 or 1");
  if (flag) {
    inst.gap = MaxIpGap{get_le<int64_t>(bytes, flag_at + 1), get_le<int64_t>(bytes, flag_at + 9)};
    // The same promise the text reader checks (found by fuzzing: a binary
    // file could carry a gap its text form is refused for).
    constexpr int64_t kMaxBound = int64_t(1) << 62;  // what the text reader accepts
    for (const int64_t v : {inst.gap->threshold, inst.gap->no_bound})
      if (v > kMaxBound || v < -kMaxBound)
        throw InputError(name, "binary header: threshold or NO bound " + std::to_string(v) +
                                   " is outside -2^62..2^62");
    if (inst.gap->no_bound >= inst.gap->threshold)
      throw InputError(name, "binary header: NO bound " + std::to_string(inst.gap->no_bound) +
                                 " must be below the threshold " + std::to_string(inst.gap->threshold));
  }
  std::size_t offset = header;
  for (uint64_t p = 0; p < k; ++p) {
    IntVectors party(n[p], inst.d);
    // d = 0: no entries, so the size check does not bound the counts; do not
    // walk them (found by fuzzing).
    for (uint64_t i = 0; inst.d != 0 && i < n[p]; ++i)
      for (int j = 0; j < inst.d; ++j, offset += 4) party.row(i)[j] = get_le<int32_t>(bytes, offset);
    inst.parties.push_back(std::move(party));
  }
  return inst;
}

MaxIpInstance parse_text(const std::string& text, const std::string& name) {
  TextReader in(text, name);
  if (in.at_end_of_file()) in.fail("empty file: expected a 'p maxip K D N_1 ... N_K' header");
  MaxIpInstance inst;
  bool have_header = false;
  std::vector<std::size_t> n;
  std::size_t party = 0, index = 0, vectors_read = 0;
  auto advance_past_empty = [&] {
    while (party < n.size() && index == n[party]) {
      index = 0;
      ++party;
    }
  };
  while (in.next_line()) {
    if (in.line_starts_with('c') || in.at_end_of_line()) continue;
    if (!have_header) {
      if (!in.line_starts_with('p')) in.fail("expected a 'p maxip K D N_1 ... N_K' header");
      in.expect_word("p");
      const std::string format = in.word("'maxip' after 'p'");
      if (format != "maxip") in.fail("expected 'p maxip', found 'p " + format + "'");
      const int64_t k = in.integer("the order K after 'p maxip'");
      const int64_t d = in.integer("the dimension D");
      check_order_and_dimension(&in, name, k, d);
      inst.k = int(k);
      inst.d = int(d);
      long double text_needed = 0;  // each entry takes at least 2 bytes
      for (int64_t p = 0; p < k; ++p) {
        const int64_t count = in.integer("the size N_" + std::to_string(p + 1));
        if (count < 0) in.fail("negative size " + std::to_string(count) + " for party " + std::to_string(p + 1));
        if (const std::string problem = party_size_problem(int(p), uint64_t(count)); !problem.empty()) in.fail(problem);
        text_needed += static_cast<long double>(count) * std::max<int64_t>(2 * d, 1);
        n.push_back(static_cast<std::size_t>(count));
      }
      in.expect_end_of_line("after the 'p maxip' header (expected exactly K sizes)");
      if (text_needed > static_cast<long double>(text.size()) + 1)
        in.fail("header promises at least " + byte_count_text(text_needed) +
                " of vectors but the file has " + std::to_string(text.size()) +
                " (truncated file or wrong counts?)");
      for (int p = 0; p < inst.k; ++p) inst.parties.emplace_back(n[std::size_t(p)], inst.d);
      have_header = true;
      advance_past_empty();
      continue;
    }
    if (in.line_starts_with('t')) {
      if (inst.gap) in.fail("second 't' line");
      if (vectors_read != 0) in.fail("the 't THRESHOLD NO_BOUND' line must come before the vectors");
      in.expect_word("t");
      MaxIpGap gap;
      gap.threshold = in.integer("the threshold after 't'");
      gap.no_bound = in.integer("the NO bound after the threshold");
      in.expect_end_of_line("after 't THRESHOLD NO_BOUND'");
      if (gap.no_bound >= gap.threshold)
        in.fail("NO bound " + std::to_string(gap.no_bound) + " must be below the threshold " +
                std::to_string(gap.threshold));
      inst.gap = gap;
      continue;
    }
    if (party >= n.size()) in.fail("more vectors than the header declares");
    int32_t* row = inst.parties[party].row(index);
    for (int j = 0; j < inst.d; ++j) {
      const int64_t v = in.integer("entry " + std::to_string(j + 1) + " of " + std::to_string(inst.d));
      if (v < INT32_MIN || v > INT32_MAX) in.fail("entry " + std::to_string(v) + " does not fit in 32 bits");
      row[j] = static_cast<int32_t>(v);
    }
    if (inst.d == 0) in.expect_word("-");
    in.expect_end_of_line("after " + std::to_string(inst.d) + " entries (one vector a line)");
    ++index;
    ++vectors_read;
    advance_past_empty();
  }
  if (!have_header) in.fail("no 'p maxip K D N_1 ... N_K' header in the file");
  if (party < n.size())
    in.fail("file ends after " + std::to_string(index) + " of the " + std::to_string(n[party]) +
            " vectors of party " + std::to_string(party + 1));
  return inst;
}

}  // namespace

int64_t MaxIpInstance::inner_product(const std::vector<std::size_t>& index) const {
  int64_t total = 0;
  for (int j = 0; j < d; ++j) {
    int64_t prod = 1;
    for (int p = 0; p < k; ++p) prod *= parties[std::size_t(p)].row(index[std::size_t(p)])[j];
    total += prod;
  }
  return total;
}

std::vector<std::size_t> MaxIpInstance::sizes() const {
  std::vector<std::size_t> s;
  for (const auto& party : parties) s.push_back(party.size());
  return s;
}

double maxip_memory_bytes(int d, const std::vector<std::size_t>& sizes) {
  double vectors = 0;
  for (auto n : sizes) vectors += double(n);
  return vectors * 4.0 * double(d);
}

void write_maxip_text(std::ostream& out, const MaxIpInstance& inst, const std::vector<std::string>& comments) {
  for (const auto& c : comments) out << "c " << c << '\n';
  out << "p maxip " << inst.k << ' ' << inst.d;
  for (const auto& party : inst.parties) out << ' ' << party.size();
  out << '\n';
  if (inst.gap) out << "t " << inst.gap->threshold << ' ' << inst.gap->no_bound << '\n';
  std::string line;
  for (const auto& party : inst.parties) {
    for (std::size_t i = 0; i < party.size(); ++i) {
      line.clear();
      for (int j = 0; j < inst.d; ++j) {
        if (j) line += ' ';
        line += std::to_string(party.row(i)[j]);
      }
      if (inst.d == 0) line = "-";
      line += '\n';
      out << line;
    }
  }
}

void write_maxip_binary(std::ostream& out, const MaxIpInstance& inst) {
  using binary_io::put_le;
  out.write(kMagic, 8);
  put_le<uint64_t>(out, uint64_t(inst.k));
  put_le<uint64_t>(out, uint64_t(inst.d));
  for (const auto& party : inst.parties) put_le<uint64_t>(out, party.size());
  put_le<uint8_t>(out, inst.gap ? 1 : 0);
  put_le<int64_t>(out, inst.gap ? inst.gap->threshold : 0);
  put_le<int64_t>(out, inst.gap ? inst.gap->no_bound : 0);
  for (const auto& party : inst.parties)
    for (std::size_t i = 0; i < party.size(); ++i)
      for (int j = 0; j < inst.d; ++j) put_le<int32_t>(out, party.row(i)[j]);
}

MaxIpInstance parse_maxip(const std::string& bytes, const std::string& name) {
  if (bytes.size() >= 8 && std::memcmp(bytes.data(), kMagic, 8) == 0) return parse_binary(bytes, name);
  return parse_text(bytes, name);
}

MaxIpInstance read_maxip_file(const std::string& path) {
  return parse_maxip(read_text_file(path, kMaxMaxIpFileBytes), input_name(path, true));
}

}  // namespace sethkit
