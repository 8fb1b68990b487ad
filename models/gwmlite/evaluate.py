"""Evaluation on the held-out test episodes (gwm-lite §6.3) → REPORT.md + figures in the pack and the
manifest's `evaluation` key. Nothing here is tuned on the test split."""
from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch

from .config import RunConfig
from .data import ExportError, quaternion_to_matrix
from .dataset import LiftedEpisode
from .edm import rollout
from .export import dump_json, update_manifest
from .geometry import chamfer_np, flow_targets, psnr, render
from .metrics import auroc, bootstrap_auroc, brier, ece, pearson, spearman
from .runtime import fit
from .models import SuccessHead
from .stages import Data, SuccessStage, _context, _downsample, build_trajectories, fit_temperature, success_batch_fn

BALL_M = 0.08
MOVED_M = 0.005
CV_GATE_M = 0.02
METHODS = ("model", "copy_last", "const_velocity")


def _cm2(x: float) -> float:
    return x * 1e4


def _poses_ok(p: np.ndarray) -> bool:
    return bool(np.all(np.abs(np.linalg.norm(p[..., 3:7], axis=-1) - 1) < 1e-3))


def _moved_bodies(e: LiftedEpisode, f0: int, f1: int) -> np.ndarray:
    if e.body_poses is None or not (_poses_ok(e.body_poses[f0]) and _poses_ok(e.body_poses[f1])):
        return np.zeros(0, np.int64)
    a, b = e.body_poses[f0], e.body_poses[f1]
    dp = np.linalg.norm(a[:, :3] - b[:, :3], axis=1)
    dr = np.abs(np.einsum("ij,ij->i", quaternion_to_matrix(a[:, 3:7]).reshape(-1, 9), quaternion_to_matrix(b[:, 3:7]).reshape(-1, 9)) - 3)
    return np.nonzero((dp > MOVED_M) | (dr > 1e-3))[0]


def _balls(e: LiftedEpisode, frames: list[int]) -> np.ndarray:
    c = [e.ee_pose[f, :3] for f in frames]
    if e.object_pose is not None:
        c += [e.object_pose[f, :3] for f in frames]
    return np.asarray(c)


def _in_balls(x: np.ndarray, centres: np.ndarray) -> np.ndarray:
    return (np.linalg.norm(x[:, None] - centres[None], axis=-1) < BALL_M).any(1)


def const_velocity(e: LiftedEpisode, f: int, dt_s: float, horizon_s: float) -> np.ndarray:
    """Per-Gaussian velocity from the nearest neighbour in the previous frame (gated), extrapolated."""
    g = e.g[f].copy()
    if f == 0:
        return g
    m, mp = e.mask[f] > 0, e.mask[f - 1] > 0
    a, b = torch.from_numpy(g[m, :3]), torch.from_numpy(e.g[f - 1][mp, :3])
    d, j = torch.cdist(a, b).min(1)
    v = (a - b[j]) / dt_s
    v[d > CV_GATE_M] = 0
    g[np.nonzero(m)[0], :3] += (v * horizon_s).numpy()
    return g


def true_motion(e: LiftedEpisode, f0: int, f1: int) -> np.ndarray:
    """The Gaussians of frame f0 carried by their bodies' true motion to f1 (privileged poses)."""
    g = e.g[f0].copy()
    g[:, :3] = flow_targets(g[:, :3], e.body[f0], e.body_poses[f0], e.body_poses[f1])[0]
    return g


