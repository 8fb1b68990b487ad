#!/usr/bin/env bash
# The reference world-model data, made by the studio itself (no dataset is checked in):
#   - MAIN expert episodes on rigs/sim-gwm.json (default noise, ~20 % exploration chunks), exported
#     with a held-out test split by episode: OUT/gwm
#   - policy variants (4 noise levels, VARIANT episodes each, tagged and named by --operator), exported
#     as an evaluation-only set for the policy-level test: OUT/gwm-variants
# OUT/gwm is exported (and OUT/.gwm-done written) before the variants are recorded, so training can start
# on it while they record. Every step is skipped when its marker file exists (re-run to resume).
# Usage: models/scripts/make_data.sh [OUT=models/data] [MAIN=200] [VARIANT=25] [SEED=0]
set -euo pipefail
cd "$(dirname "$0")/../.."
out="${1:-models/data}"; main="${2:-200}"; per_variant="${3:-25}"; seed="${4:-0}"
studio=(node bin/studio.js)
[ -f out/main/cli.js ] || npm run build
mkdir -p "$out"
db="$out/store"
if [ ! -f "$out/.main-done" ]; then
  "${studio[@]}" record --data-dir "$db" --rig rigs/sim-gwm.json --sim --expert --episodes "$main" --seed "$seed" \
    --operator expert-default --tag main --json > "$out/record-main.jsonl"
  touch "$out/.main-done"
fi
if [ ! -f "$out/.gwm-done" ]; then
  rm -rf "$out/gwm"
  "${studio[@]}" export --data-dir "$db" --format gwm --out "$out/gwm" --tag main --valid-fraction 0.1 --test-fraction 0.1 --split-seed "$seed"
  "${studio[@]}" export validate "$out/gwm"
  touch "$out/.gwm-done"
  echo "world-model training data: $out/gwm (train/valid/test)"
fi
i=0
for g in 0.004 0.012 0.022 0.035; do
  i=$((i + 1))
  if [ ! -f "$out/.variant-$g-done" ]; then
    "${studio[@]}" record --data-dir "$db" --rig rigs/sim-gwm.json --sim --expert --episodes "$per_variant" --seed $((seed + 1000 * i)) \
      --grasp-offset-m "$g" --operator "variant-grasp-$g" --tag variant --json > "$out/record-variant-$g.jsonl"
    touch "$out/.variant-$g-done"
  fi
done
rm -rf "$out/gwm-variants"
"${studio[@]}" export --data-dir "$db" --format gwm --out "$out/gwm-variants" --tag variant
"${studio[@]}" export validate "$out/gwm-variants"
echo "world-model data: $out/gwm (train/valid/test) and $out/gwm-variants (evaluation only)"
