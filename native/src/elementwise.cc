// Elementwise kernels (and one transpose) for large tensors (the weight update W + ΔW of a 5.4M-weight layer, the
// gates and ReLUs of a conv layer's 2M units), spread over the OpenMP threads. The wasm backend
// runs these on one thread; each result is the same IEEE single-precision operation, so the
// numbers are identical to wasm's.
#include <cmath>
#include <cstring>
#include "kernels.h"

namespace deepagrel {

void binary(BinaryOp op, const float* a, int64_t na, const float* b, int64_t nb, float* out, int64_t n) {
  // na, nb: n, or 1 for a scalar operand.
#define LOOP(EXPR)                                                     \
  if (na == n && nb == n) {                                            \
    _Pragma("omp parallel for simd schedule(static)")                  \
    for (int64_t i = 0; i < n; i++) { const float x = a[i], y = b[i]; out[i] = (EXPR); } \
  } else if (na == n) {                                                \
    const float y = b[0];                                              \
    _Pragma("omp parallel for simd schedule(static)")                  \
    for (int64_t i = 0; i < n; i++) { const float x = a[i]; out[i] = (EXPR); } \
  } else {                                                             \
    const float x = a[0];                                              \
    _Pragma("omp parallel for simd schedule(static)")                  \
    for (int64_t i = 0; i < n; i++) { const float y = b[i]; out[i] = (EXPR); } \
  }
  switch (op) {
    case BinaryOp::Add: LOOP(x + y); break;
    case BinaryOp::Sub: LOOP(x - y); break;
    case BinaryOp::Mul: LOOP(x * y); break;
  }
#undef LOOP
}

void unary(UnaryOp op, const float* x, float* out, int64_t n, float alpha) {
  switch (op) {
    case UnaryOp::Relu:   // as XNNPACK (wasm): 0 where the sign bit is set (so −0 → 0, −NaN → 0)
#pragma omp parallel for simd schedule(static)
      for (int64_t i = 0; i < n; i++) out[i] = std::signbit(x[i]) ? 0.0f : x[i];
      break;
    case UnaryOp::Step:   // as tfjs: NaN → NaN, x > 0 → 1, else alpha
#pragma omp parallel for simd schedule(static)
      for (int64_t i = 0; i < n; i++) out[i] = std::isnan(x[i]) ? x[i] : x[i] > 0.0f ? 1.0f : alpha;
      break;
  }
}

void transpose_102(const float* x, float* y, int64_t A, int64_t B, int64_t C) {
  // One contiguous run of C values per (b, a); rows of the output are written in order.
#pragma omp parallel for schedule(static)
  for (int64_t b = 0; b < B; b++)
    for (int64_t a = 0; a < A; a++) std::memcpy(y + (b * A + a) * C, x + (a * B + b) * C, sizeof(float) * C);
}

}  // namespace deepagrel
