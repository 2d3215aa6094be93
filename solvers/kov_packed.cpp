#include "solvers/kov_packed.hpp"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <limits>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define SETHKIT_KOV_X86 1
#else
#define SETHKIT_KOV_X86 0
#endif

#include "core/deadline.hpp"
#include "core/errors.hpp"
#include "core/progress.hpp"

namespace sethkit::solvers {
namespace {

constexpr std::size_t kLanes = 8;         // vectors per transposed group
constexpr std::size_t kBlock = 4;         // prefixes tested together
constexpr std::size_t kChunk = 256;       // party-(k-2) prefixes per work item
constexpr std::size_t kTileBytes = 16384; // last-party bytes per tile (L1)
constexpr uint64_t kOnes = ~uint64_t(0);

// The last party, transposed: group g, word w, lane l at (g * W + w) * 8 + l.
class Transposed {
 public:
  Transposed(const PackedVectors& party, std::size_t words)
      : n_(party.size()), words_(words), groups_((n_ + kLanes - 1) / kLanes),
        buffer_(groups_ * std::max<std::size_t>(words, 1) * kLanes + kLanes, kOnes) {
    // 64-byte aligned start inside the buffer (one spare group of words).
    auto addr = reinterpret_cast<std::uintptr_t>(buffer_.data());
    data_ = buffer_.data() + ((64 - addr % 64) % 64) / sizeof(uint64_t);
    std::fill(data_, data_ + groups_ * words_ * kLanes, kOnes);
    for (std::size_t i = 0; i < n_; ++i)
      for (std::size_t w = 0; w < words_; ++w)
        data_[(i / kLanes * words_ + w) * kLanes + i % kLanes] = party.row(i)[w];
  }
  std::size_t size() const { return n_; }
  std::size_t groups() const { return groups_; }
  std::size_t words() const { return words_; }
  const uint64_t* group(std::size_t g) const { return data_ + g * words_ * kLanes; }
  uint64_t word(std::size_t i, std::size_t w) const { return data_[(i / kLanes * words_ + w) * kLanes + i % kLanes]; }

