// What every subcommand shares: exit codes (DESIGN.md "Command line"), the
// error boundary that turns typed errors into messages, CNF loading and the
// SAT-competition answer lines.
#pragma once

#include <chrono>
#include <functional>
#include <iosfwd>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "problems/attention_instance.hpp"
#include "problems/cnf.hpp"
#include "core/options.hpp"

namespace sethkit::tools {

inline constexpr int kExitOk = 0;
inline constexpr int kExitError = 1;   // bad input, refusal, failed tool
inline constexpr int kExitUsage = 2;   // command-line misuse
inline constexpr int kExitTimeout = 3;  // --timeout ran out (nothing written)
inline constexpr int kExitSatisfiable = 10;
inline constexpr int kExitUnsatisfiable = 20;

inline constexpr double kDefaultMaxBytes = core::option("cli.max_bytes");

// The --backend choices of attention and solve: the registry's names except
// "float", which the command line reaches as --precision float (the exact
// kernel in float32 with its certificate, attention/backend_float.hpp).
std::vector<std::string> cli_backend_names();
std::string cli_backend_list(const std::string& separator);

// Runs body; TimeoutError -> "timeout after S s", exit 3; UsageError ->
// exit 2; InputError, SizeLimitError, ToolError and bad_alloc become
// "sethkit SUB: error: ..." on stderr and exit 1.
// With json_error (a run with --json; issue 16 part 5) the failure is also
// one JSON object on stdout (docs/json-schema.md "Errors"): json_error's
// fields (the subcommand, its input) plus "status" (refused | input | error
// | internal | timeout | usage), "error" (the stderr line's message) and
// "exit_code" (the same exit code as without --json).
int run_guarded(const std::string& subcommand, const std::function<int()>& body,
                const nlohmann::json* json_error = nullptr);

// "--timeout SECONDS": the run's wall-clock budget (core/deadline.hpp),
// finite and in (0, 1e9].
void add_timeout_option(CLI::App& app, double& seconds);

// Option values (issue 14 part 5): adds to every numeric option of app and
// its subcommands (type FLOAT, INT, UINT, NUMBER) a check that refuses NaN,
// infinities, hexadecimal and the like, naming the option, the value and the
// allowed range (from the option's other checks). Call after every option is
// added.
void harden_numeric_options(CLI::App& app);

// "a finite number" validator for one option; `range` describes the allowed
// values in the refusal ("in (0, 1)").
// `integer`: also refuses fractions and values past 64 bits.
CLI::Validator finite_number(const std::string& range = "", bool integer = false);

// After the subcommand's run: flushes standard output; a write error there
// (> /dev/full, a full disk) is reported and turns the exit code into 1
// (solve must not say 10 when its model line was lost). EPIPE (| head, with
// SIGPIPE ignored; by default SIGPIPE ends the run silently) ends quietly
// with exit 1, no message.
int finish_stdout(const std::string& subcommand, int exit_code);

// "--max-bytes" accepting 1000, 64M, 1G, 2GiB...
void add_max_bytes_option(CLI::App& app, double& max_bytes);

// "--code rs|hermitian" and "--soundness S" of the protocol route
// (gap-maxip), shared by solve and reduce.
void add_protocol_options(CLI::App& app, std::string& code, double& soundness);

Cnf load_cnf(const std::string& path, bool lenient);

// "v 1 -2 3 ... 0" lines of at most ~78 characters.
void print_v_lines(std::ostream& out, const std::vector<bool>& assignment);

// The instance object of docs/json-schema.json for an attention directory:
// level "attention", k, n (rows of Q, then of each key side), d, d_v, bytes
// (its entries as doubles).
nlohmann::json attention_instance_json(const AttentionInstance& inst);

// Seconds since `start`, and `start` moved to now: the time of one stage.
double lap_seconds(std::chrono::steady_clock::time_point& start);

// "--progress" and "--quiet" (progress on stderr, core/progress.hpp: shown
// on a terminal by default, forced by --progress, silenced by --quiet).
void add_progress_options(CLI::App& app, bool& progress, bool& quiet, const std::string& quiet_help);

// True when stderr is a terminal (progress is shown only then).
bool stderr_is_tty();

}  // namespace sethkit::tools
