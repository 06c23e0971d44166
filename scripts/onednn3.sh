#!/usr/bin/env bash
# oneDNN 3.x beside the system's oneDNN, for the native kernels' version check (issue 28). Debian 12
# ships oneDNN 2.6; Debian 13 and Homebrew ship 3.x. This fetches Debian 13's packages with a private
# apt configuration (the system's sources and packages stay as they are) into .cache/:
#
#   bash scripts/onednn3.sh check    unpack Debian 13's libdnnl-dev (headers only: its library needs
#                                    glibc 2.38) and compile every native/src/*.cc against them with
#                                    g++ -fsyntax-only. CI runs this beside the real 2.6 build.
#   bash scripts/onednn3.sh build    build oneDNN 3.x from Debian 13's source package (CPU, OpenMP,
#                                    no tests/examples/graph API; ~20-40 min on 2 cores), install it
#                                    into .cache/onednn3/, and print how to build the addon against it:
#                                      DEEPAGREL_ONEDNN_PREFIX=$PWD/.cache/onednn3 npm run build:native
#
# Needs apt-get (Debian/Ubuntu); `build` also needs cmake and ninja-build (or make).
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-check}
suite=${ONEDNN3_SUITE:-trixie}
cache=$PWD/.cache
command -v apt-get >/dev/null || { echo "onednn3.sh: needs apt-get (Debian/Ubuntu)" >&2; exit 1; }

. scripts/apt-private.sh

fetch() {   # fetch <what> <dest>: what = headers | source
  apt_private_init "$suite" deb-src
  local work=$APT_PRIVATE
  apt_private update -qq
  if [ "$1" = headers ]; then
    (cd "$work" && apt_private download -qq "libdnnl-dev/$suite")
    mkdir -p "$2" && dpkg-deb -x "$work"/libdnnl-dev_*.deb "$2"
    dpkg-deb -f "$work"/libdnnl-dev_*.deb Version > "$2/VERSION"
  else
    (cd "$work" && apt_private source --download-only -qq onednn)
    mkdir -p "$2" && tar -xf "$work"/onednn_*.orig.tar.* -C "$2" --strip-components=1
  fi
  rm -rf "$work"
}

case "$mode" in
  check)
    hdr=$cache/onednn3-headers
    [ -f "$hdr/usr/include/oneapi/dnnl/dnnl.hpp" ] || fetch headers "$hdr"
    inc=$hdr/usr/include
    major=$(sed -n 's/^#define DNNL_VERSION_MAJOR \([0-9]*\).*/\1/p' "$inc/oneapi/dnnl/dnnl_version.h")
    [ "$major" -ge 3 ] || { echo "onednn3.sh: $inc has oneDNN $major, not 3.x" >&2; exit 1; }
    node_inc=$(node -p "require('path').resolve(process.execPath, '../../include/node')")
    napi_inc=$(node -p "require('node-addon-api').include_dir")
    n=0
    for f in native/src/*.cc; do
      # The flags of native/binding.gyp; the 3.x headers first, so they win over the system's 2.x.
      g++ -fsyntax-only -std=c++17 -fopenmp -fexceptions -DNAPI_VERSION=8 -DNAPI_CPP_EXCEPTIONS \
        -isystem "$inc" -I "$node_inc" -I "$napi_inc" "$f" || { echo "onednn3.sh: $f does not compile against oneDNN $(cat "$hdr/VERSION")" >&2; exit 1; }
      n=$((n + 1))
    done
    echo "onednn3.sh: native/src ($n files) compiles against oneDNN $(cat "$hdr/VERSION") headers ($suite's libdnnl-dev)"
    ;;
  build)
    prefix=$cache/onednn3
    if [ -f "$prefix/include/oneapi/dnnl/dnnl.hpp" ]; then echo "onednn3.sh: already built in $prefix" >&2; else
      src=$cache/onednn3-src
      [ -f "$src/CMakeLists.txt" ] || fetch source "$src"
      gen=(); command -v ninja >/dev/null && gen=(-G Ninja)
      # Only what the addon uses: CPU, OpenMP (as the addon and Debian's build), the primitive API.
      cmake -S "$src" -B "$cache/onednn3-build" "${gen[@]}" -DCMAKE_BUILD_TYPE=Release \
        -DCMAKE_INSTALL_PREFIX="$prefix" -DONEDNN_CPU_RUNTIME=OMP -DONEDNN_GPU_RUNTIME=NONE \
        -DONEDNN_BUILD_TESTS=OFF -DONEDNN_BUILD_EXAMPLES=OFF -DONEDNN_BUILD_DOC=OFF -DONEDNN_BUILD_GRAPH=OFF \
        ${ONEDNN3_CMAKE_ARGS:-}
      cmake --build "$cache/onednn3-build" -j "$(nproc)"
      cmake --install "$cache/onednn3-build"
      rm -rf "$cache/onednn3-build"
    fi
    echo "onednn3.sh: oneDNN $(sed -n 's/^#define DNNL_VERSION_\(MAJOR\|MINOR\|PATCH\) \([0-9]*\).*/\2/p' "$prefix/include/oneapi/dnnl/dnnl_version.h" | paste -sd.) in $prefix" >&2
    echo "DEEPAGREL_ONEDNN_PREFIX=$prefix npm run build:native"
    ;;
  *) echo "usage: bash scripts/onednn3.sh check|build" >&2; exit 2 ;;
esac
