#include "problems/attention_instance.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <regex>

#include "core/atomic_file.hpp"
#include "core/errors.hpp"
#include "problems/input_file.hpp"
#include "problems/json_reader.hpp"

namespace sethkit {

namespace fs = std::filesystem;

std::vector<std::size_t> AttentionInstance::lengths() const {
  std::vector<std::size_t> n{q.rows};
  for (const auto& key : keys) n.push_back(key.rows);
  return n;
}

std::size_t AttentionInstance::entries() const {
  std::size_t n = q.data.size();
  for (std::size_t p = 0; p < keys.size(); ++p) n += keys[p].data.size() + values[p].data.size();
  return n;
}

namespace {

std::string key_name(std::size_t p) { return "K" + std::to_string(p) + ".npy"; }
std::string value_name(std::size_t p) { return "V" + std::to_string(p) + ".npy"; }

std::string in(const std::string& where, const std::string& file) {
  return where.empty() ? file : (fs::path(where) / file).string();
}

void check_finite(const DenseMatrix& m, const std::string& where) {
  for (std::size_t i = 0; i < m.data.size(); ++i) {
    if (!std::isfinite(m.data[i])) {
      throw InputError(where, "entry (" + std::to_string(i / m.cols) + ", " +
                                  std::to_string(i % m.cols) + ") is not finite");
    }
  }
}

bool is_attention_file_name(const std::string& name) {
  static const std::regex pattern(R"((Q|[KV][1-9][0-9]*)\.npy|manifest\.json)");
  return std::regex_match(name, pattern);
}

// Shapes only (rows and cols), so the directory reader can check them from
// the headers before loading any data.
void check_shapes(const AttentionInstance& inst, const std::string& where) {
  const int k = inst.k;
  if (k < 2 || k > kMaxAttentionOrder) {
    throw InputError(where, "order k = " + std::to_string(k) + " is out of range [2, " +
                                std::to_string(kMaxAttentionOrder) + "]");
  }
  const std::size_t sides = static_cast<std::size_t>(k - 1);
  if (inst.keys.size() != sides || inst.values.size() != sides) {
    throw InputError(where, "order k = " + std::to_string(k) + " needs " + std::to_string(sides) +
                                " key and value matrices, got " + std::to_string(inst.keys.size()) +
                                " and " + std::to_string(inst.values.size()));
  }
  const DenseMatrix& q = inst.q;
  if (q.rows == 0 || q.cols == 0) {
    throw InputError(in(where, "Q.npy"), "has shape (" + std::to_string(q.rows) + ", " +
                                             std::to_string(q.cols) +
                                             "); n_q and d must be at least 1");
  }
  const std::size_t dv = inst.values[0].cols;
  for (std::size_t p = 1; p <= sides; ++p) {
    const DenseMatrix& key = inst.keys[p - 1];
    const DenseMatrix& value = inst.values[p - 1];
    if (key.rows == 0)
      throw InputError(in(where, key_name(p)), "has no rows; n_" + std::to_string(p) + " must be at least 1");
    if (key.cols != q.cols) {
      throw InputError(in(where, key_name(p)),
                       "has " + std::to_string(key.cols) + " columns but Q.npy has d = " +
                           std::to_string(q.cols) + "; every K_p must be n_p x d");
    }
    if (value.rows != key.rows) {
      throw InputError(in(where, value_name(p)),
                       "has " + std::to_string(value.rows) + " rows but " + key_name(p) + " has " +
                           std::to_string(key.rows) + "; V_p must have as many rows as K_p");
    }
    if (value.cols != dv || dv == 0) {
      throw InputError(in(where, value_name(p)),
                       "has " + std::to_string(value.cols) + " columns but V1.npy has " +
                           std::to_string(dv) + "; every V_p must be n_p x d_v with d_v >= 1");
    }
  }
}

}  // namespace

void AttentionInstance::validate(const std::string& where) const {
  check_shapes(*this, where);
  auto check_data = [&](const DenseMatrix& m, const std::string& file) {
    if (m.data.size() != m.rows * m.cols)
      throw InputError(in(where, file), "holds " + std::to_string(m.data.size()) +
                                            " entries for shape " + std::to_string(m.rows) + " x " +
                                            std::to_string(m.cols));
    check_finite(m, in(where, file));
  };
  check_data(q, "Q.npy");
  for (std::size_t p = 1; p < static_cast<std::size_t>(k); ++p) {
    check_data(keys[p - 1], key_name(p));
    check_data(values[p - 1], value_name(p));
  }
  if (!std::isfinite(scale)) throw InputError(in(where, "manifest.json"), "scale must be finite");
  if (manifest && !manifest->row_map.empty()) {
    const auto n = lengths();
    if (manifest->row_map.size() != n.size()) {
      throw InputError(in(where, "manifest.json"),
                       "row_map has " + std::to_string(manifest->row_map.size()) +
                           " lists, expected k = " + std::to_string(k) + " (Q, K1, ...)");
    }
    for (std::size_t s = 0; s < n.size(); ++s) {
      if (manifest->row_map[s].size() != n[s]) {
        throw InputError(in(where, "manifest.json"),
                         "row_map[" + std::to_string(s) + "] has " +
                             std::to_string(manifest->row_map[s].size()) + " entries but " +
                             (s == 0 ? std::string("Q.npy") : key_name(s)) + " has " +
                             std::to_string(n[s]) + " rows");
      }
    }
  }
}

AttentionInstance make_attention_instance(DenseMatrix q, std::vector<DenseMatrix> keys,
                                          std::vector<DenseMatrix> values) {
  AttentionInstance inst;
  inst.k = static_cast<int>(keys.size()) + 1;
  inst.scale = q.cols == 0 ? 0.0 : 1.0 / static_cast<double>(q.cols);
  inst.q = std::move(q);
  inst.keys = std::move(keys);
  inst.values = std::move(values);
  inst.validate();
  return inst;
}

nlohmann::json manifest_to_json(const AttentionInstance& inst) {
  nlohmann::json j = nlohmann::json::object();
  if (inst.manifest) j = inst.manifest->extra;
  j["k"] = inst.k;
  j["scale"] = inst.scale;
  if (inst.manifest) {
    const AttentionManifest& m = *inst.manifest;
    if (m.beta) j["beta"] = *m.beta;
    if (m.threshold) j["threshold"] = *m.threshold;
    if (!m.row_map.empty()) j["row_map"] = m.row_map;
    j["provenance"] = m.provenance;
  }
  return j;
}

void manifest_from_json(const nlohmann::json& j, const std::string& where,
                        AttentionInstance& inst) {
  if (!j.is_object()) throw InputError(where, "the manifest must be a JSON object");
  auto number = [&](const char* key) -> std::optional<double> {
    if (!j.contains(key) || j[key].is_null()) return std::nullopt;
    if (!j[key].is_number()) throw InputError(where, std::string("'") + key + "' must be a number");
    const double v = j[key].get<double>();
    if (!std::isfinite(v)) throw InputError(where, std::string("'") + key + "' must be finite");
    return v;
  };
  AttentionManifest m;
  if (j.contains("k")) {
    if (!j["k"].is_number_integer() || j["k"].get<int64_t>() != inst.k) {
      throw InputError(where, "'k' is " + j["k"].dump() + " but the directory holds k = " +
                                  std::to_string(inst.k) + " (K1.npy..K" +
                                  std::to_string(inst.k - 1) + ".npy)");
    }
  }
  if (auto s = number("scale")) inst.scale = *s;
  m.beta = number("beta");
  m.threshold = number("threshold");
  if (j.contains("row_map")) {
    const auto& rm = j["row_map"];
    if (!rm.is_array()) throw InputError(where, "'row_map' must be a list of k lists of integers");
    for (const auto& side : rm) {
      if (!side.is_array()) throw InputError(where, "'row_map' must be a list of k lists of integers");
      std::vector<int64_t> rows;
      rows.reserve(side.size());
      for (const auto& v : side) {
        if (!v.is_number_integer() || v.get<int64_t>() < -1)
          throw InputError(where, "'row_map' entries must be integers >= -1 (-1: padding row)");
        rows.push_back(v.get<int64_t>());
      }
      m.row_map.push_back(std::move(rows));
    }
  }
  if (j.contains("provenance")) m.provenance = j["provenance"];
  for (auto it = j.begin(); it != j.end(); ++it) {
    static const char* known[] = {"k", "scale", "beta", "threshold", "row_map", "provenance"};
    if (std::find(std::begin(known), std::end(known), it.key()) == std::end(known))
      m.extra[it.key()] = it.value();
  }
  inst.manifest = std::move(m);
}

AttentionInstance read_attention_directory(const std::string& dir,
                                           const AttentionReadOptions& options) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    throw InputError(dir, fs::exists(dir, ec) ? "is not a directory (expected an attention "
                                                "directory holding Q.npy, K1.npy.., V1.npy..)"
                                              : "no such directory");
  }
  const fs::path root(dir);
  auto path_of = [&](const std::string& file) { return (root / file).string(); };
  // A file that cannot be looked at (permission denied) is not "missing".
  auto exists = [&](const std::string& file) {
    std::error_code status_error;
    const auto st = fs::symlink_status(root / file, status_error);
    if (status_error && status_error != std::errc::no_such_file_or_directory)
      throw InputError(path_of(file), "cannot access: " + status_error.message());
    return fs::exists(st);
  };

  if (!exists("Q.npy"))
    throw InputError(path_of("Q.npy"), "missing: an attention directory holds Q.npy, K1.npy.., V1.npy..");
  std::size_t sides = 0;
  while (sides < kMaxAttentionOrder && exists(key_name(sides + 1))) ++sides;
  if (sides == 0)
    throw InputError(path_of("K1.npy"), "missing: k >= 2 needs at least K1.npy and V1.npy");
  if (sides == kMaxAttentionOrder)  // k = sides + 1 would pass the limit
    throw InputError(dir, "holds K1.npy.." + key_name(sides) + ": order k = " + std::to_string(sides + 1) +
                              " or more, above the limit " + std::to_string(kMaxAttentionOrder));
  // A gap (K1, K3 without K2) or a stray V beyond the keys is an error, not
  // a silently smaller k.
  for (const auto& entry : fs::directory_iterator(root, ec)) {
    static const std::regex side_file(R"(([KV])([0-9]+)\.npy)");
    const std::string name = entry.path().filename().string();
    std::smatch match;
    if (!std::regex_match(name, match, side_file)) continue;
    const std::string digits = match[2].str();
    if (digits.size() > 3 || std::stoul(digits) == 0 || std::stoul(digits) > sides) {
      throw InputError(path_of(name), "is present but " + key_name(sides + 1) +
                                          " is missing: K1..K{k-1} and V1..V{k-1} must be "
                                          "numbered without gaps, from 1");
    }
  }
  for (std::size_t p = 1; p <= sides; ++p) {
    if (!exists(value_name(p)))
      throw InputError(path_of(value_name(p)), "missing: " + key_name(p) + " is present, so " +
                                                   value_name(p) + " is needed");
  }

  // Every header and every shape first; data only once all of them agree.
  auto header_2d = [&](const std::string& file, const char* what) {
    NpyHeader h = read_npy_header(path_of(file));
    if (h.shape.size() != 2) {
      std::string s;
      for (auto n : h.shape) s += (s.empty() ? "" : ", ") + std::to_string(n);
      throw InputError(path_of(file), "has " + std::to_string(h.shape.size()) + " dimensions (" +
                                          s + ") but must be a 2-D array, " + what);
    }
    return h;
  };
  std::vector<NpyHeader> headers{header_2d("Q.npy", "n_q x d")};
  for (std::size_t p = 1; p <= sides; ++p) headers.push_back(header_2d(key_name(p), "n_p x d"));
  for (std::size_t p = 1; p <= sides; ++p) headers.push_back(header_2d(value_name(p), "n_p x d_v"));

  AttentionInstance shapes;  // empty matrices with the header shapes
  shapes.k = static_cast<int>(sides) + 1;
  auto shell = [](const NpyHeader& h) {
    DenseMatrix m;
    m.rows = h.shape[0];
    m.cols = h.shape[1];
    return m;
  };
  shapes.q = shell(headers[0]);
  for (std::size_t p = 1; p <= sides; ++p) {
    shapes.keys.push_back(shell(headers[p]));
    shapes.values.push_back(shell(headers[sides + p]));
  }
  check_shapes(shapes, dir);
  double bytes = 0;
  for (const auto& h : headers) bytes += double(h.count) * 8.0;
  check_size("attention directory " + dir, bytes, options.max_bytes,
             "the matrices are held as double in memory");

  AttentionInstance inst;
  inst.k = shapes.k;
  bool all_float32 = true;
  auto load = [&](const std::string& file) {
    NpyArray a = read_npy(path_of(file));
    all_float32 = all_float32 && a.dtype == NpyDtype::float32;
    DenseMatrix m;
    m.rows = a.shape[0];
    m.cols = a.shape[1];
    m.data = std::move(a.data);
    return m;
  };
  inst.q = load("Q.npy");
  for (std::size_t p = 1; p <= sides; ++p) inst.keys.push_back(load(key_name(p)));
  for (std::size_t p = 1; p <= sides; ++p) inst.values.push_back(load(value_name(p)));
  inst.precision = all_float32 ? NpyDtype::float32 : NpyDtype::float64;
  inst.scale = 1.0 / static_cast<double>(inst.d());

  if (exists("manifest.json")) {
    const std::string path = path_of("manifest.json");
    // Checked before parsing: a JSON document takes many times its size in
    // memory, and a real manifest is small next to the matrices. A FIFO, a
    // device or a directory is refused by name (problems/input_file.hpp).
    std::size_t rows = 0;
    for (std::size_t n : inst.lengths()) rows += n;
    const double limit = kMaxManifestBaseBytes + kMaxManifestBytesPerRow * double(rows);
    const InputFile file(path, "a JSON file");
    if (double(file.size()) > limit)
      throw InputError(path, "is " + human_bytes(double(file.size())) + ", more than the " + human_bytes(limit) +
                                 " a manifest of " + std::to_string(rows) + " matrix rows may take (" +
                                 human_bytes(kMaxManifestBaseBytes) + " + " +
                                 std::to_string(int(kMaxManifestBytesPerRow)) + " B a row for the row map)");
    std::string text(file.size(), '\0');
    file.read_at(0, text.size(), text.data());
    const nlohmann::json j = parse_json_strict(text, path);
    manifest_from_json(j, path, inst);
  }
  inst.validate(dir);
  return inst;
}

void write_attention_directory(const std::string& dir, const AttentionInstance& inst,
                               const AttentionWriteOptions& options) {
  inst.validate(dir);
  NpyWriteOptions npy;
  npy.dtype = options.dtype.value_or(inst.precision);
  auto matrix_file = [&](const std::string& name, const DenseMatrix& m) {
    return OutputFile{name, [&m, npy](std::ostream& out) { write_npy(out, {m.rows, m.cols}, m.data.data(), npy); },
                      true};
  };
  std::vector<OutputFile> files{matrix_file("Q.npy", inst.q)};
  for (std::size_t p = 1; p < static_cast<std::size_t>(inst.k); ++p) {
    files.push_back(matrix_file(key_name(p), inst.keys[p - 1]));
    files.push_back(matrix_file(value_name(p), inst.values[p - 1]));
  }
  if (inst.manifest || inst.scale != 1.0 / static_cast<double>(inst.d()))
    files.push_back({"manifest.json", [&inst](std::ostream& out) { out << manifest_to_json(inst).dump(2) << '\n'; },
                     false});
  write_directory_atomically(dir, files, is_attention_file_name, "an attention directory file");
}

}  // namespace sethkit
