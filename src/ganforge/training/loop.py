"""The generic training loop: it runs a family's phases, reports their statistics and calls
the hooks. It never branches on the family's name.

Its parts live next to it: :mod:`.state` saves and restores the whole training state (the
checkpoint), :mod:`.export` writes models and sample grids, :mod:`.hooks` holds the guard
every hook runs in and the progress bar, :mod:`.health` and :mod:`.evaluation` are hooks,
:mod:`.stats` reduces the step statistics and guards against divergence, :mod:`.setup` does
what comes before the first step (config, device, seeds, the run folder's checks)."""
from __future__ import annotations

import signal
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from ..config import RunConfig, validate
from ..data import build_dataset
from ..families import FAMILIES
from ..families.options import check_options
from .checkpoint import CHECKPOINT_NAME, atomic_save, atomic_write_text, remove_stale_temporaries
from ..distributed import init_distributed, is_initialized as dist_initialized, shutdown as dist_shutdown
from .ema import EMA
from .export import export_models, save_samples
from .hooks import Hook, ProgressBar, TrainContext, call_hook, watching
from .logging import METRICS_NAME, RunLogger, plot_losses, truncate_metrics
from .sampler import BatchSampler
from .setup import CONFIG_NAME, fit_image_side, open_run, pick_device, resolve_config, seed_everything, settle_precision
from .state import restore_training_state, rng_state, training_state
from .stats import StatsCollector, check_divergence, declared_losses


@dataclass
class TrainResult:
    out: Path
    step: int
    record: dict[str, Any]
    interrupted: bool = False
    health: list[Any] = field(default_factory=list)  # HealthEvents raised during the run
    stop_reason: str | None = None  # why it ended before train.steps (budget, early stopping), else None


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
    """Train ``cfg`` and return where the run lives. See :func:`ganforge.train` for the public API.

    ``hooks`` are called at every log step on every process, before the built-in health
    monitor, evaluation (these two run on the main process only) and progress bar.
    ``train.threads`` sets torch's CPU thread count for the run (restored afterwards)."""
    validate(cfg)  # ranges first: a bad value is named before any data is read or net is built
    before = torch.get_num_threads()
    if cfg.train.threads:
        torch.set_num_threads(cfg.train.threads)
    owns_group = not dist_initialized()  # a group the run creates (torchrun) is left by the run
    finished = False
    try:
        result = _train(cfg, resume, overwrite, hooks)
        finished = True
        return result
    finally:
        if torch.get_num_threads() != before:
            torch.set_num_threads(before)
        if owns_group:
            dist_shutdown(wait=finished)


