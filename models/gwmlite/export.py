"""ONNX export of the five graphs, the parity check against PyTorch, and the pack (gwm-lite §6.5–6.6).

A pack is a directory: gwm_manifest.json plus gwm_{encoder,decoder,denoiser,success,policy}.onnx (and
REPORT.md with figures after evaluation). It is written into a sibling temporary directory and renamed
into place, so no half-written pack is ever loadable."""
from __future__ import annotations

import hashlib
import json
import math
import os
import shutil
import subprocess
import time
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import torch
from torch import nn

from .config import RunConfig
from .lifting import GAUSSIAN_FIELDS
from .models import WorldModel
from .policy import policy_manifest

CONTRACT_VERSION = "gwm-contract/1"
OPSET = 17
PROPRIO_NAMES = ["x_m", "y_m", "z_m", "qw", "qx", "qy", "qz", "gripper_width_m"]


def graph_specs(cfg: RunConfig) -> dict[str, dict]:
    """Names, dtypes and symbolic shapes of every graph (normative; docs/world-model.md)."""
    m = cfg.model
    M, D, T, L, A = m.num_latents, m.latent_dim, m.context_frames, m.chunk_length, m.action_dim
    f = lambda name, shape: {"name": name, "dtype": "float32", "shape": shape}  # noqa: E731
    return {
        "encoder": {"file": "gwm_encoder.onnx", "inputs": [f("gaussians", ["B", "N", 14]), f("gaussian_mask", ["B", "N"])],
                    "outputs": [f("latent", ["B", M, D])]},
        "decoder": {"file": "gwm_decoder.onnx", "inputs": [f("latent_src", ["B", M, D]), f("latent_tgt", ["B", M, D]), f("query_gaussians", ["B", "Nq", 14])],
                    "outputs": [f("gaussians", ["B", "Nq", 14])]},
        "denoiser": {"file": "gwm_denoiser.onnx", "inputs": [f("noisy_latent", ["B", M, D]), f("sigma", ["B"]), f("context_latents", ["B", T, M, D]), f("actions", ["B", L, A])],
                     "outputs": [f("denoised_latent", ["B", M, D])]},
        "success": {"file": "gwm_success.onnx", "inputs": [f("latent_traj", ["B", "S", M, D])],
                    "outputs": [f("success_logit", ["B"]), f("success_prob", ["B"]), f("progress", ["B", "S"])]},
        "policy": {"file": "gwm_policy.onnx", "inputs": [f("latent", ["B", M, D]), f("proprio", ["B", m.proprio_dim]), f("policy_noise", ["B", m.policy_noise_dim])],
                   "outputs": [f("actions", ["B", L, A])]},
    }


def example_inputs(cfg: RunConfig, b: int, gen: torch.Generator, n: int = 300, s: int = 3) -> dict[str, dict[str, torch.Tensor]]:
    m = cfg.model
    M, D, T, L, A = m.num_latents, m.latent_dim, m.context_frames, m.chunk_length, m.action_dim
    lo, hi = torch.tensor(cfg.lifting.crop_min_m), torch.tensor(cfg.lifting.crop_max_m)
    g = torch.zeros(b, n, 14)
    g[..., :3] = lo + (hi - lo) * torch.rand(b, n, 3, generator=gen)
    g[..., 3:6] = 0.005 + 0.01 * torch.rand(b, n, 1, generator=gen)
    g[..., 6] = 1
    g[..., 10:13] = torch.rand(b, n, 3, generator=gen)
    g[..., 13] = 0.9
    mask = torch.ones(b, n)
    mask[:, n - 7:] = 0
    r = lambda *shape: torch.randn(*shape, generator=gen) * 0.5  # noqa: E731
    return {
        "encoder": {"gaussians": g, "gaussian_mask": mask},
        "decoder": {"latent_src": r(b, M, D), "latent_tgt": r(b, M, D), "query_gaussians": g},
        "denoiser": {"noisy_latent": r(b, M, D) * 4, "sigma": torch.rand(b, generator=gen) * 3 + 0.01, "context_latents": r(b, T, M, D), "actions": r(b, L, A)},
        "success": {"latent_traj": r(b, s, M, D)},
        "policy": {"latent": r(b, M, D), "proprio": r(b, m.proprio_dim), "policy_noise": torch.randn(b, m.policy_noise_dim, generator=gen)},
    }


class _Graph(nn.Module):
    """Positional-argument adapter so torch.onnx.export sees exactly the contract's inputs."""

    def __init__(self, fn):
        super().__init__()
        self.fn = fn

    def forward(self, *args):
        return self.fn(*args)


