"""Reading a Foresight Studio GWM export (docs/formats/gwm-sequences.md) with clear errors.

Every problem names the episode, the array and the fix, because the person reading it is usually
looking at their own rig's export for the first time.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

FORMAT = "foresight-gwm-sequences"
SUPPORTED_VERSIONS = (1, 2)
REQUIRED_ARRAYS = ("frame_t_s", "frame_chunk", "chunk_frame", "state", "ee_pose", "actions")


class ExportError(ValueError):
    """A GWM export the trainer cannot use; the message says where and how to fix it."""


@dataclass(frozen=True)
class Camera:
    name: str
    width: int
    height: int
    fx: float
    fy: float
    cx: float
    cy: float
    world_from_camera: np.ndarray  # (4, 4) float64, OpenCV axes
    color_space: str
    segmentation: bool
    role: str  # "train" (lifted) or "eval" (held-out view, never lifted)


class Episode:
    """One exported episode; arrays are memory-mapped on first use."""

    def __init__(self, export: "GwmExport", meta: dict[str, Any]):
        self.export = export
        self.meta = meta
        self.index: int = int(meta["index"])
        self.split: str = meta.get("split", "train")
        self.success: bool | None = meta.get("success")
        self.tags: list[str] = list(meta.get("tags") or [])
        self.operator: str = meta.get("operator") or ""
        self.num_frames: int = int(meta["num_frames"])
        self.num_chunks: int = int(meta["num_chunks"])
        self._cache: dict[str, np.ndarray] = {}

    @property
    def name(self) -> str:
        return f"episode {self.index} ({self.meta.get('dir')}, studio id {self.meta.get('studio_episode_id')})"

    def has(self, array: str) -> bool:
        return array in self.meta["arrays"]

    def load(self, array: str) -> np.ndarray:
        if array in self._cache:
            return self._cache[array]
        spec = self.meta["arrays"].get(array)
        if spec is None:
            raise ExportError(f"{self.name}: array '{array}' is missing from index.json — re-export with the current studio (`studio export --format gwm`)")
        path = self.export.root / spec["file"]
        if not path.exists():
            raise ExportError(f"{self.name}: file {path} for array '{array}' does not exist — the export is incomplete; export again")
        dtype = np.dtype(spec["dtype"])
        shape = tuple(int(s) for s in spec["shape"])
        expected = int(np.prod(shape)) * dtype.itemsize
        if path.stat().st_size != expected:
            raise ExportError(f"{self.name}: array '{array}' ({path.name}) has {path.stat().st_size} bytes, index.json says {shape} {dtype} = {expected} bytes — the file is truncated or foreign; export again")
        a = np.memmap(path, dtype=dtype, mode="r", shape=shape) if expected > 0 else np.zeros(shape, dtype)
        if a.dtype.kind == "f" and a.size and not np.isfinite(np.asarray(a)).all():
            bad = int(np.argwhere((~np.isfinite(np.asarray(a).reshape(shape[0], -1))).any(axis=1))[0][0]) if shape else 0
            raise ExportError(f"{self.name}: array '{array}' holds NaN or infinite values (first at row {bad}) — check the recording with `studio db check` and export again")
        self._cache[array] = a
        return a

    def depth_m(self, cam: str) -> np.ndarray:
        scale = {"mm": 1e-3, "m": 1.0}[self.export.depth_unit]
        return self.load(f"depth_{cam}").astype(np.float64) * scale

    def chunk_frames(self) -> np.ndarray:
        return np.asarray(self.load("chunk_frame"), dtype=np.int64)


class GwmExport:
    """An export directory: index.json plus per-episode arrays."""

    def __init__(self, root: str | Path):
        self.root = Path(root)
        index_path = self.root / "index.json"
        if not index_path.exists():
            raise ExportError(f"{self.root}: no index.json — this is not a GWM export; make one with `studio export --format gwm --out DIR`")
        try:
            self.index = json.loads(index_path.read_text())
        except json.JSONDecodeError as e:
            raise ExportError(f"{index_path}: not valid JSON ({e}) — the export was interrupted or edited; export again") from e
        fmt, version = self.index.get("format"), self.index.get("version")
        if fmt != FORMAT:
            raise ExportError(f"{index_path}: format is {fmt!r}, expected {FORMAT!r} — export with `--format gwm` (LeRobot/robomimic datasets are not world-model data)")
        if version not in SUPPORTED_VERSIONS:
            raise ExportError(f"{index_path}: GWM export version {version} is not supported (this trainer reads {SUPPORTED_VERSIONS}) — update models/ or export with a matching studio")
        self.version: int = int(version)
        self.control_hz: float = float(self.index["control_hz"])
        self.chunk_length: int = int(self.index["chunk_length"])
        self.frame_hz: float = float(self.index["frame_hz"])
        self.depth_unit: str = self.index.get("depth_unit", "mm")
        self.action_names: list[str] = list(self.index["action_names"])
        self.bodies: list[str] | None = self.index.get("bodies")
        self.legend: list[dict[str, Any]] | None = self.index.get("segmentation_legend")
        self.phase_legend: list[str] | None = self.index.get("phase_legend")
        self.cameras: dict[str, Camera] = {}
        for name, c in (self.index.get("cameras") or {}).items():
            if c.get("moving"):
                continue
            if not c.get("depth"):
                raise ExportError(f"{index_path}: camera '{name}' has no depth — the lifting needs RGB-D; record it with depth or leave it out with `--cameras`")
            intr = c.get("intrinsics")
            if not intr or any(k not in intr for k in ("fx_px", "fy_px", "cx_px", "cy_px")):
                raise ExportError(f"{index_path}: camera '{name}' has no intrinsics — add them to the rig config (docs/rig-config.md) and export again")
            if c.get("world_from_camera") is None:
                raise ExportError(f"{index_path}: camera '{name}' has no world_from_camera — calibrate it and set it in the rig config")
            role = c.get("role") or ("eval" if name == "novel" else "train")
            self.cameras[name] = Camera(name, int(c["width"]), int(c["height"]), float(intr["fx_px"]), float(intr["fy_px"]),
                                        float(intr["cx_px"]), float(intr["cy_px"]), np.asarray(c["world_from_camera"], np.float64),
                                        c.get("color_space", "linear"), bool(c.get("segmentation")), role)
        if not self.cameras:
            raise ExportError(f"{index_path}: no fixed RGB-D camera — the world model lifts observations from fixed calibrated RGB-D cameras")
        self.episodes = [Episode(self, e) for e in self.index.get("episodes", [])]
        self.by_index: dict[int, Episode] = {e.index: e for e in self.episodes}
        for ep in self.episodes:
            for a in REQUIRED_ARRAYS:
                if a not in ep.meta["arrays"]:
                    raise ExportError(f"{ep.name}: required array '{a}' is missing — re-export with the current studio")
            shape = ep.meta["arrays"]["actions"]["shape"]
            if ep.num_chunks and (shape[1] != self.chunk_length or shape[2] != len(self.action_names)):
                raise ExportError(f"{ep.name}: actions have shape {shape}, expected (K, {self.chunk_length}, {len(self.action_names)})")

    @property
    def train_cameras(self) -> list[Camera]:
        return [c for c in self.cameras.values() if c.role == "train"]

    @property
    def eval_cameras(self) -> list[Camera]:
        return [c for c in self.cameras.values() if c.role == "eval"]

    @property
    def has_privileged(self) -> bool:
        return bool(self.index.get("privileged")) and self.bodies is not None

    def split(self, name: str) -> list[Episode]:
        eps = [e for e in self.episodes if e.split == name and e.num_chunks > 0]
        return eps

    def require_split(self, name: str, minimum: int = 1) -> list[Episode]:
        eps = self.split(name)
        if len(eps) < minimum:
            raise ExportError(f"{self.root}: the '{name}' split has {len(eps)} episodes with at least one chunk (need {minimum}) — export with `--valid-fraction 0.1 --test-fraction 0.1` and enough episodes")
        return eps


def quaternion_to_matrix(q: np.ndarray) -> np.ndarray:
    """wxyz (…, 4) → rotation matrices (…, 3, 3); float64."""
    q = np.asarray(q, np.float64)
    n = np.linalg.norm(q, axis=-1, keepdims=True)
    if np.any(np.abs(n - 1) > 1e-3):
        raise ExportError("a pose quaternion is not unit length (|q| differs from 1 by more than 1e-3) — export with a studio that rejects zero poses (`studio export validate` names the frame)")
    w, x, y, z = np.moveaxis(q / n, -1, 0)
    return np.stack([
        np.stack([1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y)], -1),
        np.stack([2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x)], -1),
        np.stack([2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y)], -1),
    ], -2)


def srgb_to_linear(c: np.ndarray) -> np.ndarray:
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


def angle_of(q: np.ndarray) -> float:
    return 2 * math.acos(min(1.0, abs(float(q[0]))))
