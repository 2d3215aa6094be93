// A k-th order attention instance (paper 001, Definition 1.1 for k = 3,
// Definition 1.5 for any k; Definition C.2 is the same computation named
// TensorAtt) and the attention directory that stores it (DESIGN.md "File
// formats"). Unlike the paper, the sides may have different lengths (a reduced
// instance has one long query side and short key sides) and the value width
// d_v need not equal d.
//
//   Q   n_q x d            Q.npy
//   K_p n_p x d            K1.npy .. K{k-1}.npy
//   V_p n_p x d_v          V1.npy .. V{k-1}.npy
//   manifest.json          optional: k, scale, beta, threshold, row map,
//                          provenance (anything else is kept in `extra`)
//
//   sethkit::AttentionInstance inst = sethkit::read_attention_directory("dir");
//   // inst.k, inst.q (n_q x d), inst.keys[p], inst.values[p], inst.scale
//   sethkit::write_attention_directory("out", inst);   // atomic: all or nothing
//
// Entries are held as double whatever the files hold; `precision` records
// whether every matrix file was float32 so a writer can keep it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "problems/npy.hpp"
#include "core/options.hpp"

namespace sethkit {

// Row-major dense matrix of doubles.
struct DenseMatrix {
  std::size_t rows = 0;
  std::size_t cols = 0;
  std::vector<double> data;  // data.size() == rows * cols

  DenseMatrix() = default;
  DenseMatrix(std::size_t r, std::size_t c) : rows(r), cols(c), data(r * c, 0.0) {}
  double& operator()(std::size_t i, std::size_t j) { return data[i * cols + j]; }
  double operator()(std::size_t i, std::size_t j) const { return data[i * cols + j]; }
  const double* row(std::size_t i) const { return data.data() + i * cols; }
  double* row(std::size_t i) { return data.data() + i * cols; }
  friend bool operator==(const DenseMatrix&, const DenseMatrix&) = default;
};

// What the reduction that produced an instance records beside the matrices.
struct AttentionManifest {
  std::optional<double> beta;       // the entry scale of Lemma B.1
  std::optional<double> threshold;  // decision threshold (log domain)
  // row_map[s][r]: for side s (0 = Q, p = K_p) and row r, the index of the
  // vector of the source instance it encodes, -1 for a padding row. Empty, or
  // k lists of the side lengths.
  std::vector<std::vector<int64_t>> row_map;
  nlohmann::json provenance = nlohmann::json::object();  // input hash, parameters, version
  nlohmann::json extra = nlohmann::json::object();       // any other keys, kept as is
  friend bool operator==(const AttentionManifest&, const AttentionManifest&) = default;
};

struct AttentionInstance {
  int k = 0;                        // order: k - 1 key sides
  DenseMatrix q;                    // n_q x d
  std::vector<DenseMatrix> keys;    // k - 1 matrices, keys[p-1] = K_p, n_p x d
  std::vector<DenseMatrix> values;  // k - 1 matrices, values[p-1] = V_p, n_p x d_v
  double scale = 0;                 // S = scale * <q, k_1, ..., k_{k-1}>; 1/d by default
  NpyDtype precision = NpyDtype::float64;  // float32 iff every file read was float32
  std::optional<AttentionManifest> manifest;

  std::size_t d() const { return q.cols; }
  std::size_t d_v() const { return values.empty() ? 0 : values[0].cols; }
  std::size_t n_q() const { return q.rows; }
  // {n_q, n_1, ..., n_{k-1}}
  std::vector<std::size_t> lengths() const;
  // Entries of Q, the keys and the values together.
  std::size_t entries() const;

  // Throws InputError(where: ...) unless k >= 2, there are k-1 keys and
  // values, the shapes agree, d >= 1, every entry and the scale are finite,
  // and the manifest's row map (if any) matches the side lengths.
  void validate(const std::string& where = "") const;
};

// Builds an instance from matrices with scale 1/d, and validates it.
AttentionInstance make_attention_instance(DenseMatrix q, std::vector<DenseMatrix> keys,
                                          std::vector<DenseMatrix> values);

inline constexpr int kMaxAttentionOrder = core::option_as<int>("attention.max_order");
// A directory is refused before its data is read when the matrices, held as
// double, would need more than this.
inline constexpr double kMaxAttentionBytes = core::option("attention.max_bytes");  // 64 GiB
// manifest.json may take this much plus this much per matrix row (its row
// map lists rows); a larger one is refused before it is parsed.
inline constexpr double kMaxManifestBaseBytes = core::option("manifest.max_base_bytes");
inline constexpr double kMaxManifestBytesPerRow = core::option("manifest.max_bytes_per_row");

struct AttentionReadOptions {
  double max_bytes = kMaxAttentionBytes;
};

// Reads Q.npy, K1.npy.., V1.npy.. and manifest.json (if present) from `dir`.
// k is the number of consecutive K_p files plus one. Every header is read and
// every shape checked before any data is loaded. Throws InputError naming the
// file and what is wrong, SizeLimitError past options.max_bytes.
AttentionInstance read_attention_directory(const std::string& dir,
                                           const AttentionReadOptions& options = {});

struct AttentionWriteOptions {
  // Precision of the written .npy files; default: inst.precision.
  std::optional<NpyDtype> dtype;
};

// Writes the instance into a temporary sibling directory, then renames it to
// `dir`. An existing `dir` is replaced only if it holds nothing but attention
// directory files (Q.npy, K*.npy, V*.npy, manifest.json); anything else is
// refused, so a mistyped path cannot delete unrelated files. manifest.json is
// written when inst.manifest is set or the scale is not 1/d.
// Requires inst.validate() to pass (checked; throws InputError).
void write_attention_directory(const std::string& dir, const AttentionInstance& inst,
                               const AttentionWriteOptions& options = {});

// The manifest as JSON ({"k", "scale", "beta", "threshold", "row_map",
// "provenance", ...extra}) and back; parse checks types and throws
// InputError(where: ...).
nlohmann::json manifest_to_json(const AttentionInstance& inst);
void manifest_from_json(const nlohmann::json& j, const std::string& where,
                        AttentionInstance& inst);

}  // namespace sethkit
