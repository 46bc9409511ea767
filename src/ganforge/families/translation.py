"""What the image-to-image families share: shapes from the data, options read through
:func:`.options.parse_options`, the adversarial losses in the pix2pix/CycleGAN convention, an
iteration counter for step-dependent schedules, and sample grids of input | output | target.

The families themselves are one module each: :mod:`.pix2pix`, :mod:`.cyclegan`, :mod:`.srgan`
and :mod:`.inpaint`. docs/image-to-image.md gives their losses.
"""
from __future__ import annotations

import contextlib
import inspect
from typing import Any, Callable, Iterator, NamedTuple

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ..errors import GanforgeError
from ..losses import LOSSES, AdversarialLoss, d_loss_lsgan, g_loss_lsgan
from ..nets import NETS, build_net
from .base import Family
from .options import NoOptions, parse_options

#: rows of input | output | target kept for the training grids (from the first batch)
HELD_ROWS = 16
#: the optimiser of pix2pix, CycleGAN and the inpainting GAN: Adam 2e-4, beta1 0.5
ADAM = {"optimizer": "adam", "lr_g": 2e-4, "lr_d": 2e-4, "betas": (0.5, 0.999)}
#: a tiny run on test digits (the registrations' ``smoke`` add the dataset and net sizes)
SMOKE = {"data.split": "test", "data.limit": 48, "data.batch_size": 8, "model.width": 8, "train.grid": 12}


# --- adversarial losses ----------------------------------------------------------------------

class Adversarial(NamedTuple):
    """D and G objectives for the image-to-image families, built on :mod:`ganforge.losses`."""

    d: Callable[[Tensor, Tensor], Tensor]
    g: Callable[[Tensor], Tensor]


def adversarial(loss: str | AdversarialLoss) -> Adversarial:
    """The loss pair named ``loss`` in :data:`ganforge.losses.LOSSES` (``nonsaturating``,
    ``lsgan``, ``hinge``, ...), scaled to the convention of the pix2pix/CycleGAN code:

    - D minimises the *mean* of its real and fake criteria, 1/2 [c(D(real), 1) + c(D(fake), 0)]
      (Isola et al. 2017, sec. 3.3: "we divide the objective by 2 while optimizing D").
      ``d_loss_bce`` is the sum of the two BCE terms, so it is halved here;
      ``d_loss_lsgan`` already carries Mao et al.'s 1/2, so it is used as is.
    - G minimises the full criterion c(D(G(x)), 1). ``g_loss_lsgan`` is 1/2 (D(G(x)) - 1)^2,
      while CycleGAN's generator loss is the plain MSE (D(G(x)) - 1)^2, so it is doubled:
      otherwise the adversarial terms would weigh half as much against lambda_cyc = 10.

    Every loss averages over all logits, so PatchGAN maps (N, H', W') and per-image logits (N,)
    are treated alike; logits are cast to float (losses in fp32 under bf16/fp16 autocast).
    """
    pair = LOSSES.get(loss) if isinstance(loss, str) else loss
    d_scale = 1.0 if pair.d is d_loss_lsgan else 0.5
    g_scale = 2.0 if pair.g is g_loss_lsgan else 1.0

    def d(real: Tensor, fake: Tensor) -> Tensor:
        return d_scale * pair.d(real.float(), fake.float())

    def g(fake: Tensor) -> Tensor:
        return g_scale * pair.g(fake.float())

    return Adversarial(d, g)


def judge(D: nn.Module, y: Tensor, cond: Tensor | None) -> Tensor:
    """D's logits for images ``y``; conditional PatchGANs (``cond_channels`` > 0) also see ``cond``."""
    if getattr(D, "cond_channels", 0):
        if cond is None:
            raise ValueError("a conditional discriminator needs the conditioning image")
        return D(y, cond)
    return D(y)


def patch_layers(shape: tuple[int, ...]) -> int:
    """PatchGAN depth for images of ``shape``: 3 layers (70 px patches, the paper's) from 64 px
    up, else 2 (34 px patches: at 28 px, 3 layers would see the whole digit)."""
    return 3 if min(shape[1:]) >= 64 else 2


# --- nets and grids --------------------------------------------------------------------------

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

    Subclasses set ``kinds`` (the data kinds they train on), ``options_cls`` (a frozen
    dataclass of their ``--option`` names with defaults; its values are also registered as
    the family's option defaults, so a run's config.yaml records every option it used) and
    ``grid_titles``, build their nets and implement :meth:`phases` and :meth:`grid_columns`.
    ``self.adv`` is the adversarial loss pair of ``train.loss`` (:func:`adversarial`).
    """

    kinds: tuple[str, ...] = ("paired",)
    ema_standing_stats = False  # grids translate one held batch of inputs
    #: a dataset to suggest when the data is of the wrong kind
    example_data = "mnist-edges2digits"
    options_cls: type = NoOptions
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
        self.opts = parse_options(cfg.options, self.options_cls, cfg.family)
        extra = info.extra or {}
        self.a_shape = tuple(extra.get("a_shape") or info.shape)
        self.b_shape = tuple(extra.get("b_shape") or info.shape)
        self.adv = adversarial(cfg.train.loss)
        #: iterations done (the loop's step): drives schedules, checkpointed in extra_state
        self.iteration = 0
        self.held: dict[str, Tensor] = {}

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
