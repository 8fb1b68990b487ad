"""EDM noise levels and the Euler sampler (gwm-lite §6.2). The studio runs the same loop in TypeScript
from the manifest's `sampler` section; this is its Python reference."""
from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
from torch import Tensor


@dataclass(frozen=True)
class EdmConfig:
    sigma_data: float = 0.5
    p_mean: float = -0.4
    p_std: float = 1.2
    sigma_min_train: float = 2e-3
    sigma_max_train: float = 20.0
    context_noise_max: float = 0.1  # σ_cond ~ U(0, 0.1) added to context latents in training
    steps: int = 3
    sigma_min: float = 2e-3
    sigma_max: float = 5.0
    rho: float = 7.0

    def to_json(self) -> dict:
        return asdict(self)


def sample_sigma(n: int, cfg: EdmConfig, gen: torch.Generator) -> Tensor:
    s = torch.exp(cfg.p_mean + cfg.p_std * torch.randn(n, generator=gen))
    return s.clamp(cfg.sigma_min_train, cfg.sigma_max_train)


def karras_sigmas(cfg: EdmConfig, steps: int | None = None) -> list[float]:
    """σ_0 > … > σ_{n−1} then 0: the Karras et al. schedule with ρ."""
    n = steps or cfg.steps
    if n == 1:
        return [cfg.sigma_max, 0.0]
    lo, hi = cfg.sigma_min ** (1 / cfg.rho), cfg.sigma_max ** (1 / cfg.rho)
    return [(hi + i / (n - 1) * (lo - hi)) ** cfg.rho for i in range(n)] + [0.0]


@torch.no_grad()
def sample(denoiser, context: Tensor, actions: Tensor, noise: Tensor, cfg: EdmConfig, steps: int | None = None) -> Tensor:
    """Euler from x = σ_max·ε: x ← x + (σ_{i+1} − σ_i)·(x − D(x;σ_i))/σ_i. `noise` is ε (B,M,D)."""
    sig = karras_sigmas(cfg, steps)
    x = noise * sig[0]
    for i in range(len(sig) - 1):
        s = torch.full((x.shape[0],), sig[i], dtype=x.dtype, device=x.device)
        d = denoiser(x, s, context, actions)
        x = x + (sig[i + 1] - sig[i]) * (x - d) / sig[i]
    return x


@torch.no_grad()
def rollout(denoiser, context: Tensor, chunks: Tensor, noise: Tensor, cfg: EdmConfig, steps: int | None = None) -> Tensor:
    """Autoregressive imagination: context (B,T,M,D), chunks (B,H,L,A), noise (H,B,M,D) or (H,1,M,D)
    shared across the batch (common random numbers) → (B,H,M,D)."""
    out = []
    ctx = context
    for h in range(chunks.shape[1]):
        eps = noise[h].expand(context.shape[0], -1, -1)
        z = sample(denoiser, ctx, chunks[:, h], eps, cfg, steps)
        out.append(z)
        ctx = torch.cat([ctx[:, 1:], z[:, None]], dim=1)
    return torch.stack(out, dim=1)
