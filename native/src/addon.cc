// N-API bindings of the native kernels. Every array argument is a Float32Array view, typically
// on the tfjs wasm heap: the pointer comes from napi_get_typedarray_info, which also works when
// the heap is a SharedArrayBuffer (threaded wasm). Views are taken fresh on every call by the
// caller (heap growth detaches old ones). Lengths are checked so a wrong shape is a JS error,
// never a write past the end of the heap.
#include <napi.h>
#include <omp.h>
#include <oneapi/dnnl/dnnl.hpp>
#include <stdexcept>
#include "engine.h"
#include "kernels.h"

namespace deepagrel {

dnnl::engine& cpu_engine() {
  static dnnl::engine eng(dnnl::engine::kind::cpu, 0);
  return eng;
}

dnnl::stream& cpu_stream() {
  static dnnl::stream st(cpu_engine());
  return st;
}

static int g_threads = 0;

void set_threads(int n) {
  omp_set_num_threads(n);
  g_threads = n;
}

int threads() { return g_threads > 0 ? g_threads : omp_get_max_threads(); }

std::string library_version() {
  const dnnl_version_t* v = dnnl_version();
  return std::to_string(v->major) + "." + std::to_string(v->minor) + "." + std::to_string(v->patch);
}

std::string cpu_isa() {
  switch (dnnl_get_effective_cpu_isa()) {
    case dnnl_cpu_isa_sse41: return "sse41";
    case dnnl_cpu_isa_avx: return "avx";
    case dnnl_cpu_isa_avx2: return "avx2";
    case dnnl_cpu_isa_avx512_mic: return "avx512_mic";
    case dnnl_cpu_isa_avx512_mic_4ops: return "avx512_mic_4ops";
    case dnnl_cpu_isa_avx512_core: return "avx512_core";
    case dnnl_cpu_isa_avx512_core_vnni: return "avx512_core_vnni";
    case dnnl_cpu_isa_avx512_core_bf16: return "avx512_core_bf16";
    case dnnl_cpu_isa_avx512_core_amx: return "avx512_core_amx";
    case dnnl_cpu_isa_avx2_vnni: return "avx2_vnni";
    default: return "other";
  }
}

}  // namespace deepagrel

namespace {

using namespace deepagrel;

template <typename T>
T* typed_data(const Napi::Env& env, const Napi::Value& v, napi_typedarray_type want, size_t need, const char* what) {
  napi_typedarray_type type;
  size_t length = 0;
  void* data = nullptr;
  if (!v.IsTypedArray() || napi_get_typedarray_info(env, v, &type, &length, &data, nullptr, nullptr) != napi_ok || type != want) {
    throw Napi::TypeError::New(env, std::string(what) + ": expected a " +
                               (want == napi_float32_array ? "Float32Array" : "Uint32Array"));
  }
  if (length < need) {
    throw Napi::RangeError::New(env, std::string(what) + ": has " + std::to_string(length) + " elements, needs " + std::to_string(need));
  }
  return static_cast<T*>(data);
}

float* floats(const Napi::CallbackInfo& info, size_t i, size_t need, const char* what) {
  return typed_data<float>(info.Env(), info[i], napi_float32_array, need, what);
}

int64_t integer(const Napi::CallbackInfo& info, size_t i, const char* what) {
  if (!info[i].IsNumber()) throw Napi::TypeError::New(info.Env(), std::string(what) + ": expected a number");
  const double d = info[i].As<Napi::Number>().DoubleValue();
  if (!(d >= 0 && d < 9.0e15) || d != static_cast<double>(static_cast<int64_t>(d)))
    throw Napi::RangeError::New(info.Env(), std::string(what) + ": expected a non-negative integer");
  return static_cast<int64_t>(d);
}

// Runs a kernel, turning oneDNN and C++ errors into JS errors naming the kernel.
template <typename F>
void guarded(const Napi::Env& env, const char* name, F&& f) {
  try {
    f();
  } catch (const Napi::Error&) {
    throw;
  } catch (const dnnl::error& e) {
    throw Napi::Error::New(env, std::string(name) + ": oneDNN error " + std::to_string(e.status) + ": " + e.what());
  } catch (const std::exception& e) {
    throw Napi::Error::New(env, std::string(name) + ": " + e.what());
  }
}

Napi::Value Info(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  auto o = Napi::Object::New(env);
  // The interface version of these bindings; src/backend/native-addon.ts refuses another (a build
  // left over from an older checkout). 2: bernoulliMask takes a key (counter-based masks).
  o.Set("abi", 2);
  o.Set("library", "oneDNN");
  o.Set("version", library_version());
  o.Set("runtime", DNNL_CPU_RUNTIME == DNNL_RUNTIME_OMP ? "OpenMP" : DNNL_CPU_RUNTIME == DNNL_RUNTIME_TBB ? "TBB" : "other");
  o.Set("isa", cpu_isa());
  o.Set("maxThreads", omp_get_num_procs());
  o.Set("threads", threads());
  return o;
}

void SetThreads(const Napi::CallbackInfo& info) {
  const int64_t n = integer(info, 0, "setThreads(n)");
  if (n < 1 || n > 1024) throw Napi::RangeError::New(info.Env(), "setThreads(n): n must be from 1 to 1024");
  set_threads(static_cast<int>(n));
}

Napi::Value Threads(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), threads()); }

