#!/usr/bin/env bash
# One command to set up the world-model trainer: a venv at models/.venv with PyPI torch, onnx,
# onnxruntime, numpy, tqdm, matplotlib and pytest. The same wheels serve CPU and CUDA machines
# (PyPI's Linux torch bundles CUDA and falls back to CPU). Idempotent: re-running only checks.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
venv="$here/.venv"
python="${PYTHON:-python3}"
if [ ! -x "$venv/bin/python" ]; then
  "$python" -m venv "$venv"
fi
stamp="$venv/.requirements.sha256"
want="$(sha256sum "$here/requirements.txt" | cut -d' ' -f1)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$here/requirements.txt"
  "$venv/bin/pip" install --quiet --disable-pip-version-check --no-deps -e "$here"
  echo "$want" > "$stamp"
fi
"$venv/bin/python" -c 'import torch, onnx, onnxruntime; print(f"models/.venv ready: torch {torch.__version__} (cuda available: {torch.cuda.is_available()}), onnxruntime {onnxruntime.__version__}")'
