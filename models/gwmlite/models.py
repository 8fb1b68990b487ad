"""GWM-lite networks (gwm-lite §6.2): set encoder, deformation decoder, EDM denoiser, success head and
a stochastic chunk policy. Each forward() is exactly one graph of the ONNX contract (docs/world-model.md)."""
from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
from torch import Tensor, nn

from .nn import MASK_NEG, Attention, Block, LocalityBias, anchor_grid, fourier_xyz, mlp, timestep_embedding


@dataclass(frozen=True)
class ModelConfig:
    width: int = 128
    heads: int = 4
    latent_dim: int = 32  # D
    anchors_per_axis: int = 4  # M = 64
    fourier_freqs: int = 8
    encoder_self_blocks: int = 2
    decoder_blocks: int = 2
    context_frames: int = 2  # T
    chunk_length: int = 8  # L
    action_dim: int = 7  # A
    denoiser_blocks: int = 4
    sigma_data: float = 0.5
    max_dxyz_m: float = 0.2
    success_width: int = 64
    max_traj_len: int = 9  # S ≤ 1 + H_max
    policy_blocks: int = 3
    policy_noise_dim: int = 16
    proprio_dim: int = 8
    # The decoder moves the query Gaussians; with decoder_appearance it may also change their colour and
    # scale. Off (the reference since the second pack): those residuals drifted from the observed splats
    # and blurred the renders (grown splats, mixed colours) without helping the Chamfer (docs/world-model.md).
    decoder_appearance: bool = False
    # How the success head reads one frame: "flat" (every anchor's latent, in anchor order, through one
    # linear map: the anchors are fixed workspace regions) or "attention" (one attention-pooling query;
    # the first pack, whose predictions came out nearly constant).
    success_pool: str = "flat"
    # Encoder anchors attend to the Gaussians near them and decoded Gaussians to the anchors near them
    # (nn.LocalityBias); off in the first two packs, whose encoders localised the cube only to ~5 cm.
    local_attention: bool = False

    @property
    def num_latents(self) -> int:
        return self.anchors_per_axis ** 3

    def to_json(self) -> dict:
        return asdict(self)


class _Crop(nn.Module):
    def __init__(self, crop_min: tuple[float, ...], crop_max: tuple[float, ...]):
        super().__init__()
        self.register_buffer("lo", torch.tensor(crop_min, dtype=torch.float32))
        self.register_buffer("hi", torch.tensor(crop_max, dtype=torch.float32))


class PointEmbed(_Crop):
    def __init__(self, cfg: ModelConfig, crop_min, crop_max):
        super().__init__(crop_min, crop_max)
        self.freqs = cfg.fourier_freqs
        self.proj = nn.Linear(6 * cfg.fourier_freqs + 14, cfg.width)

    def forward(self, g: Tensor) -> Tensor:
        return self.proj(torch.cat([fourier_xyz(g[..., :3], self.lo, self.hi, self.freqs), g], dim=-1))


class Anchors(_Crop):
    """M fixed workspace anchors: token i means the same region at every time step."""

    def __init__(self, cfg: ModelConfig, crop_min, crop_max):
        super().__init__(crop_min, crop_max)
        self.register_buffer("xyz", anchor_grid(crop_min, crop_max, cfg.anchors_per_axis))
        self.freqs = cfg.fourier_freqs
        self.query = nn.Parameter(torch.randn(cfg.num_latents, cfg.width) * 0.02)
        self.pos = nn.Linear(6 * cfg.fourier_freqs, cfg.width)

    def forward(self) -> Tensor:
        return self.query + self.pos(fourier_xyz(self.xyz, self.lo, self.hi, self.freqs))