def _train(cfg: RunConfig, resume: bool, overwrite: bool, hooks: list[Hook] | None) -> TrainResult:
    check_options(FAMILIES.get(cfg.family).cls, cfg.options, cfg.family)  # before the data is read
    dist = init_distributed(cfg.train.device)
    dataset = fit_image_side(cfg, build_dataset(cfg.data), build_dataset,
                             say=print if dist.is_main else (lambda _: None))
    cfg = resolve_config(cfg, dataset.info.kind)
    t = cfg.train
    out = Path(t.out)
    ckpt_path = out / CHECKPOINT_NAME
    device = pick_device(t.device, dist)
    requested_precision = t.precision
    ckpt = open_run(cfg, out, resume, overwrite)
    precision_line = settle_precision(cfg, device, requested_precision)
    if dist.is_main:
        print(precision_line)
    dataset.keep_on(device)  # when it fits: no host-to-device copy per batch

    seed_everything(t.seed)
    family = FAMILIES.get(cfg.family).cls(cfg, dataset.info, device, dist)
    for net in family.nets.values():
        dist.broadcast(net)
    seed_everything(t.seed + dist.rank)  # each process draws its own latents
    ema = EMA(family.nets[family.generator_name], t.ema, t.ema_start) if t.ema else None
    sampler = BatchSampler(len(dataset), cfg.data.batch_size, t.seed, dist.rank, dist.world_size)
    phases = family.phases()
    losses = declared_losses(phases)
    ctx = TrainContext(cfg, family, dataset, out, dist, ema)
    main = dist.is_main

    hooks = list(hooks or [])
    progress: ProgressBar | None = None
    monitor = None
    if t.health and main:
        from .health import HealthMonitor

        # warnings go above the progress bar (created below, on the main process)
        monitor = HealthMonitor(every=t.health_every, emit=lambda m: progress.write(m) if progress else print(m))
        hooks.append(monitor)
    if t.eval_every and main:
        from .evaluation import EvalHook

        hooks.append(EvalHook(cfg, dataset.info))

    start = int(ckpt["step"]) if ckpt is not None else 0
    logger = None
    if main:
        remove_stale_temporaries(out)  # before anything is written: this run is the folder's only writer
        if ckpt is not None:  # records written after the checkpoint by a killed process
            truncate_metrics(out / METRICS_NAME, start)
        atomic_write_text(out / CONFIG_NAME, cfg.to_yaml())
        logger = RunLogger(out, t.tensorboard, fresh=ckpt is None)
        if t.progress:
            progress = ProgressBar(t.steps, start, f"{cfg.family} {dataset.info.name}", losses)
            hooks.append(progress)
    budget = None
    if main:
        from .budget import Budget

        budget = Budget(t.cpu_budget, t.wall_budget)
        hooks.append(budget)  # last: the positions (state keys) of the other hooks stay as they were
    if ckpt is not None:  # last, as it sets the RNG states: from here only the phases draw from them
        restore_training_state(ckpt, family, ema, sampler, dist.rank, hooks)

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
        state = training_state(step, cfg, family, ema, samplers, rngs, hooks)
        atomic_save(state, out / "checkpoint-best.pt" if best else ckpt_path)
        export_models(ctx, step, out / "best" if best else out)

    def samples(step: int, path: Path) -> None:
        with watching(ctx.all_nets()):
            save_samples(ctx, step, path)

    stats = StatsCollector()
    record: dict[str, Any] = {}
    samples_per_iter = cfg.data.batch_size * dist.world_size * sum(p.repeat for p in phases if p.uses_data)
    total = t.steps
    t_last, step_last = time.perf_counter(), start
    interrupted = False
    batch: dict[str, torch.Tensor] = {}
    final = start
    if budget is not None:
        budget.start()
    with _Interrupt() as intr:
        try:
            for step in range(start, total):
                family.iteration = step
                family.measure_now = step + 1 == total or bool(t.log_every and (step + 1) % t.log_every == 0)
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
                for hook in hooks:
                    if hasattr(hook, "on_step"):
                        hook.on_step(ctx, done)
                log_now = t.log_every and done % t.log_every == 0
                ckpt_now = t.ckpt_every and done % t.ckpt_every == 0
                if (log_now or ckpt_now or done == total or intr.flag) and stats:
                    now = time.perf_counter()
                    record = {"step": done, **stats.flush(dist.world_size),
                              "samples_per_s": samples_per_iter * (done - step_last) / max(now - t_last, 1e-9)}
                    t_last, step_last = now, done
                    check_divergence(record, losses, done, t.max_loss, ckpt_path)
                    for hook in hooks:
                        record.update(call_hook(hook, "on_log", ctx, done, record) or {})
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
                if main and t.sample_every and done % t.sample_every == 0:
                    samples(done, out / "samples" / f"step_{done:07d}.png")
                if ckpt_now and done != total:
                    save_checkpoint(done)
                if intr.flag:
                    interrupted = True
                    break
                if ctx.stop_reason:
                    print(ctx.stop_reason)
                    break
        finally:
            for hook in hooks:
                if hasattr(hook, "close"):
                    hook.close()
            if logger is not None and not interrupted and final != total:
                logger.close()  # an exception (divergence, second Ctrl-C): keep the last good checkpoint
    save_checkpoint(final)
    if main:
        samples(final, out / "samples.png")
        if logger is not None:
            logger.close()
        # families that declare no losses yet: plot the *_loss statistics
        plot_losses(out / METRICS_NAME, out / "loss.png", losses or None)
    if monitor is not None and t.progress and monitor.summary():
        print(monitor.summary())
    if interrupted and main:
        print(f"\ninterrupted at step {final}: checkpoint saved to {ckpt_path}; continue with --resume")
    return TrainResult(out, final, record, interrupted, monitor.events if monitor is not None else [],
                       ctx.stop_reason or None)
