"""Policy lab: train chunk-policy variants on a finished pack's encoder, without its torch weights.

    # 1. every frame of the export through the pack's gwm_encoder.onnx (cached), plus the labels
    models/.venv/bin/python models/scripts/policy_lab.py encode --pack models/packs/gwm-lite-sim-franka \
        --data models/data/gwm --out models/runs/policy-lab
    # 2. linear probes latent → cube / target position (valid split)
    models/.venv/bin/python models/scripts/policy_lab.py probe --out models/runs/policy-lab
    # 3. the mode's offline error (L1 to the expert chunk, valid split) of any pack's policy
    models/.venv/bin/python models/scripts/policy_lab.py modeval --pack models/packs/gwm-lite-sim-franka --out models/runs/policy-lab
    # 4. train a variant (keys of the configs' "policy" section, JSON values) and write a scratch pack
    models/.venv/bin/python models/scripts/policy_lab.py train --pack models/packs/gwm-lite-sim-franka \
        --out models/runs/policy-lab --name v2-canon-delta --fresh --set 'arch="mlp"' --set mlp_width=256 \
        --set deterministic=true --set canonical_quat=true --set 'frames="all"' --set steps=1000 --set batch=128 --set lr=0.001

The scratch pack is a copy of --pack with gwm_policy.onnx replaced and its `files` hash, the manifest's
`policy` section and the policy parity updated (the proprio normalisation is unchanged). Evaluate it with
`node bin/studio.js policy run --sim --pack <out>/pack-<name> --episodes 20 --mode off`."""
from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import sys
import time
from pathlib import Path

import numpy as np
import onnxruntime as ort
import torch

from gwmlite.config import PolicyConfig, _build
from gwmlite.data import GwmExport
from gwmlite.dataset import Normalizer, cache_key
from gwmlite.lifting import LiftingConfig
from gwmlite.models import ChunkPolicy, ModelConfig


def _session(path: Path, threads: int) -> ort.InferenceSession:
    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    return ort.InferenceSession(str(path), so, providers=["CPUExecutionProvider"])


def cmd_encode(a) -> None:
    pack = Path(a.pack)
    man = json.loads((pack / "gwm_manifest.json").read_text())
    out = Path(a.out) / "latents"
    out.mkdir(parents=True, exist_ok=True)
    export = GwmExport(a.data)
    lcfg = LiftingConfig.from_json({k: v for k, v in man["lifting"].items() if k in LiftingConfig().to_json()})
    cache = Path(a.cache) / cache_key(export, lcfg)
    if not cache.exists():
        sys.exit(f"{cache}: no lifted cache for this export and the pack's lifting — run the trainer once (python -m gwmlite latents …)")
    enc = _session(pack / "gwm_encoder.onnx", a.threads)
    t0 = time.time()
    for n, ep in enumerate(export.episodes):
        dst = out / f"{ep.index:06d}.npz"
        if dst.exists() or ep.num_chunks == 0:
            continue
        if ep.split not in a.splits.split(",") or n % a.shards != a.shard:
            continue
        z = np.load(cache / f"{ep.index:06d}.npz")
        frames = np.arange(0, ep.num_frames, a.frame_stride)
        g, m = z["g"][frames], z["mask"][frames]
        lat = np.concatenate([enc.run(["latent"], {"gaussians": g[i:i + a.batch], "gaussian_mask": m[i:i + a.batch]})[0]
                              for i in range(0, len(g), a.batch)]).astype(np.float16)
        labels = dict(latent=lat, frames=frames, ee_pose=ep.load("ee_pose").astype(np.float32), gripper_m=ep.load("state")[:, -1].astype(np.float32),
                      actions=ep.load("actions").astype(np.float32), frame_t_s=ep.load("frame_t_s"), chunk_frame=ep.chunk_frames(),
                      explore=(ep.load("action_explore").astype(bool) if ep.has("action_explore") else np.zeros(ep.load("actions").shape[:2], bool)),
                      phase=(ep.load("phase") if ep.has("phase") else np.zeros(len(g), np.int32)),
                      success=np.array(bool(ep.success)), split=np.array(ep.split))
        for k in ("priv_object_poses", "priv_target_pose"):
            if ep.has(k):
                labels[k] = ep.load(k).astype(np.float32)
        tmp = dst.with_suffix(".tmp.npz")
        np.savez(tmp, **labels)
        tmp.replace(dst)
        print(f"{n + 1}/{len(export.episodes)} episode {ep.index}: {len(g)} frames, {time.time() - t0:.0f} s", flush=True)


