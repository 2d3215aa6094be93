// Running one `sethkit` command on R processes under mpirun (issue 19;
// DESIGN.md "Later: past one machine"). This folder alone includes <mpi.h>;
// built without SETHKIT_MPI (or run without mpirun) every call below is the
// single-rank case, so callers never need an #ifdef.
//
//   int main(int argc, char** argv) {
//     sethkit::distributed::Session mpi(argc, argv);   // MPI_Init only under mpirun
//     ...
//   }
//   const Range mine = my_range(n_q);                   // this rank's query rows
//   distributed::step([&] { out = compute(mine); });    // an error on any rank ends every rank
//   std::vector<double> all = gather_rows(out, cols, n_q);   // rank 0: every row, in order
//
// The rules every caller follows:
// - Every rank runs the same command line and reads the same inputs, so an
//   error in what every rank does alike (a bad file, a refusal planned from
//   the sizes) is thrown identically on every rank: each returns the same
//   exit code and only rank 0 prints (Session silences stdout and stderr of
//   the other ranks).
// - Work that differs between ranks (a rank's slice) runs inside step() or
//   first_hit(): each rank catches its own exception, the collective that
//   ends the step carries a failure flag, and then every rank throws the
//   error of the lowest failing rank (same type, same message), so nobody
//   hangs in a later collective and every rank ends with the same exit code.
// - Only rank 0 writes outputs (is_root()).
// Run under `mpirun -q` so that mpirun itself adds no banner when the exit
// code is not 0 (10/20 are answers of solve, not failures).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace sethkit::distributed {

// MPI_Init_thread(FUNNELED) when the process was started by mpirun (Open
// MPI's OMPI_COMM_WORLD_SIZE is set; a plain run never touches MPI), and
// MPI_Finalize at scope end. Ranks other than 0 get stdout and stderr on
// /dev/null. After init the variable is removed from the environment so that
// child processes (verify's and sweep's `sethkit solve`) run alone.
class Session {
 public:
  Session(int& argc, char**& argv);
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

 private:
  bool initialized_ = false;
};

// True when built with MPI and running under mpirun (any number of ranks).
bool active();
int rank();  // 0 when not active
int size();  // 1 when not active
inline bool is_root() { return rank() == 0; }
// size() > 1: the callers' distributed path is taken.
inline bool distributed() { return size() > 1; }

// [lo, hi): a contiguous part of [0, n). split(n, R, r): the first n % R
// parts get one more element; parts in rank order cover [0, n) exactly.
struct Range {
  std::size_t lo = 0, hi = 0;
  std::size_t size() const { return hi - lo; }
};
Range split(std::size_t n, int parts, int index);
inline Range my_range(std::size_t n) { return split(n, size(), rank()); }

// Runs work() here; then (a collective: every rank calls it) if work threw
// on any rank, every rank throws the lowest failing rank's error: on that
// rank the original exception, elsewhere one of the same class and message
// (InputError, SizeLimitError, ToolError, TimeoutError, UsageError,
// std::bad_alloc; anything else as std::runtime_error, the command line's
// "internal error").
void step(const std::function<void()>& work);

// "First result wins" over [0, n) split by my_range: each rank calls
// search(lo, hi) on blocks of at most `block` indices of its range, in
// order, and reports whether the block holds a hit. After every block the
// ranks exchange (one MPI_Allreduce of three ints) the lowest rank with a
// hit, the lowest rank still searching and the lowest failed rank. A rank
// stops as soon as a lower rank has a hit; the search ends when no rank below
// the lowest hit is still searching. Returns that rank (the one whose range
// holds the lowest-index hit, since ranges are in rank order and blocks in
// index order), or -1. The answer does not depend on timing: ranks below the
// winner always finish their ranges. An exception in search() ends every rank
// as in step().
int first_hit(std::size_t n, std::size_t block, const std::function<bool(std::size_t lo, std::size_t hi)>& search);

// Collectives (every rank calls them; no-ops when not distributed).
void broadcast(std::vector<std::size_t>& values, int root);
void broadcast(std::vector<double>& values, int root);
void broadcast(std::string& text, int root);
std::int64_t max_all(std::int64_t x);
double max_all(double x);

// Gathers each rank's rows (any number, `cols` doubles each, row-major) to
// rank 0 in rank order: rank 0 gets every row, the others an empty vector.
std::vector<double> gather_rows(const std::vector<double>& mine, std::size_t cols);
// result[t] = 0 + parts_0[t] + parts_1[t] + ... summed left to right over
// every rank's parts in rank order (rank 0's first), on rank 0; the others
// get an empty vector. A chain: rank r receives the running sum from r - 1,
// adds its parts and passes it on (R - 1 messages of `size` doubles, then
// one to rank 0), so the sum is the single process's ordered sum bit for bit
// whatever R. Every part has `size` entries.
std::vector<double> ordered_sum(const std::vector<std::vector<double>>& parts, std::size_t size);
// Refuses (SizeLimitError) a transfer of more than MPI's int count of
// elements; called before the work whose result would be sent.
void check_transfer(double elements, const std::string& what);
// One string from every rank, in rank order, on rank 0 (empty elsewhere).
std::vector<std::string> gather_strings(const std::string& mine);

// Bytes this rank has sent and received through the calls above (for the
// scaling benchmark: SETHKIT_MPI_STATS=1 prints them to the real stderr at
// the end of the Session).
struct Traffic {
  double sent = 0, received = 0;
  std::size_t collectives = 0;
};
Traffic traffic();

}  // namespace sethkit::distributed
