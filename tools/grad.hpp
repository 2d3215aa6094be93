// sethkit grad DIR --target E.npy [--backend NAME] -o OUTDIR
// sethkit grad --paper DIR [--backend exact|poly] [--eps E] -o OUTDIR
// The loss 0.5 ||O - E||_F^2 of tensor attention and its exact gradients
// (DESIGN.md "Command line", attention/gradient.hpp; issue 8):
//  - with an attention directory DIR (Q.npy, K1.npy.., V1.npy.., optional
//    manifest.json) and a target E (n_q x d_v): dQ.npy, dK1.npy..,
//    dV1.npy.. and loss.json in OUTDIR;
//  - with --paper DIR holding A1..A5, X1..X3, Y1, Y2, E (.npy; paper 002
//    Definition 1): dX.npy (d x d^2, column b1 + b2*d pairs A2's column b1
//    with A3's column b2), dX1.npy, dX2.npy, dX3.npy, dY1.npy, dY2.npy and
//    loss.json.
// OUTDIR appears whole or not at all (a temporary sibling, then a rename); an
// existing OUTDIR is replaced only when it holds nothing but such files.
// Exit 0 on success, 1 on bad input or a refusal (the message names the
// file), 2 on a usage error. loss.json and --json carry the instance object
// and the stage times (read, compute; --json adds write); with --json a
// failure is a JSON object on stdout too. Progress on stderr past a second
// (--progress forces it, --quiet silences it).
#pragma once

#include <cstdint>
#include <string>

#include <CLI/CLI.hpp>

#include "tools/common.hpp"

namespace sethkit::tools {

struct GradOptions {
  std::string dir;     // attention directory (positional)
  std::string paper;   // --paper DIR
  std::string target;  // --target E.npy (attention directory form)
  std::string backend = "exact";  // a registry name with the gradient capability (attention/backend.hpp)
  double eps = 1e-6;              // --eps: poly's target relative error of P ~ exp
  std::string output;  // -o OUTDIR
  int threads = 0;
  double max_bytes = kDefaultMaxBytes;  // inputs, and the working memory of the gradient
  bool json = false;
  bool quiet = false;
  bool progress = false;
};

CLI::App* setup_grad(CLI::App& app, GradOptions& options);
int run_grad(const GradOptions& options);

}  // namespace sethkit::tools
