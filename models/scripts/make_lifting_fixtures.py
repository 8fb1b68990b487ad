"""Write the lifting fixtures the studio's TypeScript lifting must reproduce (≤ 1e-5):
test/fixtures/gwm/lifting/ — inputs.json + raw arrays of one real simulator frame (two train cameras),
and the expected Gaussians for two cases: `sim` (linear colour, segmentation → body ids) and `real`
(the same pixels read as sRGB with no segmentation, as a real rig's export is).

Usage: models/.venv/bin/python models/scripts/make_lifting_fixtures.py EXPORT_DIR [--episode 0 --frame 12]
"""
from __future__ import annotations

import argparse
import dataclasses
import json
from pathlib import Path

import numpy as np

from gwmlite.data import GwmExport
from gwmlite.lifting import CameraFrame, LiftingConfig, geom_body_table, lift

OUT = Path(__file__).resolve().parents[2] / "test" / "fixtures" / "gwm" / "lifting"


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("export")
    p.add_argument("--episode", type=int, default=0)
    p.add_argument("--frame", type=int, default=12)
    a = p.parse_args()
    ex = GwmExport(a.export)
    ep = ex.episodes[a.episode]
    OUT.mkdir(parents=True, exist_ok=True)
    arrays, cams = {}, []

    def put(name, arr):
        arr = np.ascontiguousarray(arr)
        arr.tofile(OUT / f"{name}.bin")
        arrays[name] = {"file": f"{name}.bin", "dtype": arr.dtype.str, "shape": list(arr.shape)}

    t = a.frame
    for c in ex.train_cameras:
        put(f"rgb_{c.name}", ep.load(f"rgb_{c.name}")[t])
        put(f"depth_mm_{c.name}", ep.load(f"depth_{c.name}")[t])
        put(f"seg_{c.name}", ep.load(f"seg_{c.name}")[t])
        cams.append({"name": c.name, "width": c.width, "height": c.height, "intrinsics": {"fx_px": c.fx, "fy_px": c.fy, "cx_px": c.cx, "cy_px": c.cy},
                     "world_from_camera": c.world_from_camera.tolist()})
    tcp = [float(v) for v in ep.load("ee_pose")[t, :3]]
    cfg = LiftingConfig()
    cases = {}
    for case, srgb, with_seg in (("sim", False, True), ("real", True, False)):
        frames = []
        for c in ex.train_cameras:
            cam = dataclasses.replace(c, color_space="srgb" if srgb else "linear")
            frames.append(CameraFrame(cam, ep.load(f"rgb_{c.name}")[t], ep.depth_m(c.name)[t], ep.load(f"seg_{c.name}")[t] if with_seg else None))
        out = lift(frames, np.array(tcp), cfg, geom_body_table(ex.legend) if with_seg else None)
        put(f"expected_{case}_gaussians", out.gaussians)
        put(f"expected_{case}_mask", out.mask)
        put(f"expected_{case}_body", out.body)
        cases[case] = {"color_space": "srgb" if srgb else "linear", "segmentation": with_seg}
    meta = {"source": f"{ex.root.name}: episode {ep.index}, frame {t} (rigs/sim-gwm.json)", "depth_unit": "mm", "tcp_m": tcp,
            "lifting": cfg.to_json(), "cameras": cams, "segmentation_legend": ex.legend, "cases": cases, "arrays": arrays}
    (OUT / "inputs.json").write_text(json.dumps(meta, indent=1))
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
