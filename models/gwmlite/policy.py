"""Chunk-policy training options that keep the gwm_policy.onnx contract (docs/world-model.md, "Chunk policy").

The network (`ChunkPolicy`) may see a different proprio and predict a different target than the contract's
(runtime-normalised proprio in, normalised per-step deltas out); `PolicyIO` holds the fixed maps between the
two as buffers, so they are part of the exported graph and the studio runtime feeds the graph unchanged:

- `canonical_quat`: q and −q are the same orientation, but the simulator reports the gripper-down pose with
  qx ≈ +1 or ≈ −1 (normalised: ±1 std). The graph flips q into the hemisphere of the training data's mean
  orientation (q · q_ref ≥ 0) and normalises with the canonical statistics.
- `action_target = "cumulative"`: the network predicts the chunk as translations/rotations relative to the
  pose at the observation (the running sum of the per-step deltas, normalised per step); the graph returns
  their differences, i.e. per-step deltas again.
- `deterministic`: plain behaviour cloning (no CVAE posterior); the noise input moves candidates by a constant
  per-step translation offset `noise[:3] · sample_offset_m` (zeros — the mode — is the network's chunk).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor, nn

from .models import ChunkPolicy, ModelConfig


@dataclass
class PolicyEpisode:
    """What the policy trains on, per episode: latents at some frames and the labels of every frame."""
    index: int
    split: str
    success: bool
    latent: np.ndarray  # (F, M, D) at `frames`
    frames: np.ndarray  # (F,) frame indices of the latents
    ee_pose: np.ndarray  # (T, 7)
    gripper_m: np.ndarray  # (T,)
    actions: np.ndarray  # (K, L, A) raw
    explore: np.ndarray  # (K, L) bool
    frame_t_s: np.ndarray  # (T,)
    object_pose: np.ndarray | None = None  # (T, 7)
    target_pose: np.ndarray | None = None  # (T, 7)


def canonical_reference(q: np.ndarray) -> np.ndarray:
    """The mean orientation of unit quaternions (N, 4), sign-invariant: the principal eigenvector of Σ q qᵀ."""
    q = q.astype(np.float64)
    w, v = np.linalg.eigh(q.T @ q)
    r = v[:, -1]
    j = int(np.argmax(np.abs(r)))
    return (r if r[j] >= 0 else -r).astype(np.float32)


def canonicalise(q: np.ndarray, ref: np.ndarray) -> np.ndarray:
    s = np.where((q * ref).sum(-1, keepdims=True) < 0, -1.0, 1.0)
    return (q * s).astype(np.float32)


def cumulative(actions: np.ndarray) -> np.ndarray:
    """(…, L, A) per-step deltas → translation/rotation relative to the chunk's start (running sums), gripper kept."""
    out = actions.copy()
    out[..., :6] = np.cumsum(actions[..., :6], axis=-2)
    return out


