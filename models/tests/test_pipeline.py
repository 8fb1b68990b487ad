"""Every stage on the tiny config: training, resume, ONNX export with parity, the pack, evaluation."""
import dataclasses
import json
from pathlib import Path
import shutil

import numpy as np
import onnxruntime as ort
import pytest
import torch

from gwmlite import stages as stages_mod
from gwmlite.cli import main
from gwmlite.export import graph_specs, sha256
from gwmlite.config import load_config
from synthetic import write_export


def run_cli(*args) -> int:
    return main([*map(str, args), "--no-progress"])


@pytest.fixture(scope="module")
def full_run(tmp_path_factory, export_dir, tiny_config):
    run = tmp_path_factory.mktemp("run") / "tiny"
    variants = write_export(tmp_path_factory.mktemp("variants"), episodes=6, seed=5)
    assert run_cli("all", "--config", tiny_config, "--data", export_dir, "--variants", variants, "--run-dir", run) == 0
    return run


def test_all_stages_write_their_results(full_run):
    for s in ("ae", "latents", "dynamics", "success", "policy"):
        assert (full_run / s / "final.pt").exists(), s
    metrics = [json.loads(line) for line in (full_run / "ae" / "metrics.jsonl").read_text().splitlines()]
    assert [m["step"] for m in metrics] == list(range(6))
    assert all(np.isfinite(m["loss"]) for m in metrics)
    assert {"flow_m2", "flow_moving_m2", "moving_frac", "chamfer_m2", "rgb_l1", "render_l1"} <= set(metrics[0])
    # the tiny config trains the state probes (ae.w_state): the synthetic export has privileged object poses
    assert all(np.isfinite(m["state_dm2"]) and m["state_object_rms_cm"] > 0 for m in metrics)


def test_pack_matches_the_contract(full_run, tiny_config):
    pack = full_run / "pack"
    # Strict JSON (no NaN: the studio's JSON.parse rejects it); the tiny test split has undefined AUROCs.
    manifest = json.loads((pack / "gwm_manifest.json").read_text(), parse_constant=lambda c: pytest.fail(f"manifest holds {c}"))
    cfg = load_config(tiny_config)
    assert manifest["contract_version"] == "gwm-contract/1"
    assert manifest["opset"] == 17
    for name, spec in graph_specs(cfg).items():
        path = pack / spec["file"]
        assert manifest["files"][spec["file"]] == sha256(path)
        sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
        assert [i.name for i in sess.get_inputs()] == [i["name"] for i in spec["inputs"]]
        assert [o.name for o in sess.get_outputs()] == [o["name"] for o in spec["outputs"]]
        for got, want in zip(sess.get_inputs(), spec["inputs"]):
            assert len(got.shape) == len(want["shape"])
            assert got.shape[0] == "B"  # dynamic batch
        assert manifest["parity_max_abs_error"][name] <= 1e-4
    assert manifest["latent"]["M"] == cfg.model.num_latents
    assert len(manifest["actions"]["normalization"]["mean"]) == 7
    assert manifest["evaluation"]["split"] == "test"
    report = (pack / "REPORT.md").read_text()
    assert report.startswith("# gwm-lite-tiny")
    assert "Across 3 policy variants (variants export" in report
    pl = manifest["evaluation"]["success"]["policy_level"]
    assert sorted(pl["variants"]) == ["variant-0", "variant-1", "variant-2"] and -1 <= pl["spearman"] <= 1
    for fig in ("fig_chamfer.png", "fig_reliability.png"):
        assert (pack / fig).read_bytes()[:4] == b"\x89PNG"


def test_decoder_starts_as_copy_last_state(tiny_config):
    cfg = load_config(tiny_config)
    model = stages_mod.build_model(cfg)
    g = torch.rand(2, 50, 14)
    z = torch.randn(2, cfg.model.num_latents, cfg.model.latent_dim)
    out = model.decoder(z, torch.randn_like(z), g)
    torch.testing.assert_close(out[..., :10], g[..., :10])
    torch.testing.assert_close(out[..., 10:13], g[..., 10:13].clamp(0, 1))


