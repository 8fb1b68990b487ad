"""How well does a run's autoencoder see the scene? Valid-split numbers for choosing between encoders.

    models/.venv/bin/python models/scripts/ae_probe.py --config models/configs/reference.json \
        --data models/data/gwm --run-dir models/runs/reference

1. Linear probes (ridge, fitted on train frames): observation latent → cube position and → gripper
   (end-effector) position; median error on valid frames. A policy or success head reading the latents
   cannot place the gripper on the cube more precisely than this.
2. The autoencoder's own flow error on the valid split: decoder(latent t, latent t+h, Gaussians t) against
   the true positions of the Gaussians on the gripper and the cube at t+h (h = 1 chunk), RMS in cm, beside
   copy-last (not moving them at all).

Reads the run's ae/final.pt (or its newest checkpoint with --checkpoint) and the lifted cache the trainer
made; prints one JSON line."""
from __future__ import annotations

import argparse
import json
import os
import sys

import numpy as np
import torch

from gwmlite.config import load_config
from gwmlite.geometry import flow_targets
from gwmlite.runtime import Run
from gwmlite.stages import build_model, focus_body_ids, load_data


def ridge_probe(Xt: np.ndarray, Yt: np.ndarray, Xv: np.ndarray, Yv: np.ndarray, ridge: float) -> float:
    mu, sd = Xt.mean(0), Xt.std(0) + 1e-6
    A = np.c_[(Xt - mu) / sd, np.ones(len(Xt))]
    ym = Yt.mean(0)
    W = np.linalg.solve(A.T @ A + ridge * np.eye(A.shape[1]), A.T @ (Yt - ym))
    pred = np.c_[(Xv - mu) / sd, np.ones(len(Xv))] @ W + ym
    return float(np.median(np.linalg.norm(pred - Yv, axis=1)))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--config", required=True)
    p.add_argument("--data", required=True)
    p.add_argument("--run-dir", required=True)
    p.add_argument("--cache", default=None)
    p.add_argument("--checkpoint", default=None, help="a checkpoint file instead of ae/final.pt")
    p.add_argument("--frame-stride", type=int, default=4)
    p.add_argument("--train-episodes", type=int, default=80)
    p.add_argument("--ridge", type=float, default=10.0)
    a = p.parse_args()
    cfg = load_config(a.config)
    run = Run(a.run_dir, "cpu", progress=False)
    cache = a.cache or os.path.join(os.path.dirname(os.path.abspath(a.run_dir)), "cache")
    data = load_data(cfg, a.data, cache, run)
    model = build_model(cfg)
    state = torch.load(a.checkpoint, map_location="cpu") if a.checkpoint else run.load_final("ae")
    mods = state["modules"] if "modules" in state else state["module"]
    if "modules" in state:
        model.encoder.load_state_dict(mods["encoder"]); model.decoder.load_state_dict(mods["decoder"])
    else:  # a fit() checkpoint of AeStage: encoder.* / decoder.* keys
        model.encoder.load_state_dict({k[8:]: v for k, v in mods.items() if k.startswith("encoder.")})
        model.decoder.load_state_dict({k[8:]: v for k, v in mods.items() if k.startswith("decoder.")})
    model.eval()
    names = data.export.bodies or []
    watch = focus_body_ids(names).tolist()

    def latents(e, frames):
        with torch.no_grad():
            return torch.cat([model.encoder(torch.from_numpy(e.g[frames[i:i + 64]]), torch.from_numpy(e.mask[frames[i:i + 64]]))
                              for i in range(0, len(frames), 64)]).reshape(len(frames), -1).numpy()

    sets: dict[str, dict[str, list]] = {s: {"X": [], "cube": [], "ee": []} for s in ("train", "valid")}
    train = [e for e in data.episodes if e.split == "train"][: a.train_episodes]
    for e in train + data.split("valid"):
        if e.object_pose is None:
            sys.exit(f"{a.data}: episode {e.index} has no privileged object pose — the probe needs the simulated rig's export")
        f = np.arange(0, len(e.frame_t_s), a.frame_stride)
        s = sets[e.split]
        s["X"].append(latents(e, f)); s["cube"].append(e.object_pose[f, :3]); s["ee"].append(e.ee_pose[f, :3])
    cat = {s: {k: np.concatenate(v) for k, v in d.items()} for s, d in sets.items()}
    out = {"run": a.run_dir, "valid_frames": len(cat["valid"]["X"])}
    for what in ("cube", "ee"):
        out[f"probe_{what}_median_cm"] = round(100 * ridge_probe(cat["train"]["X"], cat["train"][what], cat["valid"]["X"], cat["valid"][what], a.ridge), 2)

    err_model, err_copy = [], []
    for e in data.split("valid"):
        if e.body_poses is None:
            continue
        for k in range(e.num_chunks):
            t, t2 = int(e.chunk_frame[k]), int(e.chunk_frame[k + 1])
            xyz, valid = flow_targets(e.g[t, :, :3], e.body[t], e.body_poses[t], e.body_poses[t2])
            sel = valid & (e.mask[t] > 0) & np.isin(e.body[t], watch) if watch else valid & (e.mask[t] > 0)
            if not sel.any():
                continue
            with torch.no_grad():
                zs = model.encoder(torch.from_numpy(e.g[t:t + 1]), torch.from_numpy(e.mask[t:t + 1]))
                zt = model.encoder(torch.from_numpy(e.g[t2:t2 + 1]), torch.from_numpy(e.mask[t2:t2 + 1]))
                pred = model.decoder(zs, zt, torch.from_numpy(e.g[t:t + 1]))[0, :, :3].numpy()
            err_model.append(((pred[sel] - xyz[sel]) ** 2).sum(-1))
            err_copy.append(((e.g[t, sel, :3] - xyz[sel]) ** 2).sum(-1))
    if err_model:
        out["flow_rms_cm_gripper_cube_h1"] = round(100 * float(np.sqrt(np.concatenate(err_model).mean())), 2)
        out["copy_last_rms_cm_gripper_cube_h1"] = round(100 * float(np.sqrt(np.concatenate(err_copy).mean())), 2)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