class Encoder(nn.Module):
    """gwm_encoder.onnx: gaussians (B,N,14), gaussian_mask (B,N) → latent (B,M,D), scaled to EDM space."""

    def __init__(self, cfg: ModelConfig, crop_min, crop_max):
        super().__init__()
        self.embed = PointEmbed(cfg, crop_min, crop_max)
        self.anchors = Anchors(cfg, crop_min, crop_max)
        self.cross = Block(cfg.width, cfg.heads, cross=True)
        self.blocks = nn.ModuleList([Block(cfg.width, cfg.heads) for _ in range(cfg.encoder_self_blocks)])
        self.norm = nn.LayerNorm(cfg.width)
        self.proj = nn.Linear(cfg.width, cfg.latent_dim)
        self.locality = LocalityBias(crop_min, crop_max, cfg.anchors_per_axis, cfg.heads) if cfg.local_attention else None
        # Set after autoencoder training so latents have std ≈ sigma_data (gwm-lite §6.2).
        self.register_buffer("latent_scale", torch.ones(()))

    def raw(self, gaussians: Tensor, gaussian_mask: Tensor) -> Tensor:
        pts = self.embed(gaussians)
        q = self.anchors()[None].expand(gaussians.shape[0], -1, -1)
        bias = self.locality(self.anchors.xyz[None], gaussians[..., :3]) if self.locality is not None else None
        x = self.cross(q, pts, (1.0 - gaussian_mask) * MASK_NEG, bias)
        for blk in self.blocks:
            x = blk(x)
        return self.proj(self.norm(x))

    def forward(self, gaussians: Tensor, gaussian_mask: Tensor) -> Tensor:
        return self.raw(gaussians, gaussian_mask) * self.latent_scale


class Decoder(nn.Module):
    """gwm_decoder.onnx: latent_src, latent_tgt (B,M,D), query_gaussians (B,Nq,14) → gaussians (B,Nq,14).

    Moves each query Gaussian by a predicted residual; the head starts at zero, so an untrained decoder
    is exactly copy-last-state and the output keeps the queries' order (splat identity)."""

    def __init__(self, cfg: ModelConfig, crop_min, crop_max):
        super().__init__()
        self.cfg = cfg
        self.register_buffer("latent_scale", torch.ones(()))
        self.latent_in = nn.Linear(cfg.latent_dim, cfg.width)
        self.anchors = Anchors(cfg, crop_min, crop_max)
        self.type_embed = nn.Parameter(torch.randn(2, cfg.width) * 0.02)
        self.blocks = nn.ModuleList([Block(cfg.width, cfg.heads) for _ in range(cfg.decoder_blocks)])
        self.embed = PointEmbed(cfg, crop_min, crop_max)
        self.cross = Block(cfg.width, cfg.heads, cross=True)
        self.norm = nn.LayerNorm(cfg.width)
        self.locality = LocalityBias(crop_min, crop_max, cfg.anchors_per_axis, cfg.heads) if cfg.local_attention else None
        self.head = nn.Linear(cfg.width, 8)  # Δxyz(3), Δrgb(3), Δopacity-logit, Δlog-scale
        nn.init.zeros_(self.head.weight)
        nn.init.zeros_(self.head.bias)

    def forward(self, latent_src: Tensor, latent_tgt: Tensor, query_gaussians: Tensor) -> Tensor:
        pos = self.anchors()[None]
        src = self.latent_in(latent_src / self.latent_scale) + pos + self.type_embed[0]
        tgt = self.latent_in(latent_tgt / self.latent_scale) + pos + self.type_embed[1]
        tokens = torch.cat([src, tgt], dim=1)
        for blk in self.blocks:
            tokens = blk(tokens)
        bias = None
        if self.locality is not None:
            xyz = self.anchors.xyz[None]
            bias = self.locality(query_gaussians[..., :3], torch.cat([xyz, xyz], dim=1))
        h = self.cross(self.embed(query_gaussians), tokens, None, bias)
        d = self.head(self.norm(h))
        g = query_gaussians
        xyz = g[..., 0:3] + torch.tanh(d[..., 0:3]) * self.cfg.max_dxyz_m
        if self.cfg.decoder_appearance:
            scale = g[..., 3:6] * torch.exp(torch.clamp(d[..., 7:8], -3.0, 3.0))
            rgb = torch.clamp(g[..., 10:13] + d[..., 3:6], 0.0, 1.0)
        else:  # splats keep their observed colour and size; only where they are (and their opacity) changes
            scale = g[..., 3:6]
            rgb = torch.clamp(g[..., 10:13], 0.0, 1.0)
        op = torch.clamp(g[..., 13:14], 1e-4, 1 - 1e-4)
        opacity = torch.sigmoid(torch.log(op) - torch.log(1 - op) + d[..., 6:7])
        return torch.cat([xyz, scale, g[..., 6:10], rgb, opacity], dim=-1)