def graph_modules(model: WorldModel) -> dict[str, nn.Module]:
    return {"encoder": model.encoder, "decoder": model.decoder, "denoiser": model.denoiser, "success": model.success, "policy": model.policy}


def export_graph(module: nn.Module, spec: dict, inputs: dict[str, torch.Tensor], path: Path) -> None:
    dyn = {}
    for io in spec["inputs"] + spec["outputs"]:
        axes = {i: d for i, d in enumerate(io["shape"]) if isinstance(d, str)}
        if axes:
            dyn[io["name"]] = axes
    args = tuple(inputs[i["name"]] for i in spec["inputs"])
    module.eval()
    with torch.no_grad():
        torch.onnx.export(module, args, str(path), dynamo=False, opset_version=OPSET, do_constant_folding=True,
                          input_names=[i["name"] for i in spec["inputs"]], output_names=[o["name"] for o in spec["outputs"]],
                          dynamic_axes=dyn)
    onnx.checker.check_model(onnx.load(str(path)))


def parity(module: nn.Module, spec: dict, path: Path, batches: list[dict[str, torch.Tensor]]) -> float:
    """Max |PyTorch − onnxruntime| over all outputs and the given batches."""
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    worst = 0.0
    for inp in batches:
        with torch.no_grad():
            ref = module(*[inp[i["name"]] for i in spec["inputs"]])
        ref = ref if isinstance(ref, tuple) else (ref,)
        got = sess.run([o["name"] for o in spec["outputs"]], {k: v.numpy() for k, v in inp.items()})
        for r, g in zip(ref, got):
            worst = max(worst, float(np.abs(r.numpy() - g).max()))
    return worst


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def git_commit() -> str | None:
    try:
        return subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, check=True, cwd=Path(__file__).parent).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None


def build_manifest(cfg: RunConfig, data, model: WorldModel) -> dict:
    ex = data.export
    m = cfg.model
    anchors = {"kind": "grid", "per_axis": m.anchors_per_axis, "bounds_min_m": list(cfg.lifting.crop_min_m), "bounds_max_m": list(cfg.lifting.crop_max_m), "order": "x fastest, then y, then z"}
    cams = {}
    for c in ex.cameras.values():
        cams[c.name] = {"role": c.role, "width": c.width, "height": c.height, "intrinsics": {"fx_px": c.fx, "fy_px": c.fy, "cx_px": c.cx, "cy_px": c.cy},
                        "world_from_camera": c.world_from_camera.tolist(), "color_space": c.color_space, "depth_unit": ex.depth_unit}
    idx = ex.index
    train = [e for e in data.episodes if e.split == "train"]
    return {
        "contract_version": CONTRACT_VERSION,
        "model_name": cfg.name,
        "model_version": "0.1.0",
        "created_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "git_commit": git_commit(),
        "license": "Apache-2.0",
        "training_data": {"format": idx["format"], "version": idx["version"], "episodes": len(data.episodes), "train_episodes": len(train),
                          "dataset_sha256": hashlib.sha256((ex.root / "index.json").read_bytes()).hexdigest(),
                          "privileged": bool(ex.has_privileged)},
        "opset": OPSET,
        "onnxruntime_version_tested": ort.__version__,
        "execution_providers_tested": ["CPUExecutionProvider"],
        "frames": {"world": "robot base", "units": "m", "up_axis": "+z", "camera_axes": "OpenCV (+z forward, +x right, +y down)"},
        "cameras": cams,
        "lifting": {**cfg.lifting.to_json(), "cameras": [c.name for c in ex.train_cameras], "fusion": "concatenate the pixels of the train cameras in name order, then voxelise",
                    "pixel_centre": "(u + 0.5 − cx)/fx · depth", "tcp": "ee_pose xyz at the observation",
                    "algorithm": "docs/world-model.md#lifting"},
        "gaussians": {"fields": list(GAUSSIAN_FIELDS), "scale": "linear m", "quaternion": "unit wxyz", "color": "linear RGB [0,1]", "opacity": "post-sigmoid", "sh_degree": 0},
        "latent": {"M": m.num_latents, "D": m.latent_dim, "anchors": anchors, "latent_scale": float(model.encoder.latent_scale)},
        "actions": {"names": list(ex.action_names), "kind": "delta", "frame": "base", "layout": idx.get("actions", {}).get("layout"),
                    "control_hz": ex.control_hz, "chunk_length": ex.chunk_length, "dt_per_wm_step_s": ex.chunk_length / ex.control_hz,
                    "normalization": data.action_norm.to_json(), "gripper": "0 open … 1 closed"},
        "proprio": {"names": PROPRIO_NAMES, "normalization": data.proprio_norm.to_json()},
        "dynamics": {"sigma_data": cfg.edm.sigma_data, "P_mean": cfg.edm.p_mean, "P_std": cfg.edm.p_std, "sigma_offset_noise": 0.0,
                     "c_noise": "ln(sigma)/4", "context_frames": m.context_frames, "context_order": "oldest → newest; before the first chunk the first frame repeats",
                     "max_recommended_horizon": 4},
        "sampler": {"method": "euler", "order": 1, "steps": cfg.edm.steps, "sigma_min": cfg.edm.sigma_min, "sigma_max": cfg.edm.sigma_max, "rho": cfg.edm.rho,
                    "s_cond": 0.0, "init": "x = sigma_max · eps, eps ~ N(0, I) shared by all candidates (common random numbers)"},
        "success": {"label": "episode success (sim.success at the end of the episode, or the operator's outcome)", "horizon": cfg.success.horizon,
                    "temperature": float(model.success.temperature), "threshold": 0.5,
                    "progress": "1 − object–target distance / its initial value, clipped to [0, 1]"},
        "policy": {"kind": "conditional VAE (ACT-style)", "noise_dim": m.policy_noise_dim, "noise": "policy_noise ~ N(0, I); zeros for the mode",
                   "output": "normalised actions; actions = output · std + mean (actions.normalization)", **policy_manifest(cfg.policy)},
        "evaluation": None,
    }


