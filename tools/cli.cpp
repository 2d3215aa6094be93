// The whole `sethkit` command line as a function, so that the executable
// (tools/main.cpp) and the Python package (sethkit._sethkit._run_cli, used by
// sethkit.solve, verify, protocol and codes for exactly the --json of the
// command line) run the same code. Each subcommand lives in its own file with
// setup_<sub> and run_<sub>; this file wires them and applies the rules every
// subcommand shares: --timeout, hardened numeric options, options that do not
// apply to the mode, outputs that would destroy an input, and the final
// check of standard output.
#include "tools/cli.hpp"

#include <cstring>
#include <functional>
#include <iostream>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "core/atomic_file.hpp"
#include "core/deadline.hpp"
#include "core/errors.hpp"
#include "distributed/distributed.hpp"
#include "reductions/hints.hpp"
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
namespace {

// The value an option was given, or "" (for paths: inputs and outputs).
std::string given(CLI::App* sub, const std::string& name) {
  CLI::Option* opt = sub->get_option_no_throw(name);
  if (opt == nullptr || opt->count() == 0) return "";
  return opt->results().empty() ? "" : opt->results().front();
}

std::vector<std::string> given_all(CLI::App* sub, const std::string& name) {
  CLI::Option* opt = sub->get_option_no_throw(name);
  if (opt == nullptr) return {};
  return opt->results();
}

// Options that do not apply to the chosen mode are refused, not ignored.
void refuse_unless(bool applies, const std::string& option, const std::string& why) {
  if (!applies) throw sethkit::UsageError(option + " " + why);
}

void check_modes(CLI::App* sub, const std::string& name, const SolveOptions& solve, const ReduceOptions& reduce,
                 const AttentionOptions& attention, const ProtocolOptions& protocol, const GradOptions& grad) {
  auto has = [sub](const char* opt) { return sub->get_option_no_throw(opt) && sub->count(opt) > 0; };
  if (name == "solve") {
    const bool gap = solve.via == "gap-maxip" || (solve.via == "attention" && solve.route == "protocol");
    if (has("--code")) refuse_unless(gap, "--code", "applies only to the protocol route (--via gap-maxip, or --via attention --route protocol)");
    if (has("--soundness")) refuse_unless(gap, "--soundness", "applies only to the protocol route (--via gap-maxip, or --via attention --route protocol)");
    if (has("--backend")) refuse_unless(solve.via == "attention", "--backend", "applies only to --via attention");
    if (has("--route")) refuse_unless(solve.via == "attention", "--route", "applies only to --via attention");
    if (has("--precision"))
      refuse_unless(solve.precision == "double" || solve.backend == "exact" || solve.backend == "float", "--precision",
                    "float applies to --backend exact (it runs the exact kernel in float32 with its certified rounding bound)");
    if (has("--kov-algorithm")) refuse_unless(solve.via == "kov", "--kov-algorithm", "applies only to --via kov");
    if (has("--no-prune")) refuse_unless(solve.via == "kov", "--no-prune", "applies only to --via kov");
  } else if (name == "reduce") {
    const bool gap = reduce.to == "gap-maxip" || reduce.route == "protocol";
    if (has("--code")) refuse_unless(gap, "--code", "applies only to the protocol route (--to gap-maxip, or --route protocol)");
    if (has("--soundness")) refuse_unless(gap, "--soundness", "applies only to the protocol route (--to gap-maxip, or --route protocol)");
    if (has("--eps")) refuse_unless(reduce.to == "attention", "--eps", "applies only to --to attention");
  } else if (name == "attention") {
    if (has("--eps")) refuse_unless(attention.backend != "exact", "--eps", "applies only to an approximate backend (the exact backend has no error target); use --backend poly");
    if (has("--precision"))
      refuse_unless(attention.precision == "float" || attention.backend != "float", "--precision",
                    "double contradicts --backend float (which computes in float32)");
    if (has("--log-output"))
      refuse_unless(attention.precision == "float" || attention.backend == "float", "--log-output",
                    "applies only to --precision float (the certified float32 backend)");
  } else if (name == "grad") {
    if (has("--eps")) refuse_unless(grad.backend != "exact", "--eps", "applies only to --backend poly (the exact backend has no error target)");
  } else if (name == "protocol") {
    if (has("--m")) refuse_unless(protocol.file.empty(), "--m", "cannot be given with a FILE (the universe is the CNF's clause count)");
  }
}

// Inputs and outputs of the run, so that no output destroys an input.
void check_paths(CLI::App* sub) {
  std::vector<std::string> inputs;
  for (const char* in : {"FILE", "DIR", "--paper", "--target"})
    for (const std::string& v : given_all(sub, in)) inputs.push_back(v);
  std::vector<sethkit::NamedPath> outputs;
  for (const char* out : {"--output", "--logd"}) {
    const std::string v = given(sub, out);
    if (!v.empty()) outputs.push_back({std::string(out) == "--output" ? "-o" : out, v});
  }
  sethkit::check_outputs_distinct(inputs, outputs);
}

// With --json (verify: --json or --jsonl) a failure is also a JSON object on
// stdout (run_guarded): which subcommand, and what it was run on. sweep's
// --json names a file, check and gen have none: their errors stay on stderr.
std::optional<nlohmann::json> json_error_context(const std::string& name, const SolveOptions& solve,
                                                 const ReduceOptions& reduce, const VerifyOptions& verify,
                                                 const AttentionOptions& attention, const ProtocolOptions& protocol,
                                                 const GradOptions& grad, const CodesOptions& codes) {
  nlohmann::json j = {{"subcommand", name}};
  if (name == "solve" && solve.json) {
    j["file"] = solve.file;
    j["via"] = solve.via;
  } else if (name == "reduce" && reduce.json) {
    j["file"] = reduce.file;
    j["to"] = reduce.to;
  } else if (name == "verify" && (verify.json || verify.jsonl)) {
    j["files"] = verify.files;
  } else if (name == "attention" && attention.json) {
    j["file"] = attention.dir;
    j["backend"] = attention.backend;
  } else if (name == "grad" && grad.json) {
    j["file"] = grad.paper.empty() ? grad.dir : grad.paper;
    j["backend"] = grad.backend;
  } else if (name == "protocol" && protocol.json) {
    j["file"] = protocol.file.empty() ? nlohmann::json() : nlohmann::json(protocol.file);
  } else if (name == "codes" && codes.json) {
    j["code"] = codes.code;
  } else {
    return std::nullopt;
  }
  return j;
}

int unknown_subcommand(const CLI::App& app, const std::string& name) {
  std::string list;
  for (const CLI::App* sub : app.get_subcommands([](const CLI::App*) { return true; }))
    list += (list.empty() ? "" : ", ") + sub->get_name();
  std::cerr << "sethkit: error: unknown subcommand '" << name.substr(0, 32) << "'; the subcommands are: " << list
            << " (sethkit SUBCOMMAND --help for each)\n";
  return kExitUsage;
}

// Under mpirun (distributed/distributed.hpp) these subcommands split their
// work across the ranks themselves; the others (reduce, gen, ..., whose
// outputs every rank would otherwise write) run on rank 0 alone while the
// other ranks wait, and end with its exit code or its error.
bool split_across_ranks(const std::string& name) {
  return name == "solve" || name == "attention" || name == "grad" || name == "verify" || name == "sweep";
}

int run_on_rank_zero(const std::function<int()>& run) {
  if (!distributed::distributed()) return run();
  std::vector<std::size_t> rc{0};
  distributed::step([&] {
    if (distributed::is_root()) rc[0] = static_cast<std::size_t>(run());
  });
  distributed::broadcast(rc, 0);
  return static_cast<int>(rc[0]);
}

}  // namespace

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

  double timeout = 0;
  // verify and sweep have their own --timeout (for the whole run, over child processes).
  for (CLI::App* sub : {solve_cmd, reduce_cmd, attention_cmd, protocol_cmd, grad_cmd, codes_cmd})
    add_timeout_option(*sub, timeout);
  harden_numeric_options(app);
  // Hidden: verify and sweep run their levels in a child `solve`, whose
  // refusal hints must name verify's or sweep's options (reductions/hints.hpp).
  std::string hints_for;
  solve_cmd->add_option("--hints-for", hints_for, "the command that started this solve (verify or sweep)")
      ->check(
          [](const std::string& v) {
            return v == "verify" || v == "sweep" ? std::string{}
                                                 : "--hints-for takes verify or sweep (the commands that run solve as a "
                                                   "child), not '" + v.substr(0, 32) + "'";
          },
          "verify|sweep")
      ->group("");

  if (argc > 1 && argv[1][0] != '-') {
    bool known = false;
    for (const CLI::App* sub : app.get_subcommands([](const CLI::App*) { return true; }))
      known = known || sub->check_name(argv[1]);
    if (!known) return unknown_subcommand(app, argv[1]);
  }

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

  // The deadline is process-wide: set (or cleared) at every call, since the
  // Python package runs several command lines in one process.
  sethkit::set_deadline(timeout);
  const std::vector<std::pair<CLI::App*, std::function<int()>>> runs = {
      {solve_cmd, [&] { return run_solve(solve); }},
      {reduce_cmd, [&] { return run_reduce(reduce); }},
      {verify_cmd, [&] { return run_verify(verify); }},
      {attention_cmd, [&] { return run_attention(attention); }},
      {protocol_cmd, [&] { return run_protocol(protocol); }},
      {grad_cmd, [&] { return run_grad(grad); }},
      {codes_cmd, [&] { return run_codes(codes); }},
      {check_cmd, [&] { return run_check(check); }},
      {gen_cmd, [&] { return run_gen(gen); }},
      {sweep_cmd, [&] { return run_sweep(sweep); }},
  };
  for (const auto& [cmd, run] : runs) {
    if (!cmd->parsed()) continue;
    const std::string name = cmd->get_name();
    const reductions::FrontEndScope hints(reductions::front_end_of(name, hints_for));
    const std::optional<nlohmann::json> json_error =
        json_error_context(name, solve, reduce, verify, attention, protocol, grad, codes);
    const int rc = run_guarded(
        name,
        [&] {
          check_modes(cmd, name, solve, reduce, attention, protocol, grad);  // before any work
          check_paths(cmd);
          return split_across_ranks(name) ? run() : run_on_rank_zero(run);
        },
        json_error ? &*json_error : nullptr);
    return finish_stdout(name, rc);
  }
  return kExitUsage;
}

}  // namespace sethkit::tools