class PolicyIO(nn.Module):
    """The fixed maps between the contract's tensors and the network's (see the module docstring)."""

    def __init__(self, cfg: ModelConfig, canonical_quat: bool = False, action_target: str = "delta", deterministic: bool = False,
                 sample_offset_m: float = 0.0):
        super().__init__()
        P, L, A = cfg.proprio_dim, cfg.chunk_length, cfg.action_dim
        if action_target not in ("delta", "cumulative"):
            raise ValueError(f"policy.action_target must be 'delta' or 'cumulative', not {action_target!r}")
        self.canonical_quat, self.action_target, self.deterministic = canonical_quat, action_target, deterministic
        self.sample_offset_m = sample_offset_m
        for name, shape, fill in (("p_mean", (P,), 0.0), ("p_std", (P,), 1.0), ("q_ref", (4,), 0.0), ("n_mean", (P,), 0.0), ("n_std", (P,), 1.0),
                                  ("a_mean", (A,), 0.0), ("a_std", (A,), 1.0), ("t_mean", (L, A), 0.0), ("t_std", (L, A), 1.0)):
            self.register_buffer(name, torch.full(shape, fill))

    def fit(self, proprio_raw: np.ndarray, actions_raw: np.ndarray, p_norm, a_norm, floor: float = 1e-3) -> None:
        """Statistics from the training samples: proprio (N, P) raw, action chunks (N, L, A) raw."""
        t = lambda x: torch.as_tensor(np.asarray(x, np.float32))  # noqa: E731
        self.p_mean.copy_(t(p_norm.mean)); self.p_std.copy_(t(p_norm.std))
        self.a_mean.copy_(t(a_norm.mean)); self.a_std.copy_(t(a_norm.std))
        p = proprio_raw.astype(np.float32).copy()
        if self.canonical_quat:
            ref = canonical_reference(p[:, 3:7])
            self.q_ref.copy_(t(ref))
            p[:, 3:7] = canonicalise(p[:, 3:7], ref)
        self.n_mean.copy_(t(p.mean(0))); self.n_std.copy_(t(np.maximum(p.std(0), floor)))
        if self.action_target == "cumulative":
            c = cumulative(actions_raw.astype(np.float64))
            self.t_mean.copy_(t(c.mean(0))); self.t_std.copy_(t(np.maximum(c.std(0), floor)))
        else:
            self.t_mean.copy_(self.a_mean.expand_as(self.t_mean)); self.t_std.copy_(self.a_std.expand_as(self.t_std))

    # numpy side (training targets and inputs from raw values)
    def net_proprio(self, proprio_raw: np.ndarray) -> np.ndarray:
        p = proprio_raw.astype(np.float32).copy()
        if self.canonical_quat:
            p[..., 3:7] = canonicalise(p[..., 3:7], self.q_ref.numpy())
        return ((p - self.n_mean.numpy()) / self.n_std.numpy()).astype(np.float32)

    def net_target(self, actions_raw: np.ndarray) -> np.ndarray:
        a = cumulative(actions_raw) if self.action_target == "cumulative" else actions_raw
        return ((a - self.t_mean.numpy()) / self.t_std.numpy()).astype(np.float32)

    # graph side
    def proprio_in(self, proprio: Tensor) -> Tensor:
        p = proprio * self.p_std + self.p_mean
        if self.canonical_quat:
            q = p[:, 3:7]
            s = torch.where((q * self.q_ref).sum(-1, keepdim=True) < 0, -torch.ones_like(q[:, :1]), torch.ones_like(q[:, :1]))
            p = torch.cat([p[:, :3], q * s, p[:, 7:]], dim=1)
        return (p - self.n_mean) / self.n_std

    def actions_out(self, y: Tensor, policy_noise: Tensor) -> Tensor:
        raw = y * self.t_std + self.t_mean
        if self.action_target == "cumulative":
            motion = raw[..., :6]
            prev = torch.cat([torch.zeros_like(motion[:, :1]), motion[:, :-1]], dim=1)
            raw = torch.cat([motion - prev, raw[..., 6:]], dim=-1)
        if self.deterministic and self.sample_offset_m > 0:
            off = policy_noise[:, None, :3] * self.sample_offset_m
            raw = torch.cat([raw[..., :3] + off, raw[..., 3:]], dim=-1)
        return (raw - self.a_mean) / self.a_std


class MlpChunkPolicy(nn.Module):
    """A small MLP over the flattened anchor latents (the anchors are fixed workspace regions, so a latent's
    position in the flat vector says where it is) and the proprio: ~50× cheaper to train than ChunkPolicy.
    Same signature as ChunkPolicy; the noise enters only through PolicyIO's candidate offset (deterministic)."""

    def __init__(self, cfg: ModelConfig, width: int = 512, blocks: int = 2, dropout: float = 0.1):
        super().__init__()
        self.cfg = cfg
        self.latent_in = nn.Sequential(nn.LayerNorm(cfg.num_latents * cfg.latent_dim), nn.Linear(cfg.num_latents * cfg.latent_dim, width))
        self.proprio_in = nn.Linear(cfg.proprio_dim, width)
        self.noise_in = nn.Linear(cfg.policy_noise_dim, width)
        self.blocks = nn.ModuleList([nn.Sequential(nn.LayerNorm(width), nn.Linear(width, 2 * width), nn.GELU(), nn.Dropout(dropout), nn.Linear(2 * width, width))
                                     for _ in range(blocks)])
        self.norm = nn.LayerNorm(width)
        self.head = nn.Linear(width, cfg.chunk_length * cfg.action_dim)

    def features(self, latent: Tensor, proprio: Tensor, policy_noise: Tensor) -> Tensor:
        x = self.latent_in(latent.flatten(1)) + self.proprio_in(proprio) + self.noise_in(policy_noise)
        for blk in self.blocks:
            x = x + blk(x)
        return self.norm(x)

    def forward(self, latent: Tensor, proprio: Tensor, policy_noise: Tensor) -> Tensor:
        return self.head(self.features(latent, proprio, policy_noise)).reshape(-1, self.cfg.chunk_length, self.cfg.action_dim)


