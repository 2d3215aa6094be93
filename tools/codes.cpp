// sethkit codes: the parameters of the protocol's codes (paper 001,
// Theorem 4.4 / 4.5; DESIGN.md "Command line", `codes`).
#include "tools/codes.hpp"

#include <cstdio>

#include <algorithm>
#include <cmath>

#include <chrono>
#include <iomanip>
#include <iostream>
#include <memory>
#include <random>
#include <sstream>

#include <nlohmann/json.hpp>

#include "codes/hermitian.hpp"
#include "codes/reed_solomon.hpp"
#include "core/errors.hpp"
#include "core/options.hpp"
#include "protocols/code_family.hpp"
#include "tools/common.hpp"

namespace sethkit::tools {

CLI::App* setup_codes(CLI::App& app, CodesOptions& o) {
  CLI::App* sub = app.add_subcommand("codes", "Build a code of the MA protocol and print its parameters");
  // The --code choices are the protocol's code families (protocols/code_family.hpp).
  std::string code_help = "the code family:";
  for (const protocols::CodeFamily& f : protocols::code_families())
    code_help += (f.name == protocols::code_families().front().name ? " " : ", ") + f.name + " (" + f.help + ")";
  sub->add_option("--code", o.code, code_help)->required()->check(CLI::IsMember(protocols::code_family_names()));
  sub->add_option("--q", o.q, "rs: field order, a prime p or p^2; hermitian: the prime q (field F_{q^2}, n = q^3)")
      ->required()
      ->check(CLI::Range(std::int64_t(2), std::int64_t(1) << 32));  // the largest field: 65521^2 < 2^32
  CLI::Option* n = sub->add_option("--n", o.n, "rs: number of evaluation points (the first N field elements)");
  CLI::Option* dim = sub->add_option("--dim", o.dim, "rs: dimension R (polynomials of degree < R)");
  CLI::Option* a = sub->add_option("--a", o.a, "hermitian: the code C_L(A P_inf), 0 <= A < q^3");
  sub->add_option_function<int>(
         "--product",
         [&o](const int& k) {
           o.product = k;
           o.has_product = true;
         },
         "also report the k-way product code C^(K)")
      ->type_name("K");
  sub->add_option("--max-codewords", o.max_codewords,
                  "enumerate at most this many codewords (of the code or its dual) for the exact minimum distance")
      ->check(CLI::Range(core::find_option("codes.max_codewords").min, core::find_option("codes.max_codewords").max))
      ->capture_default_str();
  sub->add_option("--max-work", o.max_work, "field operations the code's construction may take (estimated first; over it: refused)")
      ->check(CLI::Range(1.0, 1e18))
      ->capture_default_str();
  sub->add_flag("--time-encode", o.time_encode, "also measure encoding speed (codewords per second, random messages)");
  sub->add_flag("--json", o.json, "print one JSON object instead of a table");
  sub->parse_complete_callback([&o, n, dim, a] {
    if (o.code == "rs") {
      if (n->count() == 0 || dim->count() == 0)
        throw CLI::ValidationError("--code rs needs --n N (evaluation points) and --dim R (dimension)");
      if (a->count() != 0) throw CLI::ValidationError("--a", "applies to --code hermitian only");
    } else if (o.code == "hermitian") {
      if (a->count() == 0) throw CLI::ValidationError("--code hermitian needs --a A (the code L(A P_inf))");
      if (n->count() != 0 || dim->count() != 0)
        throw CLI::ValidationError("--n/--dim", "apply to --code rs only (n = q^3 for hermitian)");
    }
  });
  return sub;
}

namespace {

nlohmann::json distance_json(const codes::MinimumDistance& d) {
  return d.value ? nlohmann::json(*d.value) : nlohmann::json(nullptr);
}

std::string distance_text(const codes::MinimumDistance& d) {
  return d.value ? std::to_string(*d.value) + " (" + d.method + ")" : "unknown (too many codewords to enumerate)";
}

// Encodes random messages for about a quarter of a second.
double encode_rate(const codes::LinearCode& code) {
  std::mt19937_64 rng(1);
  std::vector<codes::Element> message(code.dimension());
  const auto start = std::chrono::steady_clock::now();
  std::uint64_t done = 0, checksum = 0;
  double elapsed = 0;
  do {
    for (int i = 0; i < 16; ++i, ++done) {
      for (auto& m : message) m = codes::Element(rng() % code.field().size());
      checksum += code.encode(message)[done % code.length()];
    }
    elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  } while (elapsed < 0.25);
  if (checksum == std::uint64_t(-1)) std::cerr << "";  // keep the work observable
  return double(done) / elapsed;
}

std::string positions_text(const std::vector<std::size_t>& positions) {
  std::ostringstream out;
  const std::size_t shown = positions.size() <= 32 ? positions.size() : 24;
  for (std::size_t i = 0; i < shown; ++i) out << (i ? " " : "") << positions[i];
  if (shown < positions.size()) out << " ... " << positions.back() << " (" << positions.size() << " positions)";
  return out.str();
}

}  // namespace

int run_codes(const CodesOptions& o) {
  auto clock = std::chrono::steady_clock::now();
  std::unique_ptr<codes::LinearCode> code;
  nlohmann::ordered_json family;
  if (o.code == "rs") {
    const auto field = codes::Field::of_order(o.q);
    if (o.n < 1) throw InputError("", "Reed-Solomon code: --n must be >= 1, got " + std::to_string(o.n));
    if (o.dim < 1) throw InputError("", "Reed-Solomon code: --dim must be >= 1, got " + std::to_string(o.dim));
    if (std::uint64_t(o.dim) > std::uint64_t(o.n))
      throw InputError("", "Reed-Solomon code: dimension r = " + std::to_string(o.dim) + " exceeds n = " +
                               std::to_string(o.n) + " (need r <= n)");
    auto rs = std::make_unique<codes::ReedSolomonCode>(
        codes::ReedSolomonCode::first_points(field, std::size_t(o.n), std::size_t(o.dim)));
    family["evaluation_points"] = rs->points();
    code = std::move(rs);
  } else {
    // The estimate before the work: each of the q^3 points takes q - 1
    // products for y's powers, two exponentiations and a product a row.
    if (o.q > 1 && o.q < (1 << 20) && o.a >= 0) {
      const double q = double(o.q);
      const double dim = double(codes::HermitianCode::riemann_roch_dimension(std::uint64_t(o.q), std::uint64_t(o.a)));
      const auto work_of = [&o](double q_) {
        const double dim_ =
            double(codes::HermitianCode::riemann_roch_dimension(std::uint64_t(q_), std::uint64_t(o.a)));
        return q_ * q_ * q_ * (q_ + 2.0 * std::log2(q_) + dim_ + 1.0);
      };
      const double work = work_of(q);
      // A generator past kMaxMatrixEntries is refused by the code itself.
      if (work > o.max_work && q * q * q * std::max(dim, 1.0) <= codes::kMaxMatrixEntries) {
        // A smaller --q is suggested only when one helps: the largest prime
        // q' < q that still has the code (a < q'^3) and fits --max-work
        // (the work is at least q'^4, so the search starts below that root).
        long long smaller = 0;
        for (long long c = std::min<long long>(o.q - 1, std::llround(std::pow(std::min(o.max_work, 1e18), 0.25)) + 1);
             c >= 2 && double(c) * double(c) * double(c) > double(o.a); --c) {
          bool prime = true;
          for (long long f = 2; f * f <= c && prime; ++f) prime = c % f != 0;
          if (prime && work_of(double(c)) <= o.max_work) {
            smaller = c;
            break;
          }
        }
        const std::string hint = smaller ? "raise --max-work or use --q " + std::to_string(smaller) + " (or smaller)"
                                         : "raise --max-work (no smaller prime --q builds L(" +
                                               std::to_string(o.a) + " P) within it)";
        char text[256];
        std::snprintf(text, sizeof text,
                      "the Hermitian code over GF(%lld^2) has n = q^3 = %.0f positions; building it takes about "
                      "%.3g field operations (limit --max-work %.3g); ",
                      static_cast<long long>(o.q), q * q * q, work, o.max_work);
        throw SizeLimitError(text + hint);
      }
    }
    auto h = std::make_unique<codes::HermitianCode>(o.q, o.a);
    family["q"] = h->q();
    family["a"] = h->a();
    family["genus"] = h->genus();
    code = std::move(h);
  }
  // Build the product first: a refused product should fail before any
  // enumeration work.
  std::unique_ptr<codes::LinearCode> product;
  if (o.has_product) product = code->product(o.product);

  const double build_seconds = lap_seconds(clock);
  const codes::Field& field = code->field();
  const codes::MinimumDistance d = code->minimum_distance(o.max_codewords);
  codes::MinimumDistance product_d;
  if (product) product_d = product->minimum_distance(o.max_codewords);
  const double distance_seconds = lap_seconds(clock);
  const double rate = o.time_encode ? encode_rate(*code) : 0.0;
  const double encode_seconds = lap_seconds(clock);

  if (o.json) {
    nlohmann::ordered_json j;
    j["code"] = o.code;
    j["name"] = code->name();
    j["field"] = field.name();
    j["field_size"] = field.size();
    j["characteristic"] = field.characteristic();
    j["field_modulus"] = field.degree() == 2 ? nlohmann::ordered_json(field.modulus_string()) : nullptr;
    j["n"] = code->length();
    j["dimension"] = code->dimension();
    j["designed_distance"] = code->designed_distance() ? nlohmann::ordered_json(*code->designed_distance()) : nullptr;
    j["min_distance"] = distance_json(d);
    j["min_distance_method"] = d.value ? nlohmann::ordered_json(d.method) : nullptr;
    j["information_set"] = code->information_set();
    for (auto& [key, value] : family.items()) j[key] = value;
    if (o.time_encode) j["encode_codewords_per_second"] = rate;
    if (product) {
      nlohmann::ordered_json p;
      p["k"] = o.product;
      p["dimension"] = product->dimension();
      p["designed_distance"] =
          product->designed_distance() ? nlohmann::ordered_json(*product->designed_distance()) : nullptr;
      p["min_distance"] = distance_json(product_d);
      j["product"] = p;
    }
    // The stages (docs/json-schema.md): building the code (and its product),
    // the minimum distance, and --time-encode's encoding run.
    j["times"] = {{"build", build_seconds}, {"distance", distance_seconds}, {"encode", encode_seconds}};
    std::cout << j.dump(2) << '\n';
    return kExitOk;
  }

  auto row = [](const std::string& key, const std::string& value) {
    std::cout << std::left << std::setw(20) << key << value << '\n';
  };
  row("code", code->name());
  row("field", field.name() + " (" + std::to_string(field.size()) + " elements" +
                   (field.degree() == 2 ? ", modulus " + field.modulus_string() : std::string()) + ")");
  if (o.code == "hermitian")
    row("curve", "y^" + std::to_string(o.q) + " + y = x^" + std::to_string(o.q + 1) + ", genus " +
                     std::to_string(family["genus"].get<std::uint64_t>()));
  row("length n", std::to_string(code->length()));
  row("dimension", std::to_string(code->dimension()));
  row("designed distance", code->designed_distance() ? std::to_string(*code->designed_distance()) : "-");
  row("minimum distance", distance_text(d));
  row("information set", positions_text(code->information_set()));
  if (o.time_encode) {
    std::ostringstream r;
    r << std::setprecision(3) << rate << " codewords/s";
    row("encode speed", r.str());
  }
  if (product) {
    row("product C^(" + std::to_string(o.product) + ")",
        "dimension " + std::to_string(product->dimension()) + ", designed distance " +
            (product->designed_distance() ? std::to_string(*product->designed_distance()) : "-") +
            ", minimum distance " + distance_text(product_d));
  }
  return kExitOk;
}

}  // namespace sethkit::tools
