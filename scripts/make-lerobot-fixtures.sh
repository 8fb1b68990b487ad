#!/usr/bin/env bash
# Regenerates test/fixtures/lerobot/ with LeRobot's own writer: v3.0 from lerobot 0.4.4, v2.1 from
# lerobot 0.3.3 (venvs made by test/support/lerobot/setup-venvs.sh under node_modules/.cache/lerobot).
# The fixtures are committed; tests never need LeRobot or the network.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bash "$root/test/support/lerobot/setup-venvs.sh"
cache="${LEROBOT_VENVS:-$root/node_modules/.cache/lerobot}"
export HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1 TOKENIZERS_PARALLELISM=false
for version in 0.4.4 0.3.3; do
  nice -n 19 "$cache/v$version/bin/python" "$root/test/support/lerobot/make_fixtures.py" "$root/test/fixtures/lerobot"
done
