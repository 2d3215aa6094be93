// Systematic linear codes (paper 001, Theorem 4.4: systematicity, k-way
// closure, distance). See linear_code.hpp.
#include "codes/linear_code.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include <NTL/ZZ.h>

#include "core/deadline.hpp"
#include "core/errors.hpp"

namespace sethkit::codes {

namespace {

void require_entries_in_field(const Field& field, const Matrix& m, const char* what) {
  for (Element e : m.entries())
    if (!field.contains(e)) throw InputError("", std::string(what) + ": entry outside " + field.name());
}

}  // namespace

LinearCode::LinearCode(std::shared_ptr<const Field> field, const Matrix& generator, std::string name,
                       std::optional<std::size_t> designed_distance)
    : field_(std::move(field)), name_(std::move(name)), designed_distance_(designed_distance) {
  if (!field_) throw std::invalid_argument("LinearCode: no field");
  if (generator.cols() == 0) throw InputError("", name_ + ": a code needs length >= 1");
  require_entries_in_field(*field_, generator, "LinearCode generator");
  RowEchelon echelon = reduced_row_echelon(*field_, generator);
  if (echelon.rank == 0) throw InputError("", name_ + ": the generator matrix is zero (a code needs dimension >= 1)");
  generator_ = std::move(echelon.basis);
  information_set_ = std::move(echelon.pivots);
  index_positions();
}

LinearCode::LinearCode(SystematicTag, std::shared_ptr<const Field> field, Matrix systematic_generator,
                       std::vector<std::size_t> information_set, std::string name,
                       std::optional<std::size_t> designed_distance)
    : field_(std::move(field)),
      name_(std::move(name)),
      designed_distance_(designed_distance),
      generator_(std::move(systematic_generator)),
      information_set_(std::move(information_set)) {
  if (generator_.rows() != information_set_.size() || generator_.rows() == 0 || generator_.cols() == 0)
    throw std::logic_error(name_ + ": systematic generator and information set disagree in size");
  if (!std::is_sorted(information_set_.begin(), information_set_.end()) ||
      std::adjacent_find(information_set_.begin(), information_set_.end()) != information_set_.end() ||
      information_set_.back() >= generator_.cols())
    throw std::logic_error(name_ + ": information set is not strictly increasing within the length");
  for (std::size_t i = 0; i < generator_.rows(); ++i)
    for (std::size_t c = 0; c < information_set_.size(); ++c)
      if (generator_(i, information_set_[c]) != (i == c ? 1u : 0u))
        throw std::logic_error(name_ + ": generator is not the identity on the information set");
  index_positions();
}

void LinearCode::index_positions() {
  columns_ = transpose(generator_);
  const std::size_t k = dimension(), deg = std::size_t(field_->degree());
  column_coords_.assign(length() * k * deg, 0);
  for (std::size_t j = 0; j < length(); ++j) {
    std::uint32_t* out = column_coords_.data() + j * k * deg;
    for (std::size_t i = 0; i < k; ++i) {
      const auto c = field_->coordinates(columns_(j, i));
      out[i] = c[0];
      if (deg == 2) out[k + i] = c[1];
    }
  }
  redundant_positions_.clear();
  std::size_t next = 0;
  for (std::size_t j = 0; j < length(); ++j) {
    if (next < information_set_.size() && information_set_[next] == j) ++next;
    else redundant_positions_.push_back(j);
  }
}

void LinearCode::check_word(std::span<const Element> word, const char* what) const {
  if (word.size() != length())
    throw std::invalid_argument(std::string(what) + ": word of length " + std::to_string(word.size()) +
                                " for a code of length " + std::to_string(length()));
}

Matrix LinearCode::parity_check() const {
  // G = [I | P] up to the column order, so H = [-P^T | I] is zero on G^T.
  const std::size_t r = dimension();
  check_matrix_size(name_ + " parity-check matrix", double(redundant_positions_.size()), double(length()));
  Matrix h(redundant_positions_.size(), length());
  for (std::size_t a = 0; a < redundant_positions_.size(); ++a) {
    const std::size_t j = redundant_positions_[a];
    h(a, j) = 1;
    for (std::size_t i = 0; i < r; ++i) h(a, information_set_[i]) = field_->neg(generator_(i, j));
  }
  return h;
}

std::vector<std::uint32_t> LinearCode::split_message(std::span<const Element> message) const {
  const std::size_t k = dimension(), deg = std::size_t(field_->degree());
  std::vector<std::uint32_t> split(k * deg);
  for (std::size_t i = 0; i < k; ++i) {
    const auto c = field_->coordinates(message[i]);
    split[i] = c[0];
    if (deg == 2) split[k + i] = c[1];
  }
  return split;
}

Element LinearCode::column_dot(const std::vector<std::uint32_t>& split, std::size_t j) const {
  const std::size_t k = dimension();
  if (field_->degree() == 1) {
    const std::uint32_t* g = column_coords_.data() + j * k;
    std::uint64_t s0 = 0;
    for (std::size_t i = 0; i < k; ++i) s0 += std::uint64_t(split[i]) * g[i];
    return field_->combine_products(s0, 0, 0);
  }
  const std::uint32_t* g0 = column_coords_.data() + j * 2 * k;
  const std::uint32_t* g1 = g0 + k;
  const std::uint32_t* m0 = split.data();
  const std::uint32_t* m1 = m0 + k;
  std::uint64_t s0 = 0, s1 = 0, s2 = 0;
  for (std::size_t i = 0; i < k; ++i) {
    s0 += std::uint64_t(m0[i]) * g0[i];
    s1 += std::uint64_t(m0[i]) * g1[i] + std::uint64_t(m1[i]) * g0[i];
    s2 += std::uint64_t(m1[i]) * g1[i];
  }
  return field_->combine_products(s0, s1, s2);
}

std::vector<Element> LinearCode::encode(std::span<const Element> message) const {
  if (message.size() != dimension())
    throw std::invalid_argument("encode: message of length " + std::to_string(message.size()) +
                                " for dimension " + std::to_string(dimension()));
  for (Element m : message)
    if (!field_->contains(m)) throw std::invalid_argument("encode: message symbol outside " + field_->name());
  std::vector<Element> word(length());
  for (std::size_t i = 0; i < information_set_.size(); ++i) word[information_set_[i]] = message[i];
  const std::vector<std::uint32_t> split = split_message(message);
  for (std::size_t j : redundant_positions_) word[j] = column_dot(split, j);
  return word;
}

Element LinearCode::symbol(std::span<const Element> message, std::size_t position) const {
  if (message.size() != dimension()) throw std::invalid_argument("symbol: message has the wrong length");
  if (position >= length()) throw std::out_of_range("symbol: position out of range");
  return field_->dot(message, columns_.row(position));
}

std::vector<Element> LinearCode::message_of(std::span<const Element> word) const {
  check_word(word, "message_of");
  std::vector<Element> message(dimension());
  for (std::size_t i = 0; i < information_set_.size(); ++i) message[i] = word[information_set_[i]];
  return message;
}

bool LinearCode::contains(std::span<const Element> word) const {
  check_word(word, "contains");
  for (Element e : word)
    if (!field_->contains(e)) return false;
  const std::vector<std::uint32_t> split = split_message(message_of(word));
  for (std::size_t j : redundant_positions_)
    if (column_dot(split, j) != word[j]) return false;
  return true;
}

Matrix LinearCode::vanishing_subcode(std::span<const std::size_t> positions) const {
  for (std::size_t j : positions)
    if (j >= length()) throw std::out_of_range("vanishing_subcode: position out of range");
  if (positions.empty()) return generator_;
  // Messages m with (m G)[S'] = 0 form the left kernel of G[:, S'].
  const Matrix kernel = left_kernel(*field_, select_columns(generator_, positions));
  if (kernel.rows() == 0) return Matrix(0, length());
  return multiply(*field_, kernel, generator_);
}

// --- enumeration -------------------------------------------------------------

double macwilliams_bytes(std::size_t n, std::uint64_t field_size) {
  // An NTL::ZZ is a pointer; a nonzero one also owns a block of two header
  // words, the malloc overhead and its 64-bit words.
  const auto integer = [](double bits) { return 32.0 + 8.0 * std::ceil(std::max(bits, 1.0) / 64.0); };
  const double rows = double(n) + 1;
  double bytes = rows * 40.0 + rows * rows * 8.0;  // the row vectors and every handle
  for (std::size_t a = 0; a <= n; ++a) bytes += double(a + 1) * integer(double(a));  // C(a, b) < 2^a
  bytes += rows * (8.0 + integer(double(n) * std::log2(double(std::max<std::uint64_t>(field_size, 2)))));
  return bytes;
}

std::optional<std::uint64_t> span_size(const Field& field, std::size_t rows) {
  std::uint64_t count = 1;
  const std::uint64_t limit = std::uint64_t(1) << 63;
  for (std::size_t i = 0; i < rows; ++i) {
    if (count > limit / field.size()) return std::nullopt;
    count *= field.size();
  }
  return count;
}

namespace {

void check_enumeration(const Field& field, std::size_t rows, std::uint64_t limit) {
  const auto count = span_size(field, rows);
  if (!count || *count > limit) {
    throw SizeLimitError("enumerating " + field.name() + "^" + std::to_string(rows) + " = " +
                         (count ? std::to_string(*count) : std::string("more than 2^63")) +
                         " codewords is over the limit of " + std::to_string(limit));
  }
}

// Walks all F_p-combinations of the F_p-generators {b_i, w b_i} of the span of
// basis in the modular p-ary Gray code: when the base-p counter N increments,
// exactly one Gray digit g_t = (n_t - n_{t+1}) mod p increases by 1 (t = the
// number of trailing digits p-1 of N), so the word changes by + gen_t.
// The word is kept as F_p coordinates (a0, a1 per position).
template <class Visit>
void gray_walk(const Field& field, const Matrix& basis, Visit&& visit) {
  const std::uint32_t p = field.characteristic();
  const std::size_t deg = std::size_t(field.degree());
  const std::size_t width = basis.cols() * deg;
  std::vector<std::vector<std::uint32_t>> gens;
  const Element w = deg == 2 ? field.from_coordinates(0, 1) : 1;
  for (std::size_t i = 0; i < basis.rows(); ++i) {
    for (std::size_t e = 0; e < deg; ++e) {
      std::vector<std::uint32_t> g(width);
      for (std::size_t j = 0; j < basis.cols(); ++j) {
        const Element v = e == 0 ? basis(i, j) : field.mul(w, basis(i, j));
        const auto c = field.coordinates(v);
        for (std::size_t d = 0; d < deg; ++d) g[j * deg + d] = c[d];
      }
      gens.push_back(std::move(g));
    }
  }
  std::vector<std::uint32_t> word(width, 0);
  std::vector<std::uint32_t> digits(gens.size(), 0);
  visit(word);
  for (;;) {
    std::size_t t = 0;
    while (t < digits.size() && digits[t] == p - 1) digits[t++] = 0;
    if (t == digits.size()) break;
    ++digits[t];
    const std::uint32_t* g = gens[t].data();
    for (std::size_t x = 0; x < width; ++x) {
      std::uint32_t s = word[x] + g[x];
      word[x] = s >= p ? s - p : s;
    }
    visit(word);
  }
}

std::size_t coordinate_weight(const std::vector<std::uint32_t>& word, std::size_t deg) {
  std::size_t weight = 0;
  if (deg == 1) {
    for (std::uint32_t v : word) weight += v != 0;
  } else {
    for (std::size_t x = 0; x < word.size(); x += 2) weight += (word[x] | word[x + 1]) != 0;
  }
  return weight;
}

void check_macwilliams_size(const std::string& code_name, std::size_t n, std::uint64_t field_size,
                            std::uint64_t dual_count) {
  check_size("the MacWilliams transform for the exact minimum distance of " + code_name + " (length n = " +
                 std::to_string(n) + ", from " + std::to_string(dual_count) + " dual codewords)",
             macwilliams_bytes(n, field_size), kMaxMacWilliamsBytes,
             "lower the enumeration limit (sethkit codes --max-codewords) to leave the distance unknown");
}

// MacWilliams: A_i = |D|^-1 sum_j B_j K_i(j), K_i(j) = sum_s (-1)^s (Q-1)^(i-s)
// C(j, s) C(n-j, i-s), where B is the weight distribution of the dual D.
std::optional<std::size_t> min_distance_from_dual(const std::vector<std::uint64_t>& dual_weights,
                                                  std::uint64_t field_size, std::size_t n,
                                                  std::uint64_t dual_size) {
  std::vector<std::vector<NTL::ZZ>> binom(n + 1, std::vector<NTL::ZZ>(n + 1));
  for (std::size_t a = 0; a <= n; ++a) {
    binom[a][0] = 1;
    for (std::size_t b = 1; b <= a; ++b) binom[a][b] = binom[a - 1][b - 1] + (b <= a - 1 ? binom[a - 1][b] : NTL::ZZ(0));
  }
  const NTL::ZZ q1 = NTL::conv<NTL::ZZ>(long(field_size - 1));
  std::vector<NTL::ZZ> q1_pow(n + 1);
  q1_pow[0] = 1;
  for (std::size_t i = 1; i <= n; ++i) q1_pow[i] = q1_pow[i - 1] * q1;
  for (std::size_t i = 1; i <= n; ++i) {
    NTL::ZZ sum(0);
    for (std::size_t j = 0; j <= n; ++j) {
      if (dual_weights[j] == 0) continue;
      NTL::ZZ k(0);
      for (std::size_t s = 0; s <= std::min(i, j); ++s) {
        if (i - s > n - j) continue;
        NTL::ZZ term = q1_pow[i - s] * binom[j][s] * binom[n - j][i - s];
        if (s % 2 == 0) k += term;
        else k -= term;
      }
      sum += k * NTL::conv<NTL::ZZ>(dual_weights[j]);
    }
    NTL::ZZ count, rem;
    NTL::DivRem(count, rem, sum, NTL::conv<NTL::ZZ>(dual_size));
    if (!NTL::IsZero(rem) || count < 0)
      throw std::logic_error("MacWilliams transform gave a non-integral or negative weight count");
    if (!NTL::IsZero(count)) return i;
  }
  return std::nullopt;  // only the zero word: not reached for a code of dimension >= 1
}

}  // namespace

void for_each_codeword(const Field& field, const Matrix& basis,
                       const std::function<void(std::span<const Element>)>& visit, std::uint64_t limit) {
  check_enumeration(field, basis.rows(), limit);
  const std::uint32_t p = field.characteristic();
  const std::size_t deg = std::size_t(field.degree());
  std::vector<Element> symbols(basis.cols());
  gray_walk(field, basis, [&](const std::vector<std::uint32_t>& word) {
    for (std::size_t j = 0; j < symbols.size(); ++j)
      symbols[j] = deg == 1 ? word[j] : word[2 * j] + p * word[2 * j + 1];
    visit(symbols);
  });
}

std::vector<std::uint64_t> weight_distribution(const Field& field, const Matrix& basis, std::uint64_t limit) {
  check_enumeration(field, basis.rows(), limit);
  std::vector<std::uint64_t> counts(basis.cols() + 1, 0);
  const std::size_t deg = std::size_t(field.degree());
  DeadlinePoller poll(static_cast<unsigned>(std::max<std::size_t>(1, (std::size_t(1) << 20) / std::max<std::size_t>(1, basis.cols()))));
  gray_walk(field, basis, [&](const std::vector<std::uint32_t>& word) {
    poll.poll();  // --timeout: about every 2^20 symbols
    ++counts[coordinate_weight(word, deg)];
  });
  return counts;
}

std::size_t hamming_weight(std::span<const Element> word) {
  return std::size_t(std::count_if(word.begin(), word.end(), [](Element e) { return e != 0; }));
}

MinimumDistance LinearCode::minimum_distance(std::uint64_t limit, DistanceMethod method) const {
  const auto direct_count = span_size(*field_, dimension());
  const auto dual_count = span_size(*field_, length() - dimension());
  const auto enumerable = [&](const std::optional<std::uint64_t>& count) {
    return count && *count <= limit && double(*count) * double(length()) <= kMaxEnumeratedSymbols;
  };
  const bool direct_ok = enumerable(direct_count);
  const bool dual_ok = enumerable(dual_count);
  bool use_direct = false;
  if (method == DistanceMethod::direct) {
    if (!direct_ok) return {};
    use_direct = true;
  } else if (method == DistanceMethod::dual) {
    if (!dual_ok) return {};
  } else {
    if (!direct_ok && !dual_ok) return {};
    use_direct = direct_ok && (!dual_ok || *direct_count <= *dual_count);
  }
  // The dual route also needs the MacWilliams tables: refused before the
  // enumeration when they are too large.
  if (!use_direct) check_macwilliams_size(name_, length(), field_->size(), *dual_count);
  if (use_direct) {
    const std::vector<std::uint64_t> counts = weight_distribution(*field_, generator_, limit);
    for (std::size_t w = 1; w < counts.size(); ++w)
      if (counts[w] != 0) return {w, "enumeration"};
    throw std::logic_error("minimum_distance: a code of dimension >= 1 has a nonzero codeword");
  }
  const std::vector<std::uint64_t> dual_weights = weight_distribution(*field_, parity_check(), limit);
  const auto d = min_distance_from_dual(dual_weights, field_->size(), length(), *dual_count);
  if (!d) throw std::logic_error("minimum_distance: MacWilliams found no nonzero codeword");
  return {d, "dual enumeration + MacWilliams identity"};
}

// --- products ----------------------------------------------------------------

std::vector<Element> entrywise_product(const Field& field, std::span<const std::vector<Element>> words) {
  if (words.empty()) throw std::invalid_argument("entrywise_product: no words");
  std::vector<Element> out = words[0];
  for (std::size_t w = 1; w < words.size(); ++w) {
    if (words[w].size() != out.size()) throw std::invalid_argument("entrywise_product: lengths differ");
    for (std::size_t j = 0; j < out.size(); ++j) out[j] = field.mul(out[j], words[w][j]);
  }
  return out;
}

std::vector<Element> entrywise_product(const Field& field, std::initializer_list<std::vector<Element>> words) {
  return entrywise_product(field, std::span<const std::vector<Element>>(words.begin(), words.size()));
}

std::unique_ptr<LinearCode> LinearCode::product(int k) const { return std::make_unique<LinearCode>(schur_power(k)); }

LinearCode LinearCode::schur_power(int k) const {
  if (k < 1) throw InputError("", "product code C^(k): k must be >= 1, got " + std::to_string(k));
  // C^(j+1) is spanned by {b * g : b in a basis of C^(j), g a row of G}, so
  // reduce after each factor instead of listing all k-multisets of rows.
  Matrix current = generator_;
  for (int j = 2; j <= k; ++j) {
    const double rows = double(current.rows()) * double(dimension());
    check_elimination_size("Schur power C^(" + std::to_string(j) + ") spanning set", rows, double(length()));
    Matrix spanning;
    std::vector<Element> word(length());
    for (std::size_t b = 0; b < current.rows(); ++b) {
      for (std::size_t g = 0; g < dimension(); ++g) {
        for (std::size_t x = 0; x < length(); ++x) word[x] = field_->mul(current(b, x), generator_(g, x));
        spanning.append_row(word);
      }
    }
    current = reduced_row_echelon(*field_, spanning).basis;
  }
  return LinearCode(field_, current, name_ + " Schur power " + std::to_string(k));
}

LinearCode LinearCode::dual() const {
  if (dimension() == length()) throw InputError("", name_ + ": the dual of the full space is the zero code");
  return LinearCode(field_, parity_check(), "dual of " + name_);
}

}  // namespace sethkit::codes