@torch.no_grad()
def fidelity(cfg: RunConfig, data: Data, model, lat, eps: list[LiftedEpisode]) -> tuple[dict, list]:
    ev = cfg.eval
    gen = torch.Generator().manual_seed(cfg.seed + 100)
    noise = torch.randn(max(ev.horizons), 1, cfg.model.num_latents, cfg.model.latent_dim, generator=gen)
    T = cfg.model.context_frames
    dt = 1.0 / data.export.frame_hz
    chunk_s = data.export.chunk_length / data.export.control_hz
    cams = [data.export.train_cameras[0]] + data.export.eval_cameras[:1]
    rows = {h: [] for h in ev.horizons}
    examples = []
    for h in ev.horizons:
        states = [(e, t) for e in eps for t in range(e.num_chunks - h + 1)]
        if len(states) > ev.max_states:
            states = [states[i] for i in np.linspace(0, len(states) - 1, ev.max_states).round().astype(int)]
        psnr_every = max(1, len(states) // max(1, ev.psnr_states))
        for si, (e, t) in enumerate(states):
            z = lat[e.index]
            acts = torch.from_numpy(data.action_norm(e.actions[t:t + h]))[None]
            zh = rollout(model.denoiser, _context(z, t, T)[None], acts, noise[:h], cfg.edm)[0, -1]
            f0, f1 = int(e.chunk_frame[t]), int(e.chunk_frame[t + h])
            q = torch.from_numpy(e.g[f0])[None]
            pred = model.decoder(z[t][None], zh[None], q)[0].numpy()
            ae_ceiling = model.decoder(z[t][None], z[t + h][None], q)[0].numpy()
            cands = {"model": pred, "copy_last": e.g[f0], "const_velocity": const_velocity(e, f0, dt, h * chunk_s), "autoencoder_ceiling": ae_ceiling}
            if e.body_poses is not None:  # the ceiling of any method that moves the observed Gaussians: each carried with its body
                cands["true_motion"] = true_motion(e, f0, f1)
            mq, mt = e.mask[f0] > 0, e.mask[f1] > 0
            gt = e.g[f1][mt, :3]
            row = {"episode": e.index, "t": t}
            moved = _moved_bodies(e, f0, f1)
            centres_t1 = _balls(e, [f1])
            centres_both = _balls(e, [f0, f1])
            gt_dyn = _in_balls(gt, centres_both) | np.isin(e.body[f1][mt], moved)
            gt_gc = _in_balls(gt, centres_t1)
            for name, c in cands.items():
                x = c[mq, :3]
                row[f"chamfer_all_{name}"] = _cm2(chamfer_np(x, gt))
                if e.body_poses is not None:
                    dyn = _in_balls(x, centres_both) | np.isin(e.body[f0][mq], moved)
                    row[f"chamfer_dynamic_{name}"] = _cm2(chamfer_np(x[dyn], gt[gt_dyn]))
                    row[f"chamfer_gripper_cube_{name}"] = _cm2(chamfer_np(x[_in_balls(x, centres_t1)], gt[gt_gc]))
            if si % psnr_every == 0:
                ep = data.export.by_index[e.index]
                for cam in cams:
                    px = ev.render_px
                    s = px / cam.width
                    obs = _downsample(np.asarray(ep.load(f"rgb_{cam.name}")[f0], np.float32) / 255.0, px)
                    real = _downsample(np.asarray(ep.load(f"rgb_{cam.name}")[f1], np.float32) / 255.0, px)
                    changed = np.abs(real - obs).max(-1) > 0.05
                    wfc = torch.as_tensor(cam.world_from_camera, dtype=torch.float32)
                    for name, c in {**cands, "lifted_truth": e.g[f1]}.items():
                        m = torch.from_numpy(e.mask[f1] if name == "lifted_truth" else e.mask[f0])[None]
                        img = render(torch.from_numpy(np.asarray(c, np.float32))[None], m, wfc, cam.fx * s, cam.fy * s, cam.cx * s, cam.cy * s, px, px)[0].numpy()
                        ones = np.asarray(c, np.float32).copy()
                        ones[:, 10:13] = 1
                        alpha = render(torch.from_numpy(ones)[None], m, wfc, cam.fx * s, cam.fy * s, cam.cx * s, cam.cy * s, px, px)[0].numpy()[..., :1]
                        comp = img + (1 - alpha) * obs  # the observed frame behind the splats, the same for every method
                        row[f"psnr_{cam.name}_{name}"] = psnr(comp, real)
                        row[f"psnr_masked_{cam.name}_{name}"] = psnr(comp, real, changed)
                        if len(examples) < ev.figure_states * 5 and h == min(2, max(ev.horizons)) and cam is cams[0] and si % max(1, len(states) // ev.figure_states) == 0:
                            examples.append({"state": f"ep {e.index} t={t}", "h": h, "method": name, "image": comp, "observed": obs, "real": real})
            rows[h].append(row)
    summary = {}
    for h, rs in rows.items():
        keys = sorted({k for r in rs for k in r if k not in ("episode", "t")})
        summary[str(h)] = {"states": len(rs), **{k: float(np.nanmedian([r.get(k, np.nan) for r in rs])) if any(k in r for r in rs) else None for k in keys}}
        summary[str(h)]["mean"] = {k: float(np.nanmean([r.get(k, np.nan) for r in rs])) for k in keys}
    return summary, examples


def first_close(e: LiftedEpisode) -> int | None:
    """The first chunk in which the policy's gripper intent goes from open to closed (a[6] crosses 0.5
    upwards; the episode starts open), preferring the policy's own chunks over exploration chunks (an
    exploration chunk may close the gripper during the approach, and the expert holds that intent); None
    when the gripper is never closed."""
    closed = e.actions[..., 6].reshape(-1) > 0.5
    rises = (closed & ~np.concatenate([[False], closed[:-1]])).reshape(e.actions.shape[:2]).any(axis=1)
    own = rises & ~e.explore[: len(rises)]
    for c in (own, rises):
        if c.any():
            return int(np.argmax(c))
    return None


def decision_points(e: LiftedEpisode) -> dict[str, int]:
    """Chunk boundaries at which success is predicted: the first chunk; pre-close (the boundary where the
    chunk in which the policy first closes the gripper starts: defined by the policy's own actions, so the same
    rule for successes and failures, and the outcome is not yet in the observation); just before the
    grasp (the last boundary before the cube is first held; without a grasp, the boundary where the TCP
    is closest to the cube); and mid-transport (the first boundary where the cube is held above 5 cm)."""
    K = e.num_chunks
    out = {"first_chunk": 0}
    k = first_close(e)
    if k is not None:
        out["pre_close"] = k
    if e.grasped is None or e.object_pose is None:
        return out
    cf = e.chunk_frame[:K]
    held = e.grasped[cf] > 0.5
    if held.any():
        out["pre_grasp"] = max(0, int(np.argmax(held)) - 1)
    else:
        d = np.linalg.norm(e.ee_pose[cf, :3] - e.object_pose[cf, :3], axis=1)
        out["pre_grasp"] = int(np.argmin(d))
    lifted = held & (e.object_pose[cf, 2] > 0.05)
    if lifted.any():
        out["mid_transport"] = int(np.argmax(lifted))
    else:
        out["mid_transport"] = min(K - 1, out["pre_grasp"] + 1)
    return out


def comparison_head(cfg: RunConfig) -> SuccessHead:
    """A freshly initialised success head (seeded), as the success stage starts from: nothing of the
    trained head is copied (its biases, norms and temperature would carry what it learnt)."""
    torch.manual_seed(cfg.seed)
    return SuccessHead(cfg.model)


def _train_head(run, cfg: RunConfig, tr, length: int | None, gt_mix: float, tag: str, valid=None):
    head = comparison_head(cfg)
    sc = replace(cfg.success, gt_mix=gt_mix, ckpt_every=10 ** 9)
    fit(run, f"evaluate/{tag}", SuccessStage(head, sc), success_batch_fn(sc, tr, run, length), sc, cfg.seed)
    if valid is not None:  # its own temperature on the validation split, as the trained head's
        s = slice(None) if length is None else slice(0, length)
        head.temperature.fill_(fit_temperature(head, valid.truth[:, s], valid.success))
    return head


@torch.no_grad()
def success_eval(run, cfg: RunConfig, data: Data, model, lat, test: list[LiftedEpisode], split: str = "test") -> tuple[dict, dict]:
    ev = cfg.eval
    H = cfg.success.horizon
    cached = run.stage_dir("success") / "train_trajectories.pt"
    tr_train = torch.load(cached, weights_only=False) if cached.exists() else build_trajectories(
        cfg, data, model, lat, data.train, H, cfg.seed + 1, run.device, stride=cfg.success.boundary_stride)
    valid = data.split("valid")
    va = build_trajectories(cfg, data, model, lat, valid, H, cfg.seed + 2, run.device, imagine=False) if valid else None
    with torch.enable_grad():
        current_only = _train_head(run, cfg, tr_train, 1, 1.0, "current_state_head", va)
        oracle = _train_head(run, cfg, tr_train, None, 1.0, "oracle_head", va)
    te = build_trajectories(cfg, data, model, lat, test, H, cfg.seed + 3, run.device)
    p_model = model.success(te.latents)[1].numpy()
    p_cur = current_only(te.truth[:, :1])[1].numpy()
    p_orc = oracle(te.truth)[1].numpy()
    y = te.success.numpy()
    by_key = {(e, b): i for i, (e, b) in enumerate(zip(te.episode, te.boundary))}
    out = {}
    for e in test:
        if math.isnan(e.success):
            continue
        for name, t in decision_points(e).items():
            out.setdefault(name, []).append(by_key[(e.index, t)])
    result = {}
    for name, idx in out.items():
        idx = np.asarray(idx)
        r = {"episodes": int(len(idx)), "positives": int(y[idx].sum())}
        for label, p in (("imagination", p_model), ("current_state_only", p_cur), ("oracle_future", p_orc)):
            lo, hi = bootstrap_auroc(y[idx], p[idx], ev.bootstrap, cfg.seed)
            r[label] = {"auroc": auroc(y[idx], p[idx]), "auroc_ci95": [lo, hi], "brier": brier(y[idx], p[idx])}
        result[name] = r
    known = ~np.isnan(y)
    e_all, table = ece(y[known], p_model[known])
    result["all_boundaries"] = {"n": int(known.sum()), "auroc": auroc(y[known], p_model[known]), "brier": brier(y[known], p_model[known]), "ece": e_all,
                                "auroc_current_state_only": auroc(y[known], p_cur[known]), "auroc_oracle_future": auroc(y[known], p_orc[known])}
    result["policy_level"] = policy_level(te, p_model, test, f"{split} split")
    return result, {"table": table, "y": y[known].tolist(), "p": p_model[known].tolist()}


POLICY_LEVEL_POINT = "pre_close"


def _per_episode(tr, p: np.ndarray, eps: list[LiftedEpisode], point: str) -> dict[str, list]:
    """Per variant: (predicted, real) per episode; the prediction at the decision point `point` (falling
    back to pre-grasp when the episode has none), or the mean over all its boundaries for 'all_boundaries'."""
    by_key = {(k, b): i for i, (k, b) in enumerate(zip(tr.episode, tr.boundary))}
    variants: dict[str, list] = {}
    for e in eps:
        if math.isnan(e.success):
            continue
        if point == "all_boundaries":
            sel = [i for i, k in enumerate(tr.episode) if k == e.index]
        else:
            dp = decision_points(e)
            t = dp.get(point, dp.get("pre_grasp", 0))
            if (e.index, t) not in by_key:
                raise ValueError(f"episode {e.index}: no trajectory at boundary {t} ({point}) — build the trajectories with stride 1")
            sel = [by_key[(e.index, t)]]
        variants.setdefault(e.variant or "(none)", []).append((float(np.mean(p[sel])), e.success))
    return variants


def _correlate(variants: dict[str, list]) -> dict:
    vs = {k: {"episodes": len(v), "predicted": float(np.mean([a for a, _ in v])), "real": float(np.mean([b for _, b in v]))} for k, v in sorted(variants.items())}
    if len(vs) >= 3:
        pr, re_ = [v["predicted"] for v in vs.values()], [v["real"] for v in vs.values()]
        return {"variants": vs, "pearson": pearson(pr, re_), "spearman": spearman(pr, re_)}
    return {"variants": vs, "pearson": None, "spearman": None}


def policy_level(tr, p: np.ndarray, eps: list[LiftedEpisode], source: str) -> dict:
    """WorldGym-style: per policy variant, the mean predicted success against its real success rate.

    Each episode's prediction is made at one decision point, pre-close (imagining its recorded chunks
    from the boundary where its policy first closes the gripper): a prediction before the outcome is in
    the observation. The first pack averaged over all boundaries, most of them before the grasp says
    anything or after the outcome is visible; that number is kept under by_decision_point."""
    main = _correlate(_per_episode(tr, p, eps, POLICY_LEVEL_POINT))
    by_point = {pt: _correlate(_per_episode(tr, p, eps, pt)) for pt in ("first_chunk", "pre_grasp", "all_boundaries")}
    out = {"source": source, "decision_point": POLICY_LEVEL_POINT, **main, "by_decision_point": by_point}
    if main["pearson"] is None:
        out["note"] = f"needs ≥ 3 policy variants (found {len(main['variants'])} in the {source}); make them with models/scripts/make_data.sh and pass --variants"
    return out


@torch.no_grad()
def variants_eval(run, cfg: RunConfig, data: Data, model, variants_dir: Path, cache_dir: Path) -> dict:
    """The policy-level test on an evaluation-only export of policy variants (never trained on)."""
    from .data import GwmExport
    from .dataset import load_lifted
    from .stages import encode_frames
    export = GwmExport(variants_dir)
    eps = load_lifted(export, cfg.lifting, cache_dir, workers=cfg.lift_workers, progress=run.progress)
    lat = {e.index: encode_frames(model, e, e.chunk_frame, run.device) for e in eps}
    tr = build_trajectories(cfg, data, model, lat, eps, cfg.success.horizon, cfg.seed + 4, run.device)  # every boundary: the decision points
    p = model.success(tr.latents)[1].numpy()
    return policy_level(tr, p, eps, f"variants export {export.root.name}")


def _figures(pack: Path, fid: dict, examples: list, rel: dict) -> list[str]:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    files = []
    hs = sorted(fid, key=int)
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.6))
    for ax, subset in zip(axes, ("all", "dynamic", "gripper_cube")):
        w = 0.2
        for j, m in enumerate(METHODS + ("autoencoder_ceiling",)):
            vals = [fid[h].get(f"chamfer_{subset}_{m}") for h in hs]
            if any(v is None for v in vals):
                continue
            ax.bar(np.arange(len(hs)) + (j - 1.5) * w, vals, w, label=m.replace("_", " "))
        ax.set_xticks(range(len(hs)), [f"h={h} ({float(h) * 0.8:.1f} s)" for h in hs])
        ax.set_title(f"Chamfer-L2, {subset.replace('_', '+')} (cm², median)")
    axes[0].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(pack / "fig_chamfer.png", dpi=110)
    plt.close(fig)
    files.append("fig_chamfer.png")
    if examples:
        states = sorted({x["state"] for x in examples})
        methods = ["model", "copy_last", "const_velocity", "lifted_truth"]
        fig, axes = plt.subplots(len(states), 2 + len(methods), figsize=(2.2 * (2 + len(methods)), 2.3 * len(states)), squeeze=False)
        for r, s in enumerate(states):
            ex = {x["method"]: x for x in examples if x["state"] == s}
            any_ex = next(iter(ex.values()))
            panels = [("observed t", any_ex["observed"]), (f"real t+{any_ex['h']}", any_ex["real"])] + [(m.replace("_", " "), ex[m]["image"]) for m in methods if m in ex]
            for c, (title, img) in enumerate(panels):
                axes[r, c].imshow(np.clip(img, 0, 1) ** (1 / 2.2))
                axes[r, c].set_title(f"{s}\n{title}" if c == 0 else title, fontsize=8)
                axes[r, c].axis("off")
            for c in range(len(panels), axes.shape[1]):
                axes[r, c].axis("off")
        fig.tight_layout()
        fig.savefig(pack / "fig_renders.png", dpi=110)
        plt.close(fig)
        files.append("fig_renders.png")
    fig, ax = plt.subplots(figsize=(4.2, 4))
    t = rel["table"]
    ax.plot([0, 1], [0, 1], "k--", lw=1)
    if t:
        ax.plot([b["confidence"] for b in t], [b["accuracy"] for b in t], "o-")
        for b in t:
            ax.annotate(str(b["n"]), (b["confidence"], b["accuracy"]), fontsize=7)
    ax.set_xlabel("predicted success probability")
    ax.set_ylabel("observed success rate")
    ax.set_title("Reliability (held-out boundaries)")
    fig.tight_layout()
    fig.savefig(pack / "fig_reliability.png", dpi=110)
    plt.close(fig)
    files.append("fig_reliability.png")
    return files


