// Inputs that are not plain regular files (issue 14, parts 2 and 4): FIFOs,
// sockets, devices and symlinks to them are refused by name without
// blocking; "-" reads standard input; gzip, bzip2 and xz DIMACS is read and a
// zip bomb refused by the decompressed size; the .npy header and the
// manifest bound their nesting, refuse duplicate keys and trailing bytes, and
// quote at most 32 bytes of the input.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <bzlib.h>
#include <fcntl.h>
#include <lzma.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <zlib.h>

#include <atomic>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <thread>

#include "core/errors.hpp"
#include "problems/attention_instance.hpp"
#include "problems/cnf.hpp"
#include "problems/input_file.hpp"
#include "problems/json_reader.hpp"
#include "problems/kov_instance.hpp"
#include "problems/maxip_instance.hpp"
#include "problems/npy.hpp"

using namespace sethkit;
using ::testing::HasSubstr;
using ::testing::Not;
namespace fs = std::filesystem;

namespace {

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const InputError& e) {
    return e.what();
  } catch (const SizeLimitError& e) {
    return std::string("SizeLimitError: ") + e.what();
  }
  return "<accepted>";
}

class Scratch : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("sethkit-special-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string at(const std::string& name) const { return (dir_ / name).string(); }
  void write(const std::string& name, const std::string& bytes) const {
    std::ofstream(at(name), std::ios::binary) << bytes;
  }
  fs::path dir_;
};

// A FIFO with a writer waiting on it, again after each reader. A reader
// that opened it without checking would meet the writer and read (so the
// test fails instead of hanging); a reader that refuses it never opens it,
// and the destructor releases the writer by opening the read end itself.
class FifoWithWriter {
 public:
  explicit FifoWithWriter(std::string path) : path_(std::move(path)) {
    std::signal(SIGPIPE, SIG_IGN);  // a reader that closes early must not kill the test
    if (::mkfifo(path_.c_str(), 0600) != 0) throw std::runtime_error("mkfifo failed");
    writer_ = std::thread([this] {
      while (!stop_) {
        const int fd = ::open(path_.c_str(), O_WRONLY);
        if (fd < 0) return;
        const std::string text = "p cnf 1 1\n1 0\n";
        [[maybe_unused]] const ssize_t n = ::write(fd, text.data(), text.size());
        ::close(fd);
      }
    });
  }
  ~FifoWithWriter() {
    stop_ = true;
    const int fd = ::open(path_.c_str(), O_RDONLY | O_NONBLOCK);
    writer_.join();
    if (fd >= 0) ::close(fd);
  }

 private:
  std::string path_;
  std::atomic<bool> stop_{false};
  std::thread writer_;
};

// Runs f with standard input read from a file holding `bytes`.
void with_stdin(const std::string& file, const std::string& bytes, const std::function<void()>& f) {
  std::ofstream(file, std::ios::binary) << bytes;
  const int saved = ::dup(STDIN_FILENO);
  const int fd = ::open(file.c_str(), O_RDONLY);
  ::dup2(fd, STDIN_FILENO);
  ::close(fd);
  try {
    f();
  } catch (...) {
    ::dup2(saved, STDIN_FILENO);
    ::close(saved);
    throw;
  }
  ::dup2(saved, STDIN_FILENO);
  ::close(saved);
}

std::string npy_with_header(const std::string& dict) {
  std::string h = dict;
  while ((10 + h.size() + 1) % 64 != 0) h += ' ';
  h += '\n';
  std::string out = "\x93NUMPY\x01";
  out += '\0';
  out += static_cast<char>(h.size() & 0xff);
  out += static_cast<char>(h.size() >> 8);
  return out + h;
}

const std::string kUf20 = "examples/uf20-01.cnf";

}  // namespace

// --- non-regular files ---------------------------------------------------

TEST_F(Scratch, EveryReaderRefusesAFifoWithoutBlocking) {
  const std::string fifo = at("pipe");
  FifoWithWriter guard(fifo);
  EXPECT_THAT(error_of([&] { read_dimacs_file(fifo); }), HasSubstr(fifo + ": is a FIFO (named pipe)"));
  EXPECT_THAT(error_of([&] { read_kov_file(fifo); }), HasSubstr(fifo + ": is a FIFO"));
  EXPECT_THAT(error_of([&] { read_maxip_file(fifo); }), HasSubstr(fifo + ": is a FIFO"));
  EXPECT_THAT(error_of([&] { read_npy(fifo); }), HasSubstr(fifo + ": is a FIFO"));
  EXPECT_THAT(error_of([&] { read_npy_header(fifo); }), HasSubstr(fifo + ": is a FIFO"));
}

