#!/usr/bin/env bash
# Software Vulkan (Mesa's lavapipe) that Dawn accepts, for testing the webgpu backend without a
# GPU, without changing the system's Mesa.
#
# Debian 12's mesa-vulkan-drivers (Mesa 22.3) is rejected by Dawn ("Vulkan
# shaderUniform*ArrayDynamicIndexing required": its lavapipe lacks dynamic indexing of image
# arrays). This fetches mesa-vulkan-drivers 25.x from bookworm-backports with a private apt
# configuration (the system's sources and packages stay as they are), unpacks lavapipe into
# .cache/lavapipe/ and writes an ICD file there. Then:
#   export VK_DRIVER_FILES=$PWD/.cache/lavapipe/lvp_icd.json
# (printed at the end). Needs apt-get and the system's libvulkan1 and libllvm15 (apt-get install
# mesa-vulkan-drivers brings both). Elsewhere: any Mesa ≥ 24 from the distribution works as is.
set -euo pipefail
cd "$(dirname "$0")/.."
dest=$PWD/.cache/lavapipe
icd=$dest/lvp_icd.json
if [ -f "$icd" ] && [ -f "$dest/lib/libvulkan_lvp.so" ]; then echo "export VK_DRIVER_FILES=$icd"; exit 0; fi
command -v apt-get >/dev/null || { echo "lavapipe.sh: needs apt-get (Debian/Ubuntu); elsewhere install Mesa ≥ 24's Vulkan drivers" >&2; exit 1; }
suite=${LAVAPIPE_SUITE:-bookworm-backports}
. scripts/apt-private.sh
apt_private_init "$suite"; work=$APT_PRIVATE; trap 'rm -rf "$work"' EXIT
apt_private update -qq
(cd "$work" && apt_private download -qq "mesa-vulkan-drivers/$suite")
dpkg-deb -x "$work"/mesa-vulkan-drivers_*.deb "$work/x"
mkdir -p "$dest/lib"
cp "$work/x/usr/lib/x86_64-linux-gnu/libvulkan_lvp.so" "$dest/lib/" 2>/dev/null ||
  cp "$(find "$work/x" -name libvulkan_lvp.so | head -1)" "$dest/lib/"
version=$(dpkg-deb -f "$work"/mesa-vulkan-drivers_*.deb Version)
api=$(sed -n 's/.*"api_version": *"\([^"]*\)".*/\1/p' "$work/x/usr/share/vulkan/icd.d/lvp_icd."*json | head -1)
cat > "$icd" <<JSON
{ "file_format_version": "1.0.0", "ICD": { "library_path": "$dest/lib/libvulkan_lvp.so", "api_version": "${api:-1.3.0}" } }
JSON
echo "$version" > "$dest/VERSION"
missing=$(ldd "$dest/lib/libvulkan_lvp.so" | grep 'not found' || true)
[ -z "$missing" ] || { echo "lavapipe.sh: libraries missing for lavapipe ($missing): apt-get install mesa-vulkan-drivers" >&2; exit 1; }
echo "lavapipe.sh: Mesa $version lavapipe in $dest" >&2
echo "export VK_DRIVER_FILES=$icd"
