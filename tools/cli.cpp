// The whole `sethkit` command line as a function, so that the executable
// (tools/main.cpp) and the Python package (sethkit._sethkit._run_cli, used by
// sethkit.solve and sethkit.verify for exactly the --json of the command
// line) run the same code. Each subcommand lives in its own file with
// setup_<sub> and run_<sub>; this file only wires them.
#include <iostream>

#include <CLI/CLI.hpp>

#include "tools/cli.hpp"
#include "tools/attention.hpp"
#include "tools/check.hpp"
#include "tools/codes.hpp"
#include "tools/common.hpp"
#include "tools/gen.hpp"
#include "tools/grad.hpp"
#include "tools/protocol.hpp"
#include "tools/reduce.hpp"
#include "tools/solve.hpp"
#include "tools/sweep.hpp"
#include "tools/verify.hpp"

namespace sethkit::tools {

int run_cli(int argc, char** argv) {
  CLI::App app{"sethkit: hardness reductions and algorithms for tensor softmax attention"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "sethkit " SETHKIT_VERSION_STRING);

  SolveOptions solve;
  ReduceOptions reduce;
  VerifyOptions verify;
  AttentionOptions attention;
  ProtocolOptions protocol;
  GradOptions grad;
  CodesOptions codes;
  CLI::App* solve_cmd = setup_solve(app, solve);
  CLI::App* reduce_cmd = setup_reduce(app, reduce);
  CLI::App* verify_cmd = setup_verify(app, verify);
  CLI::App* attention_cmd = setup_attention(app, attention);
  CLI::App* protocol_cmd = setup_protocol(app, protocol);
  CLI::App* grad_cmd = setup_grad(app, grad);
  CLI::App* codes_cmd = setup_codes(app, codes);
  CheckOptions check;
  CLI::App* check_cmd = setup_check(app, check);
  GenOptions gen;
  CLI::App* gen_cmd = setup_gen(app, gen);
  SweepOptions sweep;
  CLI::App* sweep_cmd = setup_sweep(app, sweep);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return kExitUsage;
  }

  if (solve_cmd->parsed()) return run_guarded("solve", [&] { return run_solve(solve); });
  if (reduce_cmd->parsed()) return run_guarded("reduce", [&] { return run_reduce(reduce); });
  if (verify_cmd->parsed()) return run_guarded("verify", [&] { return run_verify(verify); });
  if (attention_cmd->parsed()) return run_guarded("attention", [&] { return run_attention(attention); });
  if (protocol_cmd->parsed()) return run_guarded("protocol", [&] { return run_protocol(protocol); });
  if (grad_cmd->parsed()) return run_guarded("grad", [&] { return run_grad(grad); });
  if (codes_cmd->parsed()) return run_guarded("codes", [&] { return run_codes(codes); });
  if (check_cmd->parsed()) return run_guarded("check", [&] { return run_check(check); });
  if (gen_cmd->parsed()) return run_guarded("gen", [&] { return run_gen(gen); });
  if (sweep_cmd->parsed()) return run_guarded("sweep", [&] { return run_sweep(sweep); });
  return kExitUsage;
}

}  // namespace sethkit::tools
