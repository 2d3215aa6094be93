// The table of limits and tunables (core/options.hpp) against the README and
// against the constants that read it.
#include "core/options.hpp"

#include <fstream>
#include <set>
#include <sstream>

#include <gtest/gtest.h>

#include "core/errors.hpp"

namespace sethkit::core {
namespace {

constexpr const char* kBegin = "<!-- options-table:begin (generated from core/options.hpp; tests/core/test_options.cpp) -->\n";
constexpr const char* kEnd = "<!-- options-table:end -->";

// Tests run from the repository root (tests/CMakeLists.txt).
std::string readme_table() {
  std::ifstream in("README.md");
  std::stringstream text;
  text << in.rdbuf();
  const std::string s = text.str();
  const auto begin = s.find(kBegin);
  const auto end = s.find(kEnd);
  if (begin == std::string::npos || end == std::string::npos || end < begin) return "<markers not found>";
  return s.substr(begin + std::string(kBegin).size(), end - begin - std::string(kBegin).size());
}

TEST(Options, ReadmeLimitsTableIsTheTable) {
  EXPECT_EQ(readme_table(), options_markdown())
      << "README.md's Limits table is stale; replace the lines between the options-table markers with:\n"
      << options_markdown();
}

TEST(Options, NamesAreUniqueAndDefaultsInRange) {
  std::set<std::string_view> names;
  for (const OptionSpec& o : kOptions) {
    EXPECT_TRUE(names.insert(o.name).second) << o.name;
    EXPECT_LE(o.min, o.value) << o.name;
    EXPECT_LE(o.value, o.max) << o.name;
    EXPECT_FALSE(o.help.empty()) << o.name;
    EXPECT_EQ(o.help.find('|'), std::string_view::npos) << o.name << ": '|' breaks the README table";
    const std::set<std::string_view> units = {"bytes", "count", "operations", "ns", "ratio", "bits"};
    EXPECT_TRUE(units.count(o.unit)) << o.name << ": unit " << o.unit;
  }
}

TEST(Options, TypedDefaultsAreExact) {
  static_assert(option_as<int>("kov.max_order") == 16);
  static_assert(option_as<long long>("party.max_vectors") == (1LL << 33));
  static_assert(option_as<unsigned>("field.max_characteristic") == 65535u);
  static_assert(option("cli.max_bytes") == double(1u << 30));
  EXPECT_EQ(find_option("exact.tile_b").value, 512);
}

TEST(Options, UnknownNameIsRefusedWithTheKnownNames) {
  try {
    find_option("exact.tile_c");
    FAIL() << "no error";
  } catch (const InputError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("unknown option 'exact.tile_c'"), std::string::npos) << what;
    EXPECT_NE(what.find("exact.tile_b"), std::string::npos) << what;
  }
}

TEST(Options, ValuesAreWrittenExactly) {
  const OptionSpec& bytes = find_option("cli.max_bytes");
  EXPECT_EQ(option_value_text(bytes, 1024.0 * 1024 * 1024), "1 GiB");
  EXPECT_EQ(option_value_text(bytes, 65536), "64 KiB");
  EXPECT_EQ(option_value_text(bytes, 1000), "1000 B");
  EXPECT_EQ(option_value_text(bytes, kUnbounded), "unbounded");
  const OptionSpec& count = find_option("kov.max_dimension");
  EXPECT_EQ(option_value_text(count, 16777216.0), "2^24");
  EXPECT_EQ(option_value_text(count, 2147483647.0), "2^31-1");
  EXPECT_EQ(option_value_text(count, 2e10), "2·10^10");
  EXPECT_EQ(option_value_text(count, 1e10), "10^10");
  EXPECT_EQ(option_value_text(count, 40), "40");
  EXPECT_EQ(option_value_text(count, 65535), "65535");
  EXPECT_EQ(option_value_text(count, 0.18), "0.18");
}

}  // namespace
}  // namespace sethkit::core