TEST_F(Scratch, SymlinkToAFifoIsRefused) {
  const std::string fifo = at("pipe");
  FifoWithWriter guard(fifo);
  fs::create_symlink(fifo, at("link.cnf"));
  EXPECT_THAT(error_of([&] { read_dimacs_file(at("link.cnf")); }),
              HasSubstr(at("link.cnf") + ": is a FIFO (named pipe), not a regular file"));
}

TEST_F(Scratch, DevNullAndASocketAreRefused) {
  EXPECT_THAT(error_of([&] { read_dimacs_file("/dev/null"); }), HasSubstr("/dev/null: is a character device"));
  EXPECT_THAT(error_of([&] { read_npy("/dev/zero"); }), HasSubstr("/dev/zero: is a character device"));
  const std::string sock = at("s");
  const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  ASSERT_LT(sock.size(), sizeof addr.sun_path);
  std::strcpy(addr.sun_path, sock.c_str());
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  EXPECT_THAT(error_of([&] { read_kov_file(sock); }), HasSubstr(sock + ": is a socket"));
  fs::create_symlink(sock, at("sock.cnf"));
  EXPECT_THAT(error_of([&] { read_dimacs_file(at("sock.cnf")); }), HasSubstr("sock.cnf: is a socket"));
  ::close(fd);
}

TEST_F(Scratch, AttentionDirectoryRefusesAFifoMatrixAndManifest) {
  const std::string src = "tests/data/attention/good";
  fs::create_directory(at("att"));
  for (const auto& e : fs::directory_iterator(src)) fs::copy(e.path(), dir_ / "att" / e.path().filename());
  fs::remove(dir_ / "att" / "manifest.json");
  {
    FifoWithWriter guard(at("att/manifest.json"));
    EXPECT_THAT(error_of([&] { read_attention_directory(at("att")); }),
                HasSubstr("att/manifest.json: is a FIFO"));
  }
  fs::remove(dir_ / "att" / "manifest.json");
  fs::create_directory(dir_ / "att" / "manifest.json");
  EXPECT_THAT(error_of([&] { read_attention_directory(at("att")); }),
              HasSubstr("att/manifest.json: is a directory, expected a JSON file"));
  fs::remove(dir_ / "att" / "manifest.json");
  fs::remove(dir_ / "att" / "Q.npy");
  FifoWithWriter guard(at("att/Q.npy"));
  EXPECT_THAT(error_of([&] { read_attention_directory(at("att")); }), HasSubstr("att/Q.npy: is a FIFO"));
}

TEST_F(Scratch, UnreadableManifestSaysPermissionDenied) {
  if (::geteuid() == 0) GTEST_SKIP() << "root reads any file";
  fs::create_directory(at("att"));
  for (const auto& e : fs::directory_iterator("tests/data/attention/good"))
    fs::copy(e.path(), dir_ / "att" / e.path().filename());
  write("att/manifest.json", "{}");
  fs::permissions(at("att/manifest.json"), fs::perms::none);
  EXPECT_THAT(error_of([&] { read_attention_directory(at("att")); }),
              HasSubstr("manifest.json: cannot open: permission denied"));
}

// --- standard input ------------------------------------------------------

TEST_F(Scratch, DashReadsStandardInput) {
  std::ifstream in(kUf20);
  const std::string text((std::istreambuf_iterator<char>(in)), {});
  Cnf f;
  with_stdin(at("in"), text, [&] { f = read_dimacs_file("-"); });
  const Cnf g = read_dimacs_file(kUf20);
  EXPECT_EQ(f.num_vars, g.num_vars);
  EXPECT_EQ(f.clauses, g.clauses);
  std::string message;
  with_stdin(at("in2"), "p cnf 2 1\n1 -0 2 0\n", [&] { message = error_of([] { read_dimacs_file("-"); }); });
  EXPECT_THAT(message, HasSubstr("<stdin>:2: column 3: '-0' is not a literal"));
  KOvInstance k;
  with_stdin(at("in3"), "p kov 2 2 1 1\n10\n01\n", [&] { k = read_kov_file("-"); });
  EXPECT_EQ(k.k, 2);
  EXPECT_EQ(k.d, 2);
}

TEST_F(Scratch, StandardInputCannotPassTheSizeLimit) {
  DimacsOptions o;
  o.max_bytes = 64;
  std::string message;
  with_stdin(at("in"), "p cnf 1 1\n" + std::string(200, ' ') + "1 0\n",
             [&] { message = error_of([&] { read_dimacs_file("-", o); }); });
  EXPECT_THAT(message, HasSubstr("<stdin>: input is more than the 64 B this reader accepts"));
}

