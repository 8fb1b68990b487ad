"""Put the numbers only the studio can measure into a pack: the ranking test and the chunk policy's
closed-loop success (they restore and step the simulator), and optionally the imagination eval against
reality, from the JSON lines the studio printed.

    node bin/studio.js imagine ranking --pack PACK --states 20 --candidates 8 --seed 9000 --json > ranking.jsonl
    node bin/studio.js policy run --sim --pack PACK --mode off --max-duration-s 30 --seed 2000 --episodes 20 --json > off-2000.jsonl
    node bin/studio.js imagine eval --pack PACK --episodes 25 --json > eval.jsonl
    models/.venv/bin/python models/scripts/record_studio_eval.py --pack PACK --ranking ranking.jsonl [more.jsonl …] --policy off-2000.jsonl [more.jsonl …] [--imagine-eval eval.jsonl]

Writes `evaluation.ranking` and `evaluation.policy_success_sim` (null from the trainer), and with
--imagine-eval `evaluation.policy_level_studio`, into gwm_manifest.json (atomically; graph hashes are
untouched) and the "Measured in the studio" section of REPORT.md. Only `--mode off` runs count towards
the policy's own success, and they must agree on how many steps of each chunk ran (execute_steps)."""
from __future__ import annotations

import argparse
import json
import os
import re
from pathlib import Path


def summary(path: Path) -> dict:
    for line in reversed(path.read_text().splitlines()):
        if line.startswith('{"summary"'):
            return json.loads(line)["summary"]
    raise SystemExit(f"{path}: no summary line — was the studio run finished, with --json?")


def pooled_ranking(runs: list[dict]) -> dict:
    """Several ranking runs (other states) as one: rates and means weighted by their states."""
    if len({(r["K"], r["H"]) for r in runs}) > 1:
        raise SystemExit(f"--ranking: the runs differ in K or H ({sorted({(r['K'], r['H']) for r in runs})}); pool runs of one setting")
    n = sum(r["states"] for r in runs)
    mean = lambda k: sum(r[k] * r["states"] for r in runs) / n  # noqa: E731
    out = {"states": n, "K": runs[0]["K"], "H": runs[0]["H"], "top1_hit_rate": mean("top1_hit_rate"), "chance": runs[0]["chance"],
           "kendall_tau_mean": mean("kendall_tau_mean")}
    if all(r.get("outcome_top1_hit_rate") is not None for r in runs):
        out["outcome_top1_hit_rate"], out["outcome_chance"] = mean("outcome_top1_hit_rate"), mean("outcome_chance")
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--pack", required=True)
    p.add_argument("--ranking", required=True, type=Path, nargs="+", help="one or more `imagine ranking --json` outputs (different --seed), pooled")
    p.add_argument("--policy", required=True, type=Path, nargs="+")
    p.add_argument("--imagine-eval", type=Path, help="`studio imagine eval --json` output: predicted vs real per policy variant")
    a = p.parse_args()
    pack = Path(a.pack)
    rk = pooled_ranking([summary(f) for f in a.ranking])
    runs = [summary(f) for f in a.policy]
    if any(r["mode"] != "off" for r in runs):
        raise SystemExit("--policy: only `policy run --mode off` summaries measure the policy's own success")
    # Older summaries did not say; they ran whole chunks (8 steps).
    steps = {r.get("execute_steps", 8) for r in runs}
    if len(steps) > 1:
        raise SystemExit(f"--policy: the runs executed different steps per chunk ({sorted(steps)}); measure one way of running the policy")
    episodes, successes = sum(r["episodes"] for r in runs), sum(r["successes"] for r in runs)
    studio = {"ranking": rk,
              "policy_closed_loop": {"mode": "off", "episodes": episodes, "successes": successes, "success_rate": successes / episodes,
                                     "execute_steps": steps.pop()}}
    ev_studio = None
    if a.imagine_eval is not None:
        e = summary(a.imagine_eval)
        ev_studio = {k: e.get(k) for k in ("episodes", "H", "pearson", "spearman", "auroc", "variants")}
        studio["policy_level_studio"] = ev_studio
    man_path = pack / "gwm_manifest.json"
    man = json.loads(man_path.read_text())
    ev = man.setdefault("evaluation", {})  # the trainer leaves these two null for the studio to fill
    ev["ranking"] = studio["ranking"]
    ev["policy_success_sim"] = studio["policy_closed_loop"]
    if ev_studio is not None:
        ev["policy_level_studio"] = ev_studio
    tmp = man_path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(man, indent=2) + "\n")
    os.replace(tmp, man_path)

    section = ("## Measured in the studio\n\n"
               "The ranking test (K perturbed chunks, each executed in the simulator from the same restored state) and the chunk policy's\n"
               "own success in closed loop run the pack in the studio, not in the trainer (BENCHMARKS.md has the conditions):\n\n"
               f"- `studio imagine ranking`: top-1 {rk['top1_hit_rate']:.2f} over {rk['states']} states (K = {rk['K']}, H = {rk['H']}; "
               f"chance {rk['chance']:.3f}), mean Kendall τ {rk['kendall_tau_mean']:.2f}"
               + ("" if rk.get("outcome_top1_hit_rate") is None else
                  f"; by outcome class (lifted > grasped > neither) {rk['outcome_top1_hit_rate']:.2f} against a chance of {rk['outcome_chance']:.2f}")
               + ".\n"
               f"- `studio policy run --mode off`: {successes} of {episodes} episodes succeed ({100 * successes / episodes:.0f} %; "
               + ", ".join(f"{r['successes']} / {r['episodes']}" for r in runs) + " per run"
               + (f"; {studio['policy_closed_loop']['execute_steps']} steps of each chunk run before the next decision" if studio['policy_closed_loop']['execute_steps'] != 8 else "")
               + ").\n"
               + ("" if ev_studio is None else
                  f"- `studio imagine eval` (expert variants run for real, each estimated just before its grasp, H = {ev_studio['H']}): "
                  f"episode AUROC {ev_studio['auroc']:.2f} over {ev_studio['episodes']} episodes; across {len(ev_studio['variants'])} variants "
                  f"Pearson {ev_studio['pearson']:.2f}, Spearman {ev_studio['spearman']:.2f}.\n")
               + "\n")
    rep_path = pack / "REPORT.md"
    rep = rep_path.read_text()
    rep = re.sub(r"## (Measured in the studio|Not measured yet)\n.*?(?=## Figures)", "", rep, flags=re.S)
    rep = rep.replace("## Figures", section + "## Figures", 1)
    rep_path.write_text(rep)
    print(json.dumps(studio))


if __name__ == "__main__":
    main()
