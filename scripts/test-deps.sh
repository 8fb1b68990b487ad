#!/usr/bin/env bash
# What the test suite needs besides npm packages: Debian's Chromium (browser tests), ffmpeg (camera
# and video tests), socat (serial-protocol peers on pseudo-terminals), the Python readers in
# requirements-test.txt, and lavapipe for the WebGPU execution provider (scripts/lavapipe.sh). Installs only what is missing; uses sudo when not root.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v ffmpeg >/dev/null 2>&1 || need+=(ffmpeg)
command -v socat >/dev/null 2>&1 || need+=(socat)
if ((${#need[@]} > 0)); then
  echo "Installing Debian packages: ${need[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}"
fi

if ! python3 -c 'import pyarrow, h5py, numpy, pandas' >/dev/null 2>&1; then
  echo "Installing the Python test readers (requirements-test.txt)"
  python3 -m pip install --quiet --disable-pip-version-check -r requirements-test.txt
fi

# A software Vulkan driver (lavapipe) so the WebGPU execution provider's tests run without a GPU.
bash scripts/lavapipe.sh

# The world-model trainer's venv (models/.venv: PyPI torch, onnx, onnxruntime, …); its tests run in npm test.
bash models/setup.sh
