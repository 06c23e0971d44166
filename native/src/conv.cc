// 2-D convolutions with oneDNN's primitives: forward, backward-data (tfjs's conv2dTranspose and
// the input gradient) and backward-weights (ΔW of a conv layer), as PyTorch and TensorFlow use
// them on CPU. Activations stay in tfjs's NHWC layout (oneDNN has fast NHWC kernels); filters
// are reordered between tfjs's HWIO and whatever layout the primitive prefers (small: 9 KB–40 KB).
#include <oneapi/dnnl/dnnl.hpp>
#include <unordered_map>
#include <utility>
#include <vector>
#include "engine.h"
#include "kernels.h"

namespace deepagrel {

using dnnl::memory;
using tag = memory::format_tag;
using dt = memory::data_type;

std::string ConvShape::key() const {
  std::string k;
  for (int64_t v : {N, H, W, C, OH, OW, OC, KH, KW, SH, SW, PT, PL, PB, PR}) k += std::to_string(v) + ",";
  return k + "t" + std::to_string(threads());
}

namespace {

struct ConvDescs {
  memory::desc src, wei_user, wei_any, dst;
  memory::dims strides, pad_l, pad_r;
  explicit ConvDescs(const ConvShape& s)
      : src({s.N, s.C, s.H, s.W}, dt::f32, tag::nhwc),
        wei_user({s.OC, s.C, s.KH, s.KW}, dt::f32, tag::hwio),
        wei_any({s.OC, s.C, s.KH, s.KW}, dt::f32, tag::any),
        dst({s.N, s.OC, s.OH, s.OW}, dt::f32, tag::nhwc),
        strides{s.SH, s.SW}, pad_l{s.PT, s.PL}, pad_r{s.PB, s.PR} {}
};

// The three primitive descriptors, in oneDNN 3's form (engine first, no operation descriptor)
// or oneDNN 2's (an operation descriptor, then the engine): same primitives, same numbers.
constexpr auto kDirect = dnnl::algorithm::convolution_direct;

dnnl::convolution_forward::primitive_desc forward_pd(const ConvDescs& d) {
#if DNNL_VERSION_MAJOR >= 3
  return dnnl::convolution_forward::primitive_desc(cpu_engine(), dnnl::prop_kind::forward_training, kDirect,
                                                   d.src, d.wei_any, d.dst, d.strides, d.pad_l, d.pad_r);
#else
  return dnnl::convolution_forward::primitive_desc(
      dnnl::convolution_forward::desc(dnnl::prop_kind::forward_training, kDirect, d.src, d.wei_any, d.dst,
                                      d.strides, d.pad_l, d.pad_r),
      cpu_engine());
#endif
}

dnnl::convolution_backward_data::primitive_desc backward_data_pd(const ConvDescs& d) {
#if DNNL_VERSION_MAJOR >= 3
  return dnnl::convolution_backward_data::primitive_desc(cpu_engine(), kDirect, d.src, d.wei_any, d.dst, d.strides,
                                                         d.pad_l, d.pad_r, forward_pd(d));
#else
  return dnnl::convolution_backward_data::primitive_desc(
      dnnl::convolution_backward_data::desc(kDirect, d.src, d.wei_any, d.dst, d.strides, d.pad_l, d.pad_r),
      cpu_engine(), forward_pd(d));
#endif
}

dnnl::convolution_backward_weights::primitive_desc backward_weights_pd(const ConvDescs& d) {
#if DNNL_VERSION_MAJOR >= 3
  return dnnl::convolution_backward_weights::primitive_desc(cpu_engine(), kDirect, d.src, d.wei_any, d.dst,
                                                            d.strides, d.pad_l, d.pad_r, forward_pd(d));
#else
  return dnnl::convolution_backward_weights::primitive_desc(
      dnnl::convolution_backward_weights::desc(kDirect, d.src, d.wei_any, d.dst, d.strides, d.pad_l, d.pad_r),
      cpu_engine(), forward_pd(d));
#endif
}

// A primitive plus, when its weights layout is not HWIO, a reorder into (or out of) its layout.
struct Prepared {
  dnnl::primitive prim;
  memory::desc wei_prim;
  bool reorder_needed = false;
  dnnl::reorder reorder;       // user → primitive (forward, backward-data) or back (backward-weights)
};

void set_weights_layout(Prepared& p, const ConvDescs& d, const memory::desc& wei_prim, bool to_user) {
  p.wei_prim = wei_prim;
  p.reorder_needed = wei_prim != d.wei_user;
  if (!p.reorder_needed) return;
  auto& eng = cpu_engine();
  p.reorder = to_user ? dnnl::reorder(dnnl::reorder::primitive_desc(eng, wei_prim, eng, d.wei_user))
                      : dnnl::reorder(dnnl::reorder::primitive_desc(eng, d.wei_user, eng, wei_prim));
}

// The cached primitive of one kind for shape s: `make(descs)` returns {primitive, its weights desc}.
template <typename Make>
std::shared_ptr<Prepared> prepared(const char* kind, const ConvShape& s, const ConvDescs& d, bool weights_out, Make make) {
  return cached<Prepared>(std::string(kind) + "/" + s.key(), [&] {
    auto r = std::make_unique<Prepared>();
    auto [prim, wei] = make(d);
    r->prim = prim;
    set_weights_layout(*r, d, wei, weights_out);
    return r;
  });
}

// Runs p with the activations in `args` and the filter `w` (HWIO) in the primitive's layout:
// reordered in before (forward, backward-data) or out after (backward-weights, `weights_out`).
// The filter in the primitive's layout lives in a buffer of this call (9–40 KB here), so calls from
// two threads never share one.
void run(const Prepared& p, const ConvDescs& d, float* w, bool weights_out, int weights_arg, std::unordered_map<int, memory> args) {
  auto& eng = cpu_engine();
  auto& st = cpu_stream();
  memory wu(d.wei_user, eng, w);
  std::vector<float> wei_buf(p.reorder_needed ? p.wei_prim.get_size() / sizeof(float) + 1 : 0);
  memory wp = p.reorder_needed ? memory(p.wei_prim, eng, wei_buf.data()) : wu;
  if (p.reorder_needed && !weights_out) p.reorder.execute(st, wu, wp);
  args[weights_arg] = wp;
  p.prim.execute(st, args);
  if (p.reorder_needed && weights_out) p.reorder.execute(st, wp, wu);
  st.wait();
}

}  // namespace

void conv_forward(const ConvShape& s, const float* x, const float* w, float* y) {
  const ConvDescs d(s);
  auto p = prepared("fwd", s, d, false, [](const ConvDescs& d) {
    auto pd = forward_pd(d);
    return std::make_pair(dnnl::primitive(dnnl::convolution_forward(pd)), pd.weights_desc());
  });
  auto& eng = cpu_engine();
  run(*p, d, const_cast<float*>(w), false, DNNL_ARG_WEIGHTS,
      {{DNNL_ARG_SRC, memory(d.src, eng, const_cast<float*>(x))}, {DNNL_ARG_DST, memory(d.dst, eng, y)}});
}

void conv_backward_data(const ConvShape& s, const float* dy, const float* w, float* dx) {
  const ConvDescs d(s);
  auto p = prepared("bwd-data", s, d, false, [](const ConvDescs& d) {
    auto pd = backward_data_pd(d);
    return std::make_pair(dnnl::primitive(dnnl::convolution_backward_data(pd)), pd.weights_desc());
  });
  auto& eng = cpu_engine();
  run(*p, d, const_cast<float*>(w), false, DNNL_ARG_WEIGHTS,
      {{DNNL_ARG_DIFF_DST, memory(d.dst, eng, const_cast<float*>(dy))}, {DNNL_ARG_DIFF_SRC, memory(d.src, eng, dx)}});
}

void conv_backward_weights(const ConvShape& s, const float* x, const float* dy, float* dw) {
  const ConvDescs d(s);
  auto p = prepared("bwd-weights", s, d, true, [](const ConvDescs& d) {
    auto pd = backward_weights_pd(d);
    return std::make_pair(dnnl::primitive(dnnl::convolution_backward_weights(pd)), pd.diff_weights_desc());
  });
  auto& eng = cpu_engine();
  run(*p, d, dw, true, DNNL_ARG_DIFF_WEIGHTS,
      {{DNNL_ARG_SRC, memory(d.src, eng, const_cast<float*>(x))}, {DNNL_ARG_DIFF_DST, memory(d.dst, eng, const_cast<float*>(dy))}});
}

}  // namespace deepagrel
