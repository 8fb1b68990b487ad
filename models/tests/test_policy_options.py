"""The chunk-policy options (gwmlite/policy.py): the graph keeps the contract while the network sees a canonical
quaternion and predicts cumulative chunks; training windows never target exploration; the pipeline trains and
exports a policy with the options on the tiny config."""
import json
import shutil

import numpy as np
import onnxruntime as ort
import torch

from gwmlite.cli import main
from gwmlite.config import PolicyConfig
from gwmlite.data import GwmExport
from gwmlite.dataset import Normalizer
from gwmlite.models import ModelConfig
from gwmlite.policy import IOPolicy, PolicyEpisode, PolicyIO, canonical_reference, canonicalise, cumulative, policy_samples

CFG = ModelConfig(width=32, heads=2, latent_dim=8, anchors_per_axis=2, policy_blocks=1, policy_noise_dim=4)


def _norms(rng):
    pn = Normalizer(np.array([0.45, 0.0, 0.15, 0.0, 0.0, 0.0, 0.0, 0.05]), np.array([0.08, 0.12, 0.13, 0.01, 0.98, 0.15, 0.01, 0.03]))
    an = Normalizer(np.array([0.0, 0.002, -0.005, 0.0, 0.0, 0.0, 0.47]), np.array([0.01, 0.01, 0.014, 0.005, 0.02, 0.03, 0.5]))
    q = rng.normal([0, 1, 0.1, 0], 0.05, (200, 4))
    q /= np.linalg.norm(q, axis=1, keepdims=True)
    q[::2] *= -1  # both hemispheres, as the simulator reports them
    P = np.c_[rng.normal(0.45, 0.05, (200, 3)), q, rng.uniform(0, 0.08, 200)].astype(np.float32)
    C = rng.normal(0, 0.01, (200, 8, 7)).astype(np.float32)
    C[..., 6] = rng.integers(0, 2, (200, 1))
    return pn, an, P, C


def test_canonical_reference_and_flip():
    rng = np.random.default_rng(0)
    q = rng.normal([0, 1, 0, 0], 0.05, (100, 4))
    q /= np.linalg.norm(q, axis=1, keepdims=True)
    q[::3] *= -1
    ref = canonical_reference(q)
    assert ref[1] > 0.99
    c = canonicalise(q, ref)
    assert (c[:, 1] > 0).all() and np.allclose(np.abs(c), np.abs(q), atol=1e-6)


def test_graph_sees_q_and_minus_q_as_one_pose_and_returns_per_step_deltas():
    rng = np.random.default_rng(1)
    pn, an, P, C = _norms(rng)
    io = PolicyIO(CFG, canonical_quat=True, action_target="cumulative")
    io.fit(P, C, pn, an)
    torch.manual_seed(0)
    pol = IOPolicy(CFG, io).eval()
    lat = torch.randn(3, CFG.num_latents, CFG.latent_dim)
    p = P[:3].copy()
    p_flip = p.copy()
    p_flip[:, 3:7] *= -1
    noise = torch.zeros(3, CFG.policy_noise_dim)
    with torch.no_grad():
        a = pol(lat, torch.from_numpy(pn(p)), noise)
        b = pol(lat, torch.from_numpy(pn(p_flip)), noise)
    assert torch.allclose(a, b, atol=1e-5)
    # cumulative targets: the graph's output map inverts the training target map exactly
    target = torch.from_numpy(io.net_target(C[:5]))
    back = io.actions_out(target, torch.zeros(5, CFG.policy_noise_dim)).numpy()
    assert np.allclose(back, an(C[:5]), atol=1e-4)
    assert np.allclose(cumulative(C[:1])[0, -1, :3], C[0, :, :3].sum(0), atol=1e-6)