def _f(x, digits=2) -> str:
    return "–" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.{digits}f}"


def write_report(pack: Path, cfg: RunConfig, data: Data, fid: dict, suc: dict, figures: list[str], test: list[LiftedEpisode],
                 temperature: float, split: str = "test") -> None:
    hs = sorted(fid, key=int)
    what = "Held-out **test** split" if split == "test" else f"**{split}** split (for decisions; the pack's REPORT.md is on the test split)"
    L = [f"# {cfg.name}: evaluation report" + ("" if split == "test" else f" ({split} split)"), "",
         f"{what}: {len(test)} episodes ({sum(1 for e in test if e.success == 1)} successes) of `{data.export.root.name}`; "
         f"horizons in chunks of {data.export.chunk_length} actions ({data.export.chunk_length / data.export.control_hz:.1f} s). "
         "Nothing was tuned on this split. Medians over states; Chamfer-L2 on Gaussian centres in cm², both directions.", "",
         "## Scene prediction", "", "| h | subset | model | copy-last | const-velocity | AE ceiling (true target latent) | true-motion ceiling | model vs better baseline | true motion vs better baseline |", "|---|---|---|---|---|---|---|---|---|"]
    for h in hs:
        for subset in ("all", "dynamic", "gripper_cube"):
            v = {m: fid[h].get(f"chamfer_{subset}_{m}") for m in METHODS + ("autoencoder_ceiling", "true_motion")}
            if v["model"] is None:
                continue
            best = min(v["copy_last"], v["const_velocity"])
            tm = "–" if v["true_motion"] is None else f"{_f(100 * (v['true_motion'] - best) / best, 0)} %"
            L.append(f"| {h} | {subset.replace('_', '+')} | {_f(v['model'])} | {_f(v['copy_last'])} | {_f(v['const_velocity'])} | {_f(v['autoencoder_ceiling'])} | "
                     f"{_f(v['true_motion'])} | {_f(100 * (v['model'] - best) / best, 0)} % | {tm} |")
    L += ["", "Masked PSNR (dB, pixels that changed between t and t+h; splats composited over the observed frame t for every method):", "",
          "| h | camera | model | copy-last | const-velocity | true-motion ceiling | lifted truth (renderer ceiling) |", "|---|---|---|---|---|---|---|"]
    cams = sorted({k.split("_")[2] for h in hs for k in fid[h] if k.startswith("psnr_masked_")})
    for h in hs:
        for c in cams:
            g = lambda m: fid[h].get(f"psnr_masked_{c}_{m}")  # noqa: E731
            L.append(f"| {h} | {c} | {_f(g('model'))} | {_f(g('copy_last'))} | {_f(g('const_velocity'))} | {_f(g('true_motion'))} | {_f(g('lifted_truth'))} |")
    L += ["", "## Success estimate", "", "| decision point | n (pos) | imagination AUROC [95 % CI] | Brier | current-state-only AUROC | oracle (true future) AUROC |", "|---|---|---|---|---|---|"]
    for name in ("first_chunk", "pre_close", "pre_grasp", "mid_transport"):
        r = suc.get(name)
        if not r:
            continue
        im = r["imagination"]
        L.append(f"| {name.replace('_', ' ')} | {r['episodes']} ({r['positives']}) | {_f(im['auroc'])} [{_f(im['auroc_ci95'][0])}, {_f(im['auroc_ci95'][1])}] | {_f(im['brier'], 3)} | "
                 f"{_f(r['current_state_only']['auroc'])} | {_f(r['oracle_future']['auroc'])} |")
    a = suc["all_boundaries"]
    L += ["", "Pre-close: the boundary where the episode's policy first commands the gripper closed (the same rule for successes and failures); "
          "pre-grasp: the last boundary before the cube is first held, or the closest approach when it never is. "
          "Current-state-only and oracle heads are trained from a fresh initialisation on the same train trajectories, each with its own validation temperature.", "",
          f"Over all {a['n']} {split} chunk boundaries: AUROC {_f(a['auroc'])}, Brier {_f(a['brier'], 3)}, ECE {_f(a['ece'], 3)} "
          f"(temperature {_f(float(temperature), 2)} fitted on the validation split).", ""]
    pl = suc["policy_level"]
    L += ["## Policy level", ""]
    if pl.get("pearson") is not None:
        L.append(f"Across {len(pl['variants'])} policy variants ({pl['source']}), each episode predicted at its pre-close boundary (imagining its recorded "
                 f"next {cfg.success.horizon} chunks): Pearson {_f(pl['pearson'])}, Spearman {_f(pl['spearman'])}.")
    else:
        L.append(f"Not measured: {pl['note']}.")
    bp = pl.get("by_decision_point", {})
    names = [n for n in ("first_chunk", "pre_grasp", "all_boundaries") if n in bp]
    L += ["", "| variant | episodes | real | predicted (pre-close) | " + " | ".join(f"predicted ({n.replace('_', ' ')})" for n in names) + " |",
          "|---|---|---|---|" + "---|" * len(names)]
    for k, v in pl["variants"].items():
        L.append(f"| {k} | {v['episodes']} | {_f(v['real'])} | {_f(v['predicted'])} | " + " | ".join(_f(bp[n]["variants"].get(k, {}).get("predicted")) for n in names) + " |")
    if names:
        L.append("| Spearman | | | " + _f(pl.get("spearman")) + " | " + " | ".join(_f(bp[n].get("spearman")) for n in names) + " |")
    L += ["", "## Measured in the studio", "",
          "The ranking test (K = 8 perturbed chunks, each executed in the simulator from the same restored state: top-1, Kendall τ) and the",
          "chunk policy's own success in closed loop run the pack in the studio, not here:",
          "`node bin/studio.js imagine ranking --pack PACK --states 20 --candidates 8 --seed 9000 --json` and",
          "`node bin/studio.js policy run --sim --pack PACK --mode off --max-duration-s 30 --episodes 100 --seed 4000 --json`;",
          "`models/scripts/record_studio_eval.py` writes their summaries into this section and the manifest.", ""]
    L += ["## Figures", ""] + [f"![{f}]({f})" for f in figures]
    (pack / "REPORT.md").write_text("\n".join(L) + "\n")


