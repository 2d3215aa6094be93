// What every subcommand shares: exit codes (DESIGN.md "Command line"), the
// error boundary that turns typed errors into messages, CNF loading and the
// SAT-competition answer lines.
#pragma once

#include <functional>
#include <iosfwd>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "problems/cnf.hpp"
#include "core/options.hpp"

namespace sethkit::tools {

inline constexpr int kExitOk = 0;
inline constexpr int kExitError = 1;   // bad input, refusal, failed tool
inline constexpr int kExitUsage = 2;   // command-line misuse
inline constexpr int kExitSatisfiable = 10;
inline constexpr int kExitUnsatisfiable = 20;

inline constexpr double kDefaultMaxBytes = core::option("cli.max_bytes");

// Runs body; InputError, SizeLimitError, ToolError and bad_alloc become
// "sethkit SUB: error: ..." on stderr and exit 1.
int run_guarded(const std::string& subcommand, const std::function<int()>& body);

// "--max-bytes" accepting 1000, 64M, 1G, 2GiB...
void add_max_bytes_option(CLI::App& app, double& max_bytes);

// "--code rs|hermitian" and "--soundness S" of the protocol route
// (gap-maxip), shared by solve and reduce.
void add_protocol_options(CLI::App& app, std::string& code, double& soundness);

Cnf load_cnf(const std::string& path, bool lenient);

// "v 1 -2 3 ... 0" lines of at most ~78 characters.
void print_v_lines(std::ostream& out, const std::vector<bool>& assignment);

// True when stderr is a terminal (progress is shown only then).
bool stderr_is_tty();

}  // namespace sethkit::tools
