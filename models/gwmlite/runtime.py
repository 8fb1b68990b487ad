"""What every stage shares: the run directory, the device, data-parallel ranks, metrics, checkpoints
and the one training loop (AdamW, warm-up + cosine, gradient clipping, resumable)."""
from __future__ import annotations

import json
import math
import os
import time
import zlib
from dataclasses import asdict
from datetime import timedelta
from pathlib import Path
from typing import Callable

import torch
import torch.distributed as dist
from torch import nn

from .config import StageConfig


def dist_info() -> tuple[int, int]:
    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


def init_distributed(device: str) -> None:
    """Under torchrun (WORLD_SIZE > 1): gloo on CPU, NCCL on CUDA. GWM_DIST_TIMEOUT_S bounds how long a
    collective may wait for the other processes (torch's default, 30 min, when unset): a stuck peer then
    fails with an error instead of hanging the run."""
    if int(os.environ.get("WORLD_SIZE", "1")) > 1 and not dist.is_initialized():
        limit = os.environ.get("GWM_DIST_TIMEOUT_S")
        extra = {"timeout": timedelta(seconds=float(limit))} if limit else {}
        dist.init_process_group(backend="nccl" if device.startswith("cuda") else "gloo", **extra)
        if device.startswith("cuda"):
            torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", "0")))


def atomic_save(obj, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    torch.save(obj, tmp)
    os.replace(tmp, path)


class Run:
    def __init__(self, out_dir: str | Path, device: str = "cpu", progress: bool = True):
        self.dir = Path(out_dir)
        self.device = torch.device(device)
        self.rank, self.world = dist_info()
        self.progress = progress and self.rank == 0
        if self.rank == 0:
            self.dir.mkdir(parents=True, exist_ok=True)

    @property
    def main(self) -> bool:
        return self.rank == 0

    def stage_dir(self, stage: str) -> Path:
        return self.dir / stage

    def done(self, stage: str) -> bool:
        return (self.stage_dir(stage) / "final.pt").exists()

    def log(self, stage: str, record: dict) -> None:
        if not self.main:
            return
        p = self.stage_dir(stage) / "metrics.jsonl"
        p.parent.mkdir(parents=True, exist_ok=True)
        with p.open("a") as f:
            f.write(json.dumps({"stage": stage, **record}) + "\n")

    def save_final(self, stage: str, state: dict) -> None:
        if self.main:
            atomic_save(state, self.stage_dir(stage) / "final.pt")
        if self.world > 1:
            dist.barrier()

    def load_final(self, stage: str) -> dict:
        p = self.stage_dir(stage) / "final.pt"
        if not p.exists():
            raise FileNotFoundError(f"{p}: stage '{stage}' has not finished — run `python -m gwmlite {stage}` first (or `all`)")
        return torch.load(p, map_location=self.device, weights_only=False)


def step_generator(seed: int, stage: str, step: int) -> torch.Generator:
    """The batch of step n depends only on (seed, stage, n): identical on every rank and after resuming."""
    g = torch.Generator()
    g.manual_seed((seed * 1_000_003 + zlib.crc32(stage.encode()) * 7919 + step) % (2 ** 63))
    return g


def lr_at(step: int, sc: StageConfig) -> float:
    if step < sc.warmup:
        return sc.lr * (step + 1) / sc.warmup
    p = (step - sc.warmup) / max(1, sc.steps - sc.warmup)
    return sc.lr * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * min(1.0, p))))


def fit(run: Run, stage: str, module: nn.Module, batch_fn: Callable[[torch.Generator, int, int], dict], sc: StageConfig, seed: int) -> list[dict]:
    """Train `module` (whose forward(**batch) returns (loss, metrics)) for sc.steps steps.

    batch_fn(gen, step, rank_share) returns this rank's share of the global batch. Under torchrun the
    module is wrapped in DistributedDataParallel, which averages gradients: with equal shares that is
    the gradient of the mean loss over the global batch, as one process would compute it."""
    ckpt_path = run.stage_dir(stage) / "ckpt.pt"
    module.to(run.device)
    opt = torch.optim.AdamW([p for p in module.parameters() if p.requires_grad], lr=sc.lr, weight_decay=sc.weight_decay)
    start = 0
    if ckpt_path.exists():
        ck = torch.load(ckpt_path, map_location=run.device, weights_only=False)
        module.load_state_dict(ck["module"])
        opt.load_state_dict(ck["opt"])
        start = ck["step"] + 1
        if run.main:
            print(f"[{stage}] resuming from step {start} ({ckpt_path})")
    if sc.batch % run.world:
        raise ValueError(f"[{stage}] batch {sc.batch} is not divisible by the {run.world} data-parallel processes — choose a batch that is")
    share = sc.batch // run.world
    model = module
    if run.world > 1:
        model = nn.parallel.DistributedDataParallel(module, find_unused_parameters=True)
    history: list[dict] = []
    bar = None
    if run.progress:
        from tqdm import tqdm
        bar = tqdm(total=sc.steps, initial=start, desc=stage, dynamic_ncols=True)
    t0 = time.time()
    model.train()
    for step in range(start, sc.steps):
        for group in opt.param_groups:
            group["lr"] = lr_at(step, sc)
        batch = batch_fn(step_generator(seed, stage, step), step, share)
        loss, metrics = model(**batch)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        gnorm = torch.nn.utils.clip_grad_norm_(module.parameters(), 1.0)
        opt.step()
        rec = {"step": step, "loss": float(loss.detach()), "lr": lr_at(step, sc), "grad_norm": float(gnorm),
               **{k: float(v) for k, v in metrics.items()}, "time_s": round(time.time() - t0, 3)}
        if run.world > 1:
            t = torch.tensor([rec["loss"]], dtype=torch.float64)
            dist.all_reduce(t)
            rec["loss"] = float(t) / run.world
        history.append(rec)
        if step % sc.log_every == 0 or step == sc.steps - 1:
            run.log(stage, rec)
        if bar:
            bar.update(1)
            bar.set_postfix(loss=f"{rec['loss']:.4f}")
        if run.main and ((step + 1) % sc.ckpt_every == 0 or step == sc.steps - 1):
            atomic_save({"step": step, "module": module.state_dict(), "opt": opt.state_dict(), "config": asdict(sc)}, ckpt_path)
    if bar:
        bar.close()
    model.eval()
    return history
