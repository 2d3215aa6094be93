// Data and checks for the `sethkit grad` CTest cases (tests/gradient/CMakeLists.txt).
//
//   grad_cli_data make DATA
//       writes DATA/attn (k = 3 attention directory), DATA/E.npy, bad targets,
//       DATA/paper (A1..A5, X1..X3, Y1, Y2, E), broken paper directories, an
//       output directory to be replaced, one that must not be, and an empty
//       DATA/out for the CLI's outputs.
//   grad_cli_data check-attention OUTDIR ATTNDIR E.npy
//   grad_cli_data check-paper OUTDIR   (the instance `make` wrote to DATA/paper)
//       recompute in process and require OUTDIR to hold exactly the expected
//       files with the same bits (the result does not depend on the thread
//       count, so the CLI's default threads must give these bits too), and
//       loss.json's loss; the attention form is also held against the
//       long-double reference. Exit 0 when all agree, 1 with a message else.
//   grad_cli_data check-paper-poly OUTDIR
//       `grad --paper --backend poly` (paper 002 Theorem 1): every matrix of
//       OUTDIR within loss.json's poly.error_bounds of the exact gradient
//       (paper_gradient), each bound below 1e-3 of the matrix's largest entry,
//       and bound_kind entrywise.
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <random>
#include <set>
#include <string>

#include <nlohmann/json.hpp>

#include "attention/gradient.hpp"
#include "problems/attention_instance.hpp"
#include "problems/npy.hpp"

using namespace sethkit;
using namespace sethkit::attention;
namespace fs = std::filesystem;