// matmul(a, b, c, batchA, batchB, M, N, K, transA, transB)
void Matmul(const Napi::CallbackInfo& info) {
  const int64_t bA = integer(info, 3, "matmul batchA"), bB = integer(info, 4, "matmul batchB");
  const int64_t M = integer(info, 5, "matmul M"), N = integer(info, 6, "matmul N"), K = integer(info, 7, "matmul K");
  const bool tA = info[8].ToBoolean(), tB = info[9].ToBoolean();
  const float* a = floats(info, 0, bA * M * K, "matmul a");
  const float* b = floats(info, 1, bB * K * N, "matmul b");
  float* c = floats(info, 2, (bA > bB ? bA : bB) * M * N, "matmul c");
  guarded(info.Env(), "matmul", [&] { matmul(a, b, c, bA, bB, M, N, K, tA, tB); });
}

ConvShape conv_shape(const Napi::CallbackInfo& info) {
  if (!info[0].IsArray() || info[0].As<Napi::Array>().Length() != 15)
    throw Napi::TypeError::New(info.Env(), "conv shape: expected [N,H,W,C, OH,OW,OC, KH,KW, SH,SW, PT,PL,PB,PR]");
  auto arr = info[0].As<Napi::Array>();
  int64_t v[15];
  for (uint32_t i = 0; i < 15; i++) {
    const Napi::Value x = arr.Get(i);
    const double d = x.IsNumber() ? x.As<Napi::Number>().DoubleValue() : -1;
    if (!(d >= 0 && d < 1e9)) throw Napi::RangeError::New(info.Env(), "conv shape: entries must be non-negative integers");
    v[i] = static_cast<int64_t>(d);
  }
  return ConvShape{v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9], v[10], v[11], v[12], v[13], v[14]};
}

// convForward(shape, x, w, y) · convBackwardData(shape, dy, w, dx) · convBackwardWeights(shape, x, dy, dw):
// two inputs and an output, each checked against the size the shape gives it.
enum class Conv { Forward, BackwardData, BackwardWeights };

template <Conv kind>
void ConvCall(const Napi::CallbackInfo& info) {
  static const char* names[3][4] = {{"convForward", "x", "w", "y"}, {"convBackwardData", "dy", "w", "dx"},
                                    {"convBackwardWeights", "x", "dy", "dw"}};
  const char* const* n = names[static_cast<int>(kind)];
  const ConvShape s = conv_shape(info);
  const int64_t x = s.N * s.H * s.W * s.C, y = s.N * s.OH * s.OW * s.OC, w = s.KH * s.KW * s.C * s.OC;
  const int64_t sizes[3][3] = {{x, w, y}, {y, w, x}, {x, y, w}};
  const int64_t* z = sizes[static_cast<int>(kind)];
  const std::string fn(n[0]);
  float* a = floats(info, 1, z[0], (fn + " " + n[1]).c_str());
  float* b = floats(info, 2, z[1], (fn + " " + n[2]).c_str());
  float* out = floats(info, 3, z[2], (fn + " " + n[3]).c_str());
  guarded(info.Env(), n[0], [&] {
    if (kind == Conv::Forward) conv_forward(s, a, b, out);
    else if (kind == Conv::BackwardData) conv_backward_data(s, a, b, out);
    else conv_backward_weights(s, a, b, out);
  });
}