def write_pack(run, cfg: RunConfig, data, model: WorldModel, pack: Path) -> dict:
    pack = Path(pack)
    tmp = pack.with_name(f".{pack.name}.tmp-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    try:
        manifest = _write_graphs(cfg, data, model, tmp)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    old = pack.with_name(f".{pack.name}.old-{os.getpid()}")
    if pack.exists():
        os.replace(pack, old)
    os.replace(tmp, pack)
    shutil.rmtree(old, ignore_errors=True)
    run.log("export", {"pack": str(pack), "parity": manifest["parity_max_abs_error"]})
    return manifest


def _write_graphs(cfg: RunConfig, data, model: WorldModel, tmp: Path) -> dict:
    specs = graph_specs(cfg)
    mods = graph_modules(model)
    gen = torch.Generator().manual_seed(1234)
    examples = [example_inputs(cfg, b, gen, n=n, s=s) for b, n, s in ((1, 300, 2), (3, 257, 3), (8, 200, 5))]
    manifest = build_manifest(cfg, data, model)
    manifest["io"] = {k: {"file": v["file"], "inputs": v["inputs"], "outputs": v["outputs"]} for k, v in specs.items()}
    meta = json.dumps({k: v for k, v in manifest.items() if k not in ("evaluation",)})
    report = {}
    for name, spec in specs.items():
        path = tmp / spec["file"]
        export_graph(mods[name], spec, examples[1][name], path)
        proto = onnx.load(str(path))
        entry = proto.metadata_props.add()
        entry.key, entry.value = "gwm_contract", meta
        onnx.save(proto, str(path))
        report[name] = parity(mods[name], spec, path, [e[name] for e in examples])
        if report[name] > 1e-4:
            raise RuntimeError(f"ONNX parity failed for {spec['file']}: max |torch − onnxruntime| = {report[name]:.2e} > 1e-4")
    manifest["files"] = {spec["file"]: sha256(tmp / spec["file"]) for spec in specs.values()}
    manifest["parity_max_abs_error"] = report
    (tmp / "gwm_manifest.json").write_text(dump_json(manifest))
    return manifest


def json_safe(obj):
    """NaN and infinities (an AUROC with one class, an empty subset) become null: the manifest is read
    by JSON.parse in the studio, which rejects NaN."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: json_safe(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [json_safe(v) for v in obj]
    return obj


def dump_json(obj) -> str:
    return json.dumps(json_safe(obj), indent=2, allow_nan=False)


def update_manifest(pack: Path, **fields) -> None:
    p = Path(pack) / "gwm_manifest.json"
    m = json.loads(p.read_text())
    m.update(fields)
    tmp = p.with_name(p.name + ".tmp")
    tmp.write_text(dump_json(m))
    os.replace(tmp, p)
