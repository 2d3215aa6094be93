#include "tools/common.hpp"

#include "attention/backend.hpp"

#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <new>
#include <stdexcept>

#include "core/deadline.hpp"
#include "core/errors.hpp"

namespace sethkit::tools {

namespace {

void print_json_error(const nlohmann::json* context, const char* status, const std::string& message, int exit_code) {
  if (context == nullptr) return;
  nlohmann::json j = *context;
  j["status"] = status;
  j["error"] = message;
  j["exit_code"] = exit_code;
  std::cout << j.dump(2) << '\n' << std::flush;
}

}  // namespace

int run_guarded(const std::string& subcommand, const std::function<int()>& body, const nlohmann::json* json_error) {
  const std::string prefix = "sethkit " + subcommand + ": ";
  // status, message: the JSON object's; line: the stderr line after the prefix.
  auto fail = [&](const char* status, const std::string& message, const std::string& line, int exit_code) {
    std::cerr << prefix << line << '\n';
    print_json_error(json_error, status, message, exit_code);
    return exit_code;
  };
  try {
    return body();
  } catch (const TimeoutError& e) {
    return fail("timeout", e.what(), e.what(), kExitTimeout);
  } catch (const UsageError& e) {
    return fail("usage", e.what(), std::string("error: ") + e.what(), kExitUsage);
  } catch (const InputError& e) {
    return fail("input", e.what(), std::string("error: ") + e.what(), kExitError);
  } catch (const SizeLimitError& e) {
    return fail("refused", e.what(), std::string("refused: ") + e.what(), kExitError);
  } catch (const ToolError& e) {
    return fail("error", e.what(), std::string("error: ") + e.what(), kExitError);
  } catch (const std::bad_alloc&) {
    return fail("refused", "out of memory", "error: out of memory", kExitError);
  } catch (const std::exception& e) {
    // A bug: a witness that fails its check, a broken promise.
    return fail("internal", e.what(), std::string("internal error (please report): ") + e.what(), kExitError);
  }
}

void add_protocol_options(CLI::App& app, std::string& code, double& soundness) {
  app.add_option("--code", code, "gap-maxip: the protocol's code, rs or hermitian")
      ->check(CLI::IsMember({"rs", "hermitian"}))
      ->capture_default_str();
  app.add_option("--soundness", soundness, "gap-maxip: target soundness (NO inner products <= this * n_C)")
      ->check(CLI::Range(1e-6, 0.999999))
      ->capture_default_str();
}

namespace {

// Accepts a decimal number only: digits, sign, '.', exponent. Refuses
// nan/inf and hexadecimal (strtod would take 0x10 and inf).
bool plain_decimal(const std::string& text) {
  if (text.empty()) return false;
  for (char c : text)
    if (!(std::isdigit(static_cast<unsigned char>(c)) || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E'))
      return false;
  return std::isdigit(static_cast<unsigned char>(text.back())) || text.back() == '.';
}

std::string quote_value(const std::string& text) {
  std::string shown = text.size() > 32 ? text.substr(0, 32) + "..." : text;
  for (char& c : shown)
    if (!std::isprint(static_cast<unsigned char>(c))) c = '?';
  return "'" + shown + "'";
}

}  // namespace

CLI::Validator finite_number(const std::string& range, bool integer) {
  return CLI::Validator(
      [range, integer](std::string& text) -> std::string {
        // Vectors ("2,3") are split by CLI11 before the check: one element here.
        if (!plain_decimal(text))
          return "value " + quote_value(text) + " is not a finite decimal number" +
                 (range.empty() ? "" : "; allowed: " + range);
        errno = 0;
        if (integer) {  // strtoll saturates: ERANGE is an overflow CLI11 would hide
          char* end = nullptr;
          (void)std::strtoll(text.c_str(), &end, 10);
          if (*end != '\0') return "value " + quote_value(text) + " is not an integer" + (range.empty() ? "" : "; allowed: " + range);
          if (errno == ERANGE) return "value " + quote_value(text) + " is out of range" + (range.empty() ? "" : "; allowed: " + range);
          return std::string{};
        }
        const double v = std::strtod(text.c_str(), nullptr);
        if (!std::isfinite(v) || errno == ERANGE)
          return "value " + quote_value(text) + " is out of range" + (range.empty() ? "" : "; allowed: " + range);
        return std::string{};
      },
      "", "FINITE");
}

void harden_numeric_options(CLI::App& app) {
  for (CLI::Option* opt : app.get_options()) {
    const std::string type = opt->get_type_name();
    if (type.rfind("FLOAT", 0) != 0 && type.rfind("INT", 0) != 0 && type.rfind("UINT", 0) != 0 &&
        type.rfind("NUMBER", 0) != 0)
      continue;
    std::string range;
    for (int i = 0;; ++i) {
      try {
        const std::string d = opt->get_validator(i)->get_description();
        if (!d.empty()) range += (range.empty() ? "" : ", ") + d;
      } catch (const CLI::OptionNotFound&) {
        break;
      }
    }
    const bool integer = type.rfind("INT", 0) == 0 || type.rfind("UINT", 0) == 0;
    if (range.empty()) range = integer ? "an integer" : "a finite number";
    // First of the option's checks (transform inserts at the front), so that
    // nan or -inf is refused here, before a Range check prints its bounds
    // with 309 digits.
    CLI::Validator finite = finite_number(range, integer);
    finite.non_modifying();
    opt->transform(finite);
  }
  for (CLI::App* sub : app.get_subcommands([](CLI::App*) { return true; })) harden_numeric_options(*sub);
}

void add_timeout_option(CLI::App& app, double& seconds) {
  app.add_option("--timeout", seconds, "wall-clock budget of the run in seconds; past it: exit 3, nothing written")
      ->check(CLI::Range(1e-3, 1e9))
      ->check(finite_number("SECONDS in [0.001 - 1e9]"))
      ->type_name("SECONDS");
}

int finish_stdout(const std::string& subcommand, int exit_code) {
  errno = 0;
  std::cout.flush();
  const bool failed = std::fflush(stdout) != 0 || !std::cout || std::ferror(stdout);
  if (!failed) return exit_code;
  const int err = errno;
  if (err != EPIPE)
    std::cerr << "sethkit " << subcommand << ": error: cannot write standard output: "
              << (err ? std::strerror(err) : "write error") << '\n';
  return kExitError;
}

void add_max_bytes_option(CLI::App& app, double& max_bytes) {
  app.add_option_function<std::string>(
         "--max-bytes",
         [&max_bytes](const std::string& text) {
           std::size_t used = 0;
           double value = 0;
           if (text.empty() || !(std::isdigit(static_cast<unsigned char>(text[0])) || text[0] == '.') ||
               text.find_first_of("xXpP") != std::string::npos || text.find("inf") != std::string::npos ||
               text.find("nan") != std::string::npos)
             throw CLI::ValidationError("--max-bytes", "expected a decimal number of bytes (K, M, G suffixes), found " +
                                                           quote_value(text) + "; allowed: (0, 1e18]");
           try {
             value = std::stod(text, &used);
           } catch (const std::exception&) {
             throw CLI::ValidationError("--max-bytes", "expected a number of bytes, found '" + text + "'");
           }
           const std::string unit = text.substr(used);
           if (unit == "K" || unit == "KiB") value *= 1024.0;
           else if (unit == "M" || unit == "MiB") value *= 1024.0 * 1024;
           else if (unit == "G" || unit == "GiB") value *= 1024.0 * 1024 * 1024;
           else if (!unit.empty()) throw CLI::ValidationError("--max-bytes", "unknown unit '" + unit + "' (use K, M or G)");
           if (!(value > 0) || !(value <= 1e18))
             throw CLI::ValidationError("--max-bytes", "value " + quote_value(text) + " is out of range; allowed: (0, 1e18]");
           max_bytes = value;
         },
         "refuse to build or write an instance larger than this (bytes; K, M, G suffixes; default 1G)")
      ->type_name("BYTES");
}

Cnf load_cnf(const std::string& path, bool lenient) {
  DimacsOptions options;
  options.lenient = lenient;
  return read_dimacs_file(path, options);
}

void print_v_lines(std::ostream& out, const std::vector<bool>& assignment) {
  std::string line = "v";
  for (std::size_t v = 0; v < assignment.size(); ++v) {
    const std::string lit = (assignment[v] ? " " : " -") + std::to_string(v + 1);
    if (line.size() + lit.size() > 78) {
      out << line << '\n';
      line = "v";
    }
    line += lit;
  }
  if (line.size() + 2 > 78) {
    out << line << '\n';
    line = "v";
  }
  out << line << " 0\n";
}

nlohmann::json attention_instance_json(const AttentionInstance& inst) {
  return {{"level", "attention"}, {"k", inst.k},     {"n", inst.lengths()},
          {"d", inst.d()},        {"d_v", inst.d_v()}, {"bytes", double(inst.entries()) * 8.0}};
}

double lap_seconds(std::chrono::steady_clock::time_point& start) {
  const auto now = std::chrono::steady_clock::now();
  const double s = std::chrono::duration<double>(now - start).count();
  start = now;
  return s;
}

void add_progress_options(CLI::App& app, bool& progress, bool& quiet, const std::string& quiet_help) {
  CLI::Option* q = app.add_flag("--quiet", quiet, quiet_help);
  app.add_flag("--progress", progress, "progress on stderr even when it is not a terminal (default: only on one)")
      ->excludes(q);
}

bool stderr_is_tty() { return ::isatty(2) != 0; }

std::vector<std::string> cli_backend_names() {
  std::vector<std::string> names;
  for (const std::string& n : attention::backend_names())
    if (n != "float") names.push_back(n);
  return names;
}

std::string cli_backend_list(const std::string& separator) {
  std::string s;
  for (const std::string& n : cli_backend_names()) s += (s.empty() ? "" : separator) + n;
  return s;
}

}  // namespace sethkit::tools
