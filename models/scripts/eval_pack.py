"""Evaluate a finished pack from its ONNX graphs alone (no run directory, no checkpoints), with the same
code as `python -m gwmlite evaluate`: how an earlier pack is compared with a new one on the validation
split before deciding which to ship.

    models/.venv/bin/python models/scripts/eval_pack.py --pack models/packs/gwm-lite-sim-franka \
        --config models/configs/reference.json --data models/data/gwm --run-dir models/runs/old-pack [--split valid] [--variants DIR]

Writes RUN_DIR/evaluate-valid/ (REPORT.md, evaluation.json, figures); with --split test it would rewrite the
pack's report, so that needs --allow-test. The normalisation comes from the pack's manifest; the comparison
heads (current-state-only, oracle) are trained as in `evaluate` on this pack's latents."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import onnxruntime as ort
import torch

from gwmlite.config import load_config
from gwmlite.dataset import Normalizer
from gwmlite.evaluate import evaluate
from gwmlite.runtime import Run
from gwmlite.stages import encode_frames, load_data


class _Graph:
    def __init__(self, path: Path, threads: int):
        so = ort.SessionOptions()
        so.intra_op_num_threads = threads
        self.sess = ort.InferenceSession(str(path), so, providers=["CPUExecutionProvider"])
        self.inputs = [i.name for i in self.sess.get_inputs()]
        self.outputs = [o.name for o in self.sess.get_outputs()]

    def __call__(self, *args):
        feed = {n: np.ascontiguousarray(a.detach().cpu().numpy() if isinstance(a, torch.Tensor) else a, dtype=np.float32) for n, a in zip(self.inputs, args)}
        out = [torch.from_numpy(o) for o in self.sess.run(self.outputs, feed)]
        return out[0] if len(out) == 1 else tuple(out)


class _Success(_Graph):
    def __init__(self, path: Path, threads: int, temperature: float):
        super().__init__(path, threads)
        self.temperature = torch.tensor(temperature)


class PackModel:
    """The pack's graphs behind the attribute names the evaluation uses (encoder, decoder, denoiser, success)."""

    def __init__(self, pack: Path, threads: int = 1):
        self.manifest = json.loads((pack / "gwm_manifest.json").read_text())
        io = self.manifest["io"]
        self.encoder = _Graph(pack / io["encoder"]["file"], threads)
        self.decoder = _Graph(pack / io["decoder"]["file"], threads)
        self.denoiser = _Graph(pack / io["denoiser"]["file"], threads)
        self.success = _Success(pack / io["success"]["file"], threads, self.manifest["success"]["temperature"])

    def eval(self):
        return self


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--pack", required=True)
    p.add_argument("--config", required=True)
    p.add_argument("--data", required=True)
    p.add_argument("--run-dir", required=True)
    p.add_argument("--cache", default=None)
    p.add_argument("--variants", default=None)
    p.add_argument("--split", default="valid", choices=("valid", "test"))
    p.add_argument("--allow-test", action="store_true")
    p.add_argument("--threads", type=int, default=1)
    a = p.parse_args(argv)
    if a.split == "test" and not a.allow_test:
        print("error: --split test rewrites the pack's REPORT.md and evaluation; pass --allow-test to mean it", file=sys.stderr)
        return 2
    torch.set_num_threads(a.threads)
    pack = Path(a.pack)
    cfg = load_config(a.config)
    run = Run(a.run_dir, "cpu", progress=False)
    cache = a.cache or str(Path(a.run_dir).resolve().parent / "cache")
    model = PackModel(pack, a.threads)
    m = model.manifest
    norm = {"actions": m["actions"]["normalization"], "proprio": m["proprio"]["normalization"]}
    (run.dir / "normalization.json").write_text(json.dumps(norm, indent=2))  # load_data reads it instead of fitting
    data = load_data(cfg, a.data, cache, run)
    data.action_norm = Normalizer(np.array(norm["actions"]["mean"]), np.array(norm["actions"]["std"]))
    lat = {e.index: encode_frames(model, e, e.chunk_frame, run.device) for e in data.episodes}
    ev = evaluate(run, cfg, data, model, lat, pack, Path(a.variants) if a.variants else None, Path(cache), a.split)
    print(json.dumps({"split": ev["split"], "auroc_pre_grasp": ev["auroc"]}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
