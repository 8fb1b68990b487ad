"""Runs the requested stages in order; earlier stages must have finished (or be requested too)."""
from __future__ import annotations

import json
import time
from pathlib import Path

from .config import RunConfig
from .runtime import Run
from .stages import build_model, load_data, load_stages, stage_ae, stage_dynamics, stage_latents, stage_policy, stage_success

ORDER = ("ae", "latents", "dynamics", "success", "policy", "export", "evaluate")
NEEDS = {"ae": (), "latents": ("ae",), "dynamics": ("latents",), "success": ("dynamics",), "policy": ("latents",),
         "export": ("success", "policy"), "evaluate": ("export",)}


def required(stages) -> set[str]:
    out: set[str] = set()
    todo = list(stages)
    while todo:
        s = todo.pop()
        for n in NEEDS[s]:
            if n not in out:
                out.add(n)
                todo.append(n)
    return out


def run_stages(run: Run, cfg: RunConfig, data_dir: str, cache: str, stages, pack_dir: str | None = None, variants: str | None = None,
               split: str = "test") -> None:
    needed = required(stages)
    pack = Path(pack_dir) if pack_dir else run.dir / "pack"

    def finished(s: str) -> bool:
        return (pack / "gwm_manifest.json").exists() if s == "export" else run.done(s)

    for s in needed - set(stages):
        if s not in ("latents",) and not finished(s):
            raise FileNotFoundError(f"stage '{s}' has not finished in {run.dir} — run `python -m gwmlite {s}` (or `all`) first")
    if run.main:
        (run.dir / "config.json").write_text(json.dumps(cfg.to_json(), indent=2))
    timings: dict[str, float] = {}
    t0 = time.time()
    data = load_data(cfg, data_dir, cache, run)
    timings["load_and_lift"] = time.time() - t0
    model = build_model(cfg).to(run.device)
    lat_box: dict = {"lat": None}
    for s in ORDER:
        if s not in stages and s not in needed:
            continue
        t0 = time.time()
        _run_stage(s, run, cfg, data, model, stages, pack, variants, cache, lat_box, split)
        if s in stages:
            timings[s] = time.time() - t0
    if run.main:
        _record_timings(run, timings)


def _record_timings(run: Run, timings: dict[str, float]) -> None:
    """Wall-clock seconds per stage, appended per invocation to RUN/timings.jsonl (BENCHMARKS.md)."""
    import os
    with (run.dir / "timings.jsonl").open("a") as f:
        f.write(json.dumps({"threads": __import__("torch").get_num_threads(), "cpus": os.cpu_count(),
                            "seconds": {k: round(v, 1) for k, v in timings.items()}}) + "\n")


def _run_stage(s: str, run: Run, cfg: RunConfig, data, model, stages, pack: Path, variants: str | None, cache: str, lat_box: dict,
               split: str = "test") -> None:
    if s == "ae":
        stage_ae(run, cfg, data, model) if not run.done("ae") else load_stages(run, model, ["ae"])
    elif s == "latents":
        lat_box["lat"] = stage_latents(run, cfg, data, model)
    elif s in ("dynamics", "success", "policy"):
        if run.done(s):
            load_stages(run, model, [s])
        else:
            {"dynamics": stage_dynamics, "success": stage_success, "policy": stage_policy}[s](run, cfg, data, model, lat_box["lat"])
    elif s == "export" and s in stages and run.main:
        from .export import write_pack
        write_pack(run, cfg, data, model, pack)
    elif s == "evaluate" and run.main:
        from .evaluate import evaluate
        evaluate(run, cfg, data, model, lat_box["lat"], pack, Path(variants) if variants else None, Path(cache), split)
