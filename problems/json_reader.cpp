#include "problems/json_reader.hpp"

#include <set>
#include <vector>

#include "core/errors.hpp"
#include "problems/input_file.hpp"

namespace sethkit {
namespace {

using json = nlohmann::json;

// Thrown from the callback with the byte offset unknown to it; turned into
// an InputError below, which knows the text.
struct Refusal {
  std::string what;
};

// nlohmann's "syntax error while parsing value - invalid literal; last read:
// '...'" without the part that quotes input (it may be long).
std::string reason_of(const json::parse_error& e) {
  std::string s = e.what();
  const std::size_t colon = s.find(": ");
  if (colon != std::string::npos) s = s.substr(colon + 2);
  const std::size_t last_read = s.find("; last read");
  if (last_read != std::string::npos) s = s.substr(0, last_read);
  if (s.size() > 160) s = s.substr(0, 160) + "...";
  return s;
}

}  // namespace

json parse_json_strict(std::string_view text, const std::string& where, int max_depth) {
  int depth = 0;
  // Keys seen in each open object or array (an array's set stays empty).
  std::vector<std::set<std::string>> keys;
  const json::parser_callback_t callback = [&](int, json::parse_event_t event, json& parsed) {
    switch (event) {
      case json::parse_event_t::object_start:
      case json::parse_event_t::array_start:
        if (++depth > max_depth)
          throw Refusal{"arrays and objects nested deeper than " + std::to_string(max_depth) +
                        " levels"};
        keys.emplace_back();
        break;
      case json::parse_event_t::object_end:
      case json::parse_event_t::array_end:
        --depth;
        keys.pop_back();
        break;
      case json::parse_event_t::key: {
        const std::string& key = parsed.get_ref<const std::string&>();
        if (!keys.back().insert(key).second)
          throw Refusal{"key " + quote_excerpt(key) + " appears twice in one object"};
        break;
      }
      case json::parse_event_t::value:
        break;
    }
    return true;
  };
  try {
    return json::parse(text.begin(), text.end(), callback, true, false);
  } catch (const Refusal& r) {
    throw InputError(where, "invalid JSON: " + r.what);
  } catch (const json::parse_error& e) {
    const std::size_t byte = e.byte > 0 ? std::min<std::size_t>(e.byte - 1, text.size()) : 0;
    const std::string at = byte < text.size() ? ", at " + quote_excerpt(text.substr(byte)) : "";
    if (std::string(e.what()).find("expected end of input") != std::string::npos)
      throw InputError(where, "invalid JSON: unexpected bytes after the JSON value (byte " +
                                  std::to_string(byte) + at + ")");
    throw InputError(where, "invalid JSON at byte " + std::to_string(byte) + at + ": " + reason_of(e));
  } catch (const json::out_of_range&) {
    // A number past double's range (found by fuzzing: '-20.39722e99959399').
    throw InputError(where, "invalid JSON: a number is out of the range of a double");
  } catch (const json::exception& e) {
    throw InputError(where, std::string("invalid JSON: ") + quote_excerpt(e.what()));
  }
}

}  // namespace sethkit
