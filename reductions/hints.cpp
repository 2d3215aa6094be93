#include "reductions/hints.hpp"

#include <atomic>

namespace sethkit::reductions {
namespace {

std::atomic<FrontEnd> g_front_end{FrontEnd::library};

}  // namespace

FrontEnd front_end() { return g_front_end.load(std::memory_order_relaxed); }

void set_front_end(FrontEnd front) { g_front_end.store(front, std::memory_order_relaxed); }

FrontEnd front_end_of(const std::string& subcommand, const std::string& child_of) {
  if (subcommand == "solve") {
    if (child_of == "verify") return FrontEnd::verify_level;
    if (child_of == "sweep") return FrontEnd::sweep_run;
    return FrontEnd::solve;
  }
  if (subcommand == "reduce") return FrontEnd::reduce;
  if (subcommand == "verify") return FrontEnd::verify;
  return FrontEnd::other;
}

std::string direct_route_hint(bool attention, int k) {
  switch (front_end()) {
    case FrontEnd::solve:
      return attention ? "use --route direct for the direct route" : "use --via maxip for the direct route";
    case FrontEnd::reduce:
      return attention ? "use --route direct for the direct route"
                       : "use --to maxip --route direct for the direct route";
    case FrontEnd::verify:
    case FrontEnd::verify_level:
      // verify has no option that drops the protocol column of attention
      // alone: say which column checks the direct route.
      return attention ? "the attention(k=" + std::to_string(k) + ") column checks the direct route"
                       : "leave gap-maxip out of --levels (the maxip level checks the direct route)";
    case FrontEnd::sweep_run:
      if (!attention) return "leave gap-maxip out of --routes (maxip is the direct route)";
      break;
    case FrontEnd::library:
    case FrontEnd::other:
      break;
  }
  return attention ? "take the direct route (route direct)" : "take the direct route (level maxip)";
}

std::string brute_force_hint() {
  switch (front_end()) {
    case FrontEnd::solve: return "use --via kov, or --via cadical for a SAT solver";
    case FrontEnd::verify: return "give --expect sat|unsat, or put cadical or minisat on PATH for --reference";
    case FrontEnd::verify_level: return "leave sat out of --levels (the reference solver checks the formula)";
    case FrontEnd::sweep_run: return "leave sat out of --routes";
    case FrontEnd::reduce:
    case FrontEnd::library:
    case FrontEnd::other: break;
  }
  return "decide it at the kov level or with a SAT solver";
}

std::string order_option(int k) {
  return front_end() == FrontEnd::library ? "k = " + std::to_string(k) : "--k " + std::to_string(k);
}

}  // namespace sethkit::reductions
