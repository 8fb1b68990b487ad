"""Write the imagination fixture the studio's engine (main/imagination/engine.ts) must reproduce with the
same pack in onnxruntime-node: from the lifting fixture's Gaussians, encode → context (the latent
repeated, as before the first chunk) → K raw candidate chunks (normalised by the manifest) rolled out H
steps with shared noise (gwmlite.edm.rollout) → the success head on [z_t, imagined…] padded to its
horizon by repeating the last (as gwmlite.stages.build_trajectories does) → every imagined step decoded
from (z_t, z_h) with the observation's Gaussians as queries; and the policy's chunk for given noise.
All graphs run in Python's onnxruntime; the assembly is gwmlite's.

Usage: models/.venv/bin/python models/scripts/make_imagine_fixtures.py [PACK]
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import onnxruntime as ort
import torch

from gwmlite.edm import EdmConfig, rollout

ROOT = Path(__file__).resolve().parents[2]
LIFT = ROOT / "test" / "fixtures" / "gwm" / "lifting"
OUT = ROOT / "test" / "fixtures" / "gwm" / "imagine"


def main() -> None:
    pack = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "models" / "packs" / "gwm-lite-sim-franka"
    m = json.loads((pack / "gwm_manifest.json").read_text())
    sess = {g: ort.InferenceSession(str(pack / m["io"][g]["file"]), providers=["CPUExecutionProvider"]) for g in ("encoder", "denoiser", "success", "decoder", "policy")}
    s = m["sampler"]
    cfg = EdmConfig(steps=s["steps"], sigma_min=s["sigma_min"], sigma_max=s["sigma_max"], rho=s["rho"])
    M, D = m["latent"]["M"], m["latent"]["D"]
    T, L, A = m["dynamics"]["context_frames"], m["actions"]["chunk_length"], len(m["actions"]["names"])
    S = m["success"]["horizon"] + 1
    mean = np.asarray(m["actions"]["normalization"]["mean"], np.float32)
    std = np.asarray(m["actions"]["normalization"]["std"], np.float32)
    pmean = np.asarray(m["proprio"]["normalization"]["mean"], np.float32)
    pstd = np.asarray(m["proprio"]["normalization"]["std"], np.float32)

    N = m["lifting"]["num_gaussians"]
    gaussians = np.fromfile(LIFT / "expected_sim_gaussians.bin", np.float32).reshape(N, 14)
    mask = np.fromfile(LIFT / "expected_sim_mask.bin", np.float32).reshape(N)
    z = sess["encoder"].run(["latent"], {"gaussians": gaussians[None], "gaussian_mask": mask[None]})[0][0]

    K, H = 3, 2
    gen = torch.Generator().manual_seed(11)
    normalised = torch.randn(K, H, L, A, generator=gen).float() * 0.5
    normalised[2] = normalised[0]  # a repeated candidate: common random numbers make its future identical
    raw = (normalised.numpy() * std + mean).astype(np.float32)
    noise = torch.randn(H, 1, M, D, generator=gen).float()

    def denoise(x, sigma, ctx, actions):
        return torch.from_numpy(sess["denoiser"].run(["denoised_latent"], {"noisy_latent": x.numpy(), "sigma": sigma.numpy(), "context_latents": ctx.numpy(), "actions": actions.numpy()})[0])

    context = torch.from_numpy(np.repeat(z[None, None], T, axis=1)).expand(K, -1, -1, -1).contiguous()
    # The studio normalises the raw actions itself: feed the same float32 values it will compute.
    chunks = torch.from_numpy(((raw - mean) / std).astype(np.float32))
    imagined = rollout(denoise, context, chunks, noise, cfg).numpy()  # (K, H, M, D)
    traj = np.stack([np.concatenate([z[None], imagined[k], np.repeat(imagined[k, -1:], S - 1 - H, axis=0)]) for k in range(K)]).astype(np.float32)
    logit, prob, progress = sess["success"].run(["success_logit", "success_prob", "progress"], {"latent_traj": traj})
    src = np.repeat(z[None], K * H, axis=0)
    decoded = sess["decoder"].run(["gaussians"], {"latent_src": src, "latent_tgt": imagined.reshape(K * H, M, D), "query_gaussians": np.repeat(gaussians[None], K * H, axis=0)})[0]

    Z = m["policy"]["noise_dim"]
    proprio = np.asarray([0.45, -0.1, 0.2, 0.0, 1.0, 0.0, 0.0, 0.05], np.float32)
    policy_noise = torch.randn(K, Z, generator=gen).float().numpy()
    policy_out = sess["policy"].run(["actions"], {"latent": np.repeat(z[None], K, axis=0), "proprio": np.repeat(((proprio - pmean) / pstd)[None], K, axis=0).astype(np.float32), "policy_noise": policy_noise})[0]
    policy_raw = (policy_out * std + mean).astype(np.float32)

    OUT.mkdir(parents=True, exist_ok=True)
    arrays = {}
    for name, a in (("raw_chunks", raw), ("noise", noise.numpy()), ("latent", z), ("expected_latents", imagined), ("expected_success_prob", prob),
                    ("expected_success_logit", logit), ("expected_progress", progress), ("expected_gaussians", decoded),
                    ("proprio", proprio), ("policy_noise", policy_noise), ("expected_policy_actions", policy_raw)):
        a = np.ascontiguousarray(np.asarray(a, np.float32))
        a.tofile(OUT / f"{name}.bin")
        arrays[name] = {"file": f"{name}.bin", "dtype": "<f4", "shape": list(a.shape)}
    meta = {"pack": str(pack.relative_to(ROOT)), "files": m["files"], "K": K, "H": H, "inputs": "test/fixtures/gwm/lifting/expected_sim_gaussians.bin (+ mask)", "arrays": arrays}
    (OUT / "imagine.json").write_text(json.dumps(meta, indent=1))
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
