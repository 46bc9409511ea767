"""What a run writes for people and other programs: the exported models (config.json +
safetensors folders: ``generator/``, ``discriminator/``, ...) and the sample grids.

Sampling for grids runs as a hook (inside :func:`ganforge.training.hooks.watching`) with its
own seeded generator, so it never changes training.
"""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import torch

from ..imageio import save_grid, save_points
from ..nets import save_model
from ..plots import SAMPLE_PLOTS

if TYPE_CHECKING:
    from .hooks import TrainContext

#: real points drawn in the background of toy-data scatter plots
_REFERENCE_POINTS = 2000


def export_models(ctx: "TrainContext", step: int, where: Path) -> None:
    """Save the generator (the EMA copy when EMA is on) to ``where/generator`` and every other
    registered net of the family to its export folder (``where/discriminator``, ...), with
    metadata (family, dataset, step, ...) for ``ganforge.load``."""
    family = ctx.family
    meta = {**family.export_meta(), "step": step, "ema": ctx.ema is not None}
    save_model(ctx.export_generator(), where / "generator", meta)
    for name, net in family.nets.items():
        if name != family.generator_name and getattr(net, "net_name", None):
            save_model(net, where / family.export_names.get(name, name.lower()), {**meta, "role": name})


def save_samples(ctx: "TrainContext", step: int, path: Path) -> None:
    """Draw ``train.grid`` samples with a generator seeded by ``train.seed`` (the same latents
    at every step, so grids show progress) and save them as the data's kind is best seen: a
    scatter plot of points, a registered plot (series, tables, ...), or an image grid. Call it
    inside :func:`ganforge.training.hooks.watching`."""
    cfg, family, dataset = ctx.cfg, ctx.family, ctx.dataset
    G = ctx.export_generator()
    kind = dataset.info.kind
    x = family.sample(cfg.train.grid, generator=torch.Generator().manual_seed(cfg.train.seed), net=G)
    if kind == "points":
        many = family.sample(_REFERENCE_POINTS, generator=torch.Generator().manual_seed(cfg.train.seed), net=G)
        save_points(many, path, reference=dataset.x[:_REFERENCE_POINTS].cpu(), title=f"step {step}")
    elif kind in SAMPLE_PLOTS:  # other kinds draw themselves (ganforge.plots)
        # evenly spaced real samples (neighbouring windows of a series overlap almost entirely)
        real = dataset.x[torch.linspace(0, len(dataset) - 1, min(cfg.train.grid, len(dataset))).long()].cpu()
        SAMPLE_PLOTS.get(kind)(x.float().cpu(), path, dataset.info, real=real, title=f"step {step}")
    elif x.dim() == 4:  # images, or image-to-image rows (input | output | target)
        save_grid(x, path, nrow=family.grid_nrow(G, cfg.train.grid))

