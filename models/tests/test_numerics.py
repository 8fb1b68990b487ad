"""EDM preconditioning and sampler, Chamfer, flow targets and the classification metrics."""
import numpy as np
import torch

from gwmlite.edm import EdmConfig, karras_sigmas, sample
from gwmlite.geometry import chamfer, chamfer_np, flow_targets
from gwmlite.metrics import auroc, brier, ece, pearson, spearman


def test_karras_schedule():
    cfg = EdmConfig()
    s = karras_sigmas(cfg)
    assert len(s) == cfg.steps + 1 and s[-1] == 0
    assert abs(s[0] - cfg.sigma_max) < 1e-12 and abs(s[-2] - cfg.sigma_min) < 1e-12
    assert karras_sigmas(cfg, 1) == [cfg.sigma_max, 0.0]


def test_euler_sampler_with_an_ideal_denoiser_lands_on_the_data():
    target = torch.randn(2, 4, 3)
    ideal = lambda x, s, c, a: target  # noqa: E731  D(x; σ) = x0
    out = sample(ideal, None, None, torch.randn(2, 4, 3), EdmConfig())
    torch.testing.assert_close(out, target)


def test_preconditioning_is_edm():
    from gwmlite.models import Denoiser, ModelConfig
    d = Denoiser(ModelConfig(width=16, heads=2, latent_dim=4, anchors_per_axis=2, denoiser_blocks=1))
    sigma = torch.tensor([0.0001, 0.5, 20.0])
    c_in, c_skip, c_out, c_noise = d.precondition(sigma)
    sd = 0.5
    torch.testing.assert_close(c_skip, sd ** 2 / (sigma ** 2 + sd ** 2))
    torch.testing.assert_close(c_out, sigma * sd / (sigma ** 2 + sd ** 2).sqrt())
    torch.testing.assert_close(c_in, 1 / (sigma ** 2 + sd ** 2).sqrt())
    torch.testing.assert_close(c_noise, sigma.log() / 4)
    x = torch.randn(3, 8, 4)
    out = d(x, sigma, torch.randn(3, 2, 8, 4), torch.randn(3, 8, 7))  # zero-initialised output: D = c_skip·x
    torch.testing.assert_close(out, c_skip[:, None, None] * x)


def test_chamfer():
    a = torch.tensor([[[0.0, 0, 0], [1, 0, 0]]])
    b = torch.tensor([[[0.0, 0, 0], [1, 0, 0], [1, 0, 0.5]]])
    # a→b: 0, 0; b→a: 0, 0, 0.25 → mean 0 + 0.25/3
    torch.testing.assert_close(chamfer(a, b), torch.tensor([0.25 / 3]))
    assert abs(chamfer_np(a[0].numpy(), b[0].numpy()) - 0.25 / 3) < 1e-7
    mask_b = torch.tensor([[1.0, 1.0, 0.0]])
    torch.testing.assert_close(chamfer(a, b, mask_b=mask_b), torch.tensor([0.0]))


def test_flow_targets_follow_the_body():
    xyz = np.array([[1.0, 0, 0], [0, 1, 0], [5, 5, 5]], np.float32)
    body = np.array([1, 1, -1])
    t = np.array([[0, 0, 0, 1, 0, 0, 0], [0, 0, 0, 1, 0, 0, 0]], np.float32)
    k = t.copy()
    k[1] = [0, 0, 1, np.cos(np.pi / 4), 0, 0, np.sin(np.pi / 4)]  # +1 m up, 90° about z
    out, valid = flow_targets(xyz, body, t, k)
    np.testing.assert_allclose(out[0], [0, 1, 1], atol=1e-6)
    np.testing.assert_allclose(out[1], [-1, 0, 1], atol=1e-6)
    np.testing.assert_array_equal(out[2], xyz[2])
    assert valid.tolist() == [True, True, False]


def test_classification_metrics():
    y = np.array([0, 0, 1, 1])
    assert auroc(y, np.array([0.1, 0.4, 0.35, 0.8])) == 0.75
    assert auroc(y, np.array([0.5, 0.5, 0.5, 0.5])) == 0.5
    assert np.isnan(auroc(np.ones(3), np.ones(3)))
    assert brier(y, np.array([0, 0, 1, 1])) == 0
    e, table = ece(np.array([1, 0, 1, 1]), np.array([0.9, 0.9, 0.9, 0.9]))
    assert abs(e - 0.15) < 1e-12 and table[0]["n"] == 4
    assert abs(pearson([1, 2, 3], [2, 4, 6]) - 1) < 1e-12
    assert abs(spearman([1, 2, 3], [1, 10, 100]) - 1) < 1e-12
