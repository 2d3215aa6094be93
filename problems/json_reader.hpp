// Strict JSON for the input files (manifest.json; issue 14, part 2): one
// JSON value and nothing after it but whitespace, no key twice in an object,
// and arrays and objects nested at most max_depth deep, counted by the
// parser callback before a nested value is built. Messages quote at most 32
// bytes of the input (quote_excerpt), never the whole document.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace sethkit {

inline constexpr int kMaxJsonNesting = 64;

// Throws InputError(where, "invalid JSON ...") naming the byte and showing
// the input there.
nlohmann::json parse_json_strict(std::string_view text, const std::string& where,
                                 int max_depth = kMaxJsonNesting);

}  // namespace sethkit
