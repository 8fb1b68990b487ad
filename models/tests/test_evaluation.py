"""The evaluation's definitions: decision points, the policy-level prediction, the comparison heads, and
the second pack's model changes (appearance-free decoder, flat success pooling). Seeded and exact."""

import numpy as np
import pytest
import torch

from gwmlite import stages as stages_mod
from gwmlite.config import load_config
from gwmlite.dataset import LiftedEpisode
from gwmlite.evaluate import comparison_head, decision_points, first_close, policy_level, true_motion
from gwmlite.models import Decoder, ModelConfig, SuccessHead
from gwmlite.stages import Trajectories


def episode(index: int, success: float, close_at: int | None, explore_close_at: int | None = None, K: int = 6, variant: str = "v") -> LiftedEpisode:
    """K chunks of 2 frames; the cube is held from the chunk after the close (when it succeeds)."""
    T = 2 * K + 1
    actions = np.zeros((K, 8, 7), np.float32)
    explore = np.zeros(K, bool)
    if close_at is not None:
        actions[close_at:, 3:, 6] = 1.0
    if explore_close_at is not None:
        actions[explore_close_at, :, 6] = 1.0
        explore[explore_close_at] = True
    grasped = np.zeros(T, np.float32)
    obj = np.zeros((T, 7), np.float32)
    obj[:, 3] = 1
    ee = np.zeros((T, 7), np.float32)
    ee[:, 3] = 1
    ee[:, 0] = np.linspace(0.3, 0.0, T)  # the TCP approaches the cube at the origin
    if success and close_at is not None:
        grasped[2 * (close_at + 1):] = 1
        obj[2 * (close_at + 2):, 2] = 0.1
    z = np.zeros((T, 4, 14), np.float32)
    return LiftedEpisode(index=index, split="test", success=success, variant=variant, g=z, mask=np.ones((T, 4), np.float32),
                         body=np.zeros((T, 4), np.int16), chunk_frame=np.arange(K + 1) * 2, frame_t_s=np.arange(T) * 0.1,
                         ee_pose=ee, gripper_m=np.zeros(T, np.float32), actions=actions, explore=explore, body_poses=None,
                         object_pose=obj, target_dist=np.ones(T, np.float32), grasped=grasped)


def test_pre_close_is_the_policys_first_closing_chunk_not_an_exploration_chunk():
    e = episode(0, 1.0, close_at=3, explore_close_at=1)
    assert first_close(e) == 3
    dp = decision_points(e)
    assert dp["pre_close"] == 3 and dp["pre_grasp"] == 3 and dp["first_chunk"] == 0
    assert decision_points(episode(1, 0.0, close_at=2))["pre_close"] == 2  # a failure closes too: same rule
    assert "pre_close" not in decision_points(episode(2, 0.0, close_at=None))
    held = episode(3, 0.0, close_at=None, explore_close_at=0)
    held.actions[:, :, 6] = 1.0  # exploration closed it in chunk 0 and the policy kept it closed: no later close
    assert first_close(held) == 0
    reopened = episode(4, 1.0, close_at=4, explore_close_at=1)
    reopened.actions[2, :4, 6] = 1.0  # still closed from the exploration chunk, then open, then the real close
    assert first_close(reopened) == 4


def trajectories_for(eps, p_at):
    """One trajectory per boundary; p_at(episode, boundary) is the head's prediction there."""
    keys = [(e.index, t) for e in eps for t in range(e.num_chunks)]
    n = len(keys)
    tr = Trajectories(torch.zeros(n, 2, 1, 1), torch.zeros(n, 2, 1, 1), torch.tensor([next(e.success for e in eps if e.index == k) for k, _ in keys]),
                      torch.zeros(n, 2), torch.zeros(n, 2, 3), [k for k, _ in keys], [t for _, t in keys])
    return tr, np.array([p_at(k, t) for k, t in keys])


def test_policy_level_predicts_each_episode_at_its_pre_close_boundary():
    rates = {"a": 0.75, "b": 0.5, "c": 0.25}
    eps = []
    for vi, (v, r) in enumerate(rates.items()):
        for j in range(4):
            eps.append(episode(10 * vi + j, float(j < 4 * r), close_at=2 + j % 2, variant=v))
    close = {e.index: first_close(e) for e in eps}
    # The head is informative at pre-close only; everywhere else it says 0.5.
    tr, p = trajectories_for(eps, lambda k, t: (0.9 if next(e.success for e in eps if e.index == k) else 0.1) if t == close[k] else 0.5)
    pl = policy_level(tr, p, eps, "unit")
    assert pl["decision_point"] == "pre_close"
    assert pl["spearman"] == pytest.approx(1.0) and pl["pearson"] > 0.99
    assert [round(v["predicted"], 3) for v in pl["variants"].values()] == [0.7, 0.5, 0.3]
    assert [v["real"] for v in pl["variants"].values()] == [0.75, 0.5, 0.25]
    flat = pl["by_decision_point"]["first_chunk"]
    assert {round(v["predicted"], 3) for v in flat["variants"].values()} == {0.5}
    assert set(pl["by_decision_point"]) == {"first_chunk", "pre_grasp", "all_boundaries"}


