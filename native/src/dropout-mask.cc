// Dropout masks in C++, number for number the same as Rng.bernoulliMask (src/rng.ts) and the WGSL
// shader (src/backend/webgpu-dropout.ts): element i is a pure function of the mask's key and i
// (a counter-based draw), so the threads split the mask freely. ~0.6M coins per MNIST conv step.
#include "kernels.h"

namespace deepagrel {

// Chris Wellons' triple32 integer hash (all arithmetic mod 2^32).
static inline uint32_t triple32(uint32_t x) {
  x ^= x >> 17; x *= 0xed5ad4bbu;
  x ^= x >> 11; x *= 0xac4c1b51u;
  x ^= x >> 15; x *= 0x31848babu;
  x ^= x >> 14;
  return x;
}

// Pairs [j0, j1) in a loop the compiler vectorises (a branch for the odd tail inside it stopped
// that: 2.6 → 0.13 ms for the MNIST conv net's 540,800-unit mask on one core with AVX-512).
static inline void fill_pairs(float* out, int64_t j0, int64_t j1, uint32_t key0, uint32_t key1, uint32_t threshold, float scale) {
  #pragma omp simd
  for (int64_t j = j0; j < j1; j++) {
    const uint32_t t = triple32(triple32(static_cast<uint32_t>(j) + key0) ^ key1);
    out[2 * j] = (t & 0xffffu) < threshold ? scale : 0.0f;
    out[2 * j + 1] = (t >> 16) < threshold ? scale : 0.0f;
  }
}

// Compiled for AVX-512, AVX2 and plain x86-64, the best one picked when the addon loads — where
// the toolchain has ifuncs (x86-64 Linux with glibc); elsewhere (arm64, macOS, musl) one build.
#if defined(__x86_64__) && defined(__linux__) && defined(__GLIBC__)
#define DEEPAGREL_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define DEEPAGREL_CLONES
#endif

DEEPAGREL_CLONES
void bernoulli_mask(float* out, int64_t n, uint32_t key0, uint32_t key1, uint32_t threshold, float scale) {
  const int64_t pairs = n / 2, chunk = 16384;
  if (pairs > 4 * chunk) {
    #pragma omp parallel for schedule(static)
    for (int64_t c = 0; c < pairs; c += chunk) fill_pairs(out, c, c + chunk < pairs ? c + chunk : pairs, key0, key1, threshold, scale);
  } else {
    fill_pairs(out, 0, pairs, key0, key1, threshold, scale);
  }
  if (n & 1) {   // the last element: the low coin of pair n/2
    const uint32_t t = triple32(triple32(static_cast<uint32_t>(pairs) + key0) ^ key1);
    out[n - 1] = (t & 0xffffu) < threshold ? scale : 0.0f;
  }
}

}  // namespace deepagrel
