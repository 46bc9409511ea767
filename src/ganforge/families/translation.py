"""What the image-to-image families share: shapes from the data, family options, an
iteration counter for step-dependent schedules, and sample grids of input | output | target.

The families themselves (pix2pix, cyclegan, srgan, inpaint) are in :mod:`.i2i`. Their update
rules are the plain step functions of :mod:`._i2i_steps`.
"""
from __future__ import annotations

import contextlib
import inspect
from typing import Any, Iterator

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ..errors import GanforgeError
from ..nets import NETS, build_net
from .base import Family

#: rows of input | output | target kept for the training grids (from the first batch)
HELD_ROWS = 16


def build_with(name: str, wanted: dict[str, Any], user: dict[str, Any]) -> nn.Module:
    """Build net ``name`` from the family's ``wanted`` arguments (shapes, channels, width),
    passing only those its constructor accepts, so any registered translator can be swapped
    in with ``--g-net``; the user's ``model.g_kwargs``/``d_kwargs`` go through unfiltered
    (a wrong one is an error naming the accepted arguments)."""
    params = inspect.signature(NETS.get(name).__init__).parameters
    takes_any = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())
    kwargs = {k: v for k, v in wanted.items() if v is not None and (takes_any or k in params)}
    return build_net(name, **{**kwargs, **user})


@contextlib.contextmanager
def eval_mode(*nets: nn.Module) -> Iterator[None]:
    """Run ``nets`` in eval mode within the block and restore their modes after."""
    modes = [n.training for n in nets]
    for n in nets:
        n.eval()
    try:
        yield
    finally:
        for n, m in zip(nets, modes):
            n.train(m)


def to_display(columns: list[Tensor]) -> Tensor:
    """Columns of images (each (k, C_i, H_i, W_i), [-1, 1]) -> (k * len(columns), C, H, W),
    row by row: smaller images are enlarged (nearest, so pixels stay visible) to the largest
    size and gray images repeated over RGB when any column is in colour."""
    h = max(c.shape[-2] for c in columns)
    w = max(c.shape[-1] for c in columns)
    ch = max(c.shape[1] for c in columns)
    out = []
    for c in columns:
        c = c.detach().float().cpu()
        if c.shape[-2:] != (h, w):
            c = F.interpolate(c, size=(h, w), mode="nearest")
        if c.shape[1] != ch:
            c = c[:, :1].expand(-1, ch, -1, -1)
        out.append(c)
    return torch.stack(out, 1).flatten(0, 1)


class TranslationFamily(Family):
    """Base of the image-to-image families.

    Subclasses set ``kinds`` (the data kinds they train on), ``option_defaults`` (their
    ``options.*`` with defaults; registered as the family's option defaults) and
    ``grid_titles``, build their nets and implement :meth:`phases` and :meth:`grid_columns`.
    """

    kinds: tuple[str, ...] = ("paired",)
    #: a dataset to suggest when the data is of the wrong kind
    example_data = "mnist-edges2digits"
    option_defaults: dict[str, Any] = {}
    #: what the exported generator does, i.e. the command that applies it
    command = "translate"
    #: what the columns of the training grids show
    grid_titles: tuple[str, ...] = ("input", "output", "target")

    def __init__(self, cfg, info, device, dist) -> None:
        super().__init__(cfg, info, device, dist)
        if info.kind not in self.kinds:
            raise GanforgeError(
                f"family {cfg.family!r} trains on {' or '.join(self.kinds)} data, but dataset {info.name!r} is "
                f"{info.kind!r}. Try --data {self.example_data} (or see `ganforge list datasets`)")
        self.options = self._check_options(cfg.options)
        extra = info.extra or {}
        self.a_shape = tuple(extra.get("a_shape") or info.shape)
        self.b_shape = tuple(extra.get("b_shape") or info.shape)
        #: iterations done (the loop's step): drives schedules, checkpointed in extra_state
        self.iteration = 0
        self.held: dict[str, Tensor] = {}

    def _check_options(self, options: dict[str, Any]) -> dict[str, Any]:
        accepted = self.option_defaults
        unknown = sorted(set(options) - set(accepted))
        if unknown:
            raise GanforgeError(f"options {unknown} are not options of family {self.cfg.family!r}; accepted: "
                                + ", ".join(f"{k} (default {v!r})" for k, v in accepted.items()))
        out = dict(accepted)
        for k, v in options.items():
            d = accepted[k]
            ok = (v is None and d is None) or (isinstance(d, bool) and isinstance(v, bool)) or (
                not isinstance(v, bool) and (
                    (isinstance(d, float) and isinstance(v, (int, float)))
                    or (isinstance(d, int) and not isinstance(d, bool) and isinstance(v, int))
                    or (isinstance(d, str) and isinstance(v, str))
                    or (d is None and isinstance(v, int))))
            if not ok:
                raise GanforgeError(f"options.{k} of family {self.cfg.family!r} must be like {d!r}, got {v!r}")
            out[k] = float(v) if isinstance(d, float) else v
        return out

    # --- grids ----------------------------------------------------------------------------
    def hold(self, batch: dict[str, Tensor]) -> None:
        """Keep the first rows of the first batch for the training grids (checkpointed, so a
        resumed run draws the same grids)."""
        if not self.held:
            self.held = {k: v[:HELD_ROWS].detach().clone() for k, v in batch.items() if v.dim() == 4}

    def grid_columns(self, G: nn.Module, held: dict[str, Tensor]) -> list[Tensor]:
        """The grid's columns for the held rows, e.g. [input, G(input), target]."""
        raise NotImplementedError


    @torch.no_grad()
    def sample(self, n: int, generator: torch.Generator | None = None, net: nn.Module | None = None,
               labels: Tensor | None = None) -> Tensor:
        """Rows of input | output | target for the held batch (as many rows as fit in ``n``
        images, at least one): (rows * columns, C, H, W), to be tiled ``columns`` per row."""
        if not self.held:
            raise GanforgeError("no batch seen yet: the image-to-image grids show the first training batch")
        G = net if net is not None else self.nets[self.generator_name]
        with eval_mode(*[m for m in self.nets.values()]):
            cols = self.grid_columns(G, self.held)
        rows = max(1, min(len(cols[0]), n // len(cols)))
        return to_display([c[:rows] for c in cols])

    def grid_nrow(self, net: nn.Module, n: int) -> int | None:
        return len(self.grid_titles)

    # --- state ----------------------------------------------------------------------------
    def tick(self) -> int:
        """Call once per iteration: returns the iteration index (0, 1, ...) and advances it."""
        it = self.iteration
        self.iteration += 1
        return it

    def extra_state(self) -> dict[str, Any]:
        return {"iteration": self.iteration, "held": {k: v.cpu() for k, v in self.held.items()}}

    def load_extra_state(self, state: dict[str, Any]) -> None:
        self.iteration = int(state.get("iteration", 0))
        self.held = {k: v.to(self.device) for k, v in state.get("held", {}).items()}

    def export_meta(self) -> dict[str, Any]:
        G = self.nets[self.generator_name]
        extra = self.info.extra or {}
        return {**super().export_meta(), "command": self.command, "task": extra.get("task"),
                "in_shape": list(getattr(G, "in_shape", self.a_shape)),
                "out_shape": list(getattr(G, "out_shape", self.b_shape)),
                "direction": extra.get("direction", "AtoB"), "translators": {"AtoB": "generator"}}

    def update_fn(self, opt_name: str):
        """``loss -> None`` for the step functions: backward, gradient averaging, step."""
        return lambda loss: self.update(opt_name, loss)