def load_lab(out: Path) -> list:
    from gwmlite.policy import PolicyEpisode
    eps = []
    for f in sorted((out / "latents").glob("*.npz")):
        if f.name.endswith(".tmp.npz"):
            continue
        z = np.load(f)
        eps.append(PolicyEpisode(
            index=int(f.stem), split=str(z["split"]), success=bool(z["success"]), latent=z["latent"], ee_pose=z["ee_pose"],
            gripper_m=z["gripper_m"], actions=z["actions"], explore=z["explore"], frame_t_s=z["frame_t_s"],
            object_pose=z["priv_object_poses"][:, 0] if "priv_object_poses" in z else None,
            target_pose=z["priv_target_pose"] if "priv_target_pose" in z else None, frames=z["frames"]))
    return eps


def cmd_probe(a) -> None:
    eps = load_lab(Path(a.out))
    def xy(split, what):
        X, Y = [], []
        for e in eps:
            if e.split != split:
                continue
            y = (e.object_pose if what == "cube" else e.target_pose)[e.frames, :3]
            X.append(e.latent.reshape(len(e.latent), -1).astype(np.float32)); Y.append(y)
        return np.concatenate(X), np.concatenate(Y)
    for what in ("cube", "target"):
        Xt, Yt = xy("train", what)
        Xv, Yv = xy("valid", what)
        mu, sd = Xt.mean(0), Xt.std(0) + 1e-6
        A = np.c_[(Xt - mu) / sd, np.ones(len(Xt))]
        ym = Yt.mean(0)
        W = np.linalg.solve(A.T @ A + a.ridge * np.eye(A.shape[1]), A.T @ (Yt - ym))
        pred = np.c_[(Xv - mu) / sd, np.ones(len(Xv))] @ W + ym
        err = np.abs(pred - Yv)
        base = np.abs(Yv - Yt.mean(0))
        print(json.dumps({"probe": what, "valid_frames": len(Xv), "mae_m_xyz": err.mean(0).round(4).tolist(),
                          "median_err_m": float(np.median(np.linalg.norm(pred - Yv, axis=1))),
                          "mean_predictor_mae_m_xyz": base.mean(0).round(4).tolist()}))


def _parse_sets(items: list[str]) -> dict:
    d = {}
    for s in items:
        k, v = s.split("=", 1)
        d[k] = json.loads(v)
    return d


def _norms(man: dict):
    an = Normalizer(np.array(man["actions"]["normalization"]["mean"]), np.array(man["actions"]["normalization"]["std"]))
    pn = Normalizer(np.array(man["proprio"]["normalization"]["mean"]), np.array(man["proprio"]["normalization"]["std"]))
    return an, pn


def _onnx_policy(path: Path, threads: int = 1):
    sess = _session(path, threads)
    return lambda lat, prop, noise: sess.run(["actions"], {"latent": lat, "proprio": prop, "policy_noise": noise})[0]


def cmd_modeval(a) -> None:
    """The mode's L1 against the expert chunk on the valid split, for a pack's gwm_policy.onnx."""
    from gwmlite.policy import PolicyData, mode_l1
    pack = Path(a.pack)
    man = json.loads((pack / "gwm_manifest.json").read_text())
    an, pn = _norms(man)
    pc = PolicyConfig(frames="boundaries")
    data = PolicyData(load_lab(Path(a.out)), an, pn, pc, 8, man["actions"]["control_hz"], split="valid")
    print(json.dumps({"pack": str(pack), **mode_l1(_onnx_policy(pack / "gwm_policy.onnx"), data, man["policy"]["noise_dim"])}))