// --- compressed DIMACS ---------------------------------------------------

TEST(CompressedDimacs, GzipBzip2AndXzReadAsThePlainFile) {
  const Cnf plain = read_dimacs_file(kUf20);
  for (const char* ext : {"gz", "bz2", "xz"}) {
    const Cnf f = read_dimacs_file(std::string("tests/data/compressed/uf20-01.cnf.") + ext);
    EXPECT_EQ(f.num_vars, plain.num_vars) << ext;
    EXPECT_EQ(f.clauses, plain.clauses) << ext;
  }
}

TEST_F(Scratch, ZipBombsAreRefusedByTheDecompressedSize) {
  // 4 MiB of blanks after a valid header, compressed to a few KiB each; the
  // limit is 1 MiB, which the compressed files are far below.
  const std::string text = "p cnf 1 1\n1 0\n" + std::string(std::size_t(4) << 20, ' ');
  std::string gz(compressBound(text.size()) + 64, '\0');
  {
    z_stream z{};
    ASSERT_EQ(deflateInit2(&z, 9, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY), Z_OK);
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(text.data()));
    z.avail_in = static_cast<uInt>(text.size());
    z.next_out = reinterpret_cast<Bytef*>(gz.data());
    z.avail_out = static_cast<uInt>(gz.size());
    ASSERT_EQ(deflate(&z, Z_FINISH), Z_STREAM_END);
    gz.resize(z.total_out);
    deflateEnd(&z);
  }
  std::string bz(text.size() / 50 + 1024, '\0');
  unsigned bz_len = static_cast<unsigned>(bz.size());
  ASSERT_EQ(BZ2_bzBuffToBuffCompress(bz.data(), &bz_len, const_cast<char*>(text.data()),
                                     static_cast<unsigned>(text.size()), 9, 0, 0), BZ_OK);
  bz.resize(bz_len);
  std::string xz(lzma_stream_buffer_bound(text.size()), '\0');
  std::size_t xz_len = 0;
  ASSERT_EQ(lzma_easy_buffer_encode(6, LZMA_CHECK_CRC64, nullptr, reinterpret_cast<const uint8_t*>(text.data()),
                                    text.size(), reinterpret_cast<uint8_t*>(xz.data()), &xz_len, xz.size()),
            LZMA_OK);
  xz.resize(xz_len);
  DimacsOptions o;
  o.max_bytes = int64_t(1) << 20;
  for (const auto& [name, bytes] : {std::pair{"bomb.cnf.gz", gz}, {"bomb.cnf.bz2", bz}, {"bomb.cnf.xz", xz}}) {
    ASSERT_LT(bytes.size(), std::size_t(o.max_bytes));
    write(name, bytes);
    EXPECT_THAT(error_of([&] { read_dimacs_file(at(name), o); }),
                HasSubstr("data expands to more than the 1.00 MiB this reader accepts"))
        << name;
    // With room for it, the same file is read: the refusal is the limit's.
    EXPECT_EQ(read_dimacs_file(at(name)).clauses, (std::vector<std::vector<int>>{{1}})) << name;
  }
}

TEST_F(Scratch, TruncatedGzipIsCorrupt) {
  std::ifstream in("tests/data/compressed/uf20-01.cnf.gz", std::ios::binary);
  std::string gz((std::istreambuf_iterator<char>(in)), {});
  write("cut.cnf.gz", gz.substr(0, gz.size() / 2));
  EXPECT_THAT(error_of([&] { read_dimacs_file(at("cut.cnf.gz")); }), HasSubstr("corrupt gzip data"));
}

// --- DIMACS as CaDiCaL reads it -----------------------------------------

TEST(DimacsLikeCadical, BlankLinesAndCommentsAnywhere) {
  const Cnf f = parse_dimacs("\n\n  \nc x\n\np cnf 2 2\n\nc mid\n1 -2 0\n\n2\n0\n%\n0\n", "f.cnf");
  EXPECT_EQ(f.clauses, (std::vector<std::vector<int>>{{1, -2}, {2}}));
}

TEST(DimacsLikeCadical, MinusZeroAndTrailingCommentPointAtTheToken) {
  EXPECT_THAT(error_of([] { parse_dimacs("p cnf 2 1\n1 -0 2 0\n", "f.cnf"); }),
              HasSubstr("f.cnf:2: column 3: '-0' is not a literal"));
  EXPECT_THAT(error_of([] { parse_dimacs("p cnf 2 1\n1 2 0 c note\n", "f.cnf"); }),
              HasSubstr("f.cnf:2: column 7: 'c' after literals on this line"));
}

