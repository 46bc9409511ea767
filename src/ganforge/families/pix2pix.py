"""The ``pix2pix`` family (Isola et al. 2017): paired translation with a U-Net generator, a
PatchGAN discriminator conditioned on the input, and the cGAN loss plus lambda * L1.

Each iteration translates the batch once: D learns on that translation (detached), then G on
the same translation, judged by the updated D (the order of the paper's code).

- D: 1/2 [L(D(b | a), real) + L(D(G(a) | a), fake)] (eq. 1; D's objective halved, sec. 3.3)
- G: L(D(G(a) | a), real) + lambda_l1 ||b - G(a)||_1 (eq. 4, lambda = 100)
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

from torch import Tensor, nn

from ..errors import GanforgeError
from .base import Phase, frozen, register_family
from .translation import ADAM, SMOKE, TranslationFamily, build_with, judge, patch_layers


@dataclass(frozen=True)
class Pix2PixOptions:
    """lambda_l1: weight of the L1 term of G's loss [100]."""

    lambda_l1: float = 100.0


class Pix2Pix(TranslationFamily):
    """pix2pix (Isola et al. 2017): U-Net G, conditional PatchGAN D, cGAN loss + lambda L1."""

    options_cls = Pix2PixOptions

    def __init__(self, cfg, info, device, dist) -> None:
        super().__init__(cfg, info, device, dist)
        a, b = self.a_shape, self.b_shape
        if a[1:] != b[1:]:
            raise GanforgeError(f"pix2pix translates between images of one size, but {info.name!r} has inputs "
                                f"{a} and targets {b}; for super-resolution use the srgan family")
        m, t = cfg.model, cfg.train
        G = build_with(m.g_net, {"in_shape": list(a), "out_channels": b[0], "width": m.width}, m.g_kwargs)
        D = build_with(m.d_net, {"in_shape": list(b), "cond_channels": a[0], "width": m.width,
                                 "n_layers": patch_layers(b)}, m.d_kwargs)
        self.nets = {"G": G.to(device), "D": D.to(device)}
        self.add_optimizer("G", ["G"], t.lr_g)
        self.add_optimizer("D", ["D"], t.lr_d)
        # the translation of the current iteration, made in the D phase, reused by the G phase
        self._fake: Tensor | None = None

    def phases(self) -> list[Phase]:
        return [Phase("D", self.d_step, losses=("d_loss",)),
                Phase("G", self.g_step, uses_data=False, losses=("g_loss",))]

    def d_step(self, batch: dict[str, Tensor]) -> dict[str, Tensor]:
        self.tick()
        self.hold(batch)
        G, D = self.nets["G"], self.nets["D"]
        a, b = batch["a"], batch["b"]
        with self.autocast():
            self._fake = G(a)
            real_logits, fake_logits = judge(D, b, a), judge(D, self._fake.detach(), a)
            loss = self.adv.d(real_logits, fake_logits)
        self.update("D", loss)
        return {"d_loss": loss.detach(), "d_real": real_logits.detach().float().mean(),
                "d_fake": fake_logits.detach().float().mean()}

    def g_step(self, batch: dict[str, Tensor]) -> dict[str, Tensor]:
        assert self._fake is not None, "the G phase runs after the D phase"
        fake, self._fake = self._fake, None
        D, a, b = self.nets["D"], batch["a"], batch["b"]
        with frozen(D), self.autocast():
            g_adv = self.adv.g(judge(D, fake, a))
        l1 = (fake.float() - b.float()).abs().mean()
        loss = g_adv + self.opts.lambda_l1 * l1
        self.update("G", loss)
        return {"g_loss": loss.detach(), "g_adv": g_adv.detach(), "g_l1": l1.detach()}

    def grid_columns(self, G: nn.Module, held: dict[str, Tensor]) -> list[Tensor]:
        return [held["a"], G(held["a"]), held["b"]]


register_family(
    "pix2pix", Pix2Pix,
    {"model": {"g_net": "unet_g", "d_net": "patchgan_d"}, "train": {"loss": "nonsaturating", **ADAM},
     "options": asdict(Pix2PixOptions())},
    help="pix2pix (Isola et al. 2017): paired translation, U-Net G, conditional PatchGAN, cGAN + 100 L1",
    smoke={**SMOKE, "data.name": "mnist-edges2digits"})