size_t length_of(const Napi::CallbackInfo& info, size_t i, const char* what) {
  napi_typedarray_type type;
  size_t n = 0;
  void* data = nullptr;
  if (!info[i].IsTypedArray() || napi_get_typedarray_info(info.Env(), info[i], &type, &n, &data, nullptr, nullptr) != napi_ok || type != napi_float32_array)
    throw Napi::TypeError::New(info.Env(), std::string(what) + ": expected a Float32Array");
  return n;
}

// binary(op: 0 add | 1 sub | 2 mul, a, b, out): a and b have out's length, or 1 (a scalar).
void Binary(const Napi::CallbackInfo& info) {
  const int64_t op = integer(info, 0, "binary op");
  if (op > 2) throw Napi::RangeError::New(info.Env(), "binary op: 0 (add), 1 (sub) or 2 (mul)");
  const size_t n = length_of(info, 3, "binary out"), na = length_of(info, 1, "binary a"), nb = length_of(info, 2, "binary b");
  if ((na != n && na != 1) || (nb != n && nb != 1))
    throw Napi::RangeError::New(info.Env(), "binary: operands must have the output's length or be scalars");
  binary(static_cast<BinaryOp>(op), floats(info, 1, na, "binary a"), static_cast<int64_t>(na), floats(info, 2, nb, "binary b"),
         static_cast<int64_t>(nb), floats(info, 3, n, "binary out"), static_cast<int64_t>(n));
}

// unary(op: 0 relu | 1 step, x, out, alpha)
void Unary(const Napi::CallbackInfo& info) {
  const int64_t op = integer(info, 0, "unary op");
  if (op > 1) throw Napi::RangeError::New(info.Env(), "unary op: 0 (relu) or 1 (step)");
  const size_t n = length_of(info, 2, "unary out");
  unary(static_cast<UnaryOp>(op), floats(info, 1, n, "unary x"), floats(info, 2, n, "unary out"), static_cast<int64_t>(n),
        info[3].IsNumber() ? info[3].As<Napi::Number>().FloatValue() : 0.0f);
}

// bernoulliMask(out, key0, key1, threshold, scale)
void BernoulliMask(const Napi::CallbackInfo& info) {
  const size_t n = length_of(info, 0, "bernoulliMask out");
  float* out = floats(info, 0, n, "bernoulliMask out");
  const int64_t key0 = integer(info, 1, "bernoulliMask key0"), key1 = integer(info, 2, "bernoulliMask key1");
  const int64_t threshold = integer(info, 3, "bernoulliMask threshold");
  if (key0 < 0 || key0 > 0xffffffffLL || key1 < 0 || key1 > 0xffffffffLL) throw Napi::RangeError::New(info.Env(), "bernoulliMask: keys must be 32-bit unsigned integers");
  if (threshold < 0 || threshold > 65536) throw Napi::RangeError::New(info.Env(), "bernoulliMask: threshold must be in [0, 65536]");
  const float scale = static_cast<float>(info[4].As<Napi::Number>().DoubleValue());
  bernoulli_mask(out, static_cast<int64_t>(n), static_cast<uint32_t>(key0), static_cast<uint32_t>(key1), static_cast<uint32_t>(threshold), scale);
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("info", Napi::Function::New(env, Info));
  exports.Set("setThreads", Napi::Function::New(env, SetThreads));
  exports.Set("threads", Napi::Function::New(env, Threads));
  exports.Set("matmul", Napi::Function::New(env, Matmul));
  exports.Set("convForward", Napi::Function::New(env, ConvCall<Conv::Forward>));
  exports.Set("convBackwardData", Napi::Function::New(env, ConvCall<Conv::BackwardData>));
  exports.Set("convBackwardWeights", Napi::Function::New(env, ConvCall<Conv::BackwardWeights>));
  exports.Set("binary", Napi::Function::New(env, Binary));
  exports.Set("unary", Napi::Function::New(env, Unary));
  exports.Set("bernoulliMask", Napi::Function::New(env, BernoulliMask));
  return exports;
}

}  // namespace

NODE_API_MODULE(deepagrel_native, Init)