// --- nesting, duplicate keys, trailing bytes, message length -------------

TEST(NpyHeader, DeepNestingIsRefusedBeforeRecursing) {
  const std::string deep = "{'descr': '<f8', 'fortran_order': False, 'shape': " + std::string(100000, '(') + "}";
  std::string bytes = npy_with_header(deep);
  EXPECT_THAT(error_of([&] { parse_npy(bytes, "deep.npy"); }), HasSubstr("nested deeper than 64 levels"));
  // 63 levels inside the dict are still parsed (then refused as a shape).
  const std::string ok = "{'descr': '<f8', 'fortran_order': False, 'shape': " + std::string(63, '(') +
                         std::string(63, ')') + ", }";
  EXPECT_THAT(error_of([&] { parse_npy(npy_with_header(ok), "ok.npy"); }), Not(HasSubstr("nested")));
}

TEST(NpyHeader, DuplicateKeyIsAnError) {
  const std::string h = "{'descr': '<f8', 'fortran_order': False, 'shape': (0,), 'shape': (0,), }";
  EXPECT_THAT(error_of([&] { parse_npy(npy_with_header(h), "dup.npy"); }),
              HasSubstr("key 'shape' appears twice"));
}

TEST(NpyHeader, MessagesQuoteAtMost32Bytes) {
  const std::string garbage(5000, 'Z');
  const std::string h = "{'descr': '<f8', 'fortran_order': False, 'shape': " + garbage + "}";
  const std::string message = error_of([&] { parse_npy(npy_with_header(h), "g.npy"); });
  EXPECT_THAT(message, HasSubstr("'" + std::string(32, 'Z') + "...'"));
  EXPECT_THAT(message, Not(HasSubstr(std::string(33, 'Z'))));
  EXPECT_LT(message.size(), 300u);
  const std::string key = "{'" + std::string(100, '\x01') + "': 1, }";
  const std::string m2 = error_of([&] { parse_npy(npy_with_header(key), "k.npy"); });
  EXPECT_THAT(m2, HasSubstr("'\\x01\\x01"));
  EXPECT_LT(m2.size(), 300u);
}

TEST(ManifestJson, DeepNestingIsRefused) {
  const std::string deep = "{\"provenance\": " + std::string(100000, '[') + std::string(100000, ']') + "}";
  EXPECT_THAT(error_of([&] { parse_json_strict(deep, "m.json"); }),
              HasSubstr("m.json: invalid JSON: arrays and objects nested deeper than 64 levels"));
  const std::string ok = std::string(64, '[') + std::string(64, ']');
  EXPECT_NO_THROW(parse_json_strict(ok, "m.json"));
}

TEST(ManifestJson, DuplicateKeysAndTrailingBytesAreErrors) {
  EXPECT_THAT(error_of([] { parse_json_strict(R"({"k": 3, "k": 3})", "m.json"); }),
              HasSubstr("key 'k' appears twice"));
  EXPECT_THAT(error_of([] { parse_json_strict(R"({"a": {"x": 1, "x": 2}})", "m.json"); }),
              HasSubstr("key 'x' appears twice"));
  EXPECT_NO_THROW(parse_json_strict(R"({"a": {"x": 1}, "b": {"x": 2}})", "m.json"));
  EXPECT_THAT(error_of([] { parse_json_strict("{\"k\": 3} xyz", "m.json"); }),
              HasSubstr("unexpected bytes after the JSON value (byte 9, at 'xyz')"));
  EXPECT_NO_THROW(parse_json_strict("{\"k\": 3} \n\t", "m.json"));
}

TEST(ManifestJson, MessagesQuoteAtMost32Bytes) {
  const std::string garbage = "{\"k\": " + std::string(4000, 'q') + "}";
  const std::string message = error_of([&] { parse_json_strict(garbage, "m.json"); });
  EXPECT_THAT(message, HasSubstr("'" + std::string(32, 'q') + "...'"));
  EXPECT_THAT(message, Not(HasSubstr(std::string(33, 'q'))));
  EXPECT_LT(message.size(), 400u);
  const std::string str = "{\"" + std::string(4000, 'w') + "\x01";
  const std::string m2 = error_of([&] { parse_json_strict(str, "m.json"); });
  EXPECT_THAT(m2, Not(HasSubstr(std::string(33, 'w'))));
  EXPECT_LT(m2.size(), 400u);
}
