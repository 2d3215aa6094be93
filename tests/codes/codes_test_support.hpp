// Shared helpers of the codes tests: repeat counts (SETHKIT_TEST_REPEAT,
// FLINT-style, default 1) and random field elements / messages.
#pragma once

#include <cstdlib>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "codes/field.hpp"
#include "core/errors.hpp"

namespace sethkit::codes::test {

inline int test_repeat() {
  const char* s = std::getenv("SETHKIT_TEST_REPEAT");
  const int r = s ? std::atoi(s) : 1;
  return r > 0 ? r : 1;
}

inline Element random_element(const Field& f, std::mt19937_64& rng) { return Element(rng() % f.size()); }

inline std::vector<Element> random_message(const Field& f, std::size_t length, std::mt19937_64& rng) {
  std::vector<Element> m(length);
  for (Element& e : m) e = random_element(f, rng);
  return m;
}

// The message of the SizeLimitError that `run` throws, or a note that it
// threw none (so a size-guard test fails, and says why, when the guard goes).
inline std::string size_refusal(const std::function<void()>& run) {
  try {
    run();
  } catch (const SizeLimitError& e) {
    return e.what();
  }
  return "(no SizeLimitError)";
}

}  // namespace sethkit::codes::test
