// The native kernels, in the layouts tfjs keeps its tensors in (row-major, NHWC activations,
// HWIO filters), so they read and write tfjs's own buffers (the wasm heap) with no copy.
#pragma once
#include <cstdint>
#include <string>

namespace deepagrel {

// Threads every kernel uses from now on (OpenMP, the one threading runtime of oneDNN here).
void set_threads(int n);
int threads();
std::string library_version();
std::string cpu_isa();

// C[b] = op(A[b]) · op(B[b]) for b < max(batchA, batchB); a batch of 1 is broadcast.
// op(A) is M×K, op(B) is K×N; all row-major and contiguous.
void matmul(const float* A, const float* B, float* C, int64_t batchA, int64_t batchB,
            int64_t M, int64_t N, int64_t K, bool transA, bool transB);

// C = alpha · op(A) · op(B) + beta · C, in place (one product, row-major): the weight update
// W ← keep·W + (α/B)·preᵀ·post of a dense layer in one pass over W.
void gemm_accumulate(const float* A, const float* B, float* C, int64_t M, int64_t N, int64_t K,
                     bool transA, bool transB, float alpha, float beta);

// A 2-D convolution's geometry, as tfjs's computeConv2DInfo gives it (dilation 1).
struct ConvShape {
  int64_t N, H, W, C;        // input, NHWC
  int64_t OH, OW, OC;        // output, NHWC
  int64_t KH, KW;            // filter, HWIO: [KH, KW, C, OC]
  int64_t SH, SW;            // strides
  int64_t PT, PL, PB, PR;    // padding top, left, bottom, right
  std::string key() const;
};

void conv_forward(const ConvShape& s, const float* x, const float* w, float* y);
void conv_backward_data(const ConvShape& s, const float* dy, const float* w, float* dx);
void conv_backward_weights(const ConvShape& s, const float* x, const float* dy, float* dw);

// Elementwise ops on float32 arrays of n elements; a binary operand of length 1 is a scalar.
enum class BinaryOp { Add = 0, Sub = 1, Mul = 2 };
enum class UnaryOp { Relu = 0, Step = 1 };
void binary(BinaryOp op, const float* a, int64_t na, const float* b, int64_t nb, float* out, int64_t n);
void unary(UnaryOp op, const float* x, float* out, int64_t n, float alpha);

// y[b][a][:] = x[a][b][:] for x of shape [A, B, C] (tfjs transpose with perm [1, 0, 2]): the
// locally connected layers' position-major ⇄ batch-major swaps.
void transpose_102(const float* x, float* y, int64_t A, int64_t B, int64_t C);

// Dropout mask with the exact numbers of Rng.bernoulliMask in src/rng.ts: pair j of the mask gets
// the 32-bit draw triple32(triple32(j + key0) ^ key1), whose low and high 16 bits are two coins
// (kept when < threshold, i.e. keep·65536); kept units are `scale`, dropped ones 0.
void bernoulli_mask(float* out, int64_t n, uint32_t key0, uint32_t key1, uint32_t threshold, float scale);

}  // namespace deepagrel
