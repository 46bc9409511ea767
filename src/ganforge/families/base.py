"""What a family is: its nets and optimizers, built from config, and its update phases.

The training loop (:mod:`ganforge.training.loop`) is generic: it asks the family for
:meth:`Family.phases` and runs them, and it never branches on the family's name. n_critic,
lazy regularization and alternating CycleGAN updates are all phases.
"""
from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator

import torch
from torch import Tensor, nn

from ..config import RunConfig
from ..data.base import DataInfo
from ..errors import GanforgeError
from ..layers.recurrent import cpu_bf16_features
from ..registry import Registry
from ..distributed import DistContext

StepFn = Callable[[dict[str, Tensor]], dict[str, Tensor]]


@dataclass
class Phase:
    """One kind of update. Each iteration of the loop runs the phases in order: a phase runs
    ``repeat`` times on iterations where ``iteration % every == 0``. A phase that ``uses_data``
    gets a fresh batch each time; otherwise it gets the last batch drawn (e.g. for labels).

    ``losses`` names the statistics the step returns that are values of an objective (a loss or
    a penalty): the loop's divergence guard checks exactly these and the progress bar shows
    them. The loop never guesses a statistic's meaning from its name."""

    name: str
    step: StepFn
    repeat: int = 1
    every: int = 1
    uses_data: bool = True
    losses: tuple[str, ...] = ()


@dataclass
class FamilySpec:
    """A registered family: its class, the config defaults it brings, and a one-line help."""

    cls: type["Family"]
    defaults: dict[str, dict[str, Any]] = field(default_factory=dict)
    help: str = ""
    #: overrides for a tiny smoke run (tests train every registered family with these)
    smoke: dict[str, Any] = field(default_factory=dict)


FAMILIES: Registry[FamilySpec] = Registry("family")


def register_family(name: str, cls: type["Family"], defaults: dict[str, dict[str, Any]] | None = None,
                    help: str = "", smoke: dict[str, Any] | None = None) -> FamilySpec:
    """Register a family. ``defaults`` are {section: {field: value}} applied under the user's
    settings (``by_kind: {kind: {...}}`` for defaults that depend on the kind of data);
    ``smoke`` gives dotted overrides for a tiny run on small data, used by the test suite."""
    default_smoke = {"data.name": "digits", "data.resolution": 28, "data.limit": 64, "data.batch_size": 16,
                     "model.width": 8}
    spec = FamilySpec(cls, defaults or {}, help or (cls.__doc__ or "").strip().splitlines()[0],
                      {**default_smoke, **(smoke or {})})
    FAMILIES.register(name, spec, help=spec.help)
    return spec


def native_bf16(device: torch.device) -> str | None:
    """Why ``device`` computes bf16 natively (a few words for the start-up line), or None.

    CPUs: AVX512-BF16 or AMX (torch's own capability queries, else the flags of /proc/cpuinfo);
    CUDA: compute capability 8.0 (Ampere) and up. Elsewhere (older CPUs and GPUs, MPS) bf16
    autocast is emulated and slower than fp32."""
    if device.type == "cuda":
        major, minor = torch.cuda.get_device_capability(device)
        return f"CUDA compute capability {major}.{minor}" if major >= 8 else None
    if device.type != "cpu":
        return None
    found = cpu_bf16_features()
    return f"this CPU has {' and '.join(found)}" if found else None


def resolve_precision(requested: str, device: torch.device, family: type["Family"]) -> tuple[str, str]:
    """``train.precision`` as it will run: ``auto`` becomes bf16 where ``device`` computes bf16
    natively and ``family`` declares its nets fit for it there (:attr:`Family.auto_bf16_devices`),
    else fp32; any other value is kept. Returns (precision, why) with ``why`` a few words for
    the one line printed at the start ("" for an explicit choice)."""
    if requested != "auto":
        return requested, ""
    hardware = native_bf16(device)
    if hardware is None:
        return "fp32", f"auto: no native bf16 on {device.type}"
    if device.type not in family.auto_bf16_devices:
        return "fp32", f"auto: {family.auto_fp32_reason or 'the family stays in fp32'} on {device.type}"
    return "bf16", f"auto: {hardware}"


