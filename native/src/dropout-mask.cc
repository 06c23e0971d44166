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

void bernoulli_mask(float* out, int64_t n, uint32_t key0, uint32_t key1, uint32_t threshold, float scale) {
  const int64_t pairs = (n + 1) / 2;
  #pragma omp parallel for schedule(static) if (pairs > 65536)
  for (int64_t j = 0; j < pairs; j++) {
    const uint32_t t = triple32(triple32(static_cast<uint32_t>(j) + key0) ^ key1);
    out[2 * j] = (t & 0xffffu) < threshold ? scale : 0.0f;
    if (2 * j + 1 < n) out[2 * j + 1] = (t >> 16) < threshold ? scale : 0.0f;
  }
}

}  // namespace deepagrel
