"""Losses and metrics on Gaussian sets: Chamfer, ground-truth scene flow, a soft splatter."""
from __future__ import annotations

import numpy as np
import torch
from torch import Tensor

from .data import quaternion_to_matrix


def chamfer(a: Tensor, b: Tensor, mask_a: Tensor | None = None, mask_b: Tensor | None = None) -> Tensor:
    """Symmetric Chamfer-L2 on centres (sum of the two mean squared NN distances), per batch (B,)."""
    d = torch.cdist(a, b) ** 2
    big = 1e6
    if mask_b is not None:
        d = d + (1 - mask_b[:, None, :]) * big
    if mask_a is not None:
        d = d + (1 - mask_a[:, :, None]) * big
    ab = d.min(dim=2).values
    ba = d.min(dim=1).values
    ma = mask_a if mask_a is not None else torch.ones_like(ab)
    mb = mask_b if mask_b is not None else torch.ones_like(ba)
    return (ab * ma).sum(1) / ma.sum(1).clamp(min=1) + (ba * mb).sum(1) / mb.sum(1).clamp(min=1)


def chamfer_np(a: np.ndarray, b: np.ndarray) -> float:
    """Symmetric Chamfer-L2 (m²) between two point sets (n,3), (m,3); nan if either is empty."""
    if len(a) == 0 or len(b) == 0:
        return float("nan")
    ta, tb = torch.from_numpy(np.asarray(a, np.float32)), torch.from_numpy(np.asarray(b, np.float32))
    d = torch.cdist(ta[None], tb[None])[0] ** 2
    return float(d.min(1).values.mean() + d.min(0).values.mean())


def flow_targets(xyz: np.ndarray, body: np.ndarray, poses_t: np.ndarray, poses_k: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Ground-truth positions at t+k of Gaussians at t that belong to a known body: carry each point in
    its body's frame (poses (bodies, 7) position + wxyz, base frame). Returns (xyz_k, valid)."""
    valid = body >= 0
    out = xyz.astype(np.float64).copy()
    if valid.any():
        b = body[valid].astype(np.int64)
        Rt, Rk = quaternion_to_matrix(poses_t[b, 3:7]), quaternion_to_matrix(poses_k[b, 3:7])
        local = np.einsum("nji,nj->ni", Rt, xyz[valid] - poses_t[b, :3])
        out[valid] = np.einsum("nij,nj->ni", Rk, local) + poses_k[b, :3]
    return out.astype(np.float32), valid


def render(g: Tensor, mask: Tensor, world_from_camera: Tensor, fx: float, fy: float, cx: float, cy: float,
           width: int, height: int, background: float = 0.0) -> Tensor:
    """Soft splatting of isotropic Gaussians: (B,N,14) → (B,H,W,3) linear RGB.

    Intrinsics are for the (width, height) image. Per pixel: weight = opacity·exp(−r²/2s²) with r the
    pixel distance and s the projected scale, composited front to back with cumprod transmittance."""
    b, n, _ = g.shape
    R = world_from_camera[:3, :3]
    t = world_from_camera[:3, 3]
    pc = (g[..., :3] - t) @ R  # camera_from_world applied to points
    z = pc[..., 2].clamp(min=1e-3)
    u = fx * pc[..., 0] / z + cx
    v = fy * pc[..., 1] / z + cy
    s = (fx * g[..., 3] / z).clamp(min=0.3)
    op = g[..., 13] * mask * (pc[..., 2] > 1e-3).to(g.dtype)
    order = torch.argsort(z, dim=1)
    take = lambda a: torch.gather(a, 1, order)  # noqa: E731
    u, v, s, op = take(u), take(v), take(s), take(op)
    rgb = torch.gather(g[..., 10:13], 1, order[..., None].expand(-1, -1, 3))
    ys, xs = torch.meshgrid(torch.arange(height, dtype=g.dtype, device=g.device) + 0.5,
                            torch.arange(width, dtype=g.dtype, device=g.device) + 0.5, indexing="ij")
    px, py = xs.reshape(1, -1, 1), ys.reshape(1, -1, 1)
    r2 = (px - u[:, None]) ** 2 + (py - v[:, None]) ** 2
    alpha = (op[:, None] * torch.exp(-0.5 * r2 / (s[:, None] ** 2))).clamp(max=0.99)
    trans = torch.cumprod(torch.cat([torch.ones_like(alpha[..., :1]), 1 - alpha[..., :-1]], dim=-1), dim=-1)
    w = alpha * trans
    img = w @ rgb + (1 - w.sum(-1, keepdim=True)) * background
    return img.reshape(b, height, width, 3)


def psnr(a: np.ndarray, b: np.ndarray, mask: np.ndarray | None = None) -> float:
    err = (np.asarray(a, np.float64) - np.asarray(b, np.float64)) ** 2
    if mask is not None:
        if mask.sum() == 0:
            return float("nan")
        mse = err[mask].mean()
    else:
        mse = err.mean()
    return float(10 * np.log10(1.0 / max(mse, 1e-10)))
