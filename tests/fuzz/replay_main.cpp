// fuzz_replay TARGET DIR...: runs every file under the DIRs (missing ones are
// skipped) through the fuzz target once, as CTest does for the seed corpus
// and the saved crashes (tests/fuzz/regressions/TARGET). Exit 1 on the first
// input a reader mishandles, naming it.
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <string>
#include <vector>

#include "tests/fuzz/fuzz_readers.hpp"

int main(int argc, char** argv) {
  namespace fs = std::filesystem;
  if (argc < 3 || !sethkit::fuzz::is_target(argv[1])) {
    std::cerr << "usage: fuzz_replay dimacs|kov|maxip|npy|manifest DIR...\n";
    return 2;
  }
  std::vector<fs::path> inputs;
  for (int i = 2; i < argc; ++i) {
    std::error_code ec;
    if (!fs::is_directory(argv[i], ec)) continue;
    for (const auto& e : fs::recursive_directory_iterator(argv[i]))
      if (e.is_regular_file() && e.path().filename().string()[0] != '.') inputs.push_back(e.path());
  }
  if (inputs.empty()) {
    std::cerr << "fuzz_replay: no inputs under the given directories\n";
    return 1;
  }
  for (const auto& path : inputs) {
    std::ifstream in(path, std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    try {
      sethkit::fuzz::run_one(argv[1], reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
    } catch (const std::exception& e) {
      std::cerr << "fuzz_replay " << argv[1] << ": " << path.string() << ": " << e.what() << '\n';
      return 1;
    }
  }
  std::cout << "fuzz_replay " << argv[1] << ": " << inputs.size() << " inputs handled\n";
  return 0;
}
