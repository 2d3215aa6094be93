// The MPI side of distributed.hpp, and its single-rank stub when built
// without SETHKIT_MPI (the only #if of the project's MPI support).
#include "distributed/distributed.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <new>
#include <stdexcept>

#include "core/errors.hpp"

#if SETHKIT_MPI
#include <mpi.h>
#endif

namespace sethkit::distributed {
namespace {

bool g_active = false;
int g_rank = 0;
int g_size = 1;
Traffic g_traffic;
int g_stats_fd = -1;  // the rank's original stderr, for SETHKIT_MPI_STATS

// An exception as what travels between ranks: its class and message.
enum class Kind : int { input = 1, size_limit, tool, timeout, usage, bad_alloc, other };

struct Encoded {
  Kind kind = Kind::other;
  double seconds = 0;  // TimeoutError's
  std::string message;
};

Encoded encode(const std::exception_ptr& error) {
  Encoded e;
  try {
    std::rethrow_exception(error);
  } catch (const TimeoutError& x) {
    e = {Kind::timeout, x.seconds(), x.what()};
  } catch (const InputError& x) {
    e = {Kind::input, 0, x.what()};
  } catch (const SizeLimitError& x) {
    e = {Kind::size_limit, 0, x.what()};
  } catch (const ToolError& x) {
    e = {Kind::tool, 0, x.what()};
  } catch (const UsageError& x) {
    e = {Kind::usage, 0, x.what()};
  } catch (const std::bad_alloc&) {
    e = {Kind::bad_alloc, 0, "out of memory"};
  } catch (const std::exception& x) {
    e = {Kind::other, 0, x.what()};
  } catch (...) {
    e = {Kind::other, 0, "unknown exception"};
  }
  return e;
}

[[noreturn]] void throw_encoded(const Encoded& e) {
  switch (e.kind) {
    case Kind::input: throw InputError("", e.message);
    case Kind::size_limit: throw SizeLimitError(e.message);
    case Kind::tool: throw ToolError(e.message);
    case Kind::timeout: throw TimeoutError(e.seconds);
    case Kind::usage: throw UsageError(e.message);
    case Kind::bad_alloc: throw std::bad_alloc();
    case Kind::other: break;
  }
  throw std::runtime_error(e.message);
}

#if SETHKIT_MPI
void count(double sent, double received) {
  g_traffic.sent += sent;
  g_traffic.received += received;
  ++g_traffic.collectives;
}

// Every rank: the error of rank `failed` (its original exception there).
[[noreturn]] void propagate(int failed, const std::exception_ptr& mine) {
  Encoded e;
  if (g_rank == failed) e = encode(mine);
  double head[3] = {double(int(e.kind)), e.seconds, double(e.message.size())};
  MPI_Bcast(head, 3, MPI_DOUBLE, failed, MPI_COMM_WORLD);
  e.kind = static_cast<Kind>(int(head[0]));
  e.seconds = head[1];
  e.message.resize(static_cast<std::size_t>(head[2]));
  if (!e.message.empty()) MPI_Bcast(e.message.data(), int(e.message.size()), MPI_CHAR, failed, MPI_COMM_WORLD);
  count(g_rank == failed ? double(24 + e.message.size()) * (g_size - 1) : 0, g_rank == failed ? 0 : double(24 + e.message.size()));
  if (g_rank == failed) std::rethrow_exception(mine);
  throw_encoded(e);
}

int min_all(int x) {
  int y = x;
  MPI_Allreduce(&x, &y, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
  count(sizeof(int), sizeof(int));
  return y;
}

void check_count(std::size_t n, const char* what) {
  if (n > std::size_t(INT_MAX))
    throw SizeLimitError(std::string("gathering ") + what + " over MPI needs a count of " + std::to_string(n) +
                         " (MPI's limit " + std::to_string(INT_MAX) + "); use fewer rows per run");
}
#endif

}  // namespace

Session::Session(int& argc, char**& argv) {
#if SETHKIT_MPI
  if (std::getenv("OMPI_COMM_WORLD_SIZE") == nullptr) return;  // not started by mpirun
  int provided = 0;
  // FUNNELED: OpenMP threads compute, only the main thread calls MPI.
  if (MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS) {
    std::fprintf(stderr, "sethkit: error: MPI_Init_thread failed under mpirun\n");
    std::exit(1);
  }
  initialized_ = true;
  g_active = true;
  MPI_Comm_rank(MPI_COMM_WORLD, &g_rank);
  MPI_Comm_size(MPI_COMM_WORLD, &g_size);
  // Child processes (verify and sweep run `sethkit solve`) are single runs.
  unsetenv("OMPI_COMM_WORLD_SIZE");
  if (std::getenv("SETHKIT_MPI_STATS")) g_stats_fd = dup(2);
  if (g_rank != 0) {
    // One message per run: rank 0 prints, the others end with the same code.
    std::fflush(stdout);
    std::fflush(stderr);
    const int null = open("/dev/null", O_WRONLY);
    if (null >= 0) {
      dup2(null, 1);
      dup2(null, 2);
      close(null);
    }
  }
#else
  (void)argc;
  (void)argv;
#endif
}

Session::~Session() {
#if SETHKIT_MPI
  if (!initialized_) return;
  std::fflush(stdout);
  if (g_stats_fd >= 0) {
    char line[200];
    const int len = std::snprintf(line, sizeof line, "sethkit mpi: rank %d of %d sent %.0f B, received %.0f B in %zu collectives\n",
                                  g_rank, g_size, g_traffic.sent, g_traffic.received, g_traffic.collectives);
    if (len > 0 && write(g_stats_fd, line, std::size_t(len)) < 0) {
      // statistics only
    }
    close(g_stats_fd);
  }
  MPI_Finalize();
  g_active = false;
#endif
}

bool active() { return g_active; }
int rank() { return g_rank; }
int size() { return g_size; }
Traffic traffic() { return g_traffic; }

Range split(std::size_t n, int parts, int index) {
  if (parts < 1 || index < 0 || index >= parts) throw std::logic_error("distributed::split: bad part");
  const std::size_t p = std::size_t(parts), i = std::size_t(index);
  const std::size_t base = n / p, extra = n % p;
  const std::size_t lo = i * base + std::min(i, extra);
  return {lo, lo + base + (i < extra ? 1 : 0)};
}

void step(const std::function<void()>& work) {
  std::exception_ptr error;
  try {
    work();
  } catch (...) {
    error = std::current_exception();
  }
#if SETHKIT_MPI
  if (distributed()) {
    const int failed = min_all(error ? g_rank : g_size);
    if (failed < g_size) propagate(failed, error);
    return;
  }
#endif
  if (error) std::rethrow_exception(error);
}

int first_hit(std::size_t n, std::size_t block, const std::function<bool(std::size_t, std::size_t)>& search) {
  if (block == 0) block = 1;
  const Range mine = my_range(n);
  std::size_t next = mine.lo;
  bool found = false;
  std::exception_ptr error;
  int winner = size();  // the lowest rank known to hold a hit
  while (true) {
    const bool searching = !found && !error && next < mine.hi && rank() < winner;
    if (searching) {
      const std::size_t hi = std::min(mine.hi, next + std::min(block, mine.hi - next));
      try {
        found = search(next, hi);
      } catch (...) {
        error = std::current_exception();
      }
      next = hi;
    }
    if (!distributed()) {
      if (error) std::rethrow_exception(error);
      if (found) return 0;
      if (next >= mine.hi) return -1;
      continue;
    }
#if SETHKIT_MPI
    const bool still = !found && !error && next < mine.hi;
    int local[3] = {error ? g_rank : g_size, found ? g_rank : g_size, still ? g_rank : g_size};
    int global[3];
    MPI_Allreduce(local, global, 3, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
    count(sizeof local, sizeof global);
    if (global[0] < g_size) propagate(global[0], error);
    winner = global[1];
    if (winner < g_size && global[2] > winner) return winner;  // nobody below the winner is left
    if (winner == g_size && global[2] == g_size) return -1;    // every range exhausted
#endif
  }
}

void broadcast(std::vector<std::size_t>& values, int root) {
#if SETHKIT_MPI
  if (!distributed()) return;
  unsigned long long n = values.size();
  MPI_Bcast(&n, 1, MPI_UNSIGNED_LONG_LONG, root, MPI_COMM_WORLD);
  std::vector<unsigned long long> buf(values.begin(), values.end());
  buf.resize(n);
  if (n) MPI_Bcast(buf.data(), int(n), MPI_UNSIGNED_LONG_LONG, root, MPI_COMM_WORLD);
  values.assign(buf.begin(), buf.end());
  count(g_rank == root ? 8.0 * double(n + 1) * (g_size - 1) : 0, g_rank == root ? 0 : 8.0 * double(n + 1));
#else
  (void)values;
  (void)root;
#endif
}

void broadcast(std::vector<double>& values, int root) {
#if SETHKIT_MPI
  if (!distributed()) return;
  unsigned long long n = values.size();
  MPI_Bcast(&n, 1, MPI_UNSIGNED_LONG_LONG, root, MPI_COMM_WORLD);
  check_count(n, "a broadcast");
  values.resize(n);
  if (n) MPI_Bcast(values.data(), int(n), MPI_DOUBLE, root, MPI_COMM_WORLD);
  count(g_rank == root ? 8.0 * double(n + 1) * (g_size - 1) : 0, g_rank == root ? 0 : 8.0 * double(n + 1));
#else
  (void)values;
  (void)root;
#endif
}

void broadcast(std::string& text, int root) {
#if SETHKIT_MPI
  if (!distributed()) return;
  unsigned long long n = text.size();
  MPI_Bcast(&n, 1, MPI_UNSIGNED_LONG_LONG, root, MPI_COMM_WORLD);
  check_count(n, "a broadcast");
  text.resize(n);
  if (n) MPI_Bcast(text.data(), int(n), MPI_CHAR, root, MPI_COMM_WORLD);
  count(g_rank == root ? double(n + 8) * (g_size - 1) : 0, g_rank == root ? 0 : double(n + 8));
#else
  (void)text;
  (void)root;
#endif
}

std::int64_t max_all(std::int64_t x) {
#if SETHKIT_MPI
  if (!distributed()) return x;
  long long in = x, out = x;
  MPI_Allreduce(&in, &out, 1, MPI_LONG_LONG, MPI_MAX, MPI_COMM_WORLD);
  count(8, 8);
  return out;
#else
  return x;
#endif
}

double max_all(double x) {
#if SETHKIT_MPI
  if (!distributed()) return x;
  double out = x;
  MPI_Allreduce(&x, &out, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
  count(8, 8);
  return out;
#else
  return x;
#endif
}

std::vector<double> gather_rows(const std::vector<double>& mine, std::size_t cols) {
  if (!distributed()) return mine;
#if SETHKIT_MPI
  check_count(cols, "columns");
  const std::size_t rows = cols ? mine.size() / cols : 0;
  check_count(rows, "rows");
  int my_rows = int(rows);
  std::vector<int> counts(is_root() ? std::size_t(g_size) : 0), offsets;
  MPI_Gather(&my_rows, 1, MPI_INT, counts.data(), 1, MPI_INT, 0, MPI_COMM_WORLD);
  std::size_t total = 0;
  for (int c : counts) {
    offsets.push_back(int(total));
    total += std::size_t(c);
    check_count(total, "rows");
  }
  std::vector<double> all(total * cols);
  // One row is one element: counts and offsets stay within int for any
  // row count below 2^31 whatever the width.
  MPI_Datatype row = MPI_DATATYPE_NULL;
  MPI_Type_contiguous(int(std::max<std::size_t>(cols, 1)), MPI_DOUBLE, &row);
  MPI_Type_commit(&row);
  MPI_Gatherv(mine.data(), my_rows, row, all.data(), counts.data(), offsets.data(), row, 0, MPI_COMM_WORLD);
  MPI_Type_free(&row);
  count(is_root() ? 0 : 8.0 * double(mine.size()) + 4, is_root() ? 8.0 * double(all.size() - mine.size()) : 0);
  return all;
#else
  (void)cols;
  return mine;
#endif
}

std::vector<double> ordered_sum(const std::vector<std::vector<double>>& parts, std::size_t size) {
  std::vector<double> sum(size, 0.0);
  auto add = [&] {
    for (const std::vector<double>& part : parts) {
      if (part.size() != size) throw std::logic_error("distributed::ordered_sum: parts of different sizes");
      for (std::size_t t = 0; t < size; ++t) sum[t] += part[t];
    }
  };
  if (!distributed()) {
    add();
    return sum;
  }
#if SETHKIT_MPI
  check_count(size, "a sum");
  const int n = int(size);
  if (g_rank > 0) MPI_Recv(sum.data(), n, MPI_DOUBLE, g_rank - 1, 0, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
  add();
  MPI_Send(sum.data(), n, MPI_DOUBLE, (g_rank + 1) % g_size, 0, MPI_COMM_WORLD);  // the last rank: to rank 0
  if (g_rank == 0) MPI_Recv(sum.data(), n, MPI_DOUBLE, g_size - 1, 0, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
  count(8.0 * double(size), 8.0 * double(size));
  if (g_rank != 0) return {};
#endif
  return sum;
}

void check_transfer(double elements, const std::string& what) {
  if (distributed() && elements > double(INT_MAX))
    throw SizeLimitError(what + " over MPI is " + count_text(elements) + " elements (MPI's limit " +
                         std::to_string(INT_MAX) + " a message); use fewer rows or narrower matrices per run");
}

std::vector<std::string> gather_strings(const std::string& mine) {
  if (!distributed()) return {mine};
#if SETHKIT_MPI
  check_count(mine.size(), "a text");
  int len = int(mine.size());
  std::vector<int> lens(is_root() ? std::size_t(g_size) : 0);
  MPI_Gather(&len, 1, MPI_INT, lens.data(), 1, MPI_INT, 0, MPI_COMM_WORLD);
  std::vector<int> offsets;
  std::size_t total = 0;
  for (int l : lens) {
    check_count(total + std::size_t(l), "texts");
    offsets.push_back(int(total));
    total += std::size_t(l);
  }
  std::string all(total, '\0');
  MPI_Gatherv(mine.data(), len, MPI_CHAR, all.data(), lens.data(), offsets.data(), MPI_CHAR, 0, MPI_COMM_WORLD);
  count(is_root() ? 0 : double(mine.size() + 4), is_root() ? double(total - mine.size()) : 0);
  std::vector<std::string> out;
  for (std::size_t r = 0; r < lens.size(); ++r) out.push_back(all.substr(std::size_t(offsets[r]), std::size_t(lens[r])));
  return out;
#else
  return {mine};
#endif
}

}  // namespace sethkit::distributed
