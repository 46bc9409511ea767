"""Hooks: everything the loop calls besides the phases (progress bar, health monitor,
in-training evaluation, sample grids). A hook watches training and never changes it.

The loop calls every hook inside :func:`watching`, one guard that saves and restores the
global RNG states (torch CPU/CUDA, numpy, Python), puts every net (and the EMA copy of G) in
eval mode and restores each module's own mode afterwards, and runs under ``no_grad``. Eval
mode keeps batch-norm running statistics as they were, and the restored RNG means a hook that
builds a net (a feature extractor, the health monitor's digit classifier) or samples with the
global RNG cannot shift the latents and batches of later steps. So exact resume holds with
every hook on, and a run with hooks equals a run without them, bit for bit.
"""
from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator, Protocol

import torch
from torch import nn

from .state import rng_state, set_rng_state

if TYPE_CHECKING:
    from ..config import RunConfig
    from ..data.base import TensorDataset
    from ..families import Family
    from ..distributed import DistContext
    from .ema import EMA


@dataclass
class TrainContext:
    """What hooks see of the run; a hook may set ``save_best`` or ``stop_reason`` and append
    records to ``events`` (logged to metrics.jsonl after the step's record)."""

    cfg: "RunConfig"
    family: "Family"
    dataset: "TensorDataset"
    out: Path
    dist: "DistContext"
    ema: "EMA | None" = None
    events: list[dict[str, Any]] = field(default_factory=list)
    save_best: bool = False            # set by a hook: save RUN/best/ and checkpoint-best.pt now
    stop_reason: str | None = None     # set by a hook: stop after this step (early stopping)

    def export_generator(self) -> nn.Module:
        """The generator that is exported and sampled: the EMA copy when EMA is on, its
        batch-norm statistics re-estimated from its own samples (:meth:`EMA.export`: batches of
        the training batch size, latents and uniformly drawn classes from a generator seeded by
        ``train.seed``)."""
        if self.ema is None:
            return self.family.nets[self.family.generator_name]
        if not self.family.ema_standing_stats:
            return self.ema.shadow
        n, family = self.cfg.data.batch_size, self.family

        def forward(G: nn.Module, gen: torch.Generator) -> None:
            k = int(getattr(G, "num_classes", 0) or 0)
            labels = torch.randint(k, (n,), generator=gen).to(family.device) if k else None
            family.sample(n, generator=gen, net=G, labels=labels)

        return self.ema.export(forward, seed=self.cfg.train.seed)

    def all_nets(self) -> list[nn.Module]:
        """Every net of the family, and the EMA copy of G."""
        return [*self.family.nets.values(), *([self.ema.shadow] if self.ema is not None else [])]


class Hook(Protocol):
    """Called by the loop (inside :func:`watching`) after the statistics of a log step are
    reduced: returns extra entries for the step's record (or None).

    Optional methods the loop calls when present: ``on_step(ctx, step)`` after every step
    (outside the guard, for speed: it must be cheap and must not run a net);
    ``state_dict()`` / ``load_state_dict(state)`` for hooks whose decisions depend on history
    (saved in the checkpoint under the hook's ``name``, so a resumed run decides as an
    uninterrupted one); ``close()`` when the run ends."""

    def on_log(self, ctx: TrainContext, step: int, record: dict[str, Any]) -> dict[str, Any] | None: ...


@contextlib.contextmanager
def watching(nets: list[nn.Module]) -> Iterator[None]:
    """Run a hook without changing training: global RNG states saved and restored, every
    module of ``nets`` in eval mode (each module's own mode restored after, so a sub-module
    kept in eval on purpose stays so), no gradients."""
    rng = rng_state()
    modes = [(m, m.training) for net in nets for m in net.modules()]
    for net in nets:
        net.eval()
    try:
        with torch.no_grad():
            yield
    finally:
        for m, was in modes:
            m.training = was
        set_rng_state(rng)


def call_hook(hook: Any, method: str, ctx: TrainContext, *args: Any) -> Any:
    """``hook.method(ctx, *args)`` inside the guard; None when the hook has no such method."""
    fn = getattr(hook, method, None)
    if fn is None:
        return None
    with watching(ctx.all_nets()):
        return fn(ctx, *args)


class ProgressBar:
    """The progress bar: advances every step; at each log step it shows the phases' declared
    losses and samples/s."""

    def __init__(self, total: int, initial: int, desc: str, losses: tuple[str, ...]) -> None:
        from tqdm.auto import tqdm

        self.losses = losses
        self.bar = tqdm(total=total, initial=initial, desc=desc, unit="step", dynamic_ncols=True)

    def on_step(self, ctx: TrainContext, step: int) -> None:
        self.bar.update(step - self.bar.n)

    def on_log(self, ctx: TrainContext, step: int, record: dict[str, Any]) -> None:
        shown = {k: f"{record[k]:.3g}" for k in (*self.losses, "samples_per_s") if k in record}
        self.bar.set_postfix(shown, refresh=False)

    def write(self, msg: str) -> None:
        """Print a line above the bar (health warnings)."""
        self.bar.write(msg)

    def close(self) -> None:
        self.bar.close()