def test_deterministic_mode_ignores_noise_except_the_offset():
    rng = np.random.default_rng(2)
    pn, an, P, C = _norms(rng)
    io = PolicyIO(CFG, deterministic=True, sample_offset_m=0.004)
    io.fit(P, C, pn, an)
    pol = IOPolicy(CFG, io).eval()
    lat = torch.randn(2, CFG.num_latents, CFG.latent_dim)
    prop = torch.from_numpy(pn(P[:2]))
    z = torch.zeros(2, CFG.policy_noise_dim)
    n = torch.randn(2, CFG.policy_noise_dim)
    with torch.no_grad():
        a, b = pol(lat, prop, z), pol(lat, prop, n)
    raw_a, raw_b = an.inverse(a.numpy()), an.inverse(b.numpy())
    assert np.allclose(raw_b[..., :3] - raw_a[..., :3], n[:, None, :3].numpy() * 0.004, atol=1e-5)
    assert np.allclose(raw_b[..., 3:], raw_a[..., 3:], atol=1e-5)


def test_training_windows_skip_exploration_and_cut_off_chunks():
    K, L, A = 3, 8, 7
    explore = np.zeros((K, L), bool)
    explore[1] = True
    T = 13  # frames at 5 Hz: 2 control steps each
    ep = PolicyEpisode(index=0, split="train", success=True, latent=np.zeros((7, 8, 8), np.float16), frames=np.arange(0, T, 2),
                       ee_pose=np.zeros((T, 7), np.float32), gripper_m=np.zeros(T, np.float32), actions=np.zeros((K, L, A), np.float32),
                       explore=explore, frame_t_s=np.arange(T) * 0.2)
    starts = [s.step for s in policy_samples([ep], L, 10.0, frames="all")]
    assert starts == [0, 16]  # steps 4, 8, 12 overlap the exploratory chunk; 20 runs past the end
    assert [s.step for s in policy_samples([ep], L, 10.0, frames="boundaries")] == [0, 16]
    assert policy_samples([ep], L, 10.0, success_only=True) and not policy_samples([PolicyEpisode(**{**ep.__dict__, "success": False})], L, 10.0, success_only=True)


def test_config_defaults_keep_the_first_policy():
    pc = PolicyConfig()
    assert not pc.canonical_quat and pc.action_target == "delta" and not pc.deterministic and pc.w_aux_object == 0


def test_pipeline_trains_and_exports_a_policy_with_the_options(tmp_path, export_dir, tiny_config):
    cfg = json.loads(tiny_config.read_text())
    cfg["policy"].update({"canonical_quat": True, "action_target": "cumulative", "deterministic": True, "arch": "mlp", "mlp_width": 32,
                          "frames": "all"})
    cfg_path = tmp_path / "tiny-policy.json"
    cfg_path.write_text(json.dumps(cfg))
    run = tmp_path / "run"
    args = ["--config", str(cfg_path), "--data", str(export_dir), "--run-dir", str(run), "--no-progress"]
    for stage in ("ae", "latents", "dynamics", "success", "policy", "export"):
        assert main([stage, *args]) == 0, stage
    pack = run / "pack"
    manifest = json.loads((pack / "gwm_manifest.json").read_text())
    assert manifest["policy"]["training"]["action_target"] == "cumulative"
    # frames "all": the trainer encodes every 2nd frame, so windows start between chunk boundaries too
    logged = [json.loads(line) for line in (run / "policy" / "metrics.jsonl").read_text().splitlines()]
    samples = next(r["samples"] for r in logged if "samples" in r)
    train_chunks = sum(e.num_chunks for e in GwmExport(export_dir).episodes if e.split == "train")
    assert samples > train_chunks  # "boundaries" gives at most one window per train chunk
    assert manifest["parity_max_abs_error"]["policy"] <= 1e-4
    sess = ort.InferenceSession(str(pack / "gwm_policy.onnx"), providers=["CPUExecutionProvider"])
    assert [i.name for i in sess.get_inputs()] == ["latent", "proprio", "policy_noise"]
    M, D, Z = manifest["latent"]["M"], manifest["latent"]["D"], manifest["policy"]["noise_dim"]
    out = sess.run(["actions"], {"latent": np.zeros((2, M, D), np.float32), "proprio": np.zeros((2, 8), np.float32), "policy_noise": np.zeros((2, Z), np.float32)})[0]
    assert out.shape == (2, 8, 7) and np.isfinite(out).all()
    shutil.rmtree(run)