def cmd_train(a) -> None:
    from gwmlite.policy import IOPolicyStage, PolicyData, io_batch_fn, make_policy, mode_l1, policy_manifest
    from gwmlite.export import parity
    from gwmlite.runtime import Run, fit
    out = Path(a.out)
    pack = Path(a.pack)
    man = json.loads((pack / "gwm_manifest.json").read_text())
    base = json.loads(Path(a.config).read_text()).get("policy", {}) if a.config else {}
    pc = _build(PolicyConfig, {**base, **_parse_sets(a.set)}, "--set")
    torch.manual_seed(a.seed)
    torch.set_num_threads(a.threads)
    mcfg = ModelConfig()
    eps = load_lab(out)
    an, pn = _norms(man)
    control_hz = man["actions"]["control_hz"]
    data = PolicyData(eps, an, pn, pc, mcfg.chunk_length, control_hz)
    policy = make_policy(mcfg, pc)
    io = policy.io
    P, C = data.all_raw()
    io.fit(P, C, pn, an)
    run_dir = out / f"run-{a.name}"
    if run_dir.exists() and a.fresh:
        shutil.rmtree(run_dir)
    run = Run(run_dir, progress=False)
    print(json.dumps({"name": a.name, "samples": len(data.samples), "config": pc.__dict__}), flush=True)
    fit(run, "policy", IOPolicyStage(policy, pc), io_batch_fn(data, io, pc, mcfg.policy_noise_dim), pc, a.seed)
    policy.eval()
    valid = PolicyData(eps, an, pn, PolicyConfig(frames="boundaries"), mcfg.chunk_length, control_hz, split="valid") if any(e.split == "valid" for e in eps) else None
    torch_fn = lambda l, p, n: policy(torch.from_numpy(l), torch.from_numpy(p), torch.from_numpy(n)).detach().numpy()  # noqa: E731
    dst = out / f"pack-{a.name}"
    tmp = out / f".pack-{a.name}.tmp"
    if tmp.exists():
        shutil.rmtree(tmp)
    shutil.copytree(pack, tmp)
    spec = man["io"]["policy"]
    export_graph(policy, spec, tmp / "gwm_policy.onnx")
    gen = torch.Generator().manual_seed(0)
    batches = [{"latent": torch.randn(b, mcfg.num_latents, mcfg.latent_dim, generator=gen) * 0.5, "proprio": torch.randn(b, mcfg.proprio_dim, generator=gen),
                "policy_noise": torch.randn(b, mcfg.policy_noise_dim, generator=gen)} for b in (1, 3, 8)]
    err = parity(policy, spec, tmp / "gwm_policy.onnx", batches)
    if err > 1e-4:
        sys.exit(f"policy parity {err} > 1e-4")
    m = json.loads((tmp / "gwm_manifest.json").read_text())
    m["files"]["gwm_policy.onnx"] = hashlib.sha256((tmp / "gwm_policy.onnx").read_bytes()).hexdigest()
    m["policy"] = {**m["policy"], **policy_manifest(pc)}
    m["parity_max_abs_error"]["policy"] = err
    m["model_version"] = f"{man['model_version']}+policy-{a.name}"
    (tmp / "gwm_manifest.json").write_text(json.dumps(m, indent=2))
    if dst.exists():
        shutil.rmtree(dst)
    tmp.rename(dst)
    res = {"name": a.name, "pack": str(dst), "parity_max_abs_error": err,
           "valid": mode_l1(_onnx_policy(dst / "gwm_policy.onnx"), valid, mcfg.policy_noise_dim) if valid else None}
    (run_dir / "result.json").write_text(json.dumps(res, indent=2))
    print(json.dumps(res), flush=True)


def export_graph(module, spec: dict, path: Path) -> None:
    from gwmlite.export import export_graph as _export
    names = {i["name"]: i for i in spec["inputs"]}
    # export_graph wants {name, shape} with symbolic dims as strings; the manifest's io has the same layout
    _export(module, spec, {n: torch.zeros([1 if isinstance(d, str) else d for d in names[n]["shape"]]) for n in names}, path)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    e = sub.add_parser("encode")
    e.add_argument("--pack", required=True); e.add_argument("--data", required=True); e.add_argument("--out", required=True)
    e.add_argument("--cache", default=str(Path(__file__).resolve().parents[1] / "runs" / "cache"))
    e.add_argument("--threads", type=int, default=1); e.add_argument("--batch", type=int, default=16)
    e.add_argument("--frame-stride", type=int, default=2, help="encode every n-th frame (chunk boundaries are every 4th at 5 Hz)")
    e.add_argument("--splits", default="train,valid")
    e.add_argument("--shard", type=int, default=0); e.add_argument("--shards", type=int, default=1)
    pr = sub.add_parser("probe")
    pr.add_argument("--out", required=True); pr.add_argument("--ridge", type=float, default=10.0)
    t = sub.add_parser("train")
    t.add_argument("--pack", required=True); t.add_argument("--out", required=True); t.add_argument("--name", required=True)
    t.add_argument("--config", help="a gwmlite config whose policy section is the base"); t.add_argument("--set", action="append", default=[])
    t.add_argument("--seed", type=int, default=0); t.add_argument("--threads", type=int, default=1)
    t.add_argument("--fresh", action="store_true", help="delete the variant's run directory first (else fit resumes)")
    mv = sub.add_parser("modeval")
    mv.add_argument("--pack", required=True); mv.add_argument("--out", required=True)
    a = p.parse_args()
    {"encode": cmd_encode, "probe": cmd_probe, "train": cmd_train, "modeval": cmd_modeval}[a.cmd](a)


if __name__ == "__main__":
    main()