def make_optimizer(kind: str, params: Any, lr: float, betas: tuple[float, float] | None) -> torch.optim.Optimizer:
    if kind == "adam":
        return torch.optim.Adam(params, lr=lr, betas=betas or (0.9, 0.999))
    if kind == "rmsprop":
        return torch.optim.RMSprop(params, lr=lr)
    if kind == "sgd":
        return torch.optim.SGD(params, lr=lr)
    raise GanforgeError(f"train.optimizer = {kind!r}: accepted values are adam, rmsprop, sgd")


@contextlib.contextmanager
def frozen(net: nn.Module) -> Iterator[None]:
    """Turn off gradients of ``net``'s parameters (e.g. D during the G step): saves the
    backward pass into weights that will not be updated."""
    flags = [p.requires_grad for p in net.parameters()]
    for p in net.parameters():
        p.requires_grad_(False)
    try:
        yield
    finally:
        for p, f in zip(net.parameters(), flags):
            p.requires_grad_(f)


class Family:
    """Base class: holds ``nets`` and ``optimizers`` by name, the device, precision and the
    distributed context, and provides :meth:`update` (backward + gradient all-reduce + step).

    Subclasses build their nets in ``__init__`` and implement :meth:`phases`. Everything the
    loop checkpoints is in ``nets``, ``optimizers`` and :meth:`extra_state`.
    """

    #: the name in ``nets`` of the network to export and sample from (EMA applies to it)
    generator_name = "G"
    #: run sub-folders for the other exported nets (default: the net's name in lower case)
    export_names: dict[str, str] = {"D": "discriminator"}
    #: device types on which ``--precision auto`` picks bf16 (when the hardware computes bf16
    #: natively). A family whose nets gain nothing from bf16 on some device (LSTMs on a CPU)
    #: leaves that type out, and says why in ``auto_fp32_reason`` (shown at the start)
    auto_bf16_devices: tuple[str, ...] = ("cpu", "cuda")
    auto_fp32_reason: str = ""
    #: with EMA, the exported generator's batch-norm statistics are re-estimated from batches of
    #: :meth:`sample` with fresh latents (:meth:`ganforge.training.ema.EMA.export`). Families
    #: whose samples are made from fixed data (a held batch of inputs, the dataset's captions)
    #: say no: the copied statistics of the live generator are kept.
    ema_standing_stats: bool = True

    def __init__(self, cfg: RunConfig, info: DataInfo, device: torch.device, dist: DistContext) -> None:
        self.cfg, self.info, self.device, self.dist = cfg, info, device, dist
        self.nets: dict[str, nn.Module] = {}
        self.optimizers: dict[str, torch.optim.Optimizer] = {}
        # which optimizer updates which nets (for the distributed gradient all-reduce)
        self.opt_nets: dict[str, list[str]] = {}
        #: set by the loop: True on the steps whose statistics are logged. Costly diagnostics
        #: (gradient norms) are computed only then.
        self.measure_now = True
        #: set by the loop: the index of the iteration being run (0-based; resumed runs go on from
        #: the checkpoint's step), for work done on every k-th iteration inside a phase
        self.iteration = 0
        # "auto" is resolved by the training loop before the family is built (and saved so in
        # config.yaml); a family built directly from a config (tests, benchmarks) resolves it here
        precision, _ = resolve_precision(cfg.train.precision, device, type(self))
        #: the precision the steps run in: fp32, bf16 or fp16
        self.precision = precision
        self.amp_dtype = {"bf16": torch.bfloat16, "fp16": torch.float16}.get(precision)
        self.scaler = torch.amp.GradScaler(device.type) if precision == "fp16" else None

    # --- what subclasses implement -------------------------------------------------------
    @classmethod
    def image_side(cls, side: int) -> int:
        """The image side (px) this family's nets take for data whose images are ``side`` px:
        ``side`` itself by default. A family whose nets support only some sizes returns the
        nearest one it supports, and the loop resizes the data to it when the user did not set
        ``data.resolution`` (saying so in one line)."""
        return side

    def phases(self) -> list[Phase]:
        raise NotImplementedError

    def sample(self, n: int, generator: torch.Generator | None = None, net: nn.Module | None = None,
               labels: Tensor | None = None) -> Tensor:
        """n samples from the generator (for grids), in eval mode, without gradients."""
        G = net if net is not None else self.nets[self.generator_name]
        z = G.sample_latent(n, generator=generator, device=self.device)
        c = None
        if getattr(G, "num_classes", 0):
            c = labels if labels is not None else torch.arange(n, device=self.device) % G.num_classes
        return G(z, c)

    def grid_nrow(self, net: nn.Module, n: int) -> int | None:
        """Images per row of the sample grid of :meth:`sample` (None: a square grid).
        Conditional generators get one class per column."""
        k = int(getattr(net, "num_classes", 0) or 0)
        return k if k and n % k == 0 else None

    def extra_state(self) -> dict[str, Any]:
        """Family state beyond nets and optimizers (e.g. a growth stage, an image pool)."""
        return {}

    def load_extra_state(self, state: dict[str, Any]) -> None:
        pass

    def export_meta(self) -> dict[str, Any]:
        """Metadata saved with the exported generator (shown by `ganforge.load(...).meta`)."""
        return {"family": self.cfg.family, "dataset": self.info.name, "kind": self.info.kind,
                "class_names": self.info.class_names, "data_shape": list(self.info.shape)}

    # --- shared machinery -----------------------------------------------------------------
    def add_optimizer(self, name: str, nets: list[str], lr: float) -> None:
        params = [p for n in nets for p in self.nets[n].parameters() if p.requires_grad]
        self.optimizers[name] = make_optimizer(self.cfg.train.optimizer or "adam", params, lr, self.cfg.train.betas)
        self.opt_nets[name] = nets

    def autocast(self) -> contextlib.AbstractContextManager[Any]:
        if self.amp_dtype is None:
            return contextlib.nullcontext()
        return torch.autocast(self.device.type, dtype=self.amp_dtype)

    def penalty_autocast(self) -> contextlib.AbstractContextManager[Any]:
        """Autocast for the forward of a penalty that differentiates a net with respect to its input
        (WGAN-GP, R1, path length). bf16 has fp32's exponent range, so the inner gradient cannot
        underflow and the forward runs in bf16 like every other; the penalty itself is reduced in
        fp32 (:mod:`ganforge.losses` casts the gradient first). fp16 would need the inner gradient
        loss-scaled as well, so under fp16 the penalty's forward runs in fp32."""
        if self.amp_dtype is torch.bfloat16:
            return self.autocast()
        return contextlib.nullcontext()

    def update(self, opt_name: str, loss: Tensor, grad_norm: bool = False, clip: float | None = None) -> Tensor | None:
        """zero_grad, backward, average gradients over processes, optimizer step.

        With ``grad_norm=True`` returns the global L2 norm of the (unscaled) gradients, which
        the health monitor uses to detect vanishing generator gradients; it is computed only
        on logged steps (``measure_now``) and is None otherwise. ``clip`` > 0 rescales the
        averaged, unscaled gradients to that global norm at most before the step (SeqGAN's
        generator); the norm returned is the one before clipping."""
        opt = self.optimizers[opt_name]
        opt.zero_grad(set_to_none=True)
        if self.scaler is not None:
            self.scaler.scale(loss).backward()
        else:
            loss.backward()
        if self.dist.world_size > 1:
            for n in self.opt_nets[opt_name]:
                self.dist.average_gradients(self.nets[n])
        norm = None
        if clip:
            if self.scaler is not None:
                self.scaler.unscale_(opt)
            params = [p for g in opt.param_groups for p in g["params"]]
            total = torch.nn.utils.clip_grad_norm_(params, clip)
            if grad_norm and self.measure_now:
                norm = total
        elif grad_norm and self.measure_now:
            grads = [p.grad for g in opt.param_groups for p in g["params"] if p.grad is not None]
            norm = torch.linalg.vector_norm(torch.stack(torch._foreach_norm(grads))) if grads else torch.zeros(())
            if self.scaler is not None:
                norm = norm / self.scaler.get_scale()
        if self.scaler is not None:
            self.scaler.step(opt)
            self.scaler.update()
        else:
            opt.step()
        return norm