namespace {

DenseMatrix random_matrix(std::mt19937_64& rng, std::size_t rows, std::size_t cols) {
  std::uniform_real_distribution<double> u(-1.0, 1.0);
  DenseMatrix m(rows, cols);
  for (double& x : m.data) x = u(rng);
  return m;
}

void write(const fs::path& path, const DenseMatrix& m) { write_npy(path.string(), {m.rows, m.cols}, m.data.data()); }

void write_text(const fs::path& path, const std::string& text) { std::ofstream(path) << text; }

PaperInstance paper_instance() {
  std::mt19937_64 rng(2);
  PaperInstance p;
  const std::size_t nq = 4, n1 = 3, n2 = 5, d = 2;
  p.a1 = random_matrix(rng, nq, d);
  p.a2 = random_matrix(rng, n1, d);
  p.a3 = random_matrix(rng, n2, d);
  p.a4 = random_matrix(rng, n1, d);
  p.a5 = random_matrix(rng, n2, d);
  p.x1 = random_matrix(rng, d, d);
  p.x2 = random_matrix(rng, d, d);
  p.x3 = random_matrix(rng, d, d);
  p.y1 = random_matrix(rng, d, d);
  p.y2 = random_matrix(rng, d, d);
  p.e = random_matrix(rng, nq, d);
  return p;
}

void write_paper(const fs::path& dir, const PaperInstance& p, bool skip_y2 = false) {
  fs::create_directories(dir);
  write(dir / "A1.npy", p.a1);
  write(dir / "A2.npy", p.a2);
  write(dir / "A3.npy", p.a3);
  write(dir / "A4.npy", p.a4);
  write(dir / "A5.npy", p.a5);
  write(dir / "X1.npy", p.x1);
  write(dir / "X2.npy", p.x2);
  write(dir / "X3.npy", p.x3);
  write(dir / "Y1.npy", p.y1);
  if (!skip_y2) write(dir / "Y2.npy", p.y2);
  write(dir / "E.npy", p.e);
}

int make(const fs::path& data) {
  fs::remove_all(data);
  fs::create_directories(data / "out");  // where the CLI tests write
  std::mt19937_64 rng(1);
  DenseMatrix q = random_matrix(rng, 5, 3);
  std::vector<DenseMatrix> keys{random_matrix(rng, 4, 3), random_matrix(rng, 6, 3)};
  std::vector<DenseMatrix> values{random_matrix(rng, 4, 2), random_matrix(rng, 6, 2)};
  write_attention_directory((data / "attn").string(), make_attention_instance(q, keys, values));
  write(data / "E.npy", random_matrix(rng, 5, 2));
  write(data / "E_wrong.npy", random_matrix(rng, 4, 2));
  const std::vector<double> vec(5, 0.5);
  write_npy((data / "vec.npy").string(), {5}, vec.data());

  const PaperInstance p = paper_instance();
  write_paper(data / "paper", p);
  PaperInstance bad = p;
  bad.a5 = random_matrix(rng, 5, 3);
  write_paper(data / "paper_bad", bad);
  write_paper(data / "paper_missing", p, true);

  // An earlier gradient output (replaced whole: dX.npy must not survive) and
  // a directory that holds something else (never replaced).
  fs::create_directories(data / "replace");
  write_text(data / "replace" / "dQ.npy", "stale");
  write_text(data / "replace" / "dX.npy", "stale");
  write_text(data / "replace" / "loss.json", "{}");
  fs::create_directories(data / "occupied");
  write_text(data / "occupied" / "notes.txt", "keep me");
  return 0;
}

int failures = 0;

void fail(const std::string& what) {
  std::cerr << "grad_cli_data: " << what << '\n';
  ++failures;
}

void expect_files(const fs::path& out, std::set<std::string> expected) {
  expected.insert("loss.json");
  std::set<std::string> found;
  for (const auto& entry : fs::directory_iterator(out)) found.insert(entry.path().filename().string());
  if (found != expected) {
    std::string text;
    for (const auto& f : found) text += " " + f;
    fail(out.string() + " holds" + text + ", not the expected files");
  }
}

void expect_same(const fs::path& path, const DenseMatrix& want) {
  const NpyArray a = read_npy(path.string());
  if (a.shape != std::vector<std::size_t>{want.rows, want.cols}) return fail(path.string() + ": wrong shape");
  if (std::memcmp(a.data.data(), want.data.data(), want.data.size() * sizeof(double)) != 0)
    fail(path.string() + ": differs from the in-process gradient");
}

void expect_close(const DenseMatrix& got, const DenseMatrix& want, const std::string& what) {
  double err = 0, top = 0;
  for (std::size_t t = 0; t < want.data.size(); ++t) {
    err = std::max(err, std::abs(got.data[t] - want.data[t]));
    top = std::max(top, std::abs(want.data[t]));
  }
  if (err > 1e-11 * top) fail(what + ": relative error " + std::to_string(err / top) + " against the reference");
}

void expect_loss(const fs::path& out, double loss, const std::string& form) {
  std::ifstream in(out / "loss.json");
  const nlohmann::json j = nlohmann::json::parse(in);
  if (j.at("loss").get<double>() != loss) fail("loss.json: loss differs from the in-process loss");
  if (j.at("form").get<std::string>() != form) fail("loss.json: form is not " + form);
}

int check_attention(const fs::path& out, const std::string& dir, const std::string& target) {
  const AttentionInstance inst = read_attention_directory(dir);
  const NpyArray e_array = read_npy(target);
  DenseMatrix e(e_array.shape[0], e_array.shape[1]);
  e.data = e_array.data;
  const AttentionGradient g = exact_attention_gradient(inst, e);
  const AttentionGradient ref = reference_attention_gradient(inst, e, inst.scale);
  std::set<std::string> files{"dQ.npy"};
  expect_same(out / "dQ.npy", g.d_q);
  expect_close(g.d_q, ref.d_q, "dQ");
  for (std::size_t p = 0; p < g.d_keys.size(); ++p) {
    const std::string k = "dK" + std::to_string(p + 1), v = "dV" + std::to_string(p + 1);
    files.insert(k + ".npy");
    files.insert(v + ".npy");
    expect_same(out / (k + ".npy"), g.d_keys[p]);
    expect_same(out / (v + ".npy"), g.d_values[p]);
    expect_close(g.d_keys[p], ref.d_keys[p], k);
    expect_close(g.d_values[p], ref.d_values[p], v);
  }
  expect_files(out, files);
  expect_loss(out, g.loss, "attention");
  return failures == 0 ? 0 : 1;
}

int check_paper(const fs::path& out) {
  const PaperGradient g = paper_gradient(paper_instance());
  expect_same(out / "dX.npy", g.d_x);
  expect_same(out / "dX1.npy", g.d_x1);
  expect_same(out / "dX2.npy", g.d_x2);
  expect_same(out / "dX3.npy", g.d_x3);
  expect_same(out / "dY1.npy", g.d_y1);
  expect_same(out / "dY2.npy", g.d_y2);
  expect_files(out, {"dX.npy", "dX1.npy", "dX2.npy", "dX3.npy", "dY1.npy", "dY2.npy"});
  expect_loss(out, g.loss, "paper");
  return failures == 0 ? 0 : 1;
}

int check_paper_poly(const fs::path& out) {
  const PaperGradient g = paper_gradient(paper_instance());
  std::ifstream in(out / "loss.json");
  const nlohmann::json j = nlohmann::json::parse(in);
  const nlohmann::json& poly = j.at("poly");
  if (j.at("backend").get<std::string>() != "poly") fail("loss.json: backend is not poly");
  if (poly.at("bound_kind").get<std::string>().rfind("entrywise", 0) != 0) fail("loss.json: bound_kind not entrywise");
  const nlohmann::json& bounds = poly.at("error_bounds");
  auto within = [&](const std::string& name, const DenseMatrix& want) {
    const NpyArray a = read_npy((out / (name + ".npy")).string());
    if (a.shape != std::vector<std::size_t>{want.rows, want.cols}) return fail(name + ".npy: wrong shape");
    if (bounds.at(name).is_null()) return fail(name + ": no finite bound");
    const double bound = bounds.at(name).get<double>();
    double err = 0, top = 0;
    for (std::size_t t = 0; t < want.data.size(); ++t) {
      err = std::max(err, std::abs(a.data[t] - want.data[t]));
      top = std::max(top, std::abs(want.data[t]));
    }
    if (err > bound) fail(name + ": error " + std::to_string(err) + " above its bound " + std::to_string(bound));
    if (!(bound < 1e-3 * top)) fail(name + ": bound " + std::to_string(bound) + " is vacuous (max entry " +
                                    std::to_string(top) + ")");
  };
  within("dX", g.d_x);
  within("dX1", g.d_x1);
  within("dX2", g.d_x2);
  within("dX3", g.d_x3);
  within("dY1", g.d_y1);
  within("dY2", g.d_y2);
  if (std::abs(j.at("loss").get<double>() - g.loss) > bounds.at("loss").get<double>())
    fail("loss.json: loss outside its bound of the exact loss");
  if (j.at("form").get<std::string>() != "paper") fail("loss.json: form is not paper");
  expect_files(out, {"dX.npy", "dX1.npy", "dX2.npy", "dX3.npy", "dY1.npy", "dY2.npy"});
  return failures == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const std::string mode = argc > 1 ? argv[1] : "";
    if (mode == "make" && argc == 3) return make(argv[2]);
    if (mode == "check-attention" && argc == 5) return check_attention(argv[2], argv[3], argv[4]);
    if (mode == "check-paper" && argc == 3) return check_paper(argv[2]);
    if (mode == "check-paper-poly" && argc == 3) return check_paper_poly(argv[2]);
  } catch (const std::exception& e) {
    std::cerr << "grad_cli_data: " << e.what() << '\n';
    return 1;
  }
  std::cerr << "usage: grad_cli_data make DATA | check-attention OUTDIR ATTNDIR E.npy | check-paper OUTDIR | check-paper-poly OUTDIR\n";
  return 2;
}