def evaluate(run, cfg: RunConfig, data: Data, model, lat, pack: Path, variants_dir: Path | None = None, cache_dir: Path | None = None,
             split: str = "test") -> dict:
    """On the test split: REPORT.md, figures and the manifest's `evaluation` in the pack. On another split
    (valid, for decisions): the same report in RUN/evaluate-SPLIT/, the pack untouched."""
    if not (pack / "gwm_manifest.json").exists():
        raise FileNotFoundError(f"{pack}: no pack — run `python -m gwmlite export` first")
    if split not in ("test", "valid"):
        raise ValueError(f"evaluate --split {split!r}: use test (the report) or valid (decisions); train episodes are never evaluated")
    eps = data.split(split)
    if not eps:
        raise ExportError(f"{data.export.root}: the {split} split is empty — export with `--{split}-fraction 0.1` (evaluation never uses train episodes)")
    model.eval()
    fid, examples = fidelity(cfg, data, model, lat, eps)
    suc, rel = success_eval(run, cfg, data, model, lat, eps, split)
    if variants_dir is not None:
        suc["policy_level"] = variants_eval(run, cfg, data, model, Path(variants_dir), Path(cache_dir or run.dir.parent / "cache"))
    out = pack if split == "test" else run.dir / f"evaluate-{split}"
    out.mkdir(parents=True, exist_ok=True)
    figures = _figures(out, fid, examples, rel)
    evaluation = {"split": split, "episodes": len(eps), "fidelity": fid, "success": suc,
                  "auroc": suc.get("pre_grasp", suc["first_chunk"])["imagination"]["auroc"],
                  "ranking": None, "policy_success_sim": None}
    write_report(out, cfg, data, fid, suc, figures, eps, float(model.success.temperature), split)
    if split == "test":
        update_manifest(pack, evaluation=evaluation)
        (run.dir / "evaluation.json").write_text(dump_json(evaluation))
    else:
        (out / "evaluation.json").write_text(dump_json(evaluation))
    run.log("evaluate", {"split": split, "auroc": evaluation["auroc"]})
    return evaluation
