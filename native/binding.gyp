# The native kernels (oneDNN) as a Node addon. Built by scripts/build-native.mjs at `npm install`;
# a machine without a compiler or without oneDNN simply gets no addon (the wasm path runs).
{
  "targets": [{
    "target_name": "deepagrel_native",
    "sources": ["src/addon.cc", "src/matmul.cc", "src/conv.cc", "src/elementwise.cc", "src/dropout-mask.cc"],
    "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
    "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS"],
    "cflags!": ["-fno-exceptions"],
    "cflags_cc!": ["-fno-exceptions", "-fno-rtti"],
    "cflags_cc": ["-O3", "-std=c++17", "-fopenmp", "-fexceptions"],
    "libraries": ["-ldnnl", "-fopenmp"],
    "conditions": [
      ["OS=='mac'", {
        "include_dirs": ["/opt/homebrew/include", "/usr/local/include"],
        "libraries": ["-L/opt/homebrew/lib", "-L/usr/local/lib"],
        "xcode_settings": { "GCC_ENABLE_CPP_EXCEPTIONS": "YES", "OTHER_CPLUSPLUSFLAGS": ["-std=c++17", "-O3"] }
      }]
    ]
  }]
}
