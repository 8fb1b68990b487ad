"""A small synthetic GWM export written by numpy alone (docs/formats/gwm-sequences.md), so the trainer's
tests need neither the studio nor a simulator: a table, a cube and a gripper block seen by two fixed
RGB-D cameras (and a third evaluation-only camera); the gripper carries the cube in successful episodes."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

W = H = 32
F = 27.7  # focal length for 32 px (≈ 60° field of view)
BODIES = ["world", "hand", "cube"]
LEGEND = [{"id": 0, "geom": "table", "body_id": 0, "body": "world"}, {"id": 1, "geom": "hand", "body_id": 1, "body": "hand"},
          {"id": 2, "geom": "cube", "body_id": 2, "body": "cube"}]


def look_at(eye, target) -> np.ndarray:
    eye, target = np.asarray(eye, float), np.asarray(target, float)
    z = target - eye
    z /= np.linalg.norm(z)
    x = np.cross(z, [0, 0, 1.0])
    x /= np.linalg.norm(x)
    y = np.cross(z, x)
    m = np.eye(4)
    m[:3, 0], m[:3, 1], m[:3, 2], m[:3, 3] = x, y, z, eye
    return m


CAMERAS = {"front": look_at([1.2, 0.05, 0.6], [0.5, 0.0, 0.05]), "side": look_at([0.5, -0.8, 0.55], [0.5, 0.0, 0.05]),
           "novel": look_at([0.5, 0.8, 0.55], [0.5, 0.0, 0.05])}


def _box_hit(o, d, lo, hi):
    with np.errstate(divide="ignore", invalid="ignore"):
        t1, t2 = (lo - o) / d, (hi - o) / d
    tmin = np.nanmax(np.minimum(t1, t2), axis=-1)
    tmax = np.nanmin(np.maximum(t1, t2), axis=-1)
    return np.where((tmax >= tmin) & (tmax > 0), tmin, np.inf)


def render(cam: np.ndarray, cube_c: np.ndarray, hand_c: np.ndarray):
    v, u = np.mgrid[0:H, 0:W]
    dc = np.stack([(u + 0.5 - W / 2) / F, (v + 0.5 - H / 2) / F, np.ones_like(u, float)], -1)
    d = dc @ cam[:3, :3].T
    o = cam[:3, 3]
    t_table = np.where(d[..., 2] < 0, -o[2] / d[..., 2], np.inf)
    hit_x = o[0] + t_table * d[..., 0]
    hit_y = o[1] + t_table * d[..., 1]
    t_table = np.where((hit_x > 0.1) & (hit_x < 0.95) & (np.abs(hit_y) < 0.5), t_table, np.inf)
    t_cube = _box_hit(o, d, cube_c - 0.025, cube_c + 0.025)
    t_hand = _box_hit(o, d, hand_c - [0.02, 0.05, 0.03], hand_c + [0.02, 0.05, 0.03])
    ts = np.stack([t_table, t_hand, t_cube], -1)
    which = np.argmin(ts, -1)
    t = np.min(ts, -1)
    hit = np.isfinite(t)
    depth_m = np.where(hit, t * 1.0, 0)  # dc has z = 1, so t is the camera-frame depth
    colours = np.array([[200, 170, 130], [220, 220, 225], [200, 40, 40]], np.uint8)
    rgb = np.where(hit[..., None], colours[which], 30).astype(np.uint8)
    seg = np.where(hit, which + 1, 0).astype(np.uint16)
    return rgb, np.round(depth_m * 1000).astype(np.uint16), seg


def write_export(root: str | Path, episodes: int = 8, seed: int = 0, chunks: int = 4, version: int = 1, splits=None) -> Path:
    root = Path(root)
    rng = np.random.default_rng(seed)
    L, fpc = 8, 4
    cams = {}
    for name, m in CAMERAS.items():
        cams[name] = {"width": W, "height": H, "intrinsics": {"fx_px": F, "fy_px": F, "cx_px": W / 2, "cy_px": H / 2},
                      "world_from_camera": m.tolist(), "depth": True, "segmentation": True, "color_space": "linear", "moving": False,
                      **({"role": "eval" if name == "novel" else "train"} if version >= 2 else {})}
    index = {"format": "foresight-gwm-sequences", "version": version, "control_hz": 10, "chunk_length": L, "frame_hz": 5, "depth_unit": "mm",
             "action_names": ["dx_m", "dy_m", "dz_m", "drx_rad", "dry_rad", "drz_rad", "gripper"],
             "actions": {"source": "action.executed", "frame": "base", "layout": "per-step delta", "recorded_hz": 10},
             "state_names": [f"joint_{i}" for i in range(1, 8)] + ["gripper_width_m"], "ee_pose_names": ["x_m", "y_m", "z_m", "qw", "qx", "qy", "qz"],
             "cameras": cams, "privileged": ["sim.body_poses", "sim.object_poses", "sim.object_target_distance_m", "sim.grasped", "sim.success"],
             "bodies": BODIES, "segmentation_legend": LEGEND, "episodes": []}
    splits = splits or (["train"] * (episodes - 4) + ["valid"] * 2 + ["test"] * 2)
    target = np.array([0.5, 0.2, 0.025])
    for e in range(episodes):
        success = e % 2 == 0
        K = chunks
        T = K * fpc + 1
        cube0 = np.array([0.5 + rng.uniform(-0.05, 0.05), -0.15 + rng.uniform(-0.05, 0.05), 0.025])
        hand = np.zeros((T, 3))
        cube = np.zeros((T, 3))
        grasped = np.zeros(T)
        for t in range(T):
            s = t / (T - 1)
            start = cube0 + [0, 0, 0.25]
            goal = (target if success else cube0 + [0.1, 0.0, 0.0]) + [0, 0, 0.05]
            if s < 0.4:
                hand[t] = start + (cube0 + [0, 0, 0.04] - start) * (s / 0.4)
                cube[t] = cube0
            else:
                a = (s - 0.4) / 0.6
                hand[t] = cube0 + [0, 0, 0.04] + (goal - cube0 - [0, 0, 0.04]) * a
                cube[t] = hand[t] - [0, 0, 0.04] if success else cube0
                grasped[t] = float(success)
        ed = root / "episodes" / f"{e:06d}"
        ed.mkdir(parents=True, exist_ok=True)
        arrays = {}

        def put(name, a):
            a = np.ascontiguousarray(a)
            a.tofile(ed / f"{name}.bin")
            arrays[name] = {"file": f"episodes/{e:06d}/{name}.bin", "dtype": a.dtype.str, "shape": list(a.shape)}

        t_s = np.arange(T) * 0.2
        put("frame_t_s", t_s)
        put("frame_chunk", np.array([t // fpc if t % fpc == 0 else -1 for t in range(T)], np.int32))
        put("chunk_frame", (np.arange(K + 1) * fpc).astype(np.int32))
        state = np.zeros((T, 8), np.float32)
        state[:, 7] = np.where(grasped > 0, 0.05, 0.08)
        put("state", state)
        quat = np.tile([0, 1, 0, 0], (T, 1))
        put("ee_pose", np.concatenate([hand, quat], 1).astype(np.float32))
        step = np.diff(hand, axis=0, append=hand[-1:]) / fpc * 2  # per 0.1 s step
        acts = np.zeros((K, L, 7), np.float32)
        for k in range(K):
            for i in range(L):
                f = min(T - 1, k * fpc + i // 2)
                acts[k, i, :3] = step[f]
                acts[k, i, 6] = grasped[f]
        put("actions", acts)
        put("action_t_s", (np.arange(K * L) * 0.1).reshape(K, L))
        for name, m in CAMERAS.items():
            rgbs, depths, segs = zip(*[render(m, cube[t], hand[t] + [0, 0, 0.03]) for t in range(T)])
            put(f"rgb_{name}", np.stack(rgbs))
            put(f"depth_{name}", np.stack(depths))
            put(f"seg_{name}", np.stack(segs))
            put(f"capture_ns_{name}", (t_s * 1e9).astype(np.int64))
        poses = np.zeros((T, 3, 7), np.float32)
        poses[:, 0, 3] = 1
        poses[:, 1, :3], poses[:, 1, 3] = hand + [0, 0, 0.03], 1
        poses[:, 2, :3], poses[:, 2, 3] = cube, 1
        put("priv_body_poses", poses)
        put("priv_object_poses", poses[:, 2:3])
        put("priv_object_target_distance_m", np.linalg.norm(cube - target, axis=1)[:, None].astype(np.float32))
        put("priv_grasped", grasped[:, None].astype(np.float32))
        put("priv_success", np.where(np.arange(T) == T - 1, float(success), 0)[:, None].astype(np.float32))
        index["episodes"].append({"index": e, "dir": f"episodes/{e:06d}", "studio_episode_id": e + 1, "task": "pick and place",
                                  "outcome": "success" if success else "failure", "success": success, "split": splits[e],
                                  "tags": [], "operator": f"variant-{e % 3}", "num_frames": T, "num_chunks": K, "duration_s": float(t_s[-1]),
                                  "arrays": arrays})
    (root / "index.json").write_text(json.dumps(index, indent=1))
    return root
