"""A malformed or foreign export stops with a message naming the episode, the array and the fix."""
import json
import shutil

import numpy as np
import pytest

from gwmlite.cli import main
from gwmlite.data import ExportError, GwmExport
from synthetic import write_export


@pytest.fixture
def export(tmp_path, export_dir):
    dst = tmp_path / "export"
    shutil.copytree(export_dir, dst)
    return dst


def edit_index(root, fn):
    p = root / "index.json"
    d = json.loads(p.read_text())
    fn(d)
    p.write_text(json.dumps(d))


def test_not_an_export(tmp_path):
    with pytest.raises(ExportError, match=r"no index.json — this is not a GWM export; make one with `studio export --format gwm"):
        GwmExport(tmp_path)


def test_foreign_format_and_unknown_version(export):
    edit_index(export, lambda d: d.update(format="lerobot"))
    with pytest.raises(ExportError, match=r"format is 'lerobot'.*--format gwm"):
        GwmExport(export)
    edit_index(export, lambda d: d.update(format="foresight-gwm-sequences", version=99))
    with pytest.raises(ExportError, match=r"version 99 is not supported"):
        GwmExport(export)


def test_missing_array(export):
    edit_index(export, lambda d: d["episodes"][3]["arrays"].pop("ee_pose"))
    with pytest.raises(ExportError, match=r"episode 3 .*required array 'ee_pose' is missing"):
        GwmExport(export)


def test_truncated_array_file(export):
    ex = GwmExport(export)
    f = export / ex.episodes[2].meta["arrays"]["depth_front"]["file"]
    f.write_bytes(f.read_bytes()[:100])
    with pytest.raises(ExportError, match=r"episode 2 .*array 'depth_front' \(depth_front.bin\) has 100 bytes.*truncated or foreign"):
        GwmExport(export).episodes[2].load("depth_front")


def test_nan_values(export):
    ex = GwmExport(export)
    f = export / ex.episodes[1].meta["arrays"]["ee_pose"]["file"]
    a = np.fromfile(f, np.float32)
    a[7 * 5 + 2] = np.nan
    a.tofile(f)
    with pytest.raises(ExportError, match=r"episode 1 .*'ee_pose' holds NaN or infinite values \(first at row 5\)"):
        GwmExport(export).episodes[1].load("ee_pose")


def test_camera_without_depth_or_intrinsics(export):
    edit_index(export, lambda d: d["cameras"]["side"].update(depth=False))
    with pytest.raises(ExportError, match=r"camera 'side' has no depth — the lifting needs RGB-D"):
        GwmExport(export)
    edit_index(export, lambda d: (d["cameras"]["side"].update(depth=True), d["cameras"]["side"].pop("intrinsics")))
    with pytest.raises(ExportError, match=r"camera 'side' has no intrinsics — add them to the rig config"):
        GwmExport(export)


def test_empty_split_through_the_cli(tmp_path, tiny_config, capsys):
    root = write_export(tmp_path / "all-test", episodes=4, splits=["test"] * 4)
    assert main(["ae", "--config", str(tiny_config), "--data", str(root), "--run-dir", str(tmp_path / "run"), "--no-progress"]) == 2
    assert "no train episodes with a chunk — export more episodes" in capsys.readouterr().err


def test_config_errors_name_the_key(tmp_path, export_dir, capsys):
    cfg = tmp_path / "bad.json"
    cfg.write_text(json.dumps({"ae": {"stpes": 3}}))
    assert main(["ae", "--config", str(cfg), "--data", str(export_dir), "--run-dir", str(tmp_path / "r"), "--no-progress"]) == 2
    assert "unknown key(s) ['stpes']" in capsys.readouterr().err


def test_cuda_requested_without_a_gpu(tmp_path, export_dir, tiny_config, capsys):
    import torch
    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")  # the message is only reachable without a GPU
    assert main(["ae", "--config", str(tiny_config), "--data", str(export_dir), "--run-dir", str(tmp_path / "r"), "--device", "cuda"]) == 2
    assert "torch sees no CUDA device — use --device cpu" in capsys.readouterr().err
