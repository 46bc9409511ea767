"""The ``cyclegan`` family (Zhu et al. 2017): unpaired translation with two ResNet translators
(G: A -> B, G_BA: B -> A), two PatchGANs (D_A on domain A, D_B on domain B), the LSGAN loss,
cycle and identity losses, history pools of generated images and a linear learning-rate decay
over the second half of training.

Each iteration: both generators in one update, then both discriminators in one update (the
order of the official code), each discriminator on real images and on fakes drawn through its
history pool.

- G: (D_B(G(a)) - 1)^2 + (D_A(G_BA(b)) - 1)^2 + lambda_cycle (|G_BA(G(a)) - a|_1 + |G(G_BA(b)) - b|_1)
  + lambda_identity * lambda_cycle (|G(b) - b|_1 + |G_BA(a) - a|_1)   (eq. 3 and sec. 5.2)
- D_X: 1/2 [(D_X(real) - 1)^2 + D_X(pool(fake))^2] per discriminator
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import torch
from torch import Tensor, nn

from ..errors import GanforgeError
from .base import Phase, frozen, register_family
from .translation import ADAM, SMOKE, TranslationFamily, build_with, patch_layers


@dataclass(frozen=True)
class CycleGANOptions:
    """lambda_cycle: weight of the cycle losses [10]; lambda_identity: weight of the identity
    losses relative to lambda_cycle [0.5] (0: none; needs domains with the same channels);
    pool_size: images in each history pool [50] (0: no pool); decay_start: the iteration from
    which the learning rates decay linearly to zero [None: half of train.steps]."""

    lambda_cycle: float = 10.0
    lambda_identity: float = 0.5
    pool_size: int = 50
    decay_start: int | None = None


class ImagePool:
    """A history of up to ``size`` generated images, (C, H, W) each (Shrivastava et al. 2017,
    sec. 2.3; CycleGAN, sec. 4 "Training details": a buffer of the 50 latest images).

    Feeding the discriminator a mix of the newest fakes and older ones damps oscillation: the
    generator cannot win by moving to a spot the discriminator has just forgotten.

    :meth:`query` takes a batch of new fakes and returns a batch of the same shape: while the
    buffer fills up, the new images themselves (and they are stored); once full, each returned
    image is, with probability 1/2, the new one, and otherwise a random stored image that the
    new one replaces. ``size = 0`` turns the pool off. All randomness comes from the
    ``generator`` passed in, so a run that checkpoints that generator and :meth:`state_dict`
    replays exactly.
    """

    def __init__(self, size: int = 50) -> None:
        if size < 0:
            raise ValueError(f"ImagePool size must be >= 0, got {size}")
        self.size = size
        self.images: list[Tensor] = []

    def __len__(self) -> int:
        return len(self.images)

    @torch.no_grad()
    def query(self, images: Tensor, generator: torch.Generator | None = None) -> Tensor:
        """(N, C, H, W) new fakes -> (N, C, H, W) detached images for the discriminator."""
        images = images.detach()
        if self.size == 0:
            return images
        out = []
        for img in images:
            if len(self.images) < self.size:
                self.images.append(img.clone())
                out.append(img)
            elif torch.rand((), generator=generator).item() < 0.5:
                i = int(torch.randint(0, self.size, (), generator=generator).item())
                out.append(self.images[i].clone())
                self.images[i] = img.clone()
            else:
                out.append(img)
        return torch.stack(out)

    def state_dict(self) -> dict[str, Tensor]:
        """Tensors only (safetensors-friendly): ``size`` () int64 and ``images`` (n, C, H, W)."""
        images = torch.stack(self.images).cpu() if self.images else torch.zeros(0)
        return {"size": torch.tensor(self.size), "images": images}

    def load_state_dict(self, state: dict[str, Tensor], device: torch.device | str | None = None) -> None:
        size = int(state["size"])
        stored = state["images"]
        if stored.numel() and len(stored) > size:
            raise ValueError(f"ImagePool state holds {len(stored)} images for a pool of size {size}")
        self.size = size
        self.images = [img.clone().to(device or img.device) for img in stored] if stored.numel() else []


def linear_decay(iteration: int, total: int, start: int | None = None) -> float:
    """Learning-rate factor of CycleGAN: 1 until ``start`` (None: half of ``total``), then
    linearly down to 0 at ``total`` (the paper: 100 epochs at 2e-4, then 100 decaying to zero).
    The update of iteration i (0-based) uses ``linear_decay(i, ...)``."""
    start = total // 2 if start is None else start
    if iteration < start:
        return 1.0
    return max(0.0, 1.0 - (iteration - start) / max(1, total - start))


class CycleGAN(TranslationFamily):
    """CycleGAN (Zhu et al. 2017): two ResNet translators, two PatchGANs, LSGAN + cycle +
    identity losses, history pools, linear learning-rate decay over the second half."""

    kinds = ("unpaired", "paired")
    example_data = "mnist-thin2thick"
    options_cls = CycleGANOptions
    export_names = {"G_BA": "generator_ba", "D_A": "discriminator_a", "D_B": "discriminator_b"}
    grid_titles = ("A", "G_AB(A)", "G_BA(G_AB(A))", "B", "G_BA(B)", "G_AB(G_BA(B))")

    def __init__(self, cfg, info, device, dist) -> None:
        super().__init__(cfg, info, device, dist)
        a, b = self.a_shape, self.b_shape
        o = self.opts
        if o.lambda_identity > 0 and a[0] != b[0]:
            raise GanforgeError(f"options.lambda_identity = {o.lambda_identity} needs domains with the same "
                                f"channels, but {info.name!r} has A {a} and B {b}: set options.lambda_identity=0")
        if o.pool_size < 0:
            raise GanforgeError(f"options.pool_size must be >= 0 (0: no pool), got {o.pool_size}")
        m, t = cfg.model, cfg.train
        blocks = 9 if min(b[1:]) >= 256 else 6  # the paper's choice: 6 blocks at 128 px, 9 at 256 px

        def translator(src: tuple[int, ...], dst: tuple[int, ...]) -> nn.Module:
            return build_with(m.g_net, {"in_shape": list(src), "out_channels": dst[0], "width": m.width,
                                        "n_blocks": blocks}, m.g_kwargs).to(device)

        def critic(shape: tuple[int, ...]) -> nn.Module:
            return build_with(m.d_net, {"in_shape": list(shape), "width": m.width, "n_layers": patch_layers(shape),
                                        "norm": "instance"}, m.d_kwargs).to(device)

        self.nets = {"G": translator(a, b), "G_BA": translator(b, a), "D_A": critic(a), "D_B": critic(b)}
        self.add_optimizer("G", ["G", "G_BA"], t.lr_g)
        self.add_optimizer("D", ["D_A", "D_B"], t.lr_d)
        self.base_lr = {"G": t.lr_g, "D": t.lr_d}
        self.pool_a, self.pool_b = ImagePool(o.pool_size), ImagePool(o.pool_size)
        # the pools' coin flips: their own generator, checkpointed with the pools
        self.pool_gen = torch.Generator().manual_seed(t.seed + 50)
        # this iteration's fakes (fake_a = G_BA(b), fake_b = G(a)), made in the G phase for the D phase
        self._fakes: tuple[Tensor, Tensor] | None = None

    def lr_factor(self, iteration: int) -> float:
        """Recomputed from the iteration every step, so a resumed run follows the same schedule."""
        return linear_decay(iteration, self.cfg.train.steps, self.opts.decay_start)

    def phases(self) -> list[Phase]:
        return [Phase("G", self.g_step, losses=("g_loss",)),
                Phase("D", self.d_step, uses_data=False, losses=("d_loss", "d_a", "d_b"))]

    def g_step(self, batch: dict[str, Tensor]) -> dict[str, Tensor | float]:
        """Both generators in one update (the optimizer ``G`` holds G and G_BA)."""
        it = self.tick()
        self.hold(batch)
        factor = self.lr_factor(it)
        for name, opt in self.optimizers.items():
            for group in opt.param_groups:
                group["lr"] = self.base_lr[name] * factor
        n, o = self.nets, self.opts
        G_ab, G_ba, D_a, D_b = n["G"], n["G_BA"], n["D_A"], n["D_B"]
        a, b = batch["a"], batch["b"]
        with self.autocast():
            fake_b, fake_a = G_ab(a), G_ba(b)
            with frozen(D_a), frozen(D_b):
                adv_ab, adv_ba = self.adv.g(D_b(fake_b)), self.adv.g(D_a(fake_a))
            cyc_a = (G_ba(fake_b).float() - a.float()).abs().mean()
            cyc_b = (G_ab(fake_a).float() - b.float()).abs().mean()
            loss = adv_ab + adv_ba + o.lambda_cycle * (cyc_a + cyc_b)
            stats: dict[str, Tensor | float] = {"g_adv_ab": adv_ab.detach(), "g_adv_ba": adv_ba.detach(),
                                                "cycle_a": cyc_a.detach(), "cycle_b": cyc_b.detach()}
            if o.lambda_identity > 0:
                idt_b = (G_ab(b).float() - b.float()).abs().mean()
                idt_a = (G_ba(a).float() - a.float()).abs().mean()
                loss = loss + o.lambda_identity * o.lambda_cycle * (idt_a + idt_b)
                stats.update(idt_a=idt_a.detach(), idt_b=idt_b.detach())
        self.update("G", loss)
        self._fakes = (fake_a.detach(), fake_b.detach())
        return {**stats, "g_loss": loss.detach(), "lr_g": self.base_lr["G"] * factor}

    def d_step(self, batch: dict[str, Tensor]) -> dict[str, Tensor]:
        """D_A and D_B in one update (the optimizer ``D`` holds both), on real images and pooled fakes."""
        assert self._fakes is not None, "the D phase runs after the G phase"
        (fake_a, fake_b), self._fakes = self._fakes, None
        D_a, D_b = self.nets["D_A"], self.nets["D_B"]
        from_pool_a = self.pool_a.query(fake_a, self.pool_gen)
        from_pool_b = self.pool_b.query(fake_b, self.pool_gen)
        with self.autocast():
            real_a, fake_a_logits = D_a(batch["a"]), D_a(from_pool_a)
            real_b, fake_b_logits = D_b(batch["b"]), D_b(from_pool_b)
            loss_a, loss_b = self.adv.d(real_a, fake_a_logits), self.adv.d(real_b, fake_b_logits)
        self.update("D", loss_a + loss_b)
        # mean outputs of both discriminators on real images and on (pooled) fakes
        d_real = 0.5 * (real_a.detach().float().mean() + real_b.detach().float().mean())
        d_fake = 0.5 * (fake_a_logits.detach().float().mean() + fake_b_logits.detach().float().mean())
        return {"d_a": loss_a.detach(), "d_b": loss_b.detach(), "d_loss": (loss_a + loss_b).detach(),
                "d_real": d_real, "d_fake": d_fake}

    def grid_columns(self, G: nn.Module, held: dict[str, Tensor]) -> list[Tensor]:
        G_ba = self.nets["G_BA"]
        a, b = held["a"], held["b"]
        fake_b, fake_a = G(a), G_ba(b)
        return [a, fake_b, G_ba(fake_b), b, fake_a, G(fake_a)]

    def extra_state(self) -> dict[str, Any]:
        return {**super().extra_state(), "pool_a": self.pool_a.state_dict(), "pool_b": self.pool_b.state_dict(),
                "pool_generator": self.pool_gen.get_state()}

    def load_extra_state(self, state: dict[str, Any]) -> None:
        super().load_extra_state(state)
        self.pool_a.load_state_dict(state["pool_a"], self.device)
        self.pool_b.load_state_dict(state["pool_b"], self.device)
        self.pool_gen.set_state(state["pool_generator"])

    def export_meta(self) -> dict[str, Any]:
        return {**super().export_meta(), "translators": {"AtoB": "generator", "BtoA": "generator_ba"}}


register_family(
    "cyclegan", CycleGAN,
    {"model": {"g_net": "resnet_g", "d_net": "patchgan_d"}, "train": {"loss": "lsgan", **ADAM},
     "options": asdict(CycleGANOptions())},
    help="CycleGAN (Zhu et al. 2017): unpaired translation, cycle + identity losses, LSGAN, image pools",
    smoke={**SMOKE, "data.name": "mnist-thin2thick", "model.g_kwargs": {"n_blocks": 1}, "options.pool_size": 4})
