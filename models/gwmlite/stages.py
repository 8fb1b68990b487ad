"""The training stages: autoencoder → latents → dynamics → success head, and the chunk policy.

Each stage reads the previous stages' final weights from the run directory, trains with `fit`, and
writes `<run>/<stage>/final.pt`; `python -m gwmlite all` runs them in order and skips finished ones."""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .config import RunConfig
from .data import ExportError, GwmExport
from .dataset import LiftedEpisode, Normalizer, load_lifted, proprio
from .edm import rollout, sample, sample_sigma
from .geometry import chamfer, flow_targets, render
from .models import WorldModel
from .policy import IOPolicy, IOPolicyStage, PolicyData, PolicyEpisode, io_batch_fn, make_policy, policy_uses_io
from .runtime import Run, fit

GRIPPER_BODIES = ("hand", "left_finger", "right_finger")


@dataclass
class Data:
    export: GwmExport
    episodes: list[LiftedEpisode]
    action_norm: Normalizer
    proprio_norm: Normalizer
    frames_per_chunk: int

    def split(self, name: str) -> list[LiftedEpisode]:
        return [e for e in self.episodes if e.split == name]

    @property
    def train(self) -> list[LiftedEpisode]:
        eps = self.split("train")
        if not eps:
            raise ExportError(f"{self.export.root}: the train split is empty — export with more episodes or smaller --valid/--test fractions")
        return eps


def load_data(cfg: RunConfig, export_dir: str | Path, cache_dir: str | Path, run: Run) -> Data:
    export = GwmExport(export_dir)
    if export.chunk_length != cfg.model.chunk_length or len(export.action_names) != cfg.model.action_dim:
        raise ExportError(f"{export.root}: chunks of {export.chunk_length} × {len(export.action_names)} actions, the config expects "
                          f"{cfg.model.chunk_length} × {cfg.model.action_dim} — set model.chunk_length/action_dim or export with --chunk-length")
    fpc = export.frame_hz * export.chunk_length / export.control_hz
    if abs(fpc - round(fpc)) > 1e-6:
        raise ExportError(f"{export.root}: frame_hz {export.frame_hz} does not put a whole number of frames in a chunk of {export.chunk_length} at {export.control_hz} Hz")
    eps = load_lifted(export, cfg.lifting, cache_dir, workers=cfg.lift_workers, progress=run.progress)
    train = [e for e in eps if e.split == "train"]
    if not train:
        raise ExportError(f"{export.root}: no train episodes with a chunk — export more episodes")
    norm_path = run.dir / "normalization.json"
    if norm_path.exists():
        n = json.loads(norm_path.read_text())
        an = Normalizer(np.array(n["actions"]["mean"]), np.array(n["actions"]["std"]))
        pn = Normalizer(np.array(n["proprio"]["mean"]), np.array(n["proprio"]["std"]))
    else:
        an = Normalizer.fit(np.concatenate([e.actions.reshape(-1, e.actions.shape[-1]) for e in train]))
        pn = Normalizer.fit(np.concatenate([np.concatenate([e.ee_pose, e.gripper_m[:, None]], 1)[e.chunk_frame] for e in train]))
        if run.main:
            norm_path.write_text(json.dumps({"actions": an.to_json(), "proprio": pn.to_json()}, indent=2))
    return Data(export, eps, an, pn, int(round(fpc)))


def build_model(cfg: RunConfig) -> WorldModel:
    torch.manual_seed(cfg.seed)
    model = WorldModel(cfg.model, cfg.lifting.crop_min_m, cfg.lifting.crop_max_m)
    if policy_uses_io(cfg.policy):  # the policy options of gwmlite/policy.py: the graph carries its input/output maps
        torch.manual_seed(cfg.seed + 1)
        model.policy = make_policy(cfg.model, cfg.policy)
    return model


def load_stages(run: Run, model: WorldModel, stages: list[str]) -> None:
    for s in stages:
        state = run.load_final(s)
        for name, sd in state["modules"].items():
            getattr(model, name).load_state_dict(sd)


