"""models/scripts/record_studio_eval.py: the studio's ranking and closed-loop numbers into a pack."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "record_studio_eval.py"


def _pack(tmp: Path) -> Path:
    pack = tmp / "pack"
    pack.mkdir()
    (pack / "gwm_manifest.json").write_text(json.dumps({"files": {"gwm_encoder.onnx": "abc"},
                                                         "evaluation": {"auroc": 0.9, "ranking": None, "policy_success_sim": None}}))
    (pack / "REPORT.md").write_text("# r\n\n## Policy level\n\nx\n\n## Measured in the studio\n\nold text\n\n## Figures\n\n![f](f.png)\n")
    return pack


def _lines(path: Path, summary: dict) -> Path:
    path.write_text('{"episode":0,"success":true}\n' + json.dumps({"summary": summary}) + "\n")
    return path


def test_writes_the_manifest_fields_and_one_report_section(tmp_path):
    pack = _pack(tmp_path)
    ranking = _lines(tmp_path / "r.jsonl", {"states": 20, "K": 8, "H": 2, "top1_hit_rate": 0.15, "chance": 0.125, "kendall_tau_mean": 0.11})
    a = _lines(tmp_path / "a.jsonl", {"mode": "off", "episodes": 20, "successes": 6})
    b = _lines(tmp_path / "b.jsonl", {"mode": "off", "episodes": 80, "successes": 32})
    for _ in range(2):  # re-running replaces, never duplicates
        subprocess.run([sys.executable, str(SCRIPT), "--pack", str(pack), "--ranking", str(ranking), "--policy", str(a), str(b)], check=True,
                       capture_output=True)
    ev = json.loads((pack / "gwm_manifest.json").read_text())["evaluation"]
    assert ev["auroc"] == 0.9 and ev["ranking"]["top1_hit_rate"] == 0.15 and ev["ranking"]["K"] == 8
    assert ev["policy_success_sim"] == {"mode": "off", "episodes": 100, "successes": 38, "success_rate": 0.38, "execute_steps": 8}
    report = (pack / "REPORT.md").read_text()
    assert report.count("## Measured in the studio") == 1 and "old text" not in report
    assert "38 of 100 episodes succeed (38 %; 6 / 20, 32 / 80 per run)" in report and "top-1 0.15 over 20 states" in report
    assert report.index("## Measured in the studio") < report.index("## Figures") and "![f](f.png)" in report


def test_refuses_rank_runs_and_unfinished_runs(tmp_path):
    pack = _pack(tmp_path)
    ranking = _lines(tmp_path / "r.jsonl", {"states": 1, "K": 8, "H": 2, "top1_hit_rate": 0, "chance": 0.125, "kendall_tau_mean": 0})
    rank = _lines(tmp_path / "rank.jsonl", {"mode": "rank", "episodes": 5, "successes": 1})
    unfinished = tmp_path / "cut.jsonl"
    unfinished.write_text('{"episode":0,"success":false}\n')
    for policy, words in ((rank, "only `policy run --mode off`"), (unfinished, "no summary line")):
        r = subprocess.run([sys.executable, str(SCRIPT), "--pack", str(pack), "--ranking", str(ranking), "--policy", str(policy)], capture_output=True, text=True)
        assert r.returncode != 0 and words in r.stderr
    assert json.loads((pack / "gwm_manifest.json").read_text())["evaluation"]["ranking"] is None


def test_records_the_imagination_eval_and_refuses_mixed_ways_of_running_the_policy(tmp_path):
    pack = _pack(tmp_path)
    ranking = _lines(tmp_path / "r.jsonl", {"states": 20, "K": 8, "H": 4, "top1_hit_rate": 0.3, "chance": 0.125, "kendall_tau_mean": 0.2})
    whole = _lines(tmp_path / "w.jsonl", {"mode": "off", "episodes": 10, "successes": 3, "execute_steps": 8})
    half = _lines(tmp_path / "h.jsonl", {"mode": "off", "episodes": 10, "successes": 5, "execute_steps": 4})
    variants = [{"name": "a", "episodes": 2, "real": 0.5, "predicted": 0.4}, {"name": "b", "episodes": 2, "real": 0.0, "predicted": 0.1}]
    ev = _lines(tmp_path / "e.jsonl", {"variants": variants, "pearson": 1.0, "spearman": 1.0, "auroc": 0.86, "episodes": 4, "H": 4, "pack": "p"})
    r = subprocess.run([sys.executable, str(SCRIPT), "--pack", str(pack), "--ranking", str(ranking), "--policy", str(whole), str(half)],
                       capture_output=True, text=True)
    assert r.returncode != 0 and "different steps per chunk ([4, 8])" in r.stderr
    subprocess.run([sys.executable, str(SCRIPT), "--pack", str(pack), "--ranking", str(ranking), "--policy", str(half), "--imagine-eval", str(ev)],
                   check=True, capture_output=True)
    got = json.loads((pack / "gwm_manifest.json").read_text())["evaluation"]
    assert got["policy_success_sim"]["execute_steps"] == 4 and got["policy_level_studio"]["auroc"] == 0.86
    assert got["policy_level_studio"]["variants"] == variants
    report = (pack / "REPORT.md").read_text()
    assert "5 of 10 episodes succeed (50 %; 5 / 10 per run; 4 steps of each chunk run before the next decision)" in report
    assert "episode AUROC 0.86 over 4 episodes; across 2 variants Pearson 1.00, Spearman 1.00" in report


def test_pools_ranking_runs_and_records_the_outcome_class_hit_rate(tmp_path):
    pack = _pack(tmp_path)
    a = _lines(tmp_path / "a.jsonl", {"states": 20, "K": 8, "H": 4, "top1_hit_rate": 0.25, "chance": 0.125, "kendall_tau_mean": 0.2,
                                      "outcome_top1_hit_rate": 0.8, "outcome_chance": 0.5})
    b = _lines(tmp_path / "b.jsonl", {"states": 10, "K": 8, "H": 4, "top1_hit_rate": 0.1, "chance": 0.125, "kendall_tau_mean": -0.1,
                                      "outcome_top1_hit_rate": 0.5, "outcome_chance": 0.8})
    off = _lines(tmp_path / "off.jsonl", {"mode": "off", "episodes": 10, "successes": 4})
    subprocess.run([sys.executable, str(SCRIPT), "--pack", str(pack), "--ranking", str(a), str(b), "--policy", str(off)], check=True, capture_output=True)
    rk = json.loads((pack / "gwm_manifest.json").read_text())["evaluation"]["ranking"]
    assert rk["states"] == 30 and rk["K"] == 8 and rk["H"] == 4
    assert abs(rk["top1_hit_rate"] - 0.2) < 1e-12 and abs(rk["kendall_tau_mean"] - 0.1) < 1e-12
    assert abs(rk["outcome_top1_hit_rate"] - 0.7) < 1e-12 and abs(rk["outcome_chance"] - 0.6) < 1e-12
    assert "top-1 0.20 over 30 states" in (pack / "REPORT.md").read_text()
    assert "by outcome class (lifted > grasped > neither) 0.70 against a chance of 0.60" in (pack / "REPORT.md").read_text()
    other = _lines(tmp_path / "c.jsonl", {"states": 5, "K": 8, "H": 2, "top1_hit_rate": 0, "chance": 0.125, "kendall_tau_mean": 0})
    r = subprocess.run([sys.executable, str(SCRIPT), "--pack", str(pack), "--ranking", str(a), str(other), "--policy", str(off)], capture_output=True, text=True)
    assert r.returncode != 0 and "differ in K or H" in r.stderr
