"""Write the sampler fixture the studio's TypeScript rollout must reproduce: seeded context latents,
two candidates' action chunks over H = 2 steps, one shared noise per step (common random numbers), and
the imagined latents from the reference pack's denoiser run by onnxruntime with gwmlite.edm.rollout.

Usage: models/.venv/bin/python models/scripts/make_sampler_fixtures.py [PACK]
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import onnxruntime as ort
import torch

from gwmlite.edm import EdmConfig, karras_sigmas, rollout

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "test" / "fixtures" / "gwm" / "sampler"


def main() -> None:
    pack = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "models" / "packs" / "gwm-lite-sim-franka"
    manifest = json.loads((pack / "gwm_manifest.json").read_text())
    s = manifest["sampler"]
    cfg = EdmConfig(steps=s["steps"], sigma_min=s["sigma_min"], sigma_max=s["sigma_max"], rho=s["rho"])
    sess = ort.InferenceSession(str(pack / "gwm_denoiser.onnx"), providers=["CPUExecutionProvider"])

    def denoise(x, sigma, ctx, actions):
        out = sess.run(["denoised_latent"], {"noisy_latent": x.numpy(), "sigma": sigma.numpy(), "context_latents": ctx.numpy(), "actions": actions.numpy()})[0]
        return torch.from_numpy(out)

    M, D = manifest["latent"]["M"], manifest["latent"]["D"]
    T, L, A = manifest["dynamics"]["context_frames"], manifest["actions"]["chunk_length"], len(manifest["actions"]["names"])
    B, H = 2, 2
    gen = torch.Generator().manual_seed(7)
    context = (torch.randn(B, T, M, D, generator=gen) * 0.5).float()
    chunks = torch.randn(B, H, L, A, generator=gen).float()
    noise = torch.randn(H, 1, M, D, generator=gen).float()
    imagined = rollout(denoise, context, chunks, noise, cfg)
    OUT.mkdir(parents=True, exist_ok=True)
    arrays = {}
    for name, t in (("context_latents", context), ("chunks", chunks), ("noise", noise), ("expected_latents", imagined)):
        a = np.ascontiguousarray(t.numpy().astype(np.float32))
        a.tofile(OUT / f"{name}.bin")
        arrays[name] = {"file": f"{name}.bin", "dtype": "<f4", "shape": list(a.shape)}
    meta = {"pack": str(pack.relative_to(ROOT)), "denoiser_sha256": manifest["files"]["gwm_denoiser.onnx"], "sampler": s,
            "sigmas": karras_sigmas(cfg), "arrays": arrays}
    (OUT / "sampler.json").write_text(json.dumps(meta, indent=1))
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
