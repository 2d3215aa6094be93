// The hints of refusals, in the words of whoever asked (issue 14 part 5:
// "hints name options the current subcommand has; a hint never suggests
// something that cannot help").
//
// The chain's refusals know what would help (the direct route instead of
// the protocol route, a larger k, a SAT solver instead of brute force), but
// each front end spells it differently: `solve` picks a level with --via,
// `reduce` with --to, `verify` checks the levels its --levels names and runs
// each one in a child `solve` (which must then speak verify's words),
// `sweep` runs its --routes the same way, and library callers (the Python
// package) get plain words. The command line sets the front end once per
// run, before any work, as it sets the deadline (core/deadline.hpp).
//
//   FrontEndScope scope(FrontEnd::reduce);   // tools/cli.cpp, for the run
//   throw SizeLimitError(what + "; " + direct_route_hint(false));
//     // reduce: "use --to maxip --route direct for the direct route"
#pragma once

#include <string>

namespace sethkit::reductions {

enum class FrontEnd {
  library,       // the Python package and other callers of the library
  solve,         // sethkit solve
  reduce,        // sethkit reduce
  verify,        // sethkit verify itself (its reference answer)
  verify_level,  // a child `solve` that verify runs for one level
  sweep_run,     // a child `solve` that sweep runs for one route
  other,         // a subcommand without chain options (attention, codes, ...)
};

// The front end of the run (process-wide; library until set).
FrontEnd front_end();
void set_front_end(FrontEnd front);

// Sets the front end for a scope and restores the previous one after it
// (NTL's zz_pPush idea).
class FrontEndScope {
 public:
  explicit FrontEndScope(FrontEnd front) : saved_(front_end()) { set_front_end(front); }
  ~FrontEndScope() { set_front_end(saved_); }
  FrontEndScope(const FrontEndScope&) = delete;
  FrontEndScope& operator=(const FrontEndScope&) = delete;

 private:
  FrontEnd saved_;
};

// The front end of a subcommand by name ("solve", "reduce", "verify"; any
// other name: other). `child_of` is the value of solve's hidden
// --hints-for (verify or sweep) when verify or sweep started this solve.
FrontEnd front_end_of(const std::string& subcommand, const std::string& child_of = "");

// A protocol-route refusal: how to take the direct route instead.
// `attention`: the refused level is attention over --route protocol (else
// the Gap-MaxIP level); `k` names verify's column.
std::string direct_route_hint(bool attention, int k);

// A brute-force SAT refusal: what decides the formula instead.
std::string brute_force_hint();

// The order k spelled for the front end: "--k 5" (every front end with a
// chain has --k), "k = 5" for the library.
std::string order_option(int k);

}  // namespace sethkit::reductions
