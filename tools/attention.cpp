#include "tools/attention.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <iostream>
#include <optional>

#include <nlohmann/json.hpp>

#include "attention/backend.hpp"
#include "attention/backend_float.hpp"
#include "problems/attention_instance.hpp"
#include "core/atomic_file.hpp"
#include "core/errors.hpp"
#include "core/progress.hpp"
#include "problems/npy.hpp"
#include "tools/common.hpp"
#include "tools/rank_rows.hpp"
#include "distributed/distributed.hpp"

namespace sethkit::tools {
namespace {

attention::CausalWindow parse_window(const std::string& text) {
  const auto comma = text.find(',');
  try {
    if (comma == std::string::npos) throw std::invalid_argument("no comma");
    std::size_t used1 = 0, used2 = 0;
    const long long w1 = std::stoll(text.substr(0, comma), &used1);
    const long long w2 = std::stoll(text.substr(comma + 1), &used2);
    if (used1 != comma || used2 != text.size() - comma - 1) throw std::invalid_argument("trailing");
    return {w1, w2};
  } catch (const std::exception&) {
    throw CLI::ValidationError("--window", "expected two integers W1,W2, found '" + text + "'");
  }
}

void write_outputs(const AttentionOptions& o, const AttentionInstance& inst, const attention::BackendOptions& options,
                   bool float_backend, const attention::BackendResult& res,
                   ProgressReporter& progress, std::chrono::steady_clock::time_point& start, double read_seconds);

}  // namespace

CLI::App* setup_attention(CLI::App& app, AttentionOptions& o) {
  CLI::App* sub = app.add_subcommand("attention", "Run a tensor-attention backend on an attention directory");
  sub->add_option("DIR", o.dir, "attention directory (Q.npy, K1.npy.., V1.npy.., manifest.json)")->required();
  std::string help = "attention backend:";
  for (const attention::Backend* b : attention::backends())
    if (b->name() != "float") help += "\n  " + b->capabilities().summary;
  help += "\n  (--precision float: " + attention::find_backend("float").capabilities().summary + ")";
  sub->add_option("--backend", o.backend, help)->check(CLI::IsMember(cli_backend_names()))->capture_default_str();
  sub->add_option("--eps", o.eps, "target error of an approximate backend")->check(CLI::PositiveNumber);
  sub->add_option("--scale", o.scale, "score scale (default: the manifest's, else 1/d)");
  sub->add_option("--window", o.window, "causal windows W1,W2 (k = 3; FBGEMM 2-simplicial convention)")
      ->check([](const std::string& s) {
        parse_window(s);
        return std::string();
      });
  sub->add_option("--precision", o.precision, "float or double")
      ->check(CLI::IsMember({"float", "double"}))
      ->capture_default_str();
  sub->add_option("-o,--output", o.output, "output O as .npy (n_q x d_v)")->required();
  sub->add_option("--logd", o.logd, "also write log D_i as .npy (n_q)");
  sub->add_flag("--log-output", o.log_output,
                "float: write log O (natural log, n_q x d_v; -inf where O = 0) instead of O, so an O below "
                "float32's range is never written as zeros (nonnegative V)");
  sub->add_option("--threads", o.threads, "OpenMP threads (0: default)")->check(CLI::Range(0, attention::kMaxThreads));
  add_max_bytes_option(*sub, o.max_bytes);
  sub->add_flag("--json", o.json, "print what was run as JSON");
  add_progress_options(*sub, o.progress, o.quiet, "no progress on stderr");
  return sub;
}

int run_attention(const AttentionOptions& o) {
  ProgressReporter progress("attention", Progress::enabled(o.progress, o.quiet));
  auto start = std::chrono::steady_clock::now();
  progress.stage("reading " + o.dir);
  AttentionReadOptions read;
  read.max_bytes = o.max_bytes;
  const AttentionInstance inst = read_attention_directory(o.dir, read);
  const double read_seconds = lap_seconds(start);
  // --precision float: the exact kernel in float32 with its certified bound.
  const bool float_backend = o.backend == "float" || (o.backend == "exact" && o.precision == "float");
  const attention::Backend& backend = attention::find_backend(float_backend ? "float" : o.backend);
  progress.stage(backend.name() + " attention, rows");
  attention::BackendOptions options;
  options.scale = o.scale;
  if (!o.window.empty()) options.window = parse_window(o.window);
  options.precision =
      o.precision == "float" || float_backend ? attention::Precision::float32 : attention::Precision::float64;
  options.eps = o.eps;
  options.threads = o.threads;
  options.max_bytes = o.max_bytes;
  // Checks the capabilities, plans and refuses (SizeLimitError with the size)
  // itself; under mpirun each rank runs its query rows, rank 0 gathers them
  // (tools/rank_rows.hpp) and alone writes, its errors ending every rank.
  const attention::BackendResult res = run_split_attention(backend, inst, options);
  distributed::step([&] {
    if (distributed::is_root()) write_outputs(o, inst, options, float_backend, res, progress, start, read_seconds);
  });
  return kExitOk;
}

namespace {

void write_outputs(const AttentionOptions& o, const AttentionInstance& inst, const attention::BackendOptions& options,
                   bool float_backend, const attention::BackendResult& res,
                   ProgressReporter& progress, std::chrono::steady_clock::time_point& start, double read_seconds) {
  const attention::AttentionOutput& out = res.out;
  const double compute_seconds = lap_seconds(start);
  progress.stage("writing " + o.output);

  std::optional<attention::FloatLogOutput> log_o;
  if (float_backend) {
    if (o.log_output) {
      log_o = attention::float_log_output(inst, options);
    } else if (const attention::FloatUnderflow u = attention::float_underflow(inst, options, res); u.any()) {
      throw InputError(o.dir, u.message() + "; write log O with --log-output (natural log)" +
                                  (o.window.empty() ? "" : " after dropping --window") +
                                  ", or --logd for log D; nothing was written");
    }
  }

  NpyWriteOptions npy;
  npy.dtype = o.precision == "float" || float_backend ? NpyDtype::float32 : NpyDtype::float64;
  // O is a convex combination of V's rows: finite whenever V is. An
  // overflowing sum (entries near 1e308) is refused, never written.
  for (std::size_t i = 0; i < out.o.size(); ++i)
    if (std::isinf(out.o[i]))
      throw InputError(o.dir, "O entry (" + std::to_string(i / out.cols) + ", " + std::to_string(i % out.cols) +
                                  ") overflows double: rescale V (divide it by a power of two, then multiply O back)");
  // -o and --logd appear together or not at all (core/atomic_file.hpp).
  OutputSet outputs;
  if (log_o) {
    outputs.add(o.output, [&](std::ostream& f) { write_npy(f, {log_o->rows, log_o->cols}, log_o->log_o.data()); });
  } else {
    outputs.add(o.output, [&](std::ostream& f) { write_npy(f, {out.rows, out.cols}, out.o.data(), npy); });
  }
  if (!o.logd.empty()) outputs.add(o.logd, [&](std::ostream& f) { write_npy(f, {out.rows}, out.log_d.data()); });
  outputs.commit();
  const double write_seconds = lap_seconds(start);
  progress.finish();

  if (o.json) {
    nlohmann::json j = res.report.to_json();
    j["instance"] = attention_instance_json(inst);
    j["times"] = {{"read", read_seconds}, {"compute", compute_seconds}, {"write", write_seconds}};
    j["output"] = o.output;
    if (!o.logd.empty()) j["logd"] = o.logd;
    if (log_o) {
      double worst = 0;
      for (double b : log_o->bound) worst = std::max(worst, b);
      j["log_output"] = true;
      j["log_o_bound"] = worst;  // |log O~ - log O| <= this, every entry
    }
    std::cout << j.dump(2) << '\n';
  }
}

}  // namespace
}  // namespace sethkit::tools
