"""Lifted episodes: every frame of an export turned into Gaussians once and cached on disk, plus the
labels each training stage needs."""
from __future__ import annotations

import hashlib
import json
import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .data import Episode, ExportError, GwmExport
from .lifting import CameraFrame, LiftingConfig, geom_body_table, lift

CACHE_VERSION = 1


@dataclass
class LiftedEpisode:
    index: int
    split: str
    success: float  # 1 success, 0 failure, nan unknown
    variant: str  # policy variant: operator, else the first tag, else ""
    g: np.ndarray  # (T, N, 14) float32
    mask: np.ndarray  # (T, N) float32
    body: np.ndarray  # (T, N) int16
    chunk_frame: np.ndarray  # (K+1,)
    frame_t_s: np.ndarray  # (T,)
    ee_pose: np.ndarray  # (T, 7)
    gripper_m: np.ndarray  # (T,)
    actions: np.ndarray  # (K, L, A) float32
    explore: np.ndarray  # (K,) bool (all False when the export does not say)
    body_poses: np.ndarray | None  # (T, bodies, 7)
    object_pose: np.ndarray | None  # (T, 7) first object
    target_dist: np.ndarray | None  # (T,)
    grasped: np.ndarray | None  # (T,)

    @property
    def num_chunks(self) -> int:
        return len(self.chunk_frame) - 1

    def progress(self) -> np.ndarray | None:
        """Dense progress target per frame: 1 − distance/initial distance, 1 once succeeded."""
        if self.target_dist is None:
            return None
        d0 = max(float(self.target_dist[0]), 1e-3)
        p = np.clip(1 - self.target_dist / d0, 0, 1)
        return p.astype(np.float32)


def _lift_episode(args) -> dict:
    root, ep_pos, cfg_json = args
    export = GwmExport(root)
    ep = export.episodes[ep_pos]
    cfg = LiftingConfig.from_json(cfg_json)
    gb = geom_body_table(export.legend)
    cams = export.train_cameras
    rgb = {c.name: ep.load(f"rgb_{c.name}") for c in cams}
    depth = {c.name: ep.depth_m(c.name) for c in cams}
    seg = {c.name: (ep.load(f"seg_{c.name}") if ep.has(f"seg_{c.name}") else None) for c in cams}
    ee = ep.load("ee_pose")
    T = ep.num_frames
    g = np.zeros((T, cfg.num_gaussians, 14), np.float32)
    mask = np.zeros((T, cfg.num_gaussians), np.float32)
    body = np.full((T, cfg.num_gaussians), -1, np.int16)
    for t in range(T):
        frames = [CameraFrame(c, rgb[c.name][t], depth[c.name][t], None if seg[c.name] is None else seg[c.name][t]) for c in cams]
        lifted = lift(frames, ee[t, :3], cfg, gb)
        if lifted.mask.sum() < 16:
            raise ExportError(f"{ep.name}: frame {t} lifts to {int(lifted.mask.sum())} Gaussians inside the crop box — check the camera calibration and the lifting crop box ({cfg.crop_min_m} … {cfg.crop_max_m})")
        g[t], mask[t], body[t] = lifted.gaussians, lifted.mask, lifted.body
    return {"g": g, "mask": mask, "body": body}


def cache_key(export: GwmExport, cfg: LiftingConfig) -> str:
    h = hashlib.sha256()
    h.update((export.root / "index.json").read_bytes())
    h.update(json.dumps(cfg.to_json(), sort_keys=True).encode())
    h.update(str(CACHE_VERSION).encode())
    return h.hexdigest()[:16]


def _labels(export: GwmExport, ep: Episode) -> dict:
    priv = export.has_privileged and ep.has("priv_body_poses")
    state = np.asarray(ep.load("state"), np.float32)
    actions = np.asarray(ep.load("actions"), np.float32).reshape(ep.num_chunks, export.chunk_length, len(export.action_names))
    explore = np.asarray(ep.load("chunk_explore"), bool).reshape(-1) if ep.has("chunk_explore") else np.zeros(ep.num_chunks, bool)
    success = float("nan") if ep.success is None else float(bool(ep.success))
    variant = ep.operator or (ep.tags[0] if ep.tags else "")
    return dict(
        index=ep.index, split=ep.split, success=success, variant=variant,
        chunk_frame=ep.chunk_frames(), frame_t_s=np.asarray(ep.load("frame_t_s"), np.float64),
        ee_pose=np.asarray(ep.load("ee_pose"), np.float32), gripper_m=state[:, -1].copy(), actions=actions, explore=explore,
        body_poses=np.asarray(ep.load("priv_body_poses"), np.float32) if priv else None,
        object_pose=np.asarray(ep.load("priv_object_poses"), np.float32)[:, 0] if priv and ep.has("priv_object_poses") else None,
        target_dist=np.asarray(ep.load("priv_object_target_distance_m"), np.float32)[:, 0] if priv and ep.has("priv_object_target_distance_m") else None,
        grasped=np.asarray(ep.load("priv_grasped"), np.float32)[:, 0] if priv and ep.has("priv_grasped") else None,
    )


def load_lifted(export: GwmExport, cfg: LiftingConfig, cache_dir: str | Path, workers: int = 2, progress: bool = True) -> list[LiftedEpisode]:
    """Lift every episode with at least one chunk (cached by export + lifting config)."""
    cache = Path(cache_dir) / cache_key(export, cfg)
    cache.mkdir(parents=True, exist_ok=True)
    eps = [(i, e) for i, e in enumerate(export.episodes) if e.num_chunks > 0]
    todo = [i for i, e in eps if not (cache / f"{e.index:06d}.npz").exists()]
    if todo:
        jobs = [(str(export.root), i, cfg.to_json()) for i in todo]
        try:
            from tqdm import tqdm
        except ImportError:  # pragma: no cover
            tqdm = None
        pool = ProcessPoolExecutor(max_workers=workers) if workers > 1 else None
        results = pool.map(_lift_episode, jobs) if pool else map(_lift_episode, jobs)
        it = tqdm(zip(todo, results), total=len(todo), desc="lifting", disable=not progress) if tqdm else zip(todo, results)
        for i, res in it:
            path = cache / f"{export.episodes[i].index:06d}.npz"
            tmp = path.with_suffix(".tmp.npz")
            np.savez(tmp, **res)
            os.replace(tmp, path)
        if pool:
            pool.shutdown()
    out = []
    for _, e in eps:
        z = np.load(cache / f"{e.index:06d}.npz")
        out.append(LiftedEpisode(g=z["g"], mask=z["mask"], body=z["body"], **_labels(export, e)))
    return out


@dataclass
class Normalizer:
    mean: np.ndarray
    std: np.ndarray

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return ((x - self.mean) / self.std).astype(np.float32)

    def inverse(self, x: np.ndarray) -> np.ndarray:
        return (x * self.std + self.mean).astype(np.float32)

    def to_json(self) -> dict:
        return {"mean": [float(v) for v in self.mean], "std": [float(v) for v in self.std]}

    @staticmethod
    def fit(x: np.ndarray, floor: float = 1e-3) -> "Normalizer":
        x = x.reshape(-1, x.shape[-1]).astype(np.float64)
        return Normalizer(x.mean(0), np.maximum(x.std(0), floor))


def proprio(ep: LiftedEpisode, frame: int) -> np.ndarray:
    return np.concatenate([ep.ee_pose[frame], ep.gripper_m[frame:frame + 1]]).astype(np.float32)
