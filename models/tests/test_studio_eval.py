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
    assert ev["policy_success_sim"] == {"mode": "off", "episodes": 100, "successes": 38, "success_rate": 0.38}
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
