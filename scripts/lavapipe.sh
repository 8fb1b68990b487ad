#!/usr/bin/env bash
# A software Vulkan driver for the WebGPU execution provider's tests (no GPU in CI).
#
# onnxruntime-node's WebGPU EP (Dawn, Vulkan backend) needs the Vulkan loader (libvulkan.so.1) and a Vulkan
# device. Debian 12's own lavapipe (mesa-vulkan-drivers 22.3) is refused by Dawn ("Vulkan
# shaderUniform*ArrayDynamicIndexing required": it lacks sampled/storage-image dynamic indexing); Mesa 25 from
# bookworm-backports has it. So: the loader from Debian (libvulkan1, system-wide, tiny), and lavapipe 25
# downloaded with apt from bookworm-backports and unpacked into node_modules/.cache/lavapipe — the machine's
# Mesa is left alone. The tests point VK_ICD_FILENAMES at node_modules/.cache/lavapipe/lvp_icd.json.
set -euo pipefail
cd "$(dirname "$0")/.."

OUT="node_modules/.cache/lavapipe"
ICD="$OUT/lvp_icd.json"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"

# The loader and what libvulkan_lvp.so links against (all in Debian 12 itself), when any is missing.
runtime_deps=(libvulkan1 libllvm15 libdrm2 libexpat1 libzstd1 zlib1g libwayland-client0 libx11-xcb1 libxcb1
  libxcb-dri3-0 libxcb-present0 libxcb-randr0 libxcb-shm0 libxcb-sync1 libxcb-xfixes0 libxshmfence1)
missing=()
for p in "${runtime_deps[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]} > 0)); then
  echo "Installing the Vulkan loader and lavapipe's libraries: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

if [ -f "$ICD" ] && [ -f "$OUT/libvulkan_lvp.so" ]; then
  exit 0
fi

echo "Fetching lavapipe (mesa-vulkan-drivers from bookworm-backports) into $OUT"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/lists/partial" "$work/cache/archives/partial" "$work/sources" "$work/deb"
cat >"$work/sources/backports.sources" <<SRC
Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
apt_private=(-o "Dir::Etc::SourceList=/dev/null" -o "Dir::Etc::SourceParts=$work/sources"
  -o "Dir::State::Lists=$work/lists" -o "Dir::Cache=$work/cache" -o "APT::Sandbox::User=root")
apt-get "${apt_private[@]}" update -qq
(cd "$work/deb" && apt-get "${apt_private[@]}" download -qq mesa-vulkan-drivers)
dpkg-deb -x "$work"/deb/mesa-vulkan-drivers_*.deb "$work/root"

rm -rf "$OUT"
mkdir -p "$OUT"
cp "$work/root/usr/lib/x86_64-linux-gnu/libvulkan_lvp.so" "$OUT/"
lib="$(cd "$OUT" && pwd)/libvulkan_lvp.so"
cat >"$ICD" <<JSON
{ "file_format_version": "1.0.0", "ICD": { "library_path": "$lib", "api_version": "1.4.305" } }
JSON
dpkg-deb -f "$work"/deb/mesa-vulkan-drivers_*.deb Version >"$OUT/VERSION"
if ldd "$OUT/libvulkan_lvp.so" | grep -q 'not found'; then
  echo "lavapipe is missing libraries:" >&2
  ldd "$OUT/libvulkan_lvp.so" | grep 'not found' >&2
  exit 1
fi
echo "lavapipe $(cat "$OUT/VERSION") ready: VK_ICD_FILENAMES=$ICD"
