// "--split 1-7,8-14,15-20 | interleaved": the variable groups of split and
// list (reductions::parse_split checks the groups against the formula),
// shared by solve and reduce; recorded in reduce's provenance.
#pragma once

#include <string>

#include <CLI/CLI.hpp>

namespace sethkit::tools {

inline void add_split_option(CLI::App& app, std::string& split) {
  app.add_option("--split", split,
                 "the variable groups of the kOV level: k ranges A-B,C-D,... covering every variable once, or "
                 "interleaved (variable v in group (v-1) mod k); default consecutive near-equal groups")
      ->type_name("GROUPS");
}

}  // namespace sethkit::tools
