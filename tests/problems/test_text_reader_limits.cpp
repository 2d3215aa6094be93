// The text readers refuse a file over their limit before reading it
// (issue 9).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "core/errors.hpp"
#include "problems/cnf.hpp"
#include "problems/text_reader.hpp"

using namespace sethkit;
using ::testing::HasSubstr;

// A sparse file one byte over the DIMACS limit: refused by its size, never
// read (it takes no disk space).
TEST(SizeMessages, TextReaderRefusesAFileOverItsLimit) {
  const auto path = std::filesystem::temp_directory_path() / ("sethkit-sparse-" + std::to_string(::getpid()) + ".cnf");
  { std::ofstream(path) << "p cnf 1 1\n1 0\n"; }
  std::filesystem::resize_file(path, std::uintmax_t(kMaxDimacsFileBytes) + 1);
  try {
    read_dimacs_file(path.string());
    FAIL() << "expected a refusal";
  } catch (const InputError& e) {
    EXPECT_THAT(e.what(), HasSubstr(path.string() + ": file is 4294967297 bytes, more than the 4.00 GiB this reader accepts"));
  }
  std::filesystem::remove(path);
}
