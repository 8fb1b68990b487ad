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

# The openpi policy-server peer (remote-policy tests): openpi-client pins numpy<2, which the readers above
# cannot share, so it has a venv of its own under node_modules/.cache (git-ignored; `npm ci` clears it).
openpi_venv="node_modules/.cache/openpi-peer-venv"
openpi_requirements="test/support/requirements-openpi.txt"
openpi_want="$(sha256sum "$openpi_requirements" | cut -d' ' -f1)"
if [ ! -x "$openpi_venv/bin/python" ] || [ "$(cat "$openpi_venv/.requirements.sha256" 2>/dev/null)" != "$openpi_want" ]; then
  echo "Installing the openpi peer's Python packages ($openpi_requirements) into $openpi_venv"
  python3 -m venv "$openpi_venv"
  "$openpi_venv/bin/pip" install --quiet --disable-pip-version-check -r "$openpi_requirements"
  echo "$openpi_want" > "$openpi_venv/.requirements.sha256"
fi

# The world-model trainer's venv (models/.venv: PyPI torch, onnx, onnxruntime, …); its tests run in npm test.
bash models/setup.sh
