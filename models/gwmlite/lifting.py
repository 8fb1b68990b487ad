"""Observation → N Gaussians (gwm-lite §6.1), deterministic, in numpy.

The studio reproduces this in TypeScript from the pack manifest's `lifting` section, so every step is
spelled out and order-defined (see docs/world-model.md "Lifting"). Points come from the fixed
RGB-D cameras whose role is `train`; colour is linear RGB; every Gaussian is isotropic.

Tiers give the parts that move more points than the table: `focus` (within `focus_radius_m` of the
tool centre point, or low above the table where objects rest), `scene` (everything else above the
table) and `table` (the table band). Each tier has its own voxel size; the point budget N is spent
tier by tier, a tier that does not fit is thinned by farthest-point sampling.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Sequence

import numpy as np

from .data import Camera, srgb_to_linear

GAUSSIAN_FIELDS = ("x", "y", "z", "sx", "sy", "sz", "qw", "qx", "qy", "qz", "r", "g", "b", "opacity")
TIERS = ("focus", "scene", "table")
VOXEL_KEY_RANGE = 1 << 12  # voxel indices per axis; 4096 × 6 mm = 24 m, far beyond any crop box


@dataclass(frozen=True)
class LiftingConfig:
    num_gaussians: int = 2048
    crop_min_m: tuple[float, float, float] = (0.1, -0.55, -0.02)
    crop_max_m: tuple[float, float, float] = (0.95, 0.55, 0.65)
    table_z_m: float = 0.0
    table_band_m: float = 0.006
    object_band_top_m: float = 0.12
    focus_radius_m: float = 0.12
    voxel_m: tuple[float, float, float] = (0.006, 0.012, 0.025)  # focus, scene, table
    scale_factor: float = 0.7
    opacity: float = 0.9

    def to_json(self) -> dict:
        d = asdict(self)
        d["tiers"] = list(TIERS)
        return d

    @staticmethod
    def from_json(d: dict) -> "LiftingConfig":
        keys = LiftingConfig.__dataclass_fields__.keys()
        return LiftingConfig(**{k: (tuple(v) if isinstance(v, list) else v) for k, v in d.items() if k in keys})


@dataclass
class CameraFrame:
    camera: Camera
    rgb: np.ndarray  # (H, W, 3) uint8
    depth_m: np.ndarray  # (H, W) float64, 0 = no return
    seg: np.ndarray | None = None  # (H, W) uint16 geom id + 1, 0 = background


@dataclass
class Lifted:
    gaussians: np.ndarray  # (N, 14) float32
    mask: np.ndarray  # (N,) float32, 1 = valid
    body: np.ndarray  # (N,) int16, body id from segmentation, -1 = unknown / background / padding
    tier: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int8))  # (N,) int8, -1 for padding


def unproject(frames: Sequence[CameraFrame], geom_body: np.ndarray | None):
    """All valid pixels of all cameras (sorted by camera name, row-major) in the world frame."""
    pts, cols, foot, body = [], [], [], []
    for f in sorted(frames, key=lambda f: f.camera.name):
        c = f.camera
        v, u = np.nonzero(f.depth_m > 0)  # row-major order
        d = f.depth_m[v, u]
        xc = (u + 0.5 - c.cx) / c.fx * d
        yc = (v + 0.5 - c.cy) / c.fy * d
        pc = np.stack([xc, yc, d], axis=1)
        R, t = c.world_from_camera[:3, :3], c.world_from_camera[:3, 3]
        pts.append(pc @ R.T + t)
        rgb = f.rgb[v, u].astype(np.float64) / 255.0
        cols.append(srgb_to_linear(rgb) if c.color_space == "srgb" else rgb)
        foot.append(d / c.fx)
        if f.seg is not None and geom_body is not None:
            s = f.seg[v, u].astype(np.int64)
            body.append(np.where(s > 0, geom_body[np.maximum(s - 1, 0)], -1))
        else:
            body.append(np.full(d.shape, -1, np.int64))
    return np.concatenate(pts), np.concatenate(cols), np.concatenate(foot), np.concatenate(body)


def farthest_point_indices(p: np.ndarray, k: int) -> np.ndarray:
    """k indices by farthest-point sampling from index 0; ties go to the lowest index; sorted ascending."""
    n = len(p)
    if k >= n:
        return np.arange(n)
    chosen = np.empty(k, np.int64)
    chosen[0] = 0
    diff = p - p[0]
    dist = diff[:, 0] * diff[:, 0] + diff[:, 1] * diff[:, 1] + diff[:, 2] * diff[:, 2]
    for i in range(1, k):
        j = int(np.argmax(dist))
        chosen[i] = j
        diff = p - p[j]
        dist = np.minimum(dist, diff[:, 0] * diff[:, 0] + diff[:, 1] * diff[:, 1] + diff[:, 2] * diff[:, 2])
    return np.sort(chosen)


def lift(frames: Sequence[CameraFrame], tcp_m: np.ndarray, cfg: LiftingConfig, geom_body: np.ndarray | None = None) -> Lifted:
    p, col, foot, body = unproject(frames, geom_body)
    lo, hi = np.asarray(cfg.crop_min_m), np.asarray(cfg.crop_max_m)
    keep = np.all((p >= lo) & (p <= hi), axis=1)
    p, col, foot, body = p[keep], col[keep], foot[keep], body[keep]

    z = p[:, 2]
    near_tcp = np.sum((p - np.asarray(tcp_m, np.float64)) ** 2, axis=1) <= cfg.focus_radius_m ** 2
    on_table = z <= cfg.table_z_m + cfg.table_band_m
    tier = np.where(near_tcp, 0, np.where(on_table, 2, np.where(z <= cfg.object_band_top_m, 0, 1)))
    voxel = np.asarray(cfg.voxel_m)[tier]
    ijk = np.floor((p - lo) / voxel[:, None]).astype(np.int64)
    # One integer per voxel, ordered (tier, i, j, k): the Gaussians' canonical order.
    key = ((tier * VOXEL_KEY_RANGE + ijk[:, 0]) * VOXEL_KEY_RANGE + ijk[:, 1]) * VOXEL_KEY_RANGE + ijk[:, 2]
    uniq, first, inverse = np.unique(key, return_index=True, return_inverse=True)
    inverse = inverse.reshape(-1)
    count = np.bincount(inverse, minlength=len(uniq)).astype(np.float64)

    def mean(a: np.ndarray) -> np.ndarray:
        return np.stack([np.bincount(inverse, weights=a[:, j], minlength=len(uniq)) for j in range(a.shape[1])], 1) / count[:, None]

    vp, vc = mean(p), mean(col)
    vf = np.bincount(inverse, weights=foot, minlength=len(uniq)) / count
    vt = uniq // VOXEL_KEY_RANGE ** 3
    vb = body[first]

    n = cfg.num_gaussians
    picked: list[np.ndarray] = []
    remaining = n
    for t in range(len(TIERS)):
        idx = np.nonzero(vt == t)[0]
        if remaining <= 0 or len(idx) == 0:
            continue
        if len(idx) > remaining:
            idx = idx[farthest_point_indices(vp[idx], remaining)]
        picked.append(idx)
        remaining -= len(idx)
    sel = np.concatenate(picked) if picked else np.zeros(0, np.int64)

    g = np.zeros((n, 14), np.float64)
    m = len(sel)
    vox_sel = np.asarray(cfg.voxel_m)[vt[sel]]
    scale = cfg.scale_factor * np.maximum(vf[sel], vox_sel)
    g[:m, 0:3] = vp[sel]
    g[:m, 3:6] = scale[:, None]
    g[:m, 6] = 1.0
    g[:m, 10:13] = vc[sel]
    g[:m, 13] = cfg.opacity
    mask = np.zeros(n, np.float32)
    mask[:m] = 1
    b = np.full(n, -1, np.int16)
    b[:m] = vb[sel]
    tr = np.full(n, -1, np.int8)
    tr[:m] = vt[sel]
    return Lifted(g.astype(np.float32), mask, b, tr)


def geom_body_table(legend: list[dict] | None) -> np.ndarray | None:
    if not legend:
        return None
    table = np.full(max(int(e["id"]) for e in legend) + 1, -1, np.int64)
    for e in legend:
        table[int(e["id"])] = int(e["body_id"])
    return table