class AdaBlock(nn.Module):
    """DiT block with adaLN-Zero conditioning and cross-attention to the action tokens."""

    def __init__(self, width: int, heads: int):
        super().__init__()
        self.norm1 = nn.LayerNorm(width, elementwise_affine=False)
        self.attn = Attention(width, heads)
        self.norm_x = nn.LayerNorm(width)
        self.cross = Attention(width, heads)
        self.norm2 = nn.LayerNorm(width, elementwise_affine=False)
        self.mlp = mlp(width)
        self.ada = nn.Sequential(nn.SiLU(), nn.Linear(width, 6 * width))
        nn.init.zeros_(self.ada[1].weight)
        nn.init.zeros_(self.ada[1].bias)

    def forward(self, x: Tensor, cond: Tensor, actions: Tensor) -> Tensor:
        s1, b1, g1, s2, b2, g2 = self.ada(cond)[:, None].chunk(6, dim=-1)
        x = x + g1 * self.attn(self.norm1(x) * (1 + s1) + b1)
        x = x + self.cross(self.norm_x(x), actions)
        return x + g2 * self.mlp(self.norm2(x) * (1 + s2) + b2)


class Denoiser(nn.Module):
    """gwm_denoiser.onnx: one EDM call D(x; σ) with the preconditioning inside the graph.

    noisy_latent (B,M,D), sigma (B), context_latents (B,T,M,D) oldest → newest, actions (B,L,A)
    normalised → denoised_latent (B,M,D)."""

    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.cfg = cfg
        w, m = cfg.width, cfg.num_latents
        self.latent_in = nn.Linear(cfg.latent_dim, w)
        self.anchor_embed = nn.Parameter(torch.randn(m, w) * 0.02)
        self.frame_embed = nn.Parameter(torch.randn(cfg.context_frames + 1, w) * 0.02)
        self.action_in = nn.Linear(cfg.action_dim, w)
        self.action_pos = nn.Parameter(torch.randn(cfg.chunk_length, w) * 0.02)
        self.noise_mlp = nn.Sequential(nn.Linear(w, w), nn.SiLU(), nn.Linear(w, w))
        self.action_pool = nn.Sequential(nn.Linear(w, w), nn.SiLU(), nn.Linear(w, w))
        self.blocks = nn.ModuleList([AdaBlock(w, cfg.heads) for _ in range(cfg.denoiser_blocks)])
        self.norm_out = nn.LayerNorm(w, elementwise_affine=False)
        self.ada_out = nn.Sequential(nn.SiLU(), nn.Linear(w, 2 * w))
        self.out = nn.Linear(w, cfg.latent_dim)
        nn.init.zeros_(self.ada_out[1].weight)
        nn.init.zeros_(self.ada_out[1].bias)
        nn.init.zeros_(self.out.weight)
        nn.init.zeros_(self.out.bias)

    def precondition(self, sigma: Tensor):
        sd = self.cfg.sigma_data
        c_in = 1.0 / torch.sqrt(sigma ** 2 + sd ** 2)
        c_skip = sd ** 2 / (sigma ** 2 + sd ** 2)
        c_out = sigma * sd / torch.sqrt(sigma ** 2 + sd ** 2)
        c_noise = torch.log(sigma) / 4.0
        return c_in, c_skip, c_out, c_noise

    def inner(self, x_in: Tensor, c_noise: Tensor, context_latents: Tensor, actions: Tensor) -> Tensor:
        b, t, m, _ = context_latents.shape
        ctx = self.latent_in(context_latents / self.cfg.sigma_data) + self.anchor_embed + self.frame_embed[:t, None]
        tgt = self.latent_in(x_in) + self.anchor_embed + self.frame_embed[t]
        x = torch.cat([ctx.reshape(b, t * m, -1), tgt], dim=1)
        a = self.action_in(actions) + self.action_pos
        cond = self.noise_mlp(timestep_embedding(c_noise, x.shape[-1])) + self.action_pool(a.mean(dim=1))
        for blk in self.blocks:
            x = blk(x, cond, a)
        shift, scale = self.ada_out(cond)[:, None].chunk(2, dim=-1)
        y = self.norm_out(x[:, t * m:]) * (1 + scale) + shift
        return self.out(y)

    def forward(self, noisy_latent: Tensor, sigma: Tensor, context_latents: Tensor, actions: Tensor) -> Tensor:
        c_in, c_skip, c_out, c_noise = self.precondition(sigma)
        f = self.inner(noisy_latent * c_in[:, None, None], c_noise, context_latents, actions)
        return c_skip[:, None, None] * noisy_latent + c_out[:, None, None] * f

    def loss(self, x0: Tensor, sigma: Tensor, context_latents: Tensor, actions: Tensor, noise: Tensor) -> Tensor:
        """EDM loss: MSE of the raw network output to (x0 − c_skip·x)/c_out, per sample (B,)."""
        c_in, c_skip, c_out, c_noise = self.precondition(sigma)
        x = x0 + sigma[:, None, None] * noise
        f = self.inner(x * c_in[:, None, None], c_noise, context_latents, actions)
        target = (x0 - c_skip[:, None, None] * x) / c_out[:, None, None]
        return ((f - target) ** 2).mean(dim=(1, 2))