 private:
  std::size_t n_, words_, groups_;
  std::vector<uint64_t> buffer_;
  uint64_t* data_ = nullptr;
};

// A kernel scans groups [g0, g1) of the last party against kBlock prefixes
// (rows of W words, padded with all-ones rows) and returns the first group
// holding a candidate zero tuple, or g1. Candidates are confirmed exactly.
using TileKernel = std::size_t (*)(const uint64_t* prefixes, std::size_t words, const uint64_t* groups,
                                   std::size_t g0, std::size_t g1);

std::size_t tile_scalar(const uint64_t* pre, std::size_t words, const uint64_t* groups, std::size_t g0,
                        std::size_t g1) {
  for (std::size_t g = g0; g < g1; ++g) {
    const uint64_t* blk = groups + g * words * kLanes;
    bool zero = false;
    for (std::size_t b = 0; b < kBlock; ++b)
      for (std::size_t l = 0; l < kLanes; ++l) {
        uint64_t any = 0;
        for (std::size_t w = 0; w < words; ++w) any |= pre[b * words + w] & blk[w * kLanes + l];
        zero |= any == 0;
      }
    if (zero) return g;
  }
  return g1;
}

#if SETHKIT_KOV_X86
// One word (d <= 64): does a run of `bodies` x 3 groups hold a zero tuple
// with any of the 4 prefixes? VPTESTNMQ + KORB (the per-group form below)
// spends a mask OR per test; here each VPTESTMQ is masked by its own running
// mask (an AND chain of "nonzero", one uop a test) and the chains meet once
// a run. Six chains, so no test waits on the one before (latency 3). Exact:
// true iff some (prefix, vector) pair of the run is zero. A VPANDQ +
// VPMINUQ path beside it (to test on port 0 as well) measured no faster
// on this machine (Xeon model 207): 19.2 against this form's 20.0 G tuples/s
// a thread, the per-group form 16.3-18.3.
__attribute__((target("avx512f"), always_inline)) inline bool run_has_zero_w1(const __m512i (&p)[kBlock],
                                                                              const uint64_t* c,
                                                                              std::size_t bodies) {
  __mmask8 k0 = 0xFF, k1 = 0xFF, k2 = 0xFF, k3 = 0xFF, k4 = 0xFF, k5 = 0xFF;
  for (std::size_t i = 0; i < bodies; ++i, c += 3 * kLanes) {
    const __m512i c0 = _mm512_load_si512(c), c1 = _mm512_load_si512(c + kLanes),
                  c2 = _mm512_load_si512(c + 2 * kLanes);
    k0 = _mm512_mask_test_epi64_mask(k0, p[0], c0);
    k1 = _mm512_mask_test_epi64_mask(k1, p[1], c0);
    k2 = _mm512_mask_test_epi64_mask(k2, p[2], c0);
    k3 = _mm512_mask_test_epi64_mask(k3, p[3], c0);
    k4 = _mm512_mask_test_epi64_mask(k4, p[0], c1);
    k5 = _mm512_mask_test_epi64_mask(k5, p[1], c1);
    k0 = _mm512_mask_test_epi64_mask(k0, p[2], c1);
    k1 = _mm512_mask_test_epi64_mask(k1, p[3], c1);
    k2 = _mm512_mask_test_epi64_mask(k2, p[0], c2);
    k3 = _mm512_mask_test_epi64_mask(k3, p[1], c2);
    k4 = _mm512_mask_test_epi64_mask(k4, p[2], c2);
    k5 = _mm512_mask_test_epi64_mask(k5, p[3], c2);
  }
  return (unsigned(k0) & k1 & k2 & k3 & k4 & k5) != 0xFF;
}

// W > 0: the word count as a constant (prefix words stay in registers);
// W == 0: any word count, broadcasts from memory.
template <int W>
__attribute__((target("avx512f"))) std::size_t tile_avx512_w(const uint64_t* pre, std::size_t words,
                                                               const uint64_t* groups, std::size_t g0,
                                                               std::size_t g1) {
  const std::size_t nw = W > 0 ? std::size_t(W) : words;
  if constexpr (W == 1) {
    const __m512i p0 = _mm512_set1_epi64(static_cast<long long>(pre[0]));
    const __m512i p1 = _mm512_set1_epi64(static_cast<long long>(pre[1]));
    const __m512i p2 = _mm512_set1_epi64(static_cast<long long>(pre[2]));
    const __m512i p3 = _mm512_set1_epi64(static_cast<long long>(pre[3]));
    const __m512i p[kBlock] = {p0, p1, p2, p3};
    // Runs of 24 groups, then of 3; a run that holds a zero
    // tuple, and the last few groups, are rescanned group by group below.
    std::size_t g = g0;
    for (; g + 24 <= g1 && !run_has_zero_w1(p, groups + g * kLanes, 8); g += 24) {
    }
    for (; g + 3 <= g1 && !run_has_zero_w1(p, groups + g * kLanes, 1); g += 3) {
    }
    for (; g + 2 <= g1; g += 2) {
      const __m512i c0 = _mm512_load_si512(groups + g * kLanes);
      const __m512i c1 = _mm512_load_si512(groups + (g + 1) * kLanes);
      const __mmask8 m = _mm512_testn_epi64_mask(p0, c0) | _mm512_testn_epi64_mask(p1, c0) |
                         _mm512_testn_epi64_mask(p2, c0) | _mm512_testn_epi64_mask(p3, c0) |
                         _mm512_testn_epi64_mask(p0, c1) | _mm512_testn_epi64_mask(p1, c1) |
                         _mm512_testn_epi64_mask(p2, c1) | _mm512_testn_epi64_mask(p3, c1);
      if (m) return g;
    }
    for (; g < g1; ++g) {
      const __m512i c0 = _mm512_load_si512(groups + g * kLanes);
      const __mmask8 m = _mm512_testn_epi64_mask(p0, c0) | _mm512_testn_epi64_mask(p1, c0) |
                         _mm512_testn_epi64_mask(p2, c0) | _mm512_testn_epi64_mask(p3, c0);
      if (m) return g;
    }
    return g1;
  } else {
    for (std::size_t g = g0; g < g1; ++g) {
      const uint64_t* blk = groups + g * nw * kLanes;
      __m512i acc[kBlock];
      __m512i c = _mm512_load_si512(blk);
      for (std::size_t b = 0; b < kBlock; ++b)
        acc[b] = _mm512_and_si512(_mm512_set1_epi64(static_cast<long long>(pre[b * nw])), c);
      for (std::size_t w = 1; w < nw; ++w) {
        c = _mm512_load_si512(blk + w * kLanes);
        for (std::size_t b = 0; b < kBlock; ++b)  // acc | (p & c)
          acc[b] = _mm512_ternarylogic_epi64(acc[b], _mm512_set1_epi64(static_cast<long long>(pre[b * nw + w])), c,
                                             0xF8);
      }
      const __mmask8 m = _mm512_testn_epi64_mask(acc[0], acc[0]) | _mm512_testn_epi64_mask(acc[1], acc[1]) |
                         _mm512_testn_epi64_mask(acc[2], acc[2]) | _mm512_testn_epi64_mask(acc[3], acc[3]);
      if (m) return g;
    }
    return g1;
  }
}

template <int W>
__attribute__((target("avx2"))) std::size_t tile_avx2_w(const uint64_t* pre, std::size_t words,
                                                           const uint64_t* groups, std::size_t g0, std::size_t g1) {
  const std::size_t nw = W > 0 ? std::size_t(W) : words;
  const __m256i zero = _mm256_setzero_si256();
  for (std::size_t g = g0; g < g1; ++g) {
    const uint64_t* blk = groups + g * nw * kLanes;
    __m256i acc[kBlock][2];
    for (std::size_t h = 0; h < 2; ++h) {
      const __m256i c = _mm256_load_si256(reinterpret_cast<const __m256i*>(blk + 4 * h));
      for (std::size_t b = 0; b < kBlock; ++b)
        acc[b][h] = _mm256_and_si256(_mm256_set1_epi64x(static_cast<long long>(pre[b * nw])), c);
    }
    for (std::size_t w = 1; w < nw; ++w)
      for (std::size_t h = 0; h < 2; ++h) {
        const __m256i c = _mm256_load_si256(reinterpret_cast<const __m256i*>(blk + w * kLanes + 4 * h));
        for (std::size_t b = 0; b < kBlock; ++b)
          acc[b][h] = _mm256_or_si256(
              acc[b][h], _mm256_and_si256(_mm256_set1_epi64x(static_cast<long long>(pre[b * nw + w])), c));
      }
    __m256i hit = zero;
    for (std::size_t b = 0; b < kBlock; ++b)
      for (std::size_t h = 0; h < 2; ++h) hit = _mm256_or_si256(hit, _mm256_cmpeq_epi64(acc[b][h], zero));
    if (!_mm256_testz_si256(hit, hit)) return g;
  }
  return g1;
}

TileKernel avx512_kernel(std::size_t words) {
  switch (words) {
    case 1: return tile_avx512_w<1>;
    case 2: return tile_avx512_w<2>;
    case 3: return tile_avx512_w<3>;
    case 4: return tile_avx512_w<4>;
    default: return tile_avx512_w<0>;
  }
}

TileKernel avx2_kernel(std::size_t words) {
  switch (words) {
    case 1: return tile_avx2_w<1>;
    case 2: return tile_avx2_w<2>;
    case 3: return tile_avx2_w<3>;
    case 4: return tile_avx2_w<4>;
    default: return tile_avx2_w<0>;
  }
}
#endif

TileKernel kernel_for(KOvKernel kernel, std::size_t words) {
#if SETHKIT_KOV_X86
  if (kernel == KOvKernel::avx512) return avx512_kernel(words);
  if (kernel == KOvKernel::avx2) return avx2_kernel(words);
#else
  (void)words;
  (void)kernel;
#endif
  return tile_scalar;
}

bool is_zero(const uint64_t* v, std::size_t words) {
  for (std::size_t w = 0; w < words; ++w)
    if (v[w]) return false;
  return true;
}

// One work item: outer tuple (parties 0..k-3, mixed-radix index `outer`) and
// prefixes [c0, c1) of party k-2. Fills `tuple` and returns true on a hit.
class ItemSearch {
 public:
  ItemSearch(const KOvInstance& inst, const Transposed& last, TileKernel kernel)
      : inst_(inst), last_(last), kernel_(kernel), words_(last.words()),
        q_(std::max<std::size_t>(words_, 1), kOnes), pre_(kChunk * words_ + kBlock * words_, kOnes),
        tuple_(std::size_t(inst.k), 0) {}

