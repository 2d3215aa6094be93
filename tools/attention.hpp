// sethkit attention DIR [--backend NAME] [--scale S] [--window W1,W2]
//                  [--precision float|double] [--log-output] -o OUT.npy [--logd LOGD.npy] [--json]
// Runs an attention backend on an attention directory (DESIGN.md "File
// formats") and writes O (n_q x d_v) and optionally log D_i as .npy. The
// backends and their capabilities come from attention/backend.hpp's registry.
// --json adds the instance object and the time of each stage (read, compute,
// write; docs/json-schema.md); a failure is a JSON object there too. Rows
// done, rate and ETA on stderr past a second (--progress, --quiet).
// --precision float runs the certified float32 backend (backend "float"); an
// O that underflows float32 is refused with the entry named, or written as
// log O with --log-output (attention/backend_float.hpp), never as zeros.
#pragma once

#include <optional>
#include <string>

#include <CLI/CLI.hpp>

#include "tools/common.hpp"

namespace sethkit::tools {

struct AttentionOptions {
  std::string dir;
  std::string backend = "exact";  // a name in attention::backend_names()
  double eps = 1e-6;
  std::optional<double> scale;
  std::string window;  // "W1,W2"
  std::string precision = "double";
  std::string output;
  std::string logd;
  bool log_output = false;  // float: write log O (natural log) instead of O
  int threads = 0;
  double max_bytes = kDefaultMaxBytes;
  bool json = false;
  bool progress = false;
  bool quiet = false;
};

CLI::App* setup_attention(CLI::App& app, AttentionOptions& options);
int run_attention(const AttentionOptions& options);

}  // namespace sethkit::tools
