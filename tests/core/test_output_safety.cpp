// Output safety and the run's deadline (issue 14 parts 1 and 3), checked
// against the file system itself: what stat and readlink say afterwards.
#include <gtest/gtest.h>

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "core/atomic_file.hpp"
#include "core/deadline.hpp"
#include "core/errors.hpp"

using namespace sethkit;
namespace fs = std::filesystem;

namespace {

fs::path scratch(const std::string& name) {
  const fs::path dir = fs::temp_directory_path() / ("sethkit-test-" + name + "-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

auto text(const std::string& t) {
  return [t](std::ostream& out) { out << t; };
}

}  // namespace

TEST(AtomicFile, PlantedSymlinkAtATemporaryNameIsNotFollowed) {
  const fs::path dir = scratch("planted");
  std::ofstream(dir / "victim") << "keep";
  for (int n = 0; n < 4; ++n)
    fs::create_symlink("victim", dir / (".out.tmp." + std::to_string(::getpid()) + "." + std::to_string(n)));
  write_file_atomically((dir / "out").string(), text("new"));
  EXPECT_EQ(slurp(dir / "victim"), "keep");
  EXPECT_EQ(slurp(dir / "out"), "new");
  fs::remove_all(dir);
}

TEST(AtomicFile, SymlinkTargetIsReplacedAndTheLinkKept) {
  const fs::path dir = scratch("link");
  std::ofstream(dir / "real") << "old";
  fs::create_symlink("real", dir / "link");
  write_file_atomically((dir / "link").string(), text("new"));
  EXPECT_TRUE(fs::is_symlink(dir / "link"));
  EXPECT_EQ(slurp(dir / "real"), "new");
  fs::remove_all(dir);
}

TEST(AtomicFile, DevicesAreWrittenThroughNeverReplaced) {
  write_file_atomically("/dev/null", text("discarded"));
  struct stat st;
  ASSERT_EQ(::stat("/dev/null", &st), 0);
  EXPECT_TRUE(S_ISCHR(st.st_mode));
  if (::access("/dev/full", W_OK) == 0) {
    EXPECT_THROW(write_file_atomically("/dev/full", text("x")), InputError);
  }
}

TEST(AtomicFile, StaleTemporaryOfADeadProcessIsRemoved) {
  const fs::path dir = scratch("stale");
  const pid_t child = ::fork();
  if (child == 0) ::_exit(0);
  ASSERT_GT(child, 0);
  ::waitpid(child, nullptr, 0);  // now a dead pid (reuse within the test is unlikely)
  const fs::path stale = dir / (".out.tmp." + std::to_string(child) + ".0");
  std::ofstream(stale) << "partial";
  const fs::path live = dir / (".out.tmp.1.0");  // pid 1 is alive: kept
  std::ofstream(live) << "other";
  write_file_atomically((dir / "out").string(), text("done"));
  EXPECT_FALSE(fs::exists(stale));
  EXPECT_TRUE(fs::exists(live));
  fs::remove_all(dir);
}

TEST(AtomicFile, OutputSetWritesNothingWhenOneOutputFails) {
  const fs::path dir = scratch("set");
  fs::create_directory(dir / "a-directory");
  {
    OutputSet set;
    set.add((dir / "first").string(), text("1"));
    EXPECT_THROW(set.add((dir / "a-directory").string(), text("2")), InputError);
  }
  EXPECT_FALSE(fs::exists(dir / "first"));
  for (const auto& e : fs::directory_iterator(dir)) EXPECT_EQ(e.path().filename(), "a-directory");
  fs::remove_all(dir);
}

TEST(AtomicFile, OutputThatIsAnInputIsRefused) {
  const fs::path dir = scratch("same");
  std::ofstream(dir / "in") << "input";
  fs::create_symlink("in", dir / "alias");
  EXPECT_THROW(check_outputs_distinct({(dir / "in").string()}, {{"-o", (dir / "alias").string()}}), UsageError);
  EXPECT_THROW(check_outputs_distinct({dir.string()}, {{"-o", (dir / "in").string()}}), UsageError);
  EXPECT_THROW(check_outputs_distinct({}, {{"-o", (dir / "x").string()}, {"--logd", (dir / "." / "x").string()}}),
               UsageError);
  EXPECT_NO_THROW(check_outputs_distinct({(dir / "in").string()}, {{"-o", (dir / "out").string()}}));
  EXPECT_NO_THROW(check_outputs_distinct({}, {{"-o", "/dev/null"}, {"--logd", "/dev/null"}}));
  fs::remove_all(dir);
}

TEST(Deadline, AStoppedSearchThrowsInsteadOfReportingNotFound) {
  set_deadline(0.05);
  std::atomic<bool> stop{false};
  DeadlineWatch watch(stop);
  const auto start = std::chrono::steady_clock::now();
  while (!stop.load() && std::chrono::steady_clock::now() - start < std::chrono::seconds(30))
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  EXPECT_TRUE(stop.load());
  EXPECT_THROW(watch.finish(), TimeoutError);
  EXPECT_THROW(check_deadline(), TimeoutError);
  set_deadline(0);
  EXPECT_NO_THROW(check_deadline());
  std::atomic<bool> stop2{false};
  DeadlineWatch idle(stop2);
  EXPECT_NO_THROW(idle.finish());
  EXPECT_FALSE(stop2.load());
}
