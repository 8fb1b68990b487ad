"""`python -m gwmlite STAGE --config C --data EXPORT --run-dir DIR`: one entry point per stage and `all`.

Stages: ae, latents, dynamics, success, policy, export, evaluate, all. Every stage resumes from its
last checkpoint; finished stages are skipped unless --force. Under torchrun the training stages run
data-parallel (gloo on CPU, NCCL on CUDA)."""
from __future__ import annotations

import argparse
import os
import shutil
import sys
import time

import torch

from .config import load_config
from .data import ExportError
from .runtime import Run, init_distributed

STAGES = ("ae", "latents", "dynamics", "success", "policy", "export", "evaluate")


def parse(argv):
    p = argparse.ArgumentParser(prog="python -m gwmlite", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("stage", choices=STAGES + ("all",))
    p.add_argument("--config", required=True, help="models/configs/*.json")
    p.add_argument("--data", required=True, help="a GWM export (studio export --format gwm)")
    p.add_argument("--run-dir", "--run_dir", dest="run", required=True, help="run directory: checkpoints, metrics.jsonl, the pack")
    p.add_argument("--cache", default=None, help="lifted-Gaussian cache (default: RUN_DIR/../cache)")
    p.add_argument("--pack", default=None, help="where `export` writes the pack (default: RUN_DIR/pack)")
    p.add_argument("--variants", default=None, help="evaluate: an evaluation-only export of policy variants for the policy-level test")
    p.add_argument("--split", default="test", choices=("test", "valid"),
                   help="evaluate: test (REPORT.md and the manifest's evaluation in the pack) or valid (RUN_DIR/evaluate-valid/, for decisions)")
    p.add_argument("--device", default="cpu", help="cpu or cuda[:N]")
    p.add_argument("--threads", type=int, default=None, help="torch intra-op threads (default: torch's choice)")
    p.add_argument("--force", action="store_true", help="re-run the stage even if it finished")
    p.add_argument("--no-progress", action="store_true")
    return p.parse_args(argv)


def main(argv=None) -> int:
    a = parse(sys.argv[1:] if argv is None else argv)
    if a.device.startswith("cuda") and not torch.cuda.is_available():
        print("error: --device cuda but torch sees no CUDA device — use --device cpu, or install a CUDA driver", file=sys.stderr)
        return 2
    if a.threads:
        torch.set_num_threads(a.threads)
    try:
        cfg = load_config(a.config)
    except ValueError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    init_distributed(a.device)
    run = Run(a.run, a.device, progress=not a.no_progress)
    cache = a.cache or os.path.join(os.path.dirname(os.path.abspath(a.run)), "cache")
    stages = STAGES if a.stage == "all" else (a.stage,)
    if a.force and run.main:
        for s in stages:
            shutil.rmtree(run.stage_dir(s), ignore_errors=True)
    try:
        from .pipeline import run_stages
        t0 = time.time()
        run_stages(run, cfg, a.data, cache, stages, pack_dir=a.pack, variants=a.variants, split=a.split)
        if run.main:
            print(f"done: {', '.join(stages)} in {time.time() - t0:.0f} s → {run.dir}")
    except (ExportError, FileNotFoundError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    finally:
        if torch.distributed.is_initialized():
            torch.distributed.destroy_process_group()
    return 0
