# The native kernels (oneDNN 2.6+ or 3.x) as a Node addon. Built by scripts/build-native.mjs at
# `npm install`, which finds oneDNN and sets the variables below; a machine without a compiler or
# without oneDNN gets no addon and one line saying why (the wasm path runs).
{
  "variables": {
    "openmp%": "true",          # our elementwise loops on OpenMP threads (Apple clang: only with libomp)
    "omp_prefix%": "",          # macOS: Homebrew's libomp
    "onednn_prefix%": "",       # oneDNN outside the system folders (DEEPAGREL_ONEDNN_PREFIX)
    "onednn_lib%": ""
  },
  "targets": [{
    "target_name": "deepagrel_native",
    "sources": ["src/addon.cc", "src/matmul.cc", "src/conv.cc", "src/elementwise.cc", "src/dropout-mask.cc"],
    "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
    "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS"],
    "cflags!": ["-fno-exceptions"],
    "cflags_cc!": ["-fno-exceptions", "-fno-rtti"],
    "cflags_cc": ["-O3", "-std=c++17", "-fexceptions"],
    "libraries": ["-ldnnl"],
    "conditions": [
      ["onednn_prefix!=''", {
        "include_dirs": ["<(onednn_prefix)/include"],
        "libraries": ["-L<(onednn_lib)", "-Wl,-rpath,<(onednn_lib)"]
      }],
      ["OS!='mac' and openmp=='true'", {
        "cflags_cc": ["-fopenmp"],
        "libraries": ["-fopenmp"]
      }],
      ["OS=='mac'", {
        "include_dirs": ["/opt/homebrew/include", "/usr/local/include"],
        "libraries": ["-L/opt/homebrew/lib", "-L/usr/local/lib"],
        "xcode_settings": { "GCC_ENABLE_CPP_EXCEPTIONS": "YES", "OTHER_CPLUSPLUSFLAGS": ["-std=c++17", "-O3"] }
      }],
      ["OS=='mac' and openmp=='true' and omp_prefix!=''", {
        "include_dirs": ["<(omp_prefix)/include"],
        "libraries": ["-L<(omp_prefix)/lib", "-lomp", "-Wl,-rpath,<(omp_prefix)/lib"],
        "xcode_settings": { "OTHER_CPLUSPLUSFLAGS": ["-std=c++17", "-O3", "-Xpreprocessor", "-fopenmp"] }
      }]
    ]
  }]
}