class IOPolicy(nn.Module):
    """gwm_policy.onnx with PolicyIO around the network (ChunkPolicy, or MlpChunkPolicy with arch "mlp"); same
    inputs and outputs as ChunkPolicy.

    An auxiliary head (training only, not in the graph) may predict the cube and the target relative to the
    gripper from the network's features (policy.w_aux_object)."""

    def __init__(self, cfg: ModelConfig, io: PolicyIO, arch: str = "transformer", mlp_width: int = 512):
        super().__init__()
        if arch not in ("transformer", "mlp"):
            raise ValueError(f"policy.arch must be 'transformer' or 'mlp', not {arch!r}")
        self.cfg = cfg
        self.net = ChunkPolicy(cfg) if arch == "transformer" else MlpChunkPolicy(cfg, mlp_width)
        self.io = io
        self.aux = nn.Linear(cfg.width if arch == "transformer" else mlp_width, 6)

    def forward(self, latent: Tensor, proprio: Tensor, policy_noise: Tensor) -> Tensor:
        noise = torch.zeros_like(policy_noise) if self.io.deterministic else policy_noise
        return self.io.actions_out(self.net(latent, self.io.proprio_in(proprio), noise), policy_noise)


def policy_uses_io(pc) -> bool:
    return bool(pc.canonical_quat or pc.action_target != "delta" or pc.deterministic or pc.w_aux_object > 0 or pc.arch != "transformer")


def make_policy(cfg: ModelConfig, pc) -> IOPolicy:
    if pc.arch == "mlp" and not pc.deterministic:
        raise ValueError("policy.arch 'mlp' trains deterministically — set policy.deterministic true")
    return IOPolicy(cfg, make_io(cfg, pc), pc.arch, pc.mlp_width)


def make_io(cfg: ModelConfig, pc) -> PolicyIO:
    return PolicyIO(cfg, pc.canonical_quat, pc.action_target, pc.deterministic, pc.sample_offset_m)


def policy_manifest(pc) -> dict:
    """What the manifest says about a policy trained with these options (nothing new when none is set)."""
    if not policy_uses_io(pc):
        return {}
    d = {"kind": "behaviour cloning, deterministic (L1)" if pc.deterministic else "conditional VAE (ACT-style)",
         "training": {"arch": pc.arch, "canonical_quat": pc.canonical_quat, "action_target": pc.action_target, "deterministic": pc.deterministic,
                      "kl_weight": pc.kl_weight, "w_aux_object": pc.w_aux_object, "frames": pc.frames, "success_only": pc.success_only},
         "inside_graph": "proprio quaternion canonicalisation and the chunk-target → per-step delta map are part of gwm_policy.onnx; "
                         "feed it the manifest-normalised proprio and read normalised per-step deltas as before"}
    if pc.deterministic:
        d["noise"] = f"zeros: the policy's chunk; else every step's translation moves by policy_noise[:3] · {pc.sample_offset_m} m"
    return d


# ---------------------------------------------------------------- training samples
@dataclass
class Sample:
    episode: int  # position in the episode list
    row: int  # latent row
    step: int  # first control step of the chunk


def control_step(ep: PolicyEpisode, frame: int, control_hz: float) -> int:
    return int(round(float(ep.frame_t_s[frame]) * control_hz))


def policy_samples(eps: list[PolicyEpisode], L: int, control_hz: float, frames: str = "boundaries", success_only: bool = False) -> list[Sample]:
    """One sample per latent frame whose next L steps exist and were all expert steps (exploration is never a
    target; the expert's recovery after it is). frames: "boundaries" (chunk starts only) or "all" (every frame
    with a latent)."""
    out = []
    for i, e in enumerate(eps):
        if success_only and not e.success:
            continue
        steps = e.actions.shape[0] * e.actions.shape[1]
        explore = e.explore.reshape(-1)
        for r, f in enumerate(e.frames):
            s = control_step(e, int(f), control_hz)
            if frames == "boundaries" and s % L:
                continue
            if s + L > steps or explore[s:s + L].any():
                continue
            out.append(Sample(i, r, s))
    return out


class PolicyData:
    """Training samples for the policy: (latent, contract-normalised proprio, raw chunk, aux labels)."""

    def __init__(self, eps: list[PolicyEpisode], action_norm, proprio_norm, pc, chunk_length: int, control_hz: float, split: str = "train"):
        self.eps = [e for e in eps if e.split == split]
        self.L = chunk_length
        self.samples = policy_samples(self.eps, chunk_length, control_hz, pc.frames, pc.success_only)
        if not self.samples:
            raise ValueError(f"no policy samples in the {split} split (every window is exploratory or cut off)")
        self.an, self.pn = action_norm, proprio_norm
        self.control_hz = control_hz

    def raw(self, s: Sample):
        e = self.eps[s.episode]
        f = int(e.frames[s.row])
        A = e.actions.shape[-1]
        chunk = e.actions.reshape(-1, A)[s.step:s.step + self.L]
        prop = np.concatenate([e.ee_pose[f], e.gripper_m[f:f + 1]]).astype(np.float32)
        aux = np.zeros(6, np.float32)
        if e.object_pose is not None and e.target_pose is not None:
            aux = np.concatenate([e.object_pose[f, :3] - prop[:3], e.target_pose[f, :3] - prop[:3]]).astype(np.float32)
        return e.latent[s.row], prop, chunk, aux

    def all_raw(self):
        P, C = [], []
        for s in self.samples:
            _, p, c, _ = self.raw(s)
            P.append(p); C.append(c)
        return np.stack(P), np.stack(C)


