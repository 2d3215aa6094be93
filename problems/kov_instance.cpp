#include "problems/kov_instance.hpp"

#include <bit>
#include <cstring>
#include <limits>
#include <ostream>

#include "problems/binary_io.hpp"
#include "core/errors.hpp"
#include "problems/input_file.hpp"
#include "problems/text_reader.hpp"

namespace sethkit {

PackedVectors::PackedVectors(std::size_t count, int dimension)
    : count_(count), dimension_(dimension), words_(words_for_bits(dimension)),
      data_(count * words_for_bits(dimension), 0) {}

void PackedVectors::set(std::size_t i, int j, bool value) {
  const uint64_t mask = uint64_t(1) << (j & 63);
  uint64_t& w = row(i)[j >> 6];
  w = value ? (w | mask) : (w & ~mask);
}

std::size_t PackedVectors::popcount(std::size_t i) const {
  std::size_t c = 0;
  for (std::size_t w = 0; w < words_; ++w) c += static_cast<std::size_t>(std::popcount(row(i)[w]));
  return c;
}

int64_t KOvInstance::inner_product(const std::vector<std::size_t>& index) const {
  int64_t total = 0;
  const std::size_t words = words_for_bits(d);
  for (std::size_t w = 0; w < words; ++w) {
    uint64_t acc = ~uint64_t(0);
    for (int p = 0; p < k; ++p) acc &= parties[p].row(index[p])[w];
    total += std::popcount(acc);
  }
  return total;
}

std::vector<std::size_t> KOvInstance::sizes() const {
  std::vector<std::size_t> s;
  for (const auto& party : parties) s.push_back(party.size());
  return s;
}

std::size_t KOvInstance::num_tuples_saturated() const {
  std::size_t total = 1;
  for (const auto& party : parties) {
    if (party.size() == 0) return 0;
    if (total > std::numeric_limits<std::size_t>::max() / party.size())
      return std::numeric_limits<std::size_t>::max();
    total *= party.size();
  }
  return total;
}

double kov_text_bytes(int k, int d, const std::vector<std::size_t>& sizes) {
  double vectors = 0;
  for (auto n : sizes) vectors += double(n);
  return 32.0 + 21.0 * k + vectors * (std::max(d, 1) + 1);
}

double kov_binary_bytes(int k, int d, const std::vector<std::size_t>& sizes) {
  double vectors = 0;
  for (auto n : sizes) vectors += double(n);
  return 8.0 * (3 + k) + vectors * 8.0 * double(words_for_bits(d));
}

void write_kov_text(std::ostream& out, const KOvInstance& inst,
                    const std::vector<std::string>& comments) {
  for (const auto& c : comments) out << "c " << c << '\n';
  out << "p kov " << inst.k << ' ' << inst.d;
  for (const auto& party : inst.parties) out << ' ' << party.size();
  out << '\n';
  std::string line;
  for (const auto& party : inst.parties) {
    for (std::size_t i = 0; i < party.size(); ++i) {
      if (inst.d == 0) {
        line = "-";
      } else {
        line.assign(static_cast<std::size_t>(inst.d), '0');
        for (int j = 0; j < inst.d; ++j)
          if (party.bit(i, j)) line[static_cast<std::size_t>(j)] = '1';
      }
      line += '\n';
      out << line;
    }
  }
}

namespace {

constexpr char kBinaryMagic[8] = {'S', 'E', 'T', 'H', 'K', 'O', 'V', '1'};

void put_u64(std::ostream& out, uint64_t v) { binary_io::put_le<uint64_t>(out, v); }
uint64_t get_u64(const std::string& bytes, std::size_t offset) { return binary_io::get_le<uint64_t>(bytes, offset); }

void check_header_counts(const std::string& where, int64_t k, int64_t d) {
  if (k < 2 || k > kMaxOrder)
    throw InputError(where, "order k = " + std::to_string(k) + " is outside 2.." +
                                std::to_string(kMaxOrder));
  if (d < 0 || d > kMaxKovDimension)
    throw InputError(where, "dimension " + std::to_string(d) + " is outside 0.." +
                                std::to_string(kMaxKovDimension));
}

}  // namespace

std::string party_size_problem(int p, uint64_t count) {
  if (count <= uint64_t(kMaxPartyVectors)) return "";
  return "party " + std::to_string(p + 1) + " has " + std::to_string(count) + " vectors, above the limit 2^33 = " +
         std::to_string(kMaxPartyVectors);
}

namespace {

KOvInstance parse_kov_binary(const std::string& bytes, const std::string& name) {
  auto need = [&](std::size_t end) {
    if (bytes.size() < end)
      throw InputError(name, "truncated binary kOV file: " + std::to_string(bytes.size()) +
                                 " bytes, the header needs at least " + std::to_string(end));
  };
  need(24);
  const uint64_t k = get_u64(bytes, 8), d = get_u64(bytes, 16);
  if (k < 2 || k > uint64_t(kMaxOrder))
    throw InputError(name, "binary header: order k = " + std::to_string(k) + " is outside 2.." +
                               std::to_string(kMaxOrder));
  if (d > uint64_t(kMaxKovDimension))
    throw InputError(name, "binary header: dimension " + std::to_string(d) + " exceeds " +
                               std::to_string(kMaxKovDimension));
  need(24 + 8 * k);
  KOvInstance inst;
  inst.k = static_cast<int>(k);
  inst.d = static_cast<int>(d);
  const uint64_t words = words_for_bits(inst.d);
  // Check the exact file size before allocating anything from the counts.
  long double expected = 24.0L + 8.0L * k;
  std::vector<uint64_t> n(k);
  for (uint64_t p = 0; p < k; ++p) {
    n[p] = get_u64(bytes, 24 + 8 * p);
    if (const std::string problem = party_size_problem(int(p), n[p]); !problem.empty())
      throw InputError(name, "binary header: " + problem);
    expected += 8.0L * words * static_cast<long double>(n[p]);
  }
  if (expected != static_cast<long double>(bytes.size()))
    throw InputError(name, "binary kOV header promises " + byte_count_text(expected) +
                               " but the file has " + std::to_string(bytes.size()) +
                               " (truncated or corrupt)");
  std::size_t offset = 24 + 8 * k;
  for (uint64_t p = 0; p < k; ++p) {
    PackedVectors party(n[p], inst.d);
    // With d = 0 the vectors hold no words, so the size check above does not
    // bound the counts: do not walk 2^63 empty vectors (found by fuzzing).
    for (uint64_t i = 0; words != 0 && i < n[p]; ++i) {
      for (uint64_t w = 0; w < words; ++w, offset += 8) {
        const uint64_t value = get_u64(bytes, offset);
        const int used = inst.d - int(64 * w);
        if (used < 64 && (value >> used) != 0)
          throw InputError(name, "party " + std::to_string(p + 1) + " vector " + std::to_string(i + 1) +
                                     " has bits set beyond dimension " + std::to_string(inst.d));
        party.row(i)[w] = value;
      }
    }
    inst.parties.push_back(std::move(party));
  }
  return inst;
}

KOvInstance parse_kov_text(const std::string& text, const std::string& name) {
  TextReader in(text, name);
  if (in.at_end_of_file()) in.fail("empty file: expected a 'p kov K D N_1 ... N_K' header");
  KOvInstance inst;
  bool have_header = false;
  std::vector<std::size_t> n;
  std::size_t party = 0, index = 0;
  while (in.next_line()) {
    if (in.line_starts_with('c') || in.at_end_of_line()) continue;
    if (!have_header) {
      if (!in.line_starts_with('p')) in.fail("expected a 'p kov K D N_1 ... N_K' header");
      in.expect_word("p");
      const std::string format = in.word("'kov' after 'p'");
      if (format != "kov") in.fail("expected 'p kov', found 'p " + format + "'");
      const int64_t k = in.integer("the order K after 'p kov'");
      const int64_t d = in.integer("the dimension D after 'p kov " + std::to_string(k) + "'");
      try {
        check_header_counts("", k, d);
      } catch (const InputError& e) {
        in.fail(e.what());
      }
      inst.k = int(k);
      inst.d = int(d);
      // Every vector takes at least d+1 bytes of text: a count the file cannot
      // hold is refused before anything is allocated.
      long double text_needed = 0;
      for (int64_t p = 0; p < k; ++p) {
        const int64_t count = in.integer("the size N_" + std::to_string(p + 1) + " of party " + std::to_string(p + 1));
        if (count < 0) in.fail("negative size " + std::to_string(count) + " for party " + std::to_string(p + 1));
        if (const std::string problem = party_size_problem(int(p), uint64_t(count)); !problem.empty()) in.fail(problem);
        text_needed += static_cast<long double>(count) * (std::max<int64_t>(d, 1) + 1);
        n.push_back(static_cast<std::size_t>(count));
      }
      in.expect_end_of_line("after the 'p kov' header (expected exactly K sizes)");
      if (text_needed > static_cast<long double>(text.size()) + 1)
        in.fail("header promises " + byte_count_text(text_needed) +
                " of vectors but the file has only " + std::to_string(text.size()) +
                " bytes (truncated file or wrong counts?)");
      for (int p = 0; p < inst.k; ++p) inst.parties.emplace_back(n[p], inst.d);
      have_header = true;
      while (party < n.size() && n[party] == 0) ++party;
      continue;
    }
    if (party >= n.size()) in.fail("more vectors than the header declares");
    const std::string bits = in.word("a vector of " + std::to_string(inst.d) + " bits");
    in.expect_end_of_line("after the vector (one vector a line)");
    if (inst.d == 0) {
      if (bits != "-") in.fail("expected '-' (an empty vector, D = 0), found " + quote_token(bits));
    } else {
      if (bits.size() != static_cast<std::size_t>(inst.d))
        in.fail("vector has " + std::to_string(bits.size()) + " entries, expected D = " + std::to_string(inst.d));
      for (int j = 0; j < inst.d; ++j) {
        const char c = bits[static_cast<std::size_t>(j)];
        if (c != '0' && c != '1')
          in.fail("entry " + std::to_string(j + 1) + " of the vector is " + quote_token(std::string(1, c)) +
                  ", expected '0' or '1'");
        if (c == '1') inst.parties[party].set(index, j, true);
      }
    }
    if (++index == n[party]) {
      index = 0;
      ++party;
      while (party < n.size() && n[party] == 0) ++party;
    }
  }
  if (!have_header) in.fail("no 'p kov K D N_1 ... N_K' header in the file");
  if (party < n.size())
    in.fail("file ends after " + std::to_string(index) + " of the " + std::to_string(n[party]) +
            " vectors of party " + std::to_string(party + 1));
  return inst;
}

}  // namespace

void write_kov_binary(std::ostream& out, const KOvInstance& inst) {
  out.write(kBinaryMagic, 8);
  put_u64(out, uint64_t(inst.k));
  put_u64(out, uint64_t(inst.d));
  for (const auto& party : inst.parties) put_u64(out, party.size());
  for (const auto& party : inst.parties)
    for (std::size_t i = 0; i < party.size(); ++i)
      for (std::size_t w = 0; w < party.words(); ++w) put_u64(out, party.row(i)[w]);
}

KOvInstance parse_kov(const std::string& bytes, const std::string& name) {
  if (bytes.size() >= 8 && std::memcmp(bytes.data(), kBinaryMagic, 8) == 0)
    return parse_kov_binary(bytes, name);
  return parse_kov_text(bytes, name);
}

KOvInstance read_kov_file(const std::string& path) {
  return parse_kov(read_text_file(path, kMaxKovFileBytes), input_name(path, true));
}

}  // namespace sethkit