class SuccessHead(nn.Module):
    """gwm_success.onnx: latent_traj (B,S,M,D), index 0 observed, 1…H imagined →
    success_logit (B), success_prob (B) calibrated by a temperature, progress (B,S) in [0,1].

    Each frame becomes one vector (model.success_pool: all anchors in order through a linear map, or
    attention pooling); a small transformer reads the S frames with a
    summary token. The training-only probes (object height, object–target distance, grasped) give
    dense supervision (gwm-lite §6.2)."""

    def __init__(self, cfg: ModelConfig):
        super().__init__()
        if cfg.success_pool not in ("flat", "attention"):
            raise ValueError(f"model.success_pool {cfg.success_pool!r}: use \"flat\" or \"attention\"")
        w = cfg.success_width
        self.pool_kind = cfg.success_pool
        if cfg.success_pool == "attention":
            self.latent_in = nn.Linear(cfg.latent_dim, w)
            self.anchor_embed = nn.Parameter(torch.randn(cfg.num_latents, w) * 0.02)
            self.pool_query = nn.Parameter(torch.randn(1, 1, w) * 0.02)
            self.pool = Attention(w, 4)
        else:
            self.flat = nn.Sequential(nn.LayerNorm(cfg.num_latents * cfg.latent_dim), nn.Linear(cfg.num_latents * cfg.latent_dim, w), nn.GELU(), nn.Linear(w, w))
        self.frame_embed = nn.Parameter(torch.randn(cfg.max_traj_len, w) * 0.02)
        self.summary = nn.Parameter(torch.randn(1, 1, w) * 0.02)
        self.blocks = nn.ModuleList([Block(w, 4) for _ in range(2)])
        self.norm = nn.LayerNorm(w)
        self.success = nn.Linear(w, 1)
        self.progress = nn.Linear(w, 1)
        self.probes = nn.Linear(w, 3)  # height (m), distance (m), grasped logit
        self.register_buffer("temperature", torch.ones(()))

    def features(self, latent_traj: Tensor):
        b, s, m, d = latent_traj.shape
        if self.pool_kind == "attention":
            tok = self.latent_in(latent_traj.reshape(b * s, m, d)) + self.anchor_embed
            pooled = self.pool(self.pool_query.expand(b * s, -1, -1), tok).reshape(b, s, -1)
        else:
            pooled = self.flat(latent_traj.reshape(b, s, m * d))
        x = torch.cat([self.summary.expand(b, -1, -1), pooled + self.frame_embed[:s]], dim=1)
        for blk in self.blocks:
            x = blk(x)
        x = self.norm(x)
        return x[:, 0], x[:, 1:]

    def forward(self, latent_traj: Tensor):
        summary, frames = self.features(latent_traj)
        logit = self.success(summary)[:, 0]
        prob = torch.sigmoid(logit / self.temperature)
        progress = torch.sigmoid(self.progress(frames)[..., 0])
        return logit, prob, progress