class IOPolicyStage(nn.Module):
    """Loss of an IOPolicy: L1 on the network's targets (+ KL for the CVAE, + the auxiliary object head)."""

    def __init__(self, policy: IOPolicy, pc):
        super().__init__()
        self.policy, self.pc = policy, pc

    def forward(self, latent, proprio, target, aux, eps):
        net = self.policy.net
        if isinstance(net, MlpChunkPolicy):
            feat = net.features(latent, proprio, torch.zeros_like(eps))
            pred = net.head(feat).reshape(target.shape)
            recon = (pred - target).abs().mean()
            loss, metrics = recon, {"l1": recon.detach()}
            if self.pc.w_aux_object > 0:
                aux_l = (self.policy.aux(feat) - aux / 0.1).abs().mean()
                loss = loss + self.pc.w_aux_object * aux_l
                metrics["aux"] = aux_l.detach()
            return loss, metrics
        if self.pc.deterministic:
            z = torch.zeros_like(eps)
            kl = torch.zeros(())
        else:
            mu, logvar = net.posterior(proprio, target)
            z = mu + torch.exp(0.5 * logvar) * eps
            kl = (-0.5 * (1 + logvar - mu ** 2 - logvar.exp()).sum(-1)).mean()
        b = latent.shape[0]
        obs = net.latent_in(latent) + net.anchor_embed
        x = torch.cat([obs, net.proprio_in(proprio)[:, None], net.noise_in(z)[:, None], net.queries[None].expand(b, -1, -1)], dim=1)
        for blk in net.blocks:
            x = blk(x)
        pred = net.head(net.norm(x[:, -net.cfg.chunk_length:]))
        recon = (pred - target).abs().mean()
        loss = recon + self.pc.kl_weight * kl
        metrics = {"l1": recon.detach(), "kl": kl.detach()}
        if self.pc.w_aux_object > 0:
            aux_pred = self.policy.aux(net.norm(x[:, obs.shape[1]]))
            aux_l = (aux_pred - aux / 0.1).abs().mean()
            loss = loss + self.pc.w_aux_object * aux_l
            metrics["aux"] = aux_l.detach()
        return loss, metrics


def io_batch_fn(data: PolicyData, io: PolicyIO, pc, noise_dim: int, device="cpu", rank: int = 0):
    """batch_fn for runtime.fit: samples drawn from the step's generator."""
    def fn(gen: torch.Generator, step: int, share: int) -> dict:
        pick = torch.randint(0, len(data.samples), (pc.batch,), generator=gen)
        noise = torch.randn(pc.batch, noise_dim, generator=gen)
        sl = slice(rank * share, (rank + 1) * share)
        Lt, P, T, X = [], [], [], []
        for j in pick[sl].tolist():
            lat, p, c, aux = data.raw(data.samples[j])
            Lt.append(np.asarray(lat, np.float32)); P.append(io.net_proprio(p)); T.append(io.net_target(c)); X.append(aux)
        t = lambda x: torch.from_numpy(np.stack(x)).to(device)  # noqa: E731
        return {"latent": t(Lt), "proprio": t(P), "target": t(T), "aux": t(X), "eps": noise[sl].to(device)}
    return fn


@torch.no_grad()
def mode_l1(policy_fn, data: PolicyData, noise_dim: int, batch: int = 256) -> dict:
    """Offline check of what closed loop runs: the policy's mode (zero noise) against the expert's chunk, in
    contract-normalised units, per action dimension (on data's split)."""
    errs = []
    for i in range(0, len(data.samples), batch):
        L, P, C = [], [], []
        for s in data.samples[i:i + batch]:
            lat, p, c, _ = data.raw(s)
            L.append(np.asarray(lat, np.float32)); P.append(data.pn(p)); C.append(data.an(c))
        out = policy_fn(np.stack(L), np.stack(P).astype(np.float32), np.zeros((len(L), noise_dim), np.float32))
        errs.append(np.abs(out - np.stack(C)))
    e = np.concatenate(errs)
    return {"mode_l1": float(e.mean()), "mode_l1_per_dim": e.mean((0, 1)).round(3).tolist(), "samples": len(e)}
