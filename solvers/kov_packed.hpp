// The packed kOV solver's kernels (paper 001 Definition 4.2; issue 17 part 4).
//
// Every k-tuple is tested: parties 0..k-3 are enumerated (OpenMP over work
// items of one outer tuple and a chunk of party k-2), their AND q is formed
// once, then the prefixes q & v for the chunk's party-(k-2) vectors v, and
// the chunk is tested against the last party tile by tile (a tile of the
// last party stays in L1 while every prefix of the chunk passes over it).
// The last party is stored transposed in groups of 8 vectors, word w of the
// 8 vectors contiguous, so one 512-bit load holds 8 tuple-words; padding
// vectors are all ones and never orthogonal to a nonzero prefix.
//
// Kernels (chosen at run time from the CPU, or forced for tests):
//   avx512: 4 prefixes x 8 vectors per step, VPTERNLOGQ folds the words of
//           a tuple (acc | p & c), VPTESTNMQ finds the zero tuples; at one
//           word, runs of 24 groups are VPTESTMQ chains masked by their own
//           "nonzero so far" (no mask ORs), checked once a run;
//   avx2:   the same with 4 vectors and VPCMPEQQ;
//   scalar: portable C++, the reference for the other two.
// A group flagged by a kernel is rescanned exactly, so the witness is found
// by the same scalar comparison on every path.
#pragma once

#include <string>

#include "solvers/kov_solver.hpp"

namespace sethkit::solvers {

enum class KOvKernel { automatic, scalar, avx2, avx512 };

const char* to_string(KOvKernel kernel);
// True when this CPU runs the kernel (automatic and scalar always).
bool kov_kernel_supported(KOvKernel kernel);
// What automatic picks on this CPU.
KOvKernel best_kov_kernel();

// solve_kov_packed with a given kernel; InputError when the CPU lacks it.
KOvResult solve_kov_packed(const KOvInstance& inst, KOvKernel kernel);

// The roof of the packed solver (bench_kov): AND + test-zero of every word
// of `prefixes` (rows of `words` words) against the same word of every one
// of `rows` rows, with the kernel's widest instruction and no search around
// it (AVX-512: one VPTESTMQ per 8 tuple-words, the issue rate of the test
// the d <= 64 kernel runs). Returns how many (prefix, word) pairs AND to
// zero with some row (so the loop is not optimized away).
std::size_t kov_and_test_roof(const uint64_t* prefixes, std::size_t n_prefixes, const uint64_t* rows,
                              std::size_t n_rows, std::size_t words, KOvKernel kernel);

}  // namespace sethkit::solvers
