#include "tools/common.hpp"

#include <unistd.h>

#include <iostream>
#include <new>
#include <stdexcept>

#include "core/errors.hpp"

namespace sethkit::tools {

int run_guarded(const std::string& subcommand, const std::function<int()>& body) {
  const std::string prefix = "sethkit " + subcommand + ": ";
  try {
    return body();
  } catch (const InputError& e) {
    std::cerr << prefix << "error: " << e.what() << '\n';
  } catch (const SizeLimitError& e) {
    std::cerr << prefix << "refused: " << e.what() << '\n';
  } catch (const ToolError& e) {
    std::cerr << prefix << "error: " << e.what() << '\n';
  } catch (const std::bad_alloc&) {
    std::cerr << prefix << "error: out of memory\n";
  } catch (const std::exception& e) {
    std::cerr << prefix << "internal error (please report): " << e.what() << '\n';
  }
  return kExitError;
}

void add_protocol_options(CLI::App& app, std::string& code, double& soundness) {
  app.add_option("--code", code, "gap-maxip: the protocol's code, rs or hermitian")
      ->check(CLI::IsMember({"rs", "hermitian"}))
      ->capture_default_str();
  app.add_option("--soundness", soundness, "gap-maxip: target soundness (NO inner products <= this * n_C)")
      ->check(CLI::Range(1e-6, 0.999999))
      ->capture_default_str();
}

void add_max_bytes_option(CLI::App& app, double& max_bytes) {
  app.add_option_function<std::string>(
         "--max-bytes",
         [&max_bytes](const std::string& text) {
           std::size_t used = 0;
           double value = 0;
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
           if (!(value > 0)) throw CLI::ValidationError("--max-bytes", "must be positive");
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

bool stderr_is_tty() { return ::isatty(2) != 0; }

}  // namespace sethkit::tools
