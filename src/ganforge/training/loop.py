"""The generic training loop: it runs a family's phases and does everything else (devices,
seeding, batches, EMA, logging, sample grids, checkpoints, resume, distributed, Ctrl-C).
It never branches on the family's name."""
from __future__ import annotations

import math
import random
import signal
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import torch

from ..config import RESUMABLE, RunConfig, config_from_dict, merge_defaults, validate
from ..data import build_dataset
from ..data.base import TensorDataset
from ..errors import GanforgeError, TrainingDiverged
from ..fileio import write_text
from ..families import FAMILIES, Family
from ..imageio import save_grid, save_points
from ..nets import save_model
from ..plots import SAMPLE_PLOTS
from .checkpoint import CHECKPOINT_NAME, FORMAT_VERSION, atomic_save, load_checkpoint, rng_state, set_rng_state
from .distributed import DistContext, init_distributed
from .ema import EMA
from .logging import RunLogger, StatsAccumulator, plot_losses
from .sampler import BatchSampler

CONFIG_NAME = "config.yaml"


class Hook(Protocol):
    """Called by the loop; health monitors and in-training metrics are hooks."""

    def on_log(self, ctx: "TrainContext", step: int, record: dict[str, Any]) -> dict[str, Any]: ...


@dataclass
class TrainContext:
    cfg: RunConfig
    family: Family
    dataset: TensorDataset
    out: Path
    dist: DistContext
    ema: EMA | None = None
    events: list[dict[str, Any]] = field(default_factory=list)
    save_best: bool = False            # set by a hook: save RUN/best/ and checkpoint-best.pt now
    stop_reason: str | None = None     # set by a hook: stop after this step (early stopping)

    def export_generator(self) -> torch.nn.Module:
        return self.ema.shadow if self.ema is not None else self.family.nets[self.family.generator_name]


@dataclass
class TrainResult:
    out: Path
    step: int
    record: dict[str, Any]
    interrupted: bool = False
    health: list[Any] = field(default_factory=list)  # HealthEvents raised during the run


def resolve_config(cfg: RunConfig, kind: str) -> RunConfig:
    """Apply the family's defaults (for this kind of data) under the user's settings and validate."""
    spec = FAMILIES.get(cfg.family)
    defaults = {k: dict(v) for k, v in spec.defaults.items() if k != "by_kind"}
    for sec, values in spec.defaults.get("by_kind", {}).get(kind, {}).items():
        defaults.setdefault(sec, {}).update(values)
    merge_defaults(cfg, defaults)
    if cfg.train.out is None:
        cfg.train.out = f"runs/{cfg.family}"
    return validate(cfg)


def pick_device(pref: str, dist: DistContext) -> torch.device:
    if pref == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda", dist.local_rank)
        return torch.device("cpu")
    if pref.startswith("cuda") and not torch.cuda.is_available():
        raise GanforgeError(f"train.device = {pref!r} but CUDA is not available here; use auto or cpu")
    if pref == "cuda":
        return torch.device("cuda", dist.local_rank)
    return torch.device(pref)


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def _check_finite(record: dict[str, Any], step: int, limit: float, ckpt: Path) -> None:
    for k, v in record.items():
        if not k.endswith("_loss") and k not in ("gp", "r1"):
            continue
        if not math.isfinite(v) or abs(v) > limit:
            what = "NaN/inf" if not math.isfinite(v) else f"{v:.3g} (above train.max_loss = {limit:g})"
            kept = f"The last good checkpoint is kept: {ckpt}" if ckpt.exists() else "No checkpoint had been written yet."
            raise TrainingDiverged(
                f"training diverged at step {step}: {k} is {what}. {kept}. Remedies: lower the learning "
                f"rates (--lr-g/--lr-d), use a gradient penalty (wgan-gp) or spectral norm, or --precision fp32.")


class _Interrupt:
    def __init__(self) -> None:
        self.flag = False
        self._old: Any = None

    def __enter__(self) -> "_Interrupt":
        try:
            self._old = signal.signal(signal.SIGINT, self._handle)
        except ValueError:  # not the main thread
            self._old = None
        return self

    def _handle(self, *_: Any) -> None:
        if self.flag:  # a second Ctrl-C stops at once
            raise KeyboardInterrupt
        self.flag = True

    def __exit__(self, *_: Any) -> None:
        if self._old is not None:
            signal.signal(signal.SIGINT, self._old)


