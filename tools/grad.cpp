#include "tools/grad.hpp"

#include <omp.h>

#include <any>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <functional>
#include <iostream>
#include <regex>
#include <vector>

#include <nlohmann/json.hpp>

#include "attention/backend.hpp"
#include "attention/gradient.hpp"
#include "attention/poly_gradient.hpp"
#include "core/atomic_file.hpp"
#include "problems/attention_instance.hpp"
#include "core/errors.hpp"
#include "core/progress.hpp"
#include "problems/npy.hpp"
#include "tools/common.hpp"
#include "tools/rank_rows.hpp"
#include "distributed/distributed.hpp"

#ifndef SETHKIT_VERSION_STRING
#define SETHKIT_VERSION_STRING "unknown"
#endif

namespace sethkit::tools {

namespace fs = std::filesystem;

namespace {

std::vector<std::string> gradient_backend_names() {
  std::vector<std::string> names;
  for (const attention::Backend* b : attention::backends())
    if (b->capabilities().gradient) names.push_back(b->name());
  return names;
}

}  // namespace

CLI::App* setup_grad(CLI::App& app, GradOptions& o) {
  const std::string approximate_list =
      attention::backend_list("|", [](const attention::Backend& b) { return b.capabilities().approximate; });
  CLI::App* sub = app.add_subcommand(
      "grad", "Loss 0.5||O - E||_F^2 of tensor attention and its exact gradients (paper 002)");
  CLI::Option* dir = sub->add_option("DIR", o.dir, "attention directory (Q.npy, K1.npy.., V1.npy.., manifest.json)");
  CLI::Option* paper =
      sub->add_option("--paper", o.paper, "directory with A1..A5, X1..X3, Y1, Y2, E (.npy; paper 002 Definition 1)");
  CLI::Option* target = sub->add_option("--target", o.target, "target E (.npy, n_q x d_v) for DIR");
  std::string help = "gradient backend (attention form; the proven error bound against the exact gradient "
                     "is reported in loss.json):";
  for (const attention::Backend* b : attention::backends())
    if (b->capabilities().gradient) help += "\n  " + b->capabilities().summary;
  CLI::Option* backend = sub->add_option("--backend", o.backend, help)
                             ->check(CLI::IsMember(gradient_backend_names()))
                             ->capture_default_str();
  CLI::Option* eps =
      sub->add_option("--eps", o.eps,
                      "approximate backends (" + approximate_list + "): target certified relative error, in (0, 1)")
          ->check(CLI::Range(0.0, 1.0))
          ->capture_default_str();
  sub->add_option("-o,--output", o.output, "output directory (replaced only if it holds gradient files only)")
      ->required();
  sub->add_option("--threads", o.threads, "OpenMP threads (0: default); the result does not depend on it")
      ->check(CLI::Range(0, attention::kMaxThreads));
  add_max_bytes_option(*sub, o.max_bytes);
  sub->add_flag("--json", o.json, "print loss.json on stdout");
  add_progress_options(*sub, o.progress, o.quiet, "print nothing on success, and no progress");
  sub->parse_complete_callback([dir, paper, target, backend, eps, approximate_list] {
    if (dir->count() == 0 && paper->count() == 0)
      throw CLI::ValidationError("grad needs an attention directory DIR (with --target E.npy) or --paper DIR");
    if (dir->count() != 0 && paper->count() != 0)
      throw CLI::ValidationError("DIR", "give either an attention directory or --paper DIR, not both");
    if (dir->count() != 0 && target->count() == 0)
      throw CLI::ValidationError("--target", "an attention directory needs --target E.npy (n_q x d_v)");
    if (paper->count() != 0 && target->count() != 0)
      throw CLI::ValidationError("--target", "--paper reads its target from DIR/E.npy; drop --target");
    const attention::Backend& b =
        attention::find_backend(backend->count() != 0 ? backend->as<std::string>() : std::string("exact"));
    if (paper->count() != 0 && !b.capabilities().paper_gradient)
      throw CLI::ValidationError(
          "--backend", "--paper supports only --backend " +
                           attention::backend_list("|", [](const attention::Backend& x) {
                             return x.capabilities().paper_gradient;
                           }) +
                           "; the " + b.name() + " gradient is for the attention form (DIR --target E.npy)");
    if (eps->count() != 0 && !b.capabilities().approximate)
      throw CLI::ValidationError("--eps", "--eps needs --backend " + approximate_list);
    if (eps->count() != 0) {
      const double e = eps->as<double>();
      if (!(e > 0 && e < 1)) throw CLI::ValidationError("--eps", "must be in (0, 1)");
    }
  });
  return sub;
}

namespace {

bool is_grad_file_name(const std::string& name) {
  static const std::regex pattern(R"(d(Q|X|[KVXY][1-9][0-9]*)\.npy|loss\.json)");
  return std::regex_match(name, pattern);
}

OutputFile npy_file(const std::string& name, const DenseMatrix& m) {
  return {name, [&m](std::ostream& out) { write_npy(out, {m.rows, m.cols}, m.data.data()); }, true};
}

std::string shape_text(const std::vector<std::size_t>& shape) {
  std::string s = "(";
  for (std::size_t t = 0; t < shape.size(); ++t) s += (t ? ", " : "") + std::to_string(shape[t]);
  return s + (shape.size() == 1 ? ",)" : ")");
}

// The header of a 2-D .npy matrix (checked before any data is read).
NpyHeader matrix_header(const std::string& path, const std::string& what) {
  NpyHeader h = read_npy_header(path);
  if (h.shape.size() != 2)
    throw InputError(path, "has shape " + shape_text(h.shape) + "; expected a 2-D array (" + what + ")");
  return h;
}

DenseMatrix read_matrix(const std::string& path, double max_bytes) {
  NpyReadOptions options;
  options.max_bytes = max_bytes;
  NpyArray a = read_npy(path, options);
  DenseMatrix m(a.shape[0], a.shape[1]);
  m.data = std::move(a.data);
  return m;
}

void check_memory(double bytes, const GradOptions& o) {
  check_size("the gradient's working memory", bytes, o.max_bytes, "raise --max-bytes or use a smaller instance");
}

int threads_for_estimate(const GradOptions& o) { return o.threads == 0 ? omp_get_max_threads() : o.threads; }

attention::GradientOptions gradient_options(const GradOptions& o) {
  attention::GradientOptions g;
  g.threads = o.threads;
  return g;
}

nlohmann::json common_json(const GradOptions& o, const attention::AttentionGradient& g) {
  nlohmann::json j;
  j["loss"] = g.loss;
  j["backend"] = o.backend;
  j["forward_seconds"] = g.forward_seconds;
  j["backward_seconds"] = g.backward_seconds;
  j["row_chunks"] = g.chunks;
  j["tool"] = "sethkit " SETHKIT_VERSION_STRING;
  return j;
}

// Writes OUTDIR with loss.json (the report, with the read and compute
// times); --json prints the report with the write time added.
void finish(const GradOptions& o, std::vector<OutputFile> files, nlohmann::json report, ProgressReporter& progress,
            std::chrono::steady_clock::time_point& start) {
  progress.stage("writing " + o.output);
  const std::string text = report.dump(2) + "\n";
  files.push_back({"loss.json", [&text](std::ostream& out) { out << text; }, false});
  write_directory_atomically(o.output, files, is_grad_file_name, "a gradient output file");
  report["times"]["write"] = lap_seconds(start);
  progress.finish();
  if (o.json) {
    std::cout << report.dump(2) << '\n';
  } else if (!o.quiet) {
    std::cout << "wrote " << o.output << ":";
    for (const OutputFile& f : files) std::cout << ' ' << f.name;
    std::cout << "; loss = " << report["loss"].get<double>() << '\n';
  }
}

int run_attention_form(const GradOptions& o, ProgressReporter& progress) {
  auto start = std::chrono::steady_clock::now();
  progress.stage("reading " + o.dir + " and " + o.target);
  AttentionReadOptions read;
  read.max_bytes = o.max_bytes;
  const AttentionInstance inst = read_attention_directory(o.dir, read);
  const NpyHeader h = matrix_header(o.target, "the target E, n_q x d_v");
  if (h.shape[0] != inst.n_q() || h.shape[1] != inst.d_v())
    throw InputError(o.target, "has shape " + shape_text(h.shape) + " but O is n_q x d_v = (" +
                                   std::to_string(inst.n_q()) + ", " + std::to_string(inst.d_v()) +
                                   ") (rows of Q.npy, columns of V1.npy); E must have O's shape");
  const DenseMatrix e = read_matrix(o.target, o.max_bytes);
  const double read_seconds = lap_seconds(start);
  progress.stage(o.backend + " gradient, forward and backward rows");
  const attention::Backend& backend = attention::find_backend(o.backend);
  attention::BackendOptions options;
  options.eps = o.eps;
  options.threads = o.threads;
  options.max_bytes = o.max_bytes;
  // Checks the capabilities, plans (poly: certifies once) and refuses with the size itself.
  // Under mpirun: query rows split across ranks, gathered on rank 0, which
  // alone writes (tools/rank_rows.hpp says what is bit-identical).
  const attention::GradientResult res = run_split_gradient(backend, inst, e, options);
  distributed::step([&] {  // rank 0 writes; its errors end every rank
    if (!distributed::is_root()) return;
    const attention::AttentionGradient& g = res.gradient;
    const double compute_seconds = lap_seconds(start);
    std::vector<OutputFile> files{npy_file("dQ.npy", g.d_q)};
    for (std::size_t p = 0; p < g.d_keys.size(); ++p) files.push_back(npy_file("dK" + std::to_string(p + 1) + ".npy", g.d_keys[p]));
    for (std::size_t p = 0; p < g.d_values.size(); ++p)
      files.push_back(npy_file("dV" + std::to_string(p + 1) + ".npy", g.d_values[p]));
    nlohmann::json j = common_json(o, g);
    j["form"] = "attention";
    j["k"] = inst.k;
    j["n"] = inst.lengths();
    j["d"] = inst.d();
    j["d_v"] = inst.d_v();
    j["scale"] = inst.scale;
    j["input"] = o.dir;
    j["target"] = o.target;
    if (backend.capabilities().approximate) j[backend.name()] = res.bounds_json();
    j["instance"] = attention_instance_json(inst);
    j["times"] = {{"read", read_seconds}, {"compute", compute_seconds}};
    finish(o, std::move(files), std::move(j), progress, start);
  });
  return kExitOk;
}

int run_paper_form(const GradOptions& o, ProgressReporter& progress) {
  auto start = std::chrono::steady_clock::now();
  progress.stage("reading " + o.paper);
  const std::vector<std::string> names = {"A1", "A2", "A3", "A4", "A5", "X1", "X2", "X3", "Y1", "Y2", "E"};
  auto path_of = [&](const std::string& name) { return (fs::path(o.paper) / (name + ".npy")).string(); };
  std::error_code ec;
  if (!fs::is_directory(o.paper, ec))
    throw InputError(o.paper, fs::exists(o.paper, ec) ? "is not a directory" : "no such directory");
  // Every header first: a missing or malformed file is reported before any
  // data is read, and the total size is known.
  double bytes = 0;
  for (const std::string& name : names) {
    const NpyHeader h = matrix_header(path_of(name), name[0] == 'A' || name == "E" ? "n x d" : "d x d");
    bytes += 8.0 * double(h.count);
  }
  check_size("the matrices of " + o.paper, bytes, o.max_bytes, "raise --max-bytes or use a smaller instance");
  attention::PaperInstance p;
  DenseMatrix* slots[] = {&p.a1, &p.a2, &p.a3, &p.a4, &p.a5, &p.x1, &p.x2, &p.x3, &p.y1, &p.y2, &p.e};
  for (std::size_t t = 0; t < names.size(); ++t) *slots[t] = read_matrix(path_of(names[t]), o.max_bytes);
  p.validate(o.paper);
  const double read_seconds = lap_seconds(start);
  progress.stage("paper gradient dX, forward and backward rows");
  const std::size_t d = p.d();
  const attention::GradientOptions options = gradient_options(o);
  const AttentionInstance inst = attention::paper_attention_instance(p);  // Q = A1 X1, ...: n d^2 work
  const attention::Backend& backend = attention::find_backend(o.backend);
  attention::PaperGradient g;
  nlohmann::json poly_json;
  if (backend.name() == "poly") {
    // Paper 002 Theorem 1 by the polynomial method (poly_gradient.hpp,
    // poly_paper_gradient): the registry plans (certifies P once, or refuses
    // with its advice), then the paper's dX is computed in the same passes.
    attention::BackendOptions bo;
    bo.eps = o.eps;
    bo.threads = o.threads;
    bo.max_bytes = o.max_bytes;
    const attention::BackendPlan plan = backend.plan_gradient(inst, bo);
    if (!plan.runnable()) throw SizeLimitError(plan.refusal);
    check_memory(bytes + attention::poly_paper_gradient_bytes(inst, plan.details["rank"].get<double>()), o);
    attention::PolyOptions popt;
    popt.eps = o.eps;
    popt.threads = o.threads;
    popt.max_bytes = o.max_bytes;
    popt.polynomial = std::any_cast<attention::ExpPolynomial>(plan.prepared);
    attention::PolyPaperGradient pg = attention::poly_paper_gradient(p, popt);
    const attention::PolyReport& r = pg.report;
    auto bound = [](double x) { return std::isfinite(x) ? nlohmann::json(x) : nlohmann::json(nullptr); };
    poly_json = plan.details;
    poly_json["exp_rel_error"] = bound(r.exp_rel_error);
    poly_json["eps_met"] = std::isfinite(r.error_bound) && r.error_bound <= o.eps;  // the bound on O, as attention
    poly_json["output_error_bound"] = bound(r.error_bound);
    poly_json["log_d_bound"] = bound(r.log_d_bound);
    poly_json["bad_rows"] = r.bad_rows;
    const attention::PolyAttentionGradient& ab = pg.attention_bounds;
    poly_json["error_bounds"] = {{"loss", bound(pg.loss_bound)},      {"dX", bound(pg.d_x_bound)},
                                 {"dX1", bound(pg.d_x1_bound)},       {"dX2", bound(pg.d_x2_bound)},
                                 {"dX3", bound(pg.d_x3_bound)},       {"dY1", bound(pg.d_y1_bound)},
                                 {"dY2", bound(pg.d_y2_bound)},       {"dQ", bound(ab.d_q_bound)},
                                 {"dK1", bound(ab.d_key_bounds[0])},  {"dK2", bound(ab.d_key_bounds[1])},
                                 {"dV1", bound(ab.d_value_bounds[0])}, {"dV2", bound(ab.d_value_bounds[1])}};
    poly_json["error_bound"] = bound(pg.d_x_bound);
    poly_json["bound_kind"] = "entrywise (paper 002 Definition 2's max norm): |dX~[a,b] - dX[a,b]| <= error_bounds.dX "
                              "for every entry, and likewise each matrix of error_bounds, against the exact gradient "
                              "of Definition 1 at Q = A1 X1, ...";
    g = std::move(pg.gradient);
  } else {
    check_memory(bytes + attention::exact_attention_gradient_bytes(inst, options.tuning, threads_for_estimate(o), d), o);
    g = attention::paper_gradient(p, options);
  }
  const double compute_seconds = lap_seconds(start);  // with Q = A1 X1, ...

  std::vector<OutputFile> files{npy_file("dX.npy", g.d_x),   npy_file("dX1.npy", g.d_x1), npy_file("dX2.npy", g.d_x2),
                                npy_file("dX3.npy", g.d_x3), npy_file("dY1.npy", g.d_y1), npy_file("dY2.npy", g.d_y2)};
  nlohmann::json j = common_json(o, g.attention);
  j["form"] = "paper";
  j["k"] = 3;
  j["n"] = {p.a1.rows, p.a2.rows, p.a3.rows};
  j["d"] = d;
  j["scale"] = 1.0 / double(d);
  j["dX_columns"] = "b1 + b2*d: A2's column b1 with A3's column b2 (paper 001 Definition 2.3, 0-based)";
  j["input"] = o.paper;
  if (!poly_json.is_null()) j[backend.name()] = poly_json;
  j["instance"] = attention_instance_json(inst);
  j["times"] = {{"read", read_seconds}, {"compute", compute_seconds}};
  // Not split under mpirun (paper 002's dX sums over rows): rank 0 writes.
  distributed::step([&] {
    if (distributed::is_root()) finish(o, std::move(files), std::move(j), progress, start);
  });
  return kExitOk;
}

}  // namespace

int run_grad(const GradOptions& o) {
  ProgressReporter progress("grad", Progress::enabled(o.progress, o.quiet));
  return o.paper.empty() ? run_attention_form(o, progress) : run_paper_form(o, progress);
}

}  // namespace sethkit::tools