  bool run(uint64_t outer, std::size_t c0, std::size_t c1, const std::atomic<bool>& stop) {
    const int k = inst_.k;
    std::fill(q_.begin(), q_.end(), kOnes);
    for (int p = k - 3; p >= 0; --p) {  // decode the outer index, party 0 slowest
      const std::size_t n = inst_.parties[std::size_t(p)].size();
      tuple_[std::size_t(p)] = std::size_t(outer % n);
      outer /= n;
    }
    for (int p = 0; p + 2 < k; ++p) {
      const uint64_t* v = inst_.parties[std::size_t(p)].row(tuple_[std::size_t(p)]);
      for (std::size_t w = 0; w < words_; ++w) q_[w] &= v[w];
    }
    const PackedVectors& mid = inst_.parties[std::size_t(k - 2)];
    const std::size_t m = c1 - c0;
    for (std::size_t i = 0; i < m; ++i) {
      const uint64_t* v = mid.row(c0 + i);
      uint64_t* out = pre_.data() + i * words_;
      for (std::size_t w = 0; w < words_; ++w) out[w] = q_[w] & v[w];
      if (is_zero(out, words_)) return hit(c0 + i, 0);  // orthogonal with any last vector
    }
    // Pad to whole blocks with all-ones rows (never orthogonal: rescanned).
    const std::size_t padded = (m + kBlock - 1) / kBlock * kBlock;
    std::fill(pre_.begin() + std::ptrdiff_t(m * words_), pre_.begin() + std::ptrdiff_t(padded * words_), kOnes);
    const std::size_t groups = last_.groups();
    const std::size_t tile = std::max<std::size_t>(1, kTileBytes / (std::max<std::size_t>(words_, 1) * 64));
    for (std::size_t t0 = 0; t0 < groups; t0 += tile) {
      if (stop.load(std::memory_order_relaxed)) return false;
      const std::size_t t1 = std::min(groups, t0 + tile);
      for (std::size_t b = 0; b < padded; b += kBlock) {
        const uint64_t* block = pre_.data() + b * words_;
        std::size_t g = t0;
        while ((g = kernel_(block, words_, last_.group(0), g, t1)) < t1) {
          if (confirm(block, std::min(kBlock, m - b), g, c0 + b)) return true;
          ++g;
        }
      }
    }
    return false;
  }
  const std::vector<std::size_t>& witness() const { return tuple_; }