def train(cfg: RunConfig, resume: bool = False, overwrite: bool = False, hooks: list[Hook] | None = None) -> TrainResult:
    """Train ``cfg`` and return where the run lives. See :func:`ganforge.train` for the public API."""
    validate(cfg)  # ranges first: a bad value is named before any data is read or net is built
    dist = init_distributed(cfg.train.device)
    dataset = build_dataset(cfg.data)
    cfg = resolve_config(cfg, dataset.info.kind)
    out = Path(cfg.train.out)
    ckpt_path = out / CHECKPOINT_NAME

    ckpt: dict[str, Any] | None = None
    if resume:
        ckpt = load_checkpoint(ckpt_path)
        saved = config_from_dict(ckpt["config"], source=str(ckpt_path))
        diffs = {k: v for k, v in saved.diff(cfg).items() if k not in RESUMABLE}
        if diffs:
            lines = "; ".join(f"{k}: checkpoint {a!r} vs now {b!r}" for k, (a, b) in diffs.items())
            raise GanforgeError(f"cannot resume {out}: the config differs from the checkpoint's in {lines}. "
                                f"Use the original settings, or start a new run with another --out")
    elif ckpt_path.exists() and not overwrite:
        raise GanforgeError(f"{out} already holds a training run ({ckpt_path}): add --resume to continue it, "
                            f"--overwrite to start it again, or choose another --out")

    device = pick_device(cfg.train.device, dist)
    seed_everything(cfg.train.seed)
    family = FAMILIES.get(cfg.family).cls(cfg, dataset.info, device, dist)
    for net in family.nets.values():
        dist.broadcast(net)
    seed_everything(cfg.train.seed + dist.rank)  # each process draws its own latents
    ema = EMA(family.nets[family.generator_name], cfg.train.ema, cfg.train.ema_start) if cfg.train.ema else None
    sampler = BatchSampler(len(dataset), cfg.data.batch_size, cfg.train.seed, dist.rank, dist.world_size)
    phases = family.phases()
    ctx = TrainContext(cfg, family, dataset, out, dist, ema)

    start = 0
    if ckpt is not None:
        for name, net in family.nets.items():
            net.load_state_dict(ckpt["nets"][name])
        for name, opt in family.optimizers.items():
            opt.load_state_dict(ckpt["optimizers"][name])
        if ema is not None:
            ema.load_state_dict(ckpt["ema"])
        if family.scaler is not None and ckpt.get("scaler"):
            family.scaler.load_state_dict(ckpt["scaler"])
        family.load_extra_state(ckpt.get("family", {}))
        sampler.load_state_dict(ckpt["sampler"][dist.rank] if dist.rank < len(ckpt["sampler"]) else ckpt["sampler"][0])
        set_rng_state(ckpt["rng"][dist.rank] if dist.rank < len(ckpt["rng"]) else ckpt["rng"][0])
        start = int(ckpt["step"])

    main = dist.is_main
    logger = None
    if main:
        write_text(out / CONFIG_NAME, cfg.to_yaml(), "the run's config")  # creates out/, names OS errors
        logger = RunLogger(out, cfg.train.tensorboard, fresh=ckpt is None)
    reference = dataset.x[:2000] if dataset.info.kind == "points" else None

    def gather(obj: Any) -> list[Any]:
        if dist.world_size == 1:
            return [obj]
        objs: list[Any] = [None] * dist.world_size
        torch.distributed.all_gather_object(objs, obj)
        return objs

    def save_checkpoint(step: int, best: bool = False) -> None:
        samplers, rngs = gather(sampler.state_dict()), gather(rng_state())
        if not main:
            return
        state = {
            "format": FORMAT_VERSION, "step": step, "config": cfg.to_dict(),
            "nets": {k: v.state_dict() for k, v in family.nets.items()},
            "optimizers": {k: v.state_dict() for k, v in family.optimizers.items()},
            "ema": ema.state_dict() if ema is not None else None,
            "scaler": family.scaler.state_dict() if family.scaler is not None else None,
            "family": family.extra_state(), "sampler": samplers, "rng": rngs,
        }
        atomic_save(state, out / "checkpoint-best.pt" if best else ckpt_path)
        export(step, out / "best" if best else out)

    def export(step: int, where: Path) -> None:
        meta = {**family.export_meta(), "step": step, "ema": ema is not None}
        save_model(ctx.export_generator(), where / "generator", meta)
        for name, net in family.nets.items():
            if name != family.generator_name and hasattr(net, "net_name") and net.net_name:
                save_model(net, where / family.export_names.get(name, name.lower()), {**meta, "role": name})

    def sample_visual(step: int, path: Path) -> None:
        G = ctx.export_generator()
        was_training = G.training
        G.eval()
        with torch.no_grad():
            x = family.sample(cfg.train.grid, generator=torch.Generator().manual_seed(cfg.train.seed), net=G)
        G.train(was_training)
        if dataset.info.kind == "points":
            with torch.no_grad():
                many = family.sample(2000, generator=torch.Generator().manual_seed(cfg.train.seed), net=G)
            save_points(many, path, reference=reference, title=f"step {step}")
        elif dataset.info.kind in SAMPLE_PLOTS:  # other kinds draw themselves (ganforge.plots)
            # evenly spaced real samples (neighbouring windows of a series overlap almost entirely)
            real = dataset.x[torch.linspace(0, len(dataset) - 1, min(cfg.train.grid, len(dataset))).long()]
            SAMPLE_PLOTS.get(dataset.info.kind)(x.float().cpu(), path, dataset.info, real=real, title=f"step {step}")
        elif x.dim() == 4:  # images, or image-to-image rows (input | output | target)
            save_grid(x, path, nrow=family.grid_nrow(G, cfg.train.grid))

    hooks = list(hooks or [])
    monitor = None
    if cfg.train.health and main:
        from .health import HealthMonitor

        def emit(msg: str) -> None:
            if bar is not None:
                bar.write(msg)
            else:
                print(msg)

        monitor = HealthMonitor(every=cfg.train.health_every, emit=emit)
        hooks.append(monitor)
    if cfg.train.eval_every and main:
        from .evaluation import EvalHook

        hooks.append(EvalHook(cfg, dataset.info))
    stats = StatsAccumulator()
    record: dict[str, Any] = {}
    samples_per_iter = cfg.data.batch_size * dist.world_size * sum(p.repeat for p in phases if p.uses_data)
    total = cfg.train.steps
    bar = None
    if main and cfg.train.progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=total, initial=start, desc=f"{cfg.family} {dataset.info.name}", unit="step",
                   dynamic_ncols=True)
    t_last, step_last = time.perf_counter(), start
    interrupted = False
    batch: dict[str, torch.Tensor] = {}
    final = start
    with _Interrupt() as intr:
        try:
            for step in range(start, total):
                family.measure_now = step + 1 == total or bool(
                    cfg.train.log_every and (step + 1) % cfg.train.log_every == 0)
                for phase in phases:
                    if step % phase.every:
                        continue
                    for _ in range(phase.repeat):
                        if phase.uses_data or not batch:
                            batch = {k: v.to(device, non_blocking=True)
                                     for k, v in dataset.get_batch(sampler.next(), sampler.generator).items()}
                        stats.add(phase.step(batch))
                if ema is not None:
                    ema.update(family.nets[family.generator_name], step)
                final = done = step + 1
                if bar is not None:
                    bar.update(1)
                log_now = cfg.train.log_every and done % cfg.train.log_every == 0
                ckpt_now = cfg.train.ckpt_every and done % cfg.train.ckpt_every == 0
                if (log_now or ckpt_now or done == total or intr.flag) and stats:
                    now = time.perf_counter()
                    record = {"step": done, **stats.flush(),
                              "samples_per_s": samples_per_iter * (done - step_last) / max(now - t_last, 1e-9)}
                    t_last, step_last = now, done
                    _check_finite(record, done, cfg.train.max_loss, ckpt_path)
                    for hook in hooks:
                        record.update(hook.on_log(ctx, done, record) or {})
                    if logger is not None:
                        logger.log(record)
                        for event in ctx.events:
                            logger.log(event)
                    ctx.events.clear()
                if dist.world_size > 1 and (log_now or ckpt_now or done == total):  # hooks run on rank 0 only
                    flags = [ctx.save_best, ctx.stop_reason]
                    torch.distributed.broadcast_object_list(flags, src=0)
                    ctx.save_best, ctx.stop_reason = flags
                if ctx.save_best:
                    ctx.save_best = False
                    save_checkpoint(done, best=True)
                    if bar is not None:
                        bar.set_postfix({k: f"{record[k]:.3g}" for k in
                                         ("d_loss", "g_loss", "d_real", "d_fake", "samples_per_s") if k in record})
                if main and cfg.train.sample_every and done % cfg.train.sample_every == 0:
                    sample_visual(done, out / "samples" / f"step_{done:07d}.png")
                if ckpt_now and done != total:
                    save_checkpoint(done)
                if intr.flag:
                    interrupted = True
                    break
                if ctx.stop_reason:
                    print(ctx.stop_reason)
                    break
        finally:
            if bar is not None:
                bar.close()
            if logger is not None and not interrupted and final != total:
                logger.close()  # an exception (divergence, second Ctrl-C): keep the last good checkpoint
    save_checkpoint(final)
    if main:
        sample_visual(final, out / "samples.png")
        if logger is not None:
            logger.close()
        plot_losses(out / "metrics.jsonl", out / "loss.png")
    if monitor is not None and cfg.train.progress and monitor.summary():
        print(monitor.summary())
    if interrupted and main:
        print(f"\ninterrupted at step {final}: checkpoint saved to {ckpt_path}; continue with --resume")
    return TrainResult(out, final, record, interrupted, monitor.events if monitor is not None else [])