def _subsample(n_valid: Tensor, r: Tensor) -> Tensor:
    """Random indices among the first n_valid (valid Gaussians come first) from uniforms r (B, k)."""
    return torch.minimum((r * n_valid[:, None].float()).long(), (n_valid[:, None] - 1).long())


# ---------------------------------------------------------------- autoencoder
STATE_DIMS = 7  # the autoencoder's state probes: gripper xyz, gripper width, first object xyz


def focus_body_ids(bodies: list[str]) -> np.ndarray:
    """Indices of the gripper's bodies and the objects (cube*, object*) in the export's body legend."""
    return np.array([i for i, n in enumerate(bodies) if n in GRIPPER_BODIES or n.startswith(("cube", "object"))], np.int64)


def state_targets(e: LiftedEpisode, t: int, centre: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The state probes' targets at frame t, in decimetres from the crop box's centre (width in dm), and
    which of them are known (the object only with privileged poses)."""
    obj = e.object_pose[t, :3] - centre if e.object_pose is not None else np.zeros(3)
    y = np.concatenate([e.ee_pose[t, :3] - centre, [e.gripper_m[t]], obj]) * 10.0
    known = np.array([1, 1, 1, 1] + [float(e.object_pose is not None)] * 3)
    return y.astype(np.float32), known.astype(np.float32)


class AeStage(nn.Module):
    def __init__(self, model: WorldModel, cfg: RunConfig, data: Data):
        super().__init__()
        self.encoder, self.decoder = model.encoder, model.decoder
        self.cfg = cfg
        self.cam = data.export.train_cameras[0]
        m = cfg.model
        # Training only (never exported): a linear map, so the state must be linearly readable from the
        # latent — as the flat success pooling and the MLP policy read it.
        self.state_probe = nn.Linear(m.num_latents * m.latent_dim, STATE_DIMS) if cfg.ae.w_state > 0 else None

    def forward(self, g_src, m_src, g_tgt, m_tgt, flow_xyz, flow_valid, flow_focus, idx_pred, idx_tgt, image, render_on,
                state_src, state_tgt, state_known_src, state_known_tgt):
        ac = self.cfg.ae
        z_src = self.encoder(g_src, m_src)
        z_tgt = self.encoder(g_tgt, m_tgt)
        pred = self.decoder(z_src, z_tgt, g_src)
        fv = flow_valid * m_src
        err = ((pred[..., :3] - flow_xyz) ** 2).sum(-1)
        l_flow = (err * fv).sum() / fv.sum().clamp(min=1)
        moving = fv * ((flow_xyz - g_src[..., :3]).norm(dim=-1) > ac.moving_m).to(fv.dtype)
        l_move = (err * moving).sum() / moving.sum().clamp(min=1)
        p_sub = torch.gather(pred, 1, idx_pred[..., None].expand(-1, -1, 14))
        t_sub = torch.gather(g_tgt, 1, idx_tgt[..., None].expand(-1, -1, 14))
        l_ch = chamfer(p_sub[..., :3], t_sub[..., :3]).mean()
        nn_idx = torch.cdist(p_sub[..., :3], t_sub[..., :3]).argmin(-1)
        nn_rgb = torch.gather(t_sub[..., 10:13], 1, nn_idx[..., None].expand(-1, -1, 3))
        l_rgb = (p_sub[..., 10:13] - nn_rgb).abs().mean()
        focus = fv * flow_focus
        l_focus = (err * focus).sum() / focus.sum().clamp(min=1)
        loss = ac.w_flow * l_flow + ac.w_flow_moving * l_move + ac.w_flow_focus * l_focus + ac.w_chamfer * l_ch
        if self.decoder.cfg.decoder_appearance:
            loss = loss + ac.w_rgb * l_rgb  # without appearance residuals the colours are the queries' (no gradient)
        metrics = {"flow_m2": l_flow.detach(), "flow_moving_m2": l_move.detach(), "flow_focus_m2": l_focus.detach(),
                   "moving_frac": (moving.sum() / fv.sum().clamp(min=1)).detach(),
                   "chamfer_m2": l_ch.detach(), "rgb_l1": l_rgb.detach()}
        if self.state_probe is not None:
            pred_s = self.state_probe(torch.cat([z_src, z_tgt]).flatten(1))
            err_s = (pred_s - torch.cat([state_src, state_tgt])) ** 2
            known = torch.cat([state_known_src, state_known_tgt])
            l_state = (err_s * known).sum() / known.sum().clamp(min=1)
            loss = loss + ac.w_state * l_state
            metrics["state_dm2"] = l_state.detach()
            obj = known[:, 4:].sum()
            if obj > 0:  # the object's position error alone, in cm (RMS), the number a grasp needs
                metrics["state_object_rms_cm"] = (10.0 * torch.sqrt((err_s[:, 4:] * known[:, 4:]).sum() / obj)).detach()
        if bool(render_on):
            c, px = self.cam, ac.render_px
            s = px / c.width
            wfc = torch.as_tensor(c.world_from_camera, dtype=pred.dtype, device=pred.device)
            rb = min(ac.render_batch, pred.shape[0])
            pred, m_src, g_tgt, m_tgt, image = pred[:rb], m_src[:rb], g_tgt[:rb], m_tgt[:rb], image[:rb]
            img = render(pred, m_src, wfc, c.fx * s, c.fy * s, c.cx * s, c.cy * s, px, px)
            with torch.no_grad():
                ones = g_tgt.clone()
                ones[..., 10:13] = 1.0
                alpha = render(ones, m_tgt, wfc, c.fx * s, c.fy * s, c.cx * s, c.cy * s, px, px)[..., :1]
                covered = (alpha > 0.5).to(img.dtype)
            l_render = ((img - image).abs() * covered).sum() / (covered.sum() * 3).clamp(min=1)
            loss = loss + ac.w_render * l_render
            metrics["render_l1"] = l_render.detach()
        return loss, metrics


def _downsample(img: np.ndarray, px: int) -> np.ndarray:
    h, w, _ = img.shape
    f = h // px
    return img[: px * f, : px * f].reshape(px, f, px, f, 3).mean(axis=(1, 3))


def ae_batch_fn(cfg: RunConfig, data: Data, run: Run):
    eps = data.train
    weights = np.array([len(e.frame_t_s) for e in eps], np.float64)
    cum = np.cumsum(weights) / weights.sum()
    cam = data.export.train_cameras[0]
    ac = cfg.ae
    centre = (np.asarray(cfg.lifting.crop_min_m) + np.asarray(cfg.lifting.crop_max_m)) / 2
    focus_bodies = focus_body_ids(data.export.bodies or [])
    if cam.width % ac.render_px or cam.height != cam.width:
        raise ValueError(f"ae.render_px {ac.render_px} must divide the square {cam.width}×{cam.height} image of camera '{cam.name}'")

    def fn(gen: torch.Generator, step: int, share: int) -> dict:
        u = torch.rand(ac.batch, 3, generator=gen).numpy()
        ks = torch.randint(0, len(ac.pair_chunks), (ac.batch,), generator=gen).numpy()
        r_pred = torch.rand(ac.batch, ac.loss_points, generator=gen)
        r_tgt = torch.rand(ac.batch, ac.loss_points, generator=gen)
        lo, hi = run.rank * share, (run.rank + 1) * share
        out = {k: [] for k in ("g_src", "m_src", "g_tgt", "m_tgt", "flow_xyz", "flow_valid", "flow_focus", "image",
                               "state_src", "state_tgt", "state_known_src", "state_known_tgt")}
        for i in range(lo, hi):
            e = eps[int(np.searchsorted(cum, u[i, 0], side="right").clip(max=len(eps) - 1))]
            T = len(e.frame_t_s)
            t = int(u[i, 1] * T) % T
            t2 = min(t + ac.pair_chunks[ks[i]] * data.frames_per_chunk, T - 1)
            out["g_src"].append(e.g[t]); out["m_src"].append(e.mask[t])
            out["g_tgt"].append(e.g[t2]); out["m_tgt"].append(e.mask[t2])
            if e.body_poses is not None:
                xyz, valid = flow_targets(e.g[t, :, :3], e.body[t], e.body_poses[t], e.body_poses[t2])
            else:
                xyz, valid = e.g[t, :, :3], np.zeros(e.g.shape[1], bool)
            out["flow_xyz"].append(xyz); out["flow_valid"].append(valid.astype(np.float32))
            out["flow_focus"].append(np.isin(e.body[t], focus_bodies).astype(np.float32))
            for name, f in (("src", t), ("tgt", t2)):
                y, known = state_targets(e, f, centre)
                out[f"state_{name}"].append(y); out[f"state_known_{name}"].append(known)
            out["image"].append(_downsample(np.asarray(data.export.by_index[e.index].load(f"rgb_{cam.name}")[t2], np.float32) / 255.0, ac.render_px))
        batch = {k: torch.from_numpy(np.stack(v).astype(np.float32)).to(run.device) for k, v in out.items()}
        nv_s, nv_t = batch["m_src"].sum(1), batch["m_tgt"].sum(1)
        batch["idx_pred"] = _subsample(nv_s, r_pred[lo:hi].to(run.device))
        batch["idx_tgt"] = _subsample(nv_t, r_tgt[lo:hi].to(run.device))
        batch["render_on"] = step % ac.render_every == 0 and ac.w_render > 0
        return batch

    return fn


def stage_ae(run: Run, cfg: RunConfig, data: Data, model: WorldModel) -> None:
    module = AeStage(model, cfg, data)
    fit(run, "ae", module, ae_batch_fn(cfg, data, run), cfg.ae, cfg.seed)
    run.save_final("ae", {"modules": {"encoder": model.encoder.state_dict(), "decoder": model.decoder.state_dict()}})


# ---------------------------------------------------------------- latents
@torch.no_grad()
def encode_frames(model: WorldModel, e: LiftedEpisode, frames: np.ndarray, device, batch: int = 64) -> Tensor:
    out = []
    for i in range(0, len(frames), batch):
        f = frames[i:i + batch]
        out.append(model.encoder(torch.from_numpy(e.g[f]).to(device), torch.from_numpy(e.mask[f]).to(device)))
    return torch.cat(out)


def stage_latents(run: Run, cfg: RunConfig, data: Data, model: WorldModel) -> dict[int, Tensor]:
    """Chunk-boundary latents of every episode; sets the latent scale so train latents have std σ_data."""
    if run.done("latents"):
        state = run.load_final("latents")
        model.set_latent_scale(float(state["latent_scale"]))
        return state["latents"]
    model.set_latent_scale(1.0)
    model.eval()
    raw = {e.index: encode_frames(model, e, e.chunk_frame, run.device) for e in data.episodes}
    std = torch.cat([raw[e.index] for e in data.train]).std().item()
    scale = cfg.model.sigma_data / max(std, 1e-6)
    model.set_latent_scale(scale)
    lat = {k: v * scale for k, v in raw.items()}
    run.log("latents", {"raw_std": std, "latent_scale": scale, "episodes": len(lat)})
    run.save_final("latents", {"latent_scale": scale, "latents": lat,
                               "modules": {"encoder": model.encoder.state_dict(), "decoder": model.decoder.state_dict()}})
    return lat


# ---------------------------------------------------------------- dynamics
def _context(z: Tensor, t: int, T: int) -> Tensor:
    idx = [max(0, t - T + 1 + j) for j in range(T)]
    return z[idx]


class DynamicsStage(nn.Module):
    def __init__(self, model: WorldModel, cfg: RunConfig):
        super().__init__()
        self.denoiser = model.denoiser
        self.cfg = cfg

    def forward(self, x0, context, actions, sigma, noise, ctx_noise, ar_actions, ar_x0, ar_noise, ar_on):
        if bool(ar_on):
            # Unroll: imagine the first step with the sampler, then learn the second from that context.
            with torch.no_grad():
                first = sample(self.denoiser, context, actions, ar_noise, self.cfg.edm)
            context = torch.cat([context[:, 1:], first[:, None]], dim=1)
            actions, x0 = ar_actions, ar_x0
        ctx = context + ctx_noise
        loss = self.denoiser.loss(x0, sigma, ctx, actions, noise).mean()
        return loss, {}


def dynamics_items(data: Data, eps: list[LiftedEpisode], two_step: bool) -> list[tuple[int, int]]:
    return [(i, t) for i, e in enumerate(eps) for t in range(e.num_chunks - (1 if two_step else 0))]


def closing_chunks(e: LiftedEpisode) -> np.ndarray:
    """(K,) bool: the chunks in which the commanded gripper goes from open (< 0.5) to closed, from the
    actions alone (so teleop exports without phase labels have them too)."""
    g = e.actions[..., -1].reshape(-1) >= 0.5
    closes = np.flatnonzero(g[1:] & ~g[:-1]) + 1
    out = np.zeros(e.num_chunks, bool)
    out[np.unique(closes // e.actions.shape[1])] = True
    return out


def grasp_weights(eps: list[LiftedEpisode], items: list[tuple[int, int]], weight: float) -> np.ndarray:
    """Sampling weight per dynamics item (episode, chunk t → t+1): `weight` where chunk t or t−1 closes
    the gripper (the transition shows whether the grasp holds), else 1."""
    closing = [closing_chunks(e) for e in eps]
    w = np.ones(len(items))
    for j, (i, t) in enumerate(items):
        c = closing[i]
        if c[t] or (t > 0 and c[t - 1]):
            w[j] = weight
    return w


def dynamics_batch_fn(cfg: RunConfig, data: Data, lat: dict[int, Tensor], run: Run):
    eps = data.train
    one = dynamics_items(data, eps, False)
    two = dynamics_items(data, eps, True)
    dc, T = cfg.dynamics, cfg.model.context_frames
    ar_start = int(dc.steps * (1 - dc.ar_fraction))
    acts = {e.index: torch.from_numpy(data.action_norm(e.actions)) for e in eps}
    weighted = dc.grasp_weight != 1.0
    w_one = torch.from_numpy(grasp_weights(eps, one, dc.grasp_weight)) if weighted else None
    w_two = torch.from_numpy(grasp_weights(eps, two, dc.grasp_weight)) if weighted and two else None

    def fn(gen: torch.Generator, step: int, share: int) -> dict:
        ar = step >= ar_start and len(two) > 0
        items = two if ar else one
        w = w_two if ar else w_one
        # Uniform draws stay the same numbers as before grasp_weight existed (reproducible reference runs).
        pick = torch.randint(0, len(items), (dc.batch,), generator=gen) if w is None else torch.multinomial(w, dc.batch, replacement=True, generator=gen)
        sigma = sample_sigma(dc.batch, cfg.edm, gen)
        noise = torch.randn(dc.batch, cfg.model.num_latents, cfg.model.latent_dim, generator=gen)
        cn = torch.rand(dc.batch, generator=gen) * cfg.edm.context_noise_max
        ctx_noise = torch.randn(dc.batch, T, cfg.model.num_latents, cfg.model.latent_dim, generator=gen) * cn[:, None, None, None]
        ar_noise = torch.randn(dc.batch, cfg.model.num_latents, cfg.model.latent_dim, generator=gen) if ar else noise
        sl = slice(run.rank * share, (run.rank + 1) * share)
        ctx, a, x0, a2, x2 = [], [], [], [], []
        for j in pick[sl].tolist():
            i, t = items[j]
            e = eps[i]
            z = lat[e.index]
            ctx.append(_context(z, t, T)); a.append(acts[e.index][t]); x0.append(z[t + 1])
            t2 = min(t + 1, e.num_chunks - 1)
            a2.append(acts[e.index][t2]); x2.append(z[min(t + 2, e.num_chunks)])
        dev = run.device
        return {"x0": torch.stack(x0).to(dev), "context": torch.stack(ctx).to(dev), "actions": torch.stack(a).to(dev),
                "sigma": sigma[sl].to(dev), "noise": noise[sl].to(dev), "ctx_noise": ctx_noise[sl].to(dev),
                "ar_actions": torch.stack(a2).to(dev), "ar_x0": torch.stack(x2).to(dev), "ar_noise": ar_noise[sl].to(dev), "ar_on": ar}

    return fn


def stage_dynamics(run: Run, cfg: RunConfig, data: Data, model: WorldModel, lat: dict[int, Tensor]) -> None:
    fit(run, "dynamics", DynamicsStage(model, cfg), dynamics_batch_fn(cfg, data, lat, run), cfg.dynamics, cfg.seed)
    run.save_final("dynamics", {"modules": {"denoiser": model.denoiser.state_dict()}})


# ---------------------------------------------------------------- success head
@dataclass
class Trajectories:
    """Latent trajectories from chunk boundaries: observed frame + H frames (imagined or true)."""
    latents: Tensor  # (n, 1+H, M, D)
    truth: Tensor  # (n, 1+H, M, D)
    success: Tensor  # (n,)
    progress: Tensor  # (n, 1+H)
    probes: Tensor  # (n, 1+H, 3) height, distance, grasped (nan when unknown)
    episode: list[int]
    boundary: list[int]


def pad_future(z: Tensor, t: int, H: int) -> Tensor:
    idx = [min(t + h, len(z) - 1) for h in range(H + 1)]
    return z[idx]


@torch.no_grad()
def build_trajectories(cfg: RunConfig, data: Data, model: WorldModel, lat: dict[int, Tensor], eps: list[LiftedEpisode],
                       H: int, seed: int, device, imagine: bool = True, stride: int = 1) -> Trajectories:
    """For every boundary t of every episode: roll the world model out with the recorded next chunks
    (at most H; after the episode ends the last frame repeats, as the scene stands still)."""
    T = cfg.model.context_frames
    gen = torch.Generator().manual_seed(seed)
    noise = torch.randn(H, 1, cfg.model.num_latents, cfg.model.latent_dim, generator=gen).to(device)
    lat_out, truth, succ, prog, probes, epi, bnd = [], [], [], [], [], [], []
    for e in eps:
        z = lat[e.index].to(device)
        acts = torch.from_numpy(data.action_norm(e.actions)).to(device)
        K = e.num_chunks
        ts = list(range(0, K, stride))
        if imagine:
            hmax = [min(H, K - t) for t in ts]
            ctx = torch.stack([_context(z, t, T) for t in ts])
            chunks = torch.stack([acts[[min(t + h, K - 1) for h in range(H)]] for t in ts])
            imag = rollout(model.denoiser, ctx, chunks, noise, cfg.edm)  # (K, H, M, D)
            for j, t in enumerate(ts):
                seq = torch.cat([z[t:t + 1], imag[j, : hmax[j]]])
                seq = torch.cat([seq, seq[-1:].expand(H + 1 - len(seq), -1, -1)]) if len(seq) < H + 1 else seq
                lat_out.append(seq)
        for t in ts:
            truth.append(pad_future(z, t, H))
            frames = [e.chunk_frame[min(t + h, K)] for h in range(H + 1)]
            succ.append(e.success)
            p = e.progress()
            prog.append(p[frames] if p is not None else np.full(H + 1, np.nan, np.float32))
            if e.object_pose is not None and e.target_dist is not None and e.grasped is not None:
                probes.append(np.stack([e.object_pose[frames, 2], e.target_dist[frames], e.grasped[frames]], -1))
            else:
                probes.append(np.full((H + 1, 3), np.nan, np.float32))
            epi.append(e.index)
            bnd.append(t)
    tr = torch.stack(truth)
    return Trajectories(torch.stack(lat_out) if imagine else tr, tr, torch.tensor(succ, dtype=torch.float32),
                        torch.from_numpy(np.stack(prog).astype(np.float32)), torch.from_numpy(np.stack(probes).astype(np.float32)), epi, bnd)


class SuccessStage(nn.Module):
    def __init__(self, head, sc):
        super().__init__()
        self.head, self.sc = head, sc

    def forward(self, traj, success, progress, probes):
        logit, _, prog = self.head(traj)
        known = ~torch.isnan(success)
        loss = F.binary_cross_entropy_with_logits(logit[known], success[known]) if known.any() else logit.sum() * 0
        pk = ~torch.isnan(progress)
        if pk.any():
            loss = loss + self.sc.w_progress * F.binary_cross_entropy(prog[pk].clamp(1e-6, 1 - 1e-6), progress[pk])
        _, frames = self.head.features(traj)
        pr = self.head.probes(frames)
        hk = ~torch.isnan(probes[..., 0])
        if hk.any():
            l_probe = F.mse_loss(pr[..., 0][hk], probes[..., 0][hk] * 10) + F.mse_loss(pr[..., 1][hk], probes[..., 1][hk] * 10) \
                + F.binary_cross_entropy_with_logits(pr[..., 2][hk], probes[..., 2][hk])
            loss = loss + self.sc.w_probes * l_probe
        return loss, {}


def success_batch_fn(sc, tr: Trajectories, run: Run, length: int | None = None):
    n = len(tr.success)

    def fn(gen: torch.Generator, step: int, share: int) -> dict:
        pick = torch.randint(0, n, (sc.batch,), generator=gen)
        use_gt = torch.rand(sc.batch, generator=gen) < sc.gt_mix
        sl = slice(run.rank * share, (run.rank + 1) * share)
        p, g = pick[sl], use_gt[sl]
        traj = torch.where(g[:, None, None, None], tr.truth[p], tr.latents[p])
        s = slice(None) if length is None else slice(0, length)
        return {"traj": traj[:, s].to(run.device), "success": tr.success[p].to(run.device),
                "progress": tr.progress[p][:, s].to(run.device), "probes": tr.probes[p][:, s].to(run.device)}

    return fn


def fit_temperature(head, traj: Tensor, y: Tensor) -> float:
    """Temperature scaling on held-out trajectories (Guo et al. 2017): minimise NLL over T > 0."""
    with torch.no_grad():
        logit = head(traj)[0]
    known = ~torch.isnan(y)
    if known.sum() < 2 or y[known].min() == y[known].max():
        return 1.0
    log_t = torch.zeros((), requires_grad=True)
    opt = torch.optim.LBFGS([log_t], lr=0.1, max_iter=100)

    def closure():
        opt.zero_grad()
        loss = F.binary_cross_entropy_with_logits(logit[known] / log_t.exp(), y[known])
        loss.backward()
        return loss

    opt.step(closure)
    return float(log_t.detach().exp().clamp(0.05, 20.0))


def stage_success(run: Run, cfg: RunConfig, data: Data, model: WorldModel, lat: dict[int, Tensor]) -> None:
    sc = cfg.success
    tr = build_trajectories(cfg, data, model, lat, data.train, sc.horizon, cfg.seed + 1, run.device, stride=sc.boundary_stride)
    if run.main:
        run.stage_dir("success").mkdir(parents=True, exist_ok=True)
        torch.save(tr, run.stage_dir("success") / "train_trajectories.pt")  # reused by the evaluation's comparison heads
    fit(run, "success", SuccessStage(model.success, sc), success_batch_fn(sc, tr, run), sc, cfg.seed)
    valid = data.split("valid")
    temp = 1.0
    if valid:
        va = build_trajectories(cfg, data, model, lat, valid, sc.horizon, cfg.seed + 2, run.device, stride=sc.boundary_stride)
        temp = fit_temperature(model.success, va.latents, va.success)
    model.success.temperature.fill_(temp)
    run.log("success", {"temperature": temp})
    run.save_final("success", {"modules": {"success": model.success.state_dict()}})


# ---------------------------------------------------------------- chunk policy
class PolicyStage(nn.Module):
    def __init__(self, policy, pc):
        super().__init__()
        self.policy, self.pc = policy, pc

    def forward(self, latent, proprio, actions, eps):
        mu, logvar = self.policy.posterior(proprio, actions)
        z = mu + torch.exp(0.5 * logvar) * eps
        pred = self.policy(latent, proprio, z)
        recon = (pred - actions).abs().mean()
        kl = (-0.5 * (1 + logvar - mu ** 2 - logvar.exp()).sum(-1)).mean()
        return recon + self.pc.kl_weight * kl, {"l1": recon.detach(), "kl": kl.detach()}


def policy_items(data: Data, eps: list[LiftedEpisode], include_explore: bool) -> list[tuple[int, int]]:
    return [(i, t) for i, e in enumerate(eps) for t in range(e.num_chunks) if include_explore or not e.explore[t]]


def policy_batch_fn(cfg: RunConfig, data: Data, lat: dict[int, Tensor], run: Run):
    eps = data.train
    pc = cfg.policy
    items = policy_items(data, eps, pc.include_explore)
    if not items:
        raise ExportError("no training chunks for the policy (every chunk is exploratory) — record expert episodes")

    def fn(gen: torch.Generator, step: int, share: int) -> dict:
        pick = torch.randint(0, len(items), (pc.batch,), generator=gen)
        noise = torch.randn(pc.batch, cfg.model.policy_noise_dim, generator=gen)
        sl = slice(run.rank * share, (run.rank + 1) * share)
        L, P, A = [], [], []
        for j in pick[sl].tolist():
            i, t = items[j]
            e = eps[i]
            L.append(lat[e.index][t]); P.append(data.proprio_norm(proprio(e, e.chunk_frame[t]))); A.append(data.action_norm(e.actions[t]))
        dev = run.device
        return {"latent": torch.stack(L).to(dev), "proprio": torch.from_numpy(np.stack(P)).to(dev),
                "actions": torch.from_numpy(np.stack(A)).to(dev), "eps": noise[sl].to(dev)}

    return fn


ALL_FRAMES_STRIDE = 2  # policy.frames "all": a latent every 2nd frame (as the policy lab encodes), half the encoding for nearly all the windows


def policy_episodes(data: Data, lat: dict[int, Tensor], model: WorldModel | None = None, device="cpu") -> list[PolicyEpisode]:
    """The lifted episodes as the policy options see them: latents at the chunk boundaries, or — given the
    model — at every ALL_FRAMES_STRIDE-th frame (policy.frames "all")."""
    out = []
    for e in data.episodes:
        step_explore = np.repeat(e.explore[:, None], e.actions.shape[1], axis=1)
        if model is None:
            frames, latent = e.chunk_frame, lat[e.index].cpu().numpy()
        else:
            frames = np.arange(0, len(e.frame_t_s), ALL_FRAMES_STRIDE)
            latent = encode_frames(model, e, frames, device).cpu().numpy()
        out.append(PolicyEpisode(index=e.index, split=e.split, success=bool(e.success == 1), latent=latent, frames=frames,
                                 ee_pose=e.ee_pose, gripper_m=e.gripper_m, actions=e.actions, explore=step_explore, frame_t_s=e.frame_t_s,
                                 object_pose=e.object_pose, target_pose=None))
    return out


def stage_policy(run: Run, cfg: RunConfig, data: Data, model: WorldModel, lat: dict[int, Tensor]) -> None:
    if isinstance(model.policy, IOPolicy):
        pc = cfg.policy
        control_hz = data.export.control_hz
        model.eval()
        eps = policy_episodes(data, lat, model if pc.frames == "all" else None, run.device)
        pd = PolicyData(eps, data.action_norm, data.proprio_norm, pc, cfg.model.chunk_length, control_hz)
        P, C = pd.all_raw()
        model.policy.io.fit(P, C, data.proprio_norm, data.action_norm)
        run.log("policy", {"samples": len(pd.samples), "q_ref": model.policy.io.q_ref.tolist()})
        fit(run, "policy", IOPolicyStage(model.policy, pc), io_batch_fn(pd, model.policy.io, pc, cfg.model.policy_noise_dim, run.device, run.rank), pc, cfg.seed)
        run.save_final("policy", {"modules": {"policy": model.policy.state_dict()}})
        return
    fit(run, "policy", PolicyStage(model.policy, cfg.policy), policy_batch_fn(cfg, data, lat, run), cfg.policy, cfg.seed)
    run.save_final("policy", {"modules": {"policy": model.policy.state_dict()}})