def test_interrupted_training_resumes_to_the_same_weights(tmp_path, export_dir, tiny_config, monkeypatch):
    straight = tmp_path / "straight"
    assert run_cli("ae", "--config", tiny_config, "--data", export_dir, "--run-dir", straight) == 0

    resumed = tmp_path / "resumed"
    real = stages_mod.ae_batch_fn

    def failing(cfg, data, run):
        fn = real(cfg, data, run)

        def wrapped(gen, step, share):
            if step == 4:
                raise KeyboardInterrupt("power cut")
            return fn(gen, step, share)
        return wrapped

    monkeypatch.setattr(stages_mod, "ae_batch_fn", failing)
    with pytest.raises(KeyboardInterrupt):
        run_cli("ae", "--config", tiny_config, "--data", export_dir, "--run-dir", resumed)
    assert (resumed / "ae" / "ckpt.pt").exists() and not (resumed / "ae" / "final.pt").exists()
    monkeypatch.setattr(stages_mod, "ae_batch_fn", real)
    (resumed / "ae" / "ckpt.pt.tmp").write_bytes(b"half-written")  # a checkpoint write cut short
    assert run_cli("ae", "--config", tiny_config, "--data", export_dir, "--run-dir", resumed) == 0
    a = torch.load(straight / "ae" / "final.pt", weights_only=False)["modules"]
    b = torch.load(resumed / "ae" / "final.pt", weights_only=False)["modules"]
    for part in ("encoder", "decoder"):
        for k in a[part]:
            torch.testing.assert_close(a[part][k], b[part][k], rtol=0, atol=1e-6, msg=f"{part}.{k}")


def test_a_failed_export_leaves_the_previous_pack(full_run, tiny_config, export_dir, monkeypatch, tmp_path):
    run = tmp_path / "copy"
    shutil.copytree(full_run, run, ignore=shutil.ignore_patterns("pack"))
    shutil.copytree(full_run / "pack", run / "pack")
    before = (run / "pack" / "gwm_manifest.json").read_text()
    from gwmlite import export as export_mod
    monkeypatch.setattr(export_mod, "parity", lambda *a, **k: 1.0)
    with pytest.raises(RuntimeError, match="ONNX parity failed"):
        run_cli("export", "--config", tiny_config, "--data", export_dir, "--run-dir", run, "--force")
    assert (run / "pack" / "gwm_manifest.json").read_text() == before
    assert [p.name for p in run.iterdir() if p.name.startswith(".pack")] == []
    assert sorted(p.name for p in (run / "pack").iterdir() if p.suffix == ".onnx") == sorted(
        s["file"] for s in graph_specs(load_config(tiny_config)).values())


def test_later_stage_without_earlier_one_says_what_to_run(tmp_path, export_dir, tiny_config, capsys):
    assert run_cli("dynamics", "--config", tiny_config, "--data", export_dir, "--run-dir", tmp_path / "r") == 2
    assert "stage 'ae' has not finished" in capsys.readouterr().err


def test_evaluate_alone_on_a_finished_run(full_run, tiny_config, export_dir):
    before = json.loads((full_run / "pack" / "gwm_manifest.json").read_text())["files"]
    assert run_cli("evaluate", "--config", tiny_config, "--data", export_dir, "--run-dir", full_run) == 0
    after = json.loads((full_run / "pack" / "gwm_manifest.json").read_text())
    assert after["files"] == before  # the graphs are untouched; only the evaluation is rewritten
    assert after["evaluation"]["split"] == "test"
    timings = [json.loads(line) for line in (full_run / "timings.jsonl").read_text().splitlines()]
    assert set(timings[-1]["seconds"]) == {"load_and_lift", "evaluate"}


