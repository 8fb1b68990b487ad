"""Lifting (observation → Gaussians): the committed fixtures the studio's TypeScript reproduces, and
the properties the design promises."""
import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest

from gwmlite.data import Camera, GwmExport
from gwmlite.lifting import CameraFrame, LiftingConfig, farthest_point_indices, geom_body_table, lift

FIXTURES = Path(__file__).resolve().parents[2] / "test" / "fixtures" / "gwm" / "lifting"


def load_fixture():
    meta = json.loads((FIXTURES / "inputs.json").read_text())
    arr = {k: np.fromfile(FIXTURES / v["file"], dtype=np.dtype(v["dtype"])).reshape(v["shape"]) for k, v in meta["arrays"].items()}
    return meta, arr


@pytest.mark.parametrize("case", ["sim", "real"])
def test_lifting_reproduces_the_committed_fixture(case):
    meta, arr = load_fixture()
    spec = meta["cases"][case]
    legend = geom_body_table(meta["segmentation_legend"]) if spec["segmentation"] else None
    frames = []
    for c in meta["cameras"]:
        i = c["intrinsics"]
        cam = Camera(c["name"], c["width"], c["height"], i["fx_px"], i["fy_px"], i["cx_px"], i["cy_px"], np.array(c["world_from_camera"]),
                     spec["color_space"], spec["segmentation"], "train")
        frames.append(CameraFrame(cam, arr[f"rgb_{c['name']}"], arr[f"depth_mm_{c['name']}"] / 1000.0, arr[f"seg_{c['name']}"] if spec["segmentation"] else None))
    out = lift(frames, np.array(meta["tcp_m"]), LiftingConfig.from_json(meta["lifting"]), legend)
    np.testing.assert_allclose(out.gaussians, arr[f"expected_{case}_gaussians"], rtol=0, atol=1e-6)
    np.testing.assert_array_equal(out.mask, arr[f"expected_{case}_mask"])
    np.testing.assert_array_equal(out.body, arr[f"expected_{case}_body"])
    assert out.mask.sum() > 1500  # a real frame fills most of the budget


def test_the_fixture_gives_the_gripper_and_cube_their_points():
    meta, arr = load_fixture()
    bodies = {e["body"]: e["body_id"] for e in meta["segmentation_legend"]}
    body = arr["expected_sim_body"]
    assert (body == bodies["cube"]).sum() >= 40
    assert np.isin(body, [bodies[b] for b in ("hand", "left_finger", "right_finger")]).sum() >= 100


def frames_of(export_dir, t=8, color_space=None, seg=True):
    ex = GwmExport(export_dir)
    ep = ex.episodes[0]
    out = []
    for c in ex.train_cameras:
        cam = dataclasses.replace(c, color_space=color_space or c.color_space)
        out.append(CameraFrame(cam, ep.load(f"rgb_{c.name}")[t], ep.depth_m(c.name)[t], ep.load(f"seg_{c.name}")[t] if seg else None))
    return ex, ep, out


def test_lifting_is_deterministic_and_exactly_n(export_dir):
    ex, ep, frames = frames_of(export_dir)
    cfg = LiftingConfig(num_gaussians=256, voxel_m=(0.012, 0.024, 0.05))
    a = lift(frames, ep.load("ee_pose")[8, :3], cfg, geom_body_table(ex.legend))
    b = lift(frames, ep.load("ee_pose")[8, :3], cfg, geom_body_table(ex.legend))
    assert a.gaussians.shape == (256, 14)
    np.testing.assert_array_equal(a.gaussians, b.gaussians)
    valid = a.mask > 0
    g = a.gaussians[valid]
    assert np.all(g[:, :3] >= np.array(cfg.crop_min_m) - 1e-6) and np.all(g[:, :3] <= np.array(cfg.crop_max_m) + 1e-6)
    np.testing.assert_array_equal(g[:, 6:10], np.tile([1, 0, 0, 0], (len(g), 1)))
    assert np.all(g[:, 13] == np.float32(cfg.opacity))
    assert np.all(a.gaussians[~valid] == 0) and np.all(a.tier[~valid] == -1)
    assert np.all(np.diff(a.tier[valid]) >= 0)  # focus, then scene, then table


def test_srgb_is_decoded_and_no_segmentation_is_fine(export_dir):
    ex, ep, lin = frames_of(export_dir)
    _, _, srgb = frames_of(export_dir, color_space="srgb", seg=False)
    cfg = LiftingConfig(num_gaussians=256, voxel_m=(0.012, 0.024, 0.05))
    a = lift(lin, ep.load("ee_pose")[8, :3], cfg, geom_body_table(ex.legend))
    b = lift(srgb, ep.load("ee_pose")[8, :3], cfg, None)
    np.testing.assert_array_equal(a.gaussians[:, :10], b.gaussians[:, :10])
    assert np.all(b.body == -1)
    m = a.mask > 0
    assert np.all(b.gaussians[m, 10:13] <= a.gaussians[m, 10:13] + 1e-7)  # decoding sRGB darkens mid-tones
    assert np.any(b.gaussians[m, 10:13] < a.gaussians[m, 10:13] - 0.05)


def test_a_tight_budget_is_spent_on_the_gripper_and_objects_first(export_dir):
    ex, ep, frames = frames_of(export_dir)
    cfg = LiftingConfig(num_gaussians=40, voxel_m=(0.012, 0.024, 0.05))
    out = lift(frames, ep.load("ee_pose")[8, :3], cfg, geom_body_table(ex.legend))
    assert out.mask.sum() == 40
    assert np.all(out.tier[:40] == 0)
    assert {1, 2} <= set(np.unique(out.body).tolist())  # the hand and the cube made it into 40 points


def test_farthest_point_sampling():
    p = np.array([[0, 0, 0], [1, 0, 0], [0.1, 0, 0], [0, 2, 0], [0.5, 0.5, 0]], float)
    assert farthest_point_indices(p, 3).tolist() == [0, 1, 3]
    assert farthest_point_indices(p, 9).tolist() == [0, 1, 2, 3, 4]
