"""dynamics.grasp_weight: the transitions where the gripper closes are drawn more often. Seeded and exact."""
from pathlib import Path

import numpy as np
import torch
from test_evaluation import episode

from gwmlite.config import load_config
from gwmlite.dataset import Normalizer
from gwmlite.runtime import Run
from gwmlite.stages import Data, closing_chunks, dynamics_batch_fn, dynamics_items, grasp_weights

CONFIGS = Path(__file__).resolve().parents[1] / "configs"


def closes_at(index: int, step: int | None, explore_chunk: int | None = None, K: int = 6):
    """An episode whose gripper closes at `step` (of K·8) and stays closed; an exploration chunk may close it meanwhile."""
    e = episode(index, 1.0 if step is not None else 0.0, close_at=None, K=K)
    g = np.zeros(K * 8, np.float32)
    if step is not None:
        g[step:] = 1
    if explore_chunk is not None:
        g[explore_chunk * 8:(explore_chunk + 1) * 8] = 1
    e.actions[..., 6] = g.reshape(K, 8)
    return e


def test_closing_chunks_come_from_the_commanded_gripper():
    # The policy closes 3 steps into chunk 3; an exploration chunk (1) closes and opens again.
    e = closes_at(0, 3 * 8 + 3, explore_chunk=1)
    assert closing_chunks(e).tolist() == [False, True, False, True, False, False]
    assert closing_chunks(closes_at(1, 4 * 8)).tolist() == [False, False, False, False, True, False]
    assert not closing_chunks(closes_at(2, None)).any()


def test_grasp_weights_mark_the_closing_chunk_and_the_one_after():
    eps = [closes_at(0, 3 * 8 + 3), closes_at(1, None)]
    items = dynamics_items(None, eps, two_step=False)
    w = grasp_weights(eps, items, 5.0)
    heavy = [it for it, x in zip(items, w) if x == 5.0]
    assert heavy == [(0, 3), (0, 4)] and (w[[i for i, it in enumerate(items) if it not in heavy]] == 1).all()


def _batches(tmp_path, weight: float, steps: range = range(40)):
    cfg = load_config(CONFIGS / "tiny.json")
    cfg.dynamics.grasp_weight = weight
    cfg.dynamics.batch = 64
    cfg.dynamics.steps = 1000  # the unrolls (two-step items) start at step 700
    eps = [closes_at(i, 3 * 8 + 3) for i in range(3)]
    for e in eps:
        e.split = "train"
    M, D, T = cfg.model.num_latents, cfg.model.latent_dim, cfg.model.context_frames
    # Each latent says which (episode, chunk) it is, so the batch tells what was drawn.
    lat = {e.index: torch.zeros(e.num_chunks + 1, M, D) for e in eps}
    for e in eps:
        for k in range(e.num_chunks + 1):
            lat[e.index][k] = e.index * 100.0 + k
    data = Data(export=None, episodes=eps, action_norm=Normalizer(np.zeros(7, np.float32), np.ones(7, np.float32)),
                proprio_norm=Normalizer(np.zeros(8, np.float32), np.ones(8, np.float32)), frames_per_chunk=2)
    fn = dynamics_batch_fn(cfg, data, lat, Run(tmp_path, progress=False))
    gen = torch.Generator().manual_seed(0)
    drawn = []
    for step in steps:
        b = fn(gen, step, cfg.dynamics.batch)
        assert b["ar_on"] == (step >= 700)
        drawn += [int(v) % 100 - 1 for v in b["x0"][:, 0, 0].tolist()]  # x0 is chunk t + 1: back to t
    return np.array(drawn), T


def test_the_batch_draws_closing_transitions_as_often_as_weighted(tmp_path):
    uniform, _ = _batches(tmp_path / "a", 1.0)
    heavy, _ = _batches(tmp_path / "b", 8.0)
    near = lambda d: np.isin(d, [3, 4]).mean()  # noqa: E731
    # 6 one-step items per episode, 2 of them closing: 1/3 uniformly, 16/20 with weight 8.
    assert abs(near(uniform) - 2 / 6) < 0.05
    assert abs(near(heavy) - 16 / 20) < 0.05
    # The unrolls' two-step items (5 per episode, the same 2 closing): 16/19.
    unrolled, _ = _batches(tmp_path / "c", 8.0, range(700, 740))
    assert abs(near(unrolled) - 16 / 19) < 0.05