 private:
  bool hit(std::size_t mid, std::size_t last) {
    tuple_[std::size_t(inst_.k - 2)] = mid;
    tuple_[std::size_t(inst_.k - 1)] = last;
    return true;
  }
  // The exact test of a flagged group: real prefixes against real vectors.
  bool confirm(const uint64_t* block, std::size_t rows, std::size_t g, std::size_t first_mid) {
    for (std::size_t b = 0; b < rows; ++b)
      for (std::size_t l = 0; l < kLanes; ++l) {
        const std::size_t i = g * kLanes + l;
        if (i >= last_.size()) break;
        uint64_t any = 0;
        for (std::size_t w = 0; w < words_; ++w) any |= block[b * words_ + w] & last_.word(i, w);
        if (!any) return hit(first_mid + b, i);
      }
    return false;
  }

  const KOvInstance& inst_;
  const Transposed& last_;
  TileKernel kernel_;
  std::size_t words_;
  std::vector<uint64_t> q_, pre_;
  std::vector<std::size_t> tuple_;
};

#if SETHKIT_KOV_X86
// `real` (1..4) prefixes of `pre` (kBlock rows, the rest all ones);
// `nonzero` holds words x kBlock masks (scratch).
__attribute__((target("avx512f"))) std::size_t roof_avx512(const uint64_t* pre, std::size_t real,
                                                            const Transposed& last, std::vector<__mmask8>& nonzero) {
  // Per 8 tuple-words one VPTESTMQ masked by its prefix's running "nonzero
  // so far" mask: the AND + test-zero instruction at its issue rate and
  // nothing else, each loaded vector tested against 4 prefixes in registers
  // as the kernels do (four chains cover the test's latency of 3).
  // Tiles of the last party as in the solver, so both read L1.
  const std::size_t words = last.words(), stride = words * kLanes, groups = last.groups();
  const std::size_t tile = std::max<std::size_t>(1, kTileBytes / (words * 64));
  nonzero.assign(words * kBlock, 0xFF);  // (word, prefix)
  for (std::size_t t0 = 0; t0 < groups; t0 += tile)
    for (std::size_t w = 0; w < words; ++w) {
      __m512i p[kBlock];
      for (std::size_t b = 0; b < kBlock; ++b) p[b] = _mm512_set1_epi64(static_cast<long long>(pre[b * words + w]));
      __mmask8* k = nonzero.data() + w * kBlock;
      __mmask8 k0 = k[0], k1 = k[1], k2 = k[2], k3 = k[3];
      const uint64_t* c = last.group(t0) + w * kLanes;
      const std::size_t t1 = std::min(groups, t0 + tile);
      auto test = [&](const uint64_t* at) __attribute__((target("avx512f"), always_inline)) {
        const __m512i v = _mm512_load_si512(at);
        k0 = _mm512_mask_test_epi64_mask(k0, p[0], v);
        k1 = _mm512_mask_test_epi64_mask(k1, p[1], v);
        k2 = _mm512_mask_test_epi64_mask(k2, p[2], v);
        k3 = _mm512_mask_test_epi64_mask(k3, p[3], v);
      };
      std::size_t g = t0;
      for (; g + 3 <= t1; g += 3, c += 3 * stride) {  // 12 tests a loop, as the kernel's runs
        test(c);
        test(c + stride);
        test(c + 2 * stride);
      }
      for (; g < t1; ++g, c += stride) test(c);
      k[0] = k0, k[1] = k1, k[2] = k2, k[3] = k3;
    }
  std::size_t hits = 0;
  for (std::size_t w = 0; w < words; ++w)
    for (std::size_t b = 0; b < real; ++b) hits += nonzero[w * kBlock + b] != 0xFF;
  return hits;
}
#endif

KOvKernel resolve(KOvKernel kernel) {
  if (kernel == KOvKernel::automatic) return best_kov_kernel();
  if (!kov_kernel_supported(kernel))
    throw InputError("", std::string("the ") + to_string(kernel) +
                             " kOV kernel needs a CPU with that instruction set; this one lacks it (use automatic)");
  return kernel;
}

}  // namespace

const char* to_string(KOvKernel kernel) {
  switch (kernel) {
    case KOvKernel::automatic: return "automatic";
    case KOvKernel::scalar: return "scalar";
    case KOvKernel::avx2: return "avx2";
    case KOvKernel::avx512: return "avx512";
  }
  return "?";
}

bool kov_kernel_supported(KOvKernel kernel) {
  switch (kernel) {
    case KOvKernel::automatic:
    case KOvKernel::scalar: return true;
#if SETHKIT_KOV_X86
    case KOvKernel::avx2: return __builtin_cpu_supports("avx2");
    case KOvKernel::avx512: return __builtin_cpu_supports("avx512f");
#else
    default: return false;
#endif
  }
  return false;
}

KOvKernel best_kov_kernel() {
  if (kov_kernel_supported(KOvKernel::avx512)) return KOvKernel::avx512;
  if (kov_kernel_supported(KOvKernel::avx2)) return KOvKernel::avx2;
  return KOvKernel::scalar;
}

KOvResult solve_kov_packed(const KOvInstance& inst) { return solve_kov_packed(inst, KOvKernel::automatic); }

KOvResult solve_kov_packed(const KOvInstance& inst, KOvKernel kernel) {
  kernel = resolve(kernel);
  KOvResult result;
  result.algorithm = KOvAlgorithm::packed;
  if (inst.k < 2 || std::size_t(inst.k) != inst.parties.size())
    throw InputError("", "the packed kOV solver needs k >= 2 parties, got k = " + std::to_string(inst.k) + " with " +
                             std::to_string(inst.parties.size()) + " parties");
  for (const auto& party : inst.parties)
    if (party.size() == 0) return result;
  const std::size_t words = words_for_bits(inst.d);
  if (words == 0) {  // d = 0: every tuple is orthogonal
    result.found = true;
    result.witness.assign(std::size_t(inst.k), 0);
    return result;
  }
  // Work items: outer tuples x chunks of party k-2; the outer count is
  // capped where it cannot be enumerated anyway (the deadline stops it).
  uint64_t outer = 1;
  for (int p = 0; p + 2 < inst.k; ++p) {
    const uint64_t n = inst.parties[std::size_t(p)].size();
    outer = outer > std::numeric_limits<uint64_t>::max() / 4096 / n ? std::numeric_limits<uint64_t>::max() / 4096
                                                                    : outer * n;
  }
  const std::size_t mid = inst.parties[std::size_t(inst.k - 2)].size();
  const uint64_t chunks = (mid + kChunk - 1) / kChunk;
  const auto items = static_cast<int64_t>(std::min<uint64_t>(outer * chunks, uint64_t(INT64_MAX)));
  const Transposed last(inst.parties[std::size_t(inst.k - 1)], words);
  const TileKernel tile = kernel_for(kernel, words);

  std::atomic<bool> stop{false};
  std::atomic<int64_t> winner{-1};
  std::vector<std::size_t> witness;
  DeadlineWatch watch(stop);  // --timeout raises stop; finish() then throws
  progress_expect(uint64_t(items));  // the command line's progress line (core/progress.hpp)
#pragma omp parallel
  {
    ItemSearch search(inst, last, tile);
#pragma omp for schedule(dynamic, 1)
    for (int64_t it = 0; it < items; ++it) {
      if (stop.load(std::memory_order_relaxed)) continue;
      const uint64_t o = uint64_t(it) / chunks, c = uint64_t(it) % chunks;
      const std::size_t c0 = std::size_t(c) * kChunk, c1 = std::min(mid, c0 + kChunk);
      if (search.run(o, c0, c1, stop)) {
        int64_t expected = -1;
        if (winner.compare_exchange_strong(expected, it)) {
          witness = search.witness();
          stop.store(true);
        }
      }
      progress_advance();
    }
  }
  if (winner.load() < 0) watch.finish();
  if (winner.load() >= 0) {
    result.found = true;
    result.witness = witness;
  }
  return result;
}

std::size_t kov_and_test_roof(const uint64_t* prefixes, std::size_t n_prefixes, const uint64_t* rows,
                              std::size_t n_rows, std::size_t words, KOvKernel kernel) {
  kernel = resolve(kernel);
  // The same transposed data the solver scans; one AND + test-zero per
  // tuple-word, nothing else. Padding vectors are all ones: a prefix word
  // they AND to zero is zero, and then so is every real row's.
  PackedVectors party(n_rows, int(words * 64));
  for (std::size_t i = 0; i < n_rows; ++i) std::copy(rows + i * words, rows + (i + 1) * words, party.row(i));
  const Transposed last(party, words);
  std::size_t hits = 0;
  const auto blocks = static_cast<int64_t>((n_prefixes + kBlock - 1) / kBlock);
#pragma omp parallel reduction(+ : hits)
  {
    std::vector<uint64_t> block(kBlock * words);
    std::vector<__mmask8> masks;
#pragma omp for schedule(static)
    for (int64_t blk = 0; blk < blocks; ++blk) {
      const std::size_t first = std::size_t(blk) * kBlock, real = std::min(kBlock, n_prefixes - first);
#if SETHKIT_KOV_X86
      if (kernel == KOvKernel::avx512) {
        std::fill(block.begin(), block.end(), kOnes);
        std::copy(prefixes + first * words, prefixes + (first + real) * words, block.begin());
        hits += roof_avx512(block.data(), real, last, masks);
        continue;
      }
#endif
      for (std::size_t i = first; i < first + real; ++i)
        for (std::size_t w = 0; w < words; ++w) {
          bool zero = false;
          for (std::size_t g = 0; g < last.groups(); ++g)
            for (std::size_t l = 0; l < kLanes; ++l)
              zero |= (prefixes[i * words + w] & last.group(g)[w * kLanes + l]) == 0;
          hits += zero;
        }
    }
  }
  return hits;
}

}  // namespace sethkit::solvers
