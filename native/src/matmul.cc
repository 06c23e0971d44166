// Matrix products. One product (batch 1): dnnl_sgemm, which takes either transpose for free
// (no copy of W, unlike the wasm route that transposes W every step) — except A·Bᵀ (the feedback
// product post·W′ᵀ), where oneDNN's matmul primitive is faster (MNIST conv, [100,1000]·[5408,1000]ᵀ:
// 11.9 vs 15.8 ms at 1 thread, 7.7 vs 8.2 ms at 2; bench/native-gemm.cc). The choice depends on
// the orientation only, never on timing, so a run's numbers are reproducible. Batched products (the
// locally connected layers: one small product per position): the matmul primitive too, all
// positions in one parallel call, transposes expressed as strides.
#include <oneapi/dnnl/dnnl.hpp>
#include <stdexcept>
#include "engine.h"
#include "kernels.h"

namespace deepagrel {

using dnnl::memory;

namespace {

struct BatchedMatmul {
  dnnl::matmul prim;
  memory::desc a, b, c;
};

memory::desc operand(int64_t batch, int64_t rows, int64_t cols, bool transposed) {
  // Logical [batch, rows, cols]; stored as [batch, cols, rows] when transposed.
  const memory::dims strides = transposed ? memory::dims{rows * cols, 1, rows} : memory::dims{rows * cols, cols, 1};
  return memory::desc({batch, rows, cols}, memory::data_type::f32, strides);
}

}  // namespace

void matmul(const float* A, const float* B, float* C, int64_t batchA, int64_t batchB,
            int64_t M, int64_t N, int64_t K, bool transA, bool transB) {
  if (batchA != batchB && batchA != 1 && batchB != 1) throw std::invalid_argument("matmul: batch sizes must match or be 1");
  if (batchA == 1 && batchB == 1 && !(transB && !transA)) {
    gemm_accumulate(A, B, C, M, N, K, transA, transB, 1.0f, 0.0f);
    return;
  }
  const int64_t batch = batchA > batchB ? batchA : batchB;
  const std::string key = "mm/" + std::to_string(batchA) + "/" + std::to_string(batchB) + "/" + std::to_string(M) + "/" +
                          std::to_string(N) + "/" + std::to_string(K) + "/" + std::to_string(transA) + std::to_string(transB) +
                          "/t" + std::to_string(threads());
  auto mm = cached<BatchedMatmul>(key, [&] {
    auto r = std::make_unique<BatchedMatmul>();
    r->a = operand(batchA, M, K, transA);
    r->b = operand(batchB, K, N, transB);
    r->c = operand(batch, M, N, false);
#if DNNL_VERSION_MAJOR >= 3
    r->prim = dnnl::matmul(dnnl::matmul::primitive_desc(cpu_engine(), r->a, r->b, r->c));
#else
    r->prim = dnnl::matmul(dnnl::matmul::primitive_desc(dnnl::matmul::desc(r->a, r->b, r->c), cpu_engine()));
#endif
    return r;
  });
  auto& eng = cpu_engine();
  memory a(mm->a, eng, const_cast<float*>(A)), b(mm->b, eng, const_cast<float*>(B)), c(mm->c, eng, C);
  mm->prim.execute(cpu_stream(), {{DNNL_ARG_SRC, a}, {DNNL_ARG_WEIGHTS, b}, {DNNL_ARG_DST, c}});
  cpu_stream().wait();
}

void gemm_accumulate(const float* A, const float* B, float* C, int64_t M, int64_t N, int64_t K,
                     bool transA, bool transB, float alpha, float beta) {
  const dnnl_status_t st = dnnl_sgemm(transA ? 'T' : 'N', transB ? 'T' : 'N', M, N, K, alpha,
                                      A, transA ? M : K, B, transB ? K : N, beta, C, N);
  if (st != dnnl_success) throw std::runtime_error("dnnl_sgemm failed with status " + std::to_string(st));
}

}  // namespace deepagrel
