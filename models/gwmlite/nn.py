"""Transformer pieces written so that they export to ONNX opset 17 (MatMul→Softmax→MatMul attention,
additive −1e4 masks, no fused kernels)."""
from __future__ import annotations

import math

import torch
from torch import Tensor, nn

MASK_NEG = -1e4  # additive mask value that stays finite in fp16 (gwm-lite §5.1)


class Attention(nn.Module):
    def __init__(self, width: int, heads: int, kv_width: int | None = None):
        super().__init__()
        self.heads = heads
        self.q = nn.Linear(width, width)
        self.kv = nn.Linear(kv_width or width, 2 * width)
        self.out = nn.Linear(width, width)

    def forward(self, x: Tensor, context: Tensor | None = None, key_bias: Tensor | None = None,
                attn_bias: Tensor | None = None) -> Tensor:
        """x (B, Nq, W), context (B, Nk, Wk) or self, key_bias (B, Nk) additive (0 valid, −1e4 padding),
        attn_bias (B, H, Nq, Nk) additive per head and pair (e.g. LocalityBias)."""
        ctx = x if context is None else context
        b, nq, w = x.shape
        h = self.heads
        q = self.q(x).reshape(b, nq, h, w // h).transpose(1, 2)
        k, v = self.kv(ctx).reshape(b, ctx.shape[1], 2, h, w // h).permute(2, 0, 3, 1, 4)
        logits = torch.matmul(q, k.transpose(-1, -2)) * (1.0 / math.sqrt(w // h))
        if key_bias is not None:
            logits = logits + key_bias[:, None, None, :]
        if attn_bias is not None:
            logits = logits + attn_bias
        attn = torch.softmax(logits, dim=-1)
        y = torch.matmul(attn, v).transpose(1, 2).reshape(b, nq, w)
        return self.out(y)


def mlp(width: int, ratio: int = 4) -> nn.Sequential:
    return nn.Sequential(nn.Linear(width, width * ratio), nn.GELU(), nn.Linear(width * ratio, width))


class Block(nn.Module):
    """Pre-norm self-attention (or cross-attention when given context) + MLP."""

    def __init__(self, width: int, heads: int, cross: bool = False):
        super().__init__()
        self.norm1 = nn.LayerNorm(width)
        self.norm_ctx = nn.LayerNorm(width) if cross else None
        self.attn = Attention(width, heads)
        self.norm2 = nn.LayerNorm(width)
        self.mlp = mlp(width)

    def forward(self, x: Tensor, context: Tensor | None = None, key_bias: Tensor | None = None,
                attn_bias: Tensor | None = None) -> Tensor:
        ctx = self.norm_ctx(context) if (self.norm_ctx is not None and context is not None) else None
        x = x + self.attn(self.norm1(x), ctx, key_bias, attn_bias)
        return x + self.mlp(self.norm2(x))


class LocalityBias(nn.Module):
    """Additive attention bias −w_h·‖(q − k) / cell‖² between positions (cell = the anchor grid's cell size).

    With it a fixed anchor summarises the Gaussians of its own region (and a decoded Gaussian reads the
    anchors around it) instead of a global mix from which a 4 cm cube must be told apart by position
    features alone. One learnable width per head, initialised at σ = ½, 1, 2, 4 … cells, so near heads see
    detail and far heads keep the context."""

    def __init__(self, crop_min, crop_max, per_axis: int, heads: int):
        super().__init__()
        cell = (torch.tensor(crop_max, dtype=torch.float32) - torch.tensor(crop_min, dtype=torch.float32)) / per_axis
        self.register_buffer("inv_cell", 1.0 / cell)
        sigma = 0.5 * 2.0 ** torch.arange(heads, dtype=torch.float32)
        self.log_w = nn.Parameter(torch.log(0.5 / sigma ** 2))

    def forward(self, q_xyz: Tensor, k_xyz: Tensor) -> Tensor:
        """q_xyz (B|1, Nq, 3), k_xyz (B|1, Nk, 3) in metres → (B, H, Nq, Nk)."""
        d = (q_xyz[:, :, None, :] - k_xyz[:, None, :, :]) * self.inv_cell
        d2 = (d * d).sum(-1)
        return -torch.exp(self.log_w)[None, :, None, None] * d2[:, None]


def fourier_xyz(xyz: Tensor, lo: Tensor, hi: Tensor, freqs: int) -> Tensor:
    """NeRF-style features of positions normalised to [−1, 1] over the crop box: (…, 3·2·freqs)."""
    u = (xyz - (lo + hi) * 0.5) / ((hi - lo) * 0.5)
    bands = (2.0 ** torch.arange(freqs, dtype=xyz.dtype, device=xyz.device)) * math.pi
    a = u[..., :, None] * bands  # (…, 3, F)
    return torch.cat([torch.sin(a), torch.cos(a)], dim=-1).flatten(-2)


def timestep_embedding(t: Tensor, dim: int) -> Tensor:
    """Sinusoidal embedding of a scalar per batch element (B,) → (B, dim)."""
    half = dim // 2
    freqs = torch.exp(-math.log(10000.0) * torch.arange(half, dtype=t.dtype, device=t.device) / half)
    a = t[:, None] * freqs[None] * 100.0
    return torch.cat([torch.cos(a), torch.sin(a)], dim=-1)


def anchor_grid(lo: tuple[float, ...], hi: tuple[float, ...], per_axis: int) -> Tensor:
    """Fixed anchors: cell centres of a per_axis³ grid over the crop box, x fastest."""
    axes = [torch.tensor([lo[i] + (j + 0.5) * (hi[i] - lo[i]) / per_axis for j in range(per_axis)]) for i in range(3)]
    z, y, x = torch.meshgrid(axes[2], axes[1], axes[0], indexing="ij")
    return torch.stack([x, y, z], -1).reshape(-1, 3).float()
