// Which library for the dense products (issue 13: "choose by measurement"): the three products of
// the MNIST conv net's 5408×1000 layer, timed with oneDNN's sgemm, OpenBLAS's sgemm and oneDNN's matmul
// primitive. Not part of the build; run by hand (numbers in BENCHMARKS.md):
//   g++ -O2 -fopenmp bench/native-gemm.cc -o /tmp/native-gemm -ldnnl -lopenblas
//   for lib in sgemm openblas matmul sgemm openblas matmul; do /tmp/native-gemm 2 $lib; done
// (threads, then the library: one library per process, since OpenBLAS's pthreads and OpenMP's
// threads spinning in one process slow each other down; for OpenBLAS at its best, unset
// OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE).
#include <oneapi/dnnl/dnnl.hpp>
#include <cblas.h>
#include <chrono>
#include <vector>
#include <algorithm>
#include <cstdio>
#include <omp.h>
#include <functional>
#include <string>
using namespace dnnl;
double now(){return std::chrono::duration<double,std::milli>(std::chrono::steady_clock::now().time_since_epoch()).count();}
int main(int argc,char**argv){
  int T = argc>1?atoi(argv[1]):2; omp_set_num_threads(T); openblas_set_num_threads(T);
  engine eng(engine::kind::cpu,0); stream st(eng);
  struct S{int M,N,K; bool tA,tB; const char* n;} shapes[]={{100,1000,5408,false,false,"fwd x.W"},{100,5408,1000,false,true,"fb post.W^T"},{5408,1000,100,true,false,"dW pre^T.post"}};
  for(auto s:shapes){
    std::vector<float> A(s.M*s.K,0.1f),B(s.K*s.N,0.2f),C(s.M*s.N);
    memory::desc a({s.M,s.K},memory::data_type::f32, s.tA?memory::dims{1,s.M}:memory::dims{s.K,1});
    memory::desc b({s.K,s.N},memory::data_type::f32, s.tB?memory::dims{1,s.K}:memory::dims{s.N,1});
    memory::desc c({s.M,s.N},memory::data_type::f32, memory::dims{s.N,1});
    matmul::primitive_desc pd(matmul::desc(a,b,c),eng); matmul p(pd);
    memory ma(a,eng,A.data()), mbm(b,eng,B.data()), mc(c,eng,C.data());
    auto sgemm=[&]{dnnl_sgemm(s.tA?'T':'N',s.tB?'T':'N',s.M,s.N,s.K,1,A.data(),s.tA?s.M:s.K,B.data(),s.tB?s.K:s.N,0,C.data(),s.N);};
    auto oblas=[&]{cblas_sgemm(CblasRowMajor,s.tA?CblasTrans:CblasNoTrans,s.tB?CblasTrans:CblasNoTrans,s.M,s.N,s.K,1,A.data(),s.tA?s.M:s.K,B.data(),s.tB?s.K:s.N,0,C.data(),s.N);};
    auto prim=[&]{p.execute(st,{{DNNL_ARG_SRC,ma},{DNNL_ARG_WEIGHTS,mbm},{DNNL_ARG_DST,mc}}); st.wait();};
    const std::string lib = argc > 2 ? argv[2] : "sgemm";
    auto run = lib == "openblas" ? std::function<void()>(oblas) : lib == "matmul" ? std::function<void()>(prim) : std::function<void()>(sgemm);
    std::vector<double> t;
    for(int r=0;r<15;r++){ double t0=now(); run(); if(r>=2) t.push_back(now()-t0); }
    std::sort(t.begin(),t.end());
    printf("%-16s %-8s %d thread(s): %.2f ms median, %.0f GFLOP/s%s\n", s.n, lib.c_str(), T, t[t.size()/2],
           2.0*s.M*s.N*s.K/t[t.size()/2]/1e6, lib == "matmul" ? (std::string(" (") + pd.impl_info_str() + ")").c_str() : "");

  }
}
