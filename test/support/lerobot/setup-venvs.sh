#!/usr/bin/env bash
# Makes the two Python environments that hold LeRobot's own dataset writer, for regenerating the
# committed fixtures in test/fixtures/lerobot/ (make_fixtures.py). Nothing at test time needs them.
#   lerobot 0.4.4 writes LeRobotDataset v3.0; lerobot 0.3.3 (the last v2.1 release) writes v2.1.
# Both pin torch 2.7.1, inside both releases' ranges, so pip downloads it once. PyPI's torch is the
# CUDA build (~3 GB with its nvidia-* wheels); it runs on the CPU.
# Venvs go to node_modules/.cache/lerobot (git-ignored). Needs Python >= 3.10 (STUDIO_PY312 or python3.12).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
cache="${LEROBOT_VENVS:-$root/node_modules/.cache/lerobot}"
py="${STUDIO_PY312:-python3.12}"
# pyenv's shim exists even when 3.12 is not the selected version: fall back to pyenv's own 3.12.
"$py" --version >/dev/null 2>&1 || py="$(ls -d "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.12*/bin/python3.12 2>/dev/null | tail -1)"
mkdir -p "$cache"
for version in 0.4.4 0.3.3; do
  venv="$cache/v$version"
  if [ -x "$venv/bin/python" ] && "$venv/bin/python" -c "import lerobot, importlib.metadata as m; assert m.version('lerobot') == '$version'" 2>/dev/null; then
    echo "lerobot $version: $venv (present)"
    continue
  fi
  "$py" -m venv "$venv"
  # lerobot 0.3.3 (no upper bounds) turns shape-(1,) features into floats with float(array), an error from
  # numpy 2.3 on, and reads int(stream.base_rate), which PyAV 16+ no longer allows (PyAV 14 has no wheel for 3.12 here: --only-binary).
  extra=""; [ "$version" = 0.3.3 ] && extra="numpy<2.3 av>=14.2,<16"
  nice -n 19 "$venv/bin/pip" install -q "lerobot==$version" torch==2.7.1 torchvision==0.22.1 torchcodec==0.5 --only-binary=av $extra
  echo "lerobot $version: $venv"
done
