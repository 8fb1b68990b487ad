"""Run configuration: one JSON file (configs/*.json) with a section per stage."""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .edm import EdmConfig
from .lifting import LiftingConfig
from .models import ModelConfig


@dataclass
class StageConfig:
    steps: int = 100
    batch: int = 16
    lr: float = 3e-4
    weight_decay: float = 1e-2
    warmup: int = 20
    ckpt_every: int = 50
    log_every: int = 10


@dataclass
class AeConfig(StageConfig):
    pair_chunks: tuple[int, ...] = (0, 1, 2, 4)
    loss_points: int = 1024
    w_flow: float = 1.0
    # The mean flow error over the Gaussians that move (≥ moving_m between the pair), added with this
    # weight: in a frame pair most Gaussians are static, so the plain mean barely sees the gripper and cube.
    w_flow_moving: float = 2.0
    moving_m: float = 0.002
    # The mean flow error over the Gaussians on the gripper and the objects, added with this weight. The
    # arm's links carry ~10× their points, so even the moving mean is mostly arm; with the true target
    # latent the reference-b decoder still missed the gripper and cube by 1.8 cm (Chamfer 3.2 cm² where
    # carrying each point with its body gives 0.4) — the detail a grasp and its success turn on.
    w_flow_focus: float = 0.0
    w_chamfer: float = 0.5
    w_render: float = 0.2
    w_rgb: float = 0.05
    render_px: int = 48
    render_every: int = 1  # the render loss on every n-th step (it is the costly term)
    render_batch: int = 4  # … on the first n samples of the batch
    # Training-only linear probes from the flattened latent to the state (gripper xyz and width always;
    # the first object's xyz where the export has privileged poses), with this weight. Reconstruction alone
    # left the cube to ~4–5 cm in the latents (the arm dominates it), too coarse for a grasp or its success.
    w_state: float = 0.0


@dataclass
class DynamicsConfig(StageConfig):
    ar_fraction: float = 0.3  # last 30 % of steps: 2-step unrolls on the model's own prediction
    # Sampling weight of the transitions where the gripper closes (that chunk or the one before): the few
    # that decide whether a grasp holds. 1 samples every transition alike (as the reference runs did).
    grasp_weight: float = 1.0


@dataclass
class SuccessConfig(StageConfig):
    horizon: int = 4
    gt_mix: float = 0.5
    w_progress: float = 0.5
    w_probes: float = 0.5
    boundary_stride: int = 1  # train on every n-th chunk boundary of each episode (imagining all is the costly part)


@dataclass
class PolicyConfig(StageConfig):
    kl_weight: float = 0.01
    include_explore: bool = False
    # Options of gwmlite/policy.py (docs/world-model.md, "Chunk policy"); the defaults train the first packs' CVAE.
    canonical_quat: bool = False  # the graph flips the proprio quaternion into one hemisphere (q and −q are one pose)
    action_target: str = "delta"  # "cumulative": predict the chunk relative to the observed pose; the graph returns per-step deltas
    deterministic: bool = False  # plain L1 behaviour cloning; policy_noise offsets candidates by noise[:3] · sample_offset_m per step
    sample_offset_m: float = 0.003
    w_aux_object: float = 0.0  # training-only head: cube and target relative to the gripper from the proprio token
    frames: str = "boundaries"  # "all": every frame with a latent starts a training chunk (the lab encodes every 2nd frame)
    success_only: bool = False  # train on successful episodes only
    arch: str = "transformer"  # "mlp": MlpChunkPolicy over the flattened anchor latents (deterministic only)
    mlp_width: int = 512


@dataclass
class EvalConfig:
    horizons: tuple[int, ...] = (1, 2, 4)
    render_px: int = 64
    max_states: int = 400
    psnr_states: int = 100
    bootstrap: int = 1000
    figure_states: int = 3


@dataclass
class RunConfig:
    name: str = "gwm-lite"
    seed: int = 0
    lift_workers: int = 2
    lifting: LiftingConfig = field(default_factory=LiftingConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    edm: EdmConfig = field(default_factory=EdmConfig)
    ae: AeConfig = field(default_factory=AeConfig)
    dynamics: DynamicsConfig = field(default_factory=DynamicsConfig)
    success: SuccessConfig = field(default_factory=SuccessConfig)
    policy: PolicyConfig = field(default_factory=PolicyConfig)
    eval: EvalConfig = field(default_factory=EvalConfig)

    def to_json(self) -> dict:
        d = asdict(self)
        d["lifting"] = self.lifting.to_json()
        return d


_SECTIONS = {"lifting": LiftingConfig, "model": ModelConfig, "edm": EdmConfig, "ae": AeConfig, "dynamics": DynamicsConfig,
             "success": SuccessConfig, "policy": PolicyConfig, "eval": EvalConfig}


def _build(cls, d: dict, where: str):
    known = cls.__dataclass_fields__
    unknown = [k for k in d if k not in known and k != "tiers"]
    if unknown:
        raise ValueError(f"{where}: unknown key(s) {unknown} — known keys: {sorted(known)}")
    return cls(**{k: (tuple(v) if isinstance(v, list) else v) for k, v in d.items() if k in known})


def load_config(path: str | Path) -> RunConfig:
    p = Path(path)
    try:
        d = json.loads(p.read_text())
    except FileNotFoundError as e:
        raise ValueError(f"{p}: config not found — use one of models/configs/*.json") from e
    except json.JSONDecodeError as e:
        raise ValueError(f"{p}: not valid JSON ({e})") from e
    top = {k: v for k, v in d.items() if k not in _SECTIONS}
    cfg = _build(RunConfig, top, str(p))
    for k, cls in _SECTIONS.items():
        if k in d:
            setattr(cfg, k, _build(cls, d[k], f"{p} [{k}]"))
    return cfg