def test_policy_level_says_when_a_boundary_is_missing():
    e = episode(0, 1.0, close_at=3)
    tr, p = trajectories_for([e], lambda k, t: 0.5)
    keep = [i for i, b in enumerate(tr.boundary) if b != 3]
    tr.episode, tr.boundary, p = [tr.episode[i] for i in keep], [tr.boundary[i] for i in keep], p[keep]
    with pytest.raises(ValueError, match="no trajectory at boundary 3"):
        policy_level(tr, p, [e], "unit")


def test_comparison_heads_start_fresh_and_seeded(tiny_config):
    cfg = load_config(tiny_config)
    trained = stages_mod.build_model(cfg).success
    with torch.no_grad():
        for prm in trained.parameters():
            prm.add_(1.0)  # stands for training: every parameter moved, 1-D ones included
        trained.temperature.fill_(0.6)
    a, b = comparison_head(cfg), comparison_head(cfg)
    for (name, pa), pb, pt in zip(a.state_dict().items(), b.state_dict().values(), trained.state_dict().values()):
        torch.testing.assert_close(pa, pb, rtol=0, atol=0, msg=name)
        if name != "temperature":
            assert not torch.equal(pa, pt), f"{name} copied from the trained head"
    assert float(a.temperature) == 1.0
    fresh = SuccessHead(cfg.model)
    norms = [k for k in a.state_dict() if k.endswith("norm.weight")]
    assert norms and all(torch.equal(a.state_dict()[k], fresh.state_dict()[k]) for k in norms)


def test_decoder_without_appearance_moves_splats_but_keeps_colour_and_size():
    cfg = ModelConfig(width=16, heads=2, latent_dim=4, anchors_per_axis=2, fourier_freqs=2, decoder_blocks=1)
    torch.manual_seed(0)
    dec = Decoder(cfg, (-0.5, -0.5, 0.0), (0.5, 0.5, 0.5))
    torch.nn.init.normal_(dec.head.weight, std=1.0)
    torch.nn.init.normal_(dec.head.bias, std=1.0)
    g = torch.rand(2, 30, 14) * 0.5
    z = torch.randn(2, cfg.num_latents, cfg.latent_dim)
    out = dec(z, z * 2, g)
    assert not torch.allclose(out[..., :3], g[..., :3])  # it moves them
    torch.testing.assert_close(out[..., 3:10], g[..., 3:10], rtol=0, atol=0)
    torch.testing.assert_close(out[..., 10:13], g[..., 10:13], rtol=0, atol=0)
    with_app = Decoder(ModelConfig(**{**cfg.to_json(), "decoder_appearance": True}), (-0.5, -0.5, 0.0), (0.5, 0.5, 0.5))
    with_app.load_state_dict(dec.state_dict())
    assert not torch.allclose(with_app(z, z * 2, g)[..., 10:13], g[..., 10:13])


@pytest.mark.parametrize("pool", ["flat", "attention"])
def test_success_head_pools_both_ways(pool):
    cfg = ModelConfig(width=16, heads=2, latent_dim=4, anchors_per_axis=2, success_width=16, success_pool=pool)
    head = SuccessHead(cfg)
    logit, prob, progress = head(torch.randn(3, 5, cfg.num_latents, cfg.latent_dim))
    assert logit.shape == (3,) and prob.shape == (3,) and progress.shape == (3, 5)


def test_unknown_success_pool_is_named():
    with pytest.raises(ValueError, match="model.success_pool 'mean'"):
        SuccessHead(ModelConfig(success_pool="mean"))


def test_true_motion_carries_each_gaussian_with_its_body_and_leaves_the_rest():
    e = episode(0, 1.0, 2)
    T = len(e.frame_t_s)
    e.g = np.random.default_rng(0).normal(size=(T, 4, 14)).astype(np.float32)
    e.body = np.tile(np.array([-1, 0, 1, 1], np.int16), (T, 1))  # unknown, world, cube, cube
    poses = np.zeros((T, 2, 7), np.float32)
    poses[..., 3] = 1
    poses[:, 1, 2] = np.arange(T) * 0.01  # the cube rises 1 cm a frame; the world stays
    e.body_poses = poses
    moved = true_motion(e, 1, 5)
    np.testing.assert_allclose(moved[:2], e.g[1, :2])  # no body / a static body: where they were
    np.testing.assert_allclose(moved[2:, :3], e.g[1, 2:, :3] + [0, 0, 0.04], atol=1e-6)
    np.testing.assert_allclose(moved[:, 3:], e.g[1, :, 3:])  # only positions move