class ChunkPolicy(nn.Module):
    """gwm_policy.onnx: a conditional-VAE chunk policy (ACT-style, small).

    latent (B,M,D) observation, proprio (B,P) normalised, policy_noise (B,Z) ~ N(0,1) →
    actions (B,L,A) normalised. K different noises give K different candidate chunks."""

    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.cfg = cfg
        w = cfg.width
        self.latent_in = nn.Linear(cfg.latent_dim, w)
        self.anchor_embed = nn.Parameter(torch.randn(cfg.num_latents, w) * 0.02)
        self.proprio_in = nn.Linear(cfg.proprio_dim, w)
        self.noise_in = nn.Linear(cfg.policy_noise_dim, w)
        self.queries = nn.Parameter(torch.randn(cfg.chunk_length, w) * 0.02)
        self.blocks = nn.ModuleList([Block(w, cfg.heads) for _ in range(cfg.policy_blocks)])
        self.norm = nn.LayerNorm(w)
        self.head = nn.Linear(w, cfg.action_dim)
        # Posterior q(z | observation, chunk), used only in training.
        self.enc_action = nn.Linear(cfg.action_dim, w)
        self.enc_pos = nn.Parameter(torch.randn(cfg.chunk_length + 2, w) * 0.02)
        self.enc_blocks = nn.ModuleList([Block(w, cfg.heads) for _ in range(2)])
        self.enc_out = nn.Linear(w, 2 * cfg.policy_noise_dim)

    def forward(self, latent: Tensor, proprio: Tensor, policy_noise: Tensor) -> Tensor:
        b = latent.shape[0]
        obs = self.latent_in(latent) + self.anchor_embed
        x = torch.cat([obs, self.proprio_in(proprio)[:, None], self.noise_in(policy_noise)[:, None],
                       self.queries[None].expand(b, -1, -1)], dim=1)
        for blk in self.blocks:
            x = blk(x)
        return self.head(self.norm(x[:, -self.cfg.chunk_length:]))

    def posterior(self, proprio: Tensor, actions: Tensor):
        b = actions.shape[0]
        cls = torch.zeros(b, 1, self.enc_pos.shape[-1], dtype=actions.dtype, device=actions.device)
        x = torch.cat([cls, self.proprio_in(proprio)[:, None], self.enc_action(actions)], dim=1) + self.enc_pos
        for blk in self.enc_blocks:
            x = blk(x)
        mu, logvar = self.enc_out(x[:, 0]).chunk(2, dim=-1)
        return mu, logvar.clamp(-8, 4)


class WorldModel(nn.Module):
    def __init__(self, cfg: ModelConfig, crop_min, crop_max):
        super().__init__()
        self.cfg = cfg
        self.encoder = Encoder(cfg, crop_min, crop_max)
        self.decoder = Decoder(cfg, crop_min, crop_max)
        self.denoiser = Denoiser(cfg)
        self.success = SuccessHead(cfg)
        self.policy = ChunkPolicy(cfg)

    def set_latent_scale(self, scale: float) -> None:
        self.encoder.latent_scale.fill_(scale)
        self.decoder.latent_scale.fill_(scale)