def test_evaluate_on_the_validation_split_leaves_the_pack(full_run, tmp_path, tiny_config, export_dir):
    run = full_run
    before = (run / "pack" / "gwm_manifest.json").read_text()
    report = (run / "pack" / "REPORT.md").read_text()
    assert run_cli("evaluate", "--config", tiny_config, "--data", export_dir, "--run-dir", run, "--split", "valid") == 0
    assert (run / "pack" / "gwm_manifest.json").read_text() == before and (run / "pack" / "REPORT.md").read_text() == report
    ev = json.loads((run / "evaluate-valid" / "evaluation.json").read_text())
    assert ev["split"] == "valid"
    assert (run / "evaluate-valid" / "REPORT.md").read_text().startswith("# gwm-lite-tiny: evaluation report (valid split)")
    # The same evaluation from the pack's ONNX graphs alone (how an earlier pack is compared).
    import importlib.util
    spec = importlib.util.spec_from_file_location("eval_pack", Path(__file__).parents[1] / "scripts" / "eval_pack.py")
    eval_pack = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(eval_pack)
    assert eval_pack.main(["--pack", str(run / "pack"), "--config", str(tiny_config), "--data", str(export_dir), "--run-dir", str(tmp_path / "onnx")]) == 0
    onnx_ev = json.loads((tmp_path / "onnx" / "evaluate-valid" / "evaluation.json").read_text())
    for h, row in ev["fidelity"].items():  # the same graphs (≤ 1e-4 parity) give the same fidelity
        assert onnx_ev["fidelity"][h]["chamfer_all_model"] == pytest.approx(row["chamfer_all_model"], rel=1e-3, abs=1e-4)
    assert eval_pack.main(["--pack", str(run / "pack"), "--config", str(tiny_config), "--data", str(export_dir), "--run-dir", str(tmp_path / "x"), "--split", "test"]) == 2


def test_focus_flow_term_weighs_only_the_gripper_and_object_gaussians(tmp_path, export_dir, tiny_config):
    from gwmlite.runtime import Run

    assert stages_mod.focus_body_ids(["world", "link0", "hand", "left_finger", "right_finger", "cube", "object_mug"]).tolist() == [2, 3, 4, 5, 6]
    cfg = load_config(tiny_config)
    assert cfg.ae.w_flow_focus > 0
    run = Run(tmp_path / "run", "cpu", progress=False)
    data = stages_mod.load_data(cfg, export_dir, tmp_path / "cache", run)
    batch = stages_mod.ae_batch_fn(cfg, data, run)(torch.Generator().manual_seed(3), 1, cfg.ae.batch)
    focus = batch["flow_focus"] > 0
    # The synthetic export's bodies are world (0), hand (1), cube (2): the focus mask is exactly hand + cube.
    bodies = torch.stack([torch.from_numpy(e.body[0]) for e in data.train])  # any frame: a Gaussian's body is its geom's
    assert set(torch.unique(bodies).tolist()) >= {0, 1, 2}
    model = stages_mod.build_model(cfg)
    torch.manual_seed(0)
    with torch.no_grad():  # a decoder that moves things, so the flow errors differ per Gaussian
        model.decoder.head.weight.normal_(0, 0.5)
    stage = stages_mod.AeStage(model, cfg, data)
    batch["render_on"] = False
    loss, metrics = stage(**batch)
    with torch.no_grad():
        z_src, z_tgt = model.encoder(batch["g_src"], batch["m_src"]), model.encoder(batch["g_tgt"], batch["m_tgt"])
        err = ((model.decoder(z_src, z_tgt, batch["g_src"])[..., :3] - batch["flow_xyz"]) ** 2).sum(-1)
    sel = focus & (batch["flow_valid"] > 0) & (batch["m_src"] > 0)
    assert sel.any() and (~sel & (batch["m_src"] > 0)).any()
    torch.testing.assert_close(metrics["flow_focus_m2"], err[sel].mean())
    assert float(metrics["flow_focus_m2"]) != pytest.approx(float(metrics["flow_m2"]))
    # … and it enters the loss with its weight.
    stage.cfg = dataclasses.replace(cfg, ae=dataclasses.replace(cfg.ae, w_flow_focus=0.0))
    loss0, _ = stage(**batch)
    torch.testing.assert_close(loss - loss0, cfg.ae.w_flow_focus * metrics["flow_focus_m2"], rtol=1e-4, atol=1e-7)
