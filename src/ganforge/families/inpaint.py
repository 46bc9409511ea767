"""The ``inpaint`` family: an inpainting GAN with the losses of Pathak et al. 2016 (context
encoders, eq. 5: lambda_rec = 0.999 masked L1, lambda_adv = 0.001 adversarial) and a dilated
generator after Iizuka et al. 2017. It trains on datasets with masks (``mnist-inpaint``) or on
plain images, where one square hole per image is drawn at random.

Each iteration: D on full images vs completions (conditional on the mask, so it can tell where
to look for a seam), then G on rec_weight * masked L1 + adv_weight * adversarial loss.
Batch fields: ``a`` the masked image, ``mask`` (1 on the hole), ``b`` the full image.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import torch
from torch import Tensor, nn

from ..errors import GanforgeError
from .base import Phase, frozen, register_family
from .translation import ADAM, SMOKE, TranslationFamily, build_with, judge, patch_layers


@dataclass(frozen=True)
class InpaintOptions:
    """rec_weight: weight of the masked L1 [0.999]; adv_weight: weight of the adversarial term
    [0.001]; hole: side of the square holes drawn on plain images, in pixels [0: 12/28 of the
    image size]; fill: the value written into the hole of the input [0.0]."""

    rec_weight: float = 0.999
    adv_weight: float = 0.001
    hole: int = 0
    fill: float = 0.0


def masked_l1(fake: Tensor, real: Tensor, mask: Tensor) -> Tensor:
    """Mean absolute error over the hole only: sum(|fake - real| * mask) / (hole pixels x channels),
    in float. fake, real: (N, C, H, W); mask: (N, 1, H, W), 1 on the hole."""
    mask = mask.float().expand_as(real)
    return ((fake.float() - real.float()).abs() * mask).sum() / mask.sum().clamp_min(1.0)


class Inpaint(TranslationFamily):
    """Inpainting GAN (Pathak et al. 2016 losses, Iizuka et al. 2017 generator): masked L1 +
    0.001 adversarial; on plain images, square holes are drawn at random."""

    kinds = ("paired", "image")
    example_data = "mnist-inpaint"
    command = "inpaint"
    options_cls = InpaintOptions
    grid_titles = ("masked", "output", "target")

    def __init__(self, cfg, info, device, dist) -> None:
        super().__init__(cfg, info, device, dist)
        if info.kind == "paired" and (info.extra or {}).get("task") != "inpaint":
            raise GanforgeError(f"inpaint trains on images with holes: a dataset with masks (mnist-inpaint) or plain "
                                f"images (kind 'image', holes drawn at random); {info.name!r} is a paired dataset "
                                "without masks")
        shape = self.b_shape
        size = min(shape[1:])
        self.hole = self.opts.hole or max(1, round(size * 12 / 28))
        if not 0 < self.hole < size:
            raise GanforgeError(f"options.hole must be between 1 and {size - 1} px, got {self.hole}")
        m, t = cfg.model, cfg.train
        G = build_with(m.g_net, {"in_shape": list(shape), "width": m.width}, m.g_kwargs)
        # D sees the mask too, so it can tell where to look for a seam
        D = build_with(m.d_net, {"in_shape": list(shape), "cond_channels": 1, "width": m.width,
                                 "n_layers": patch_layers(shape)}, m.d_kwargs)
        self.nets = {"G": G.to(device), "D": D.to(device)}
        self.add_optimizer("G", ["G"], t.lr_g)
        self.add_optimizer("D", ["D"], t.lr_d)

    def with_holes(self, batch: dict[str, Tensor]) -> dict[str, Tensor]:
        """Plain images ``x`` -> ``a`` (with a hole of ``fill``), ``mask`` (1 on the hole), ``b``.
        One square hole per image, its corner uniform over the image, from the global torch RNG
        (checkpointed by the loop, so resumed runs draw the same holes)."""
        if "mask" in batch:
            return batch
        x = batch["x"]
        n, _, h, w = x.shape
        top = torch.randint(0, h - self.hole + 1, (n,))
        left = torch.randint(0, w - self.hole + 1, (n,))
        rows = torch.arange(h)[None, :, None]
        cols = torch.arange(w)[None, None, :]
        mask = ((rows >= top[:, None, None]) & (rows < (top + self.hole)[:, None, None])
                & (cols >= left[:, None, None]) & (cols < (left + self.hole)[:, None, None]))
        mask = mask[:, None].to(x.device, x.dtype)
        out = {k: v for k, v in batch.items() if k != "x"}
        return {**out, "a": x * (1 - mask) + self.opts.fill * mask, "b": x, "mask": mask}

    def phases(self) -> list[Phase]:
        return [Phase("inpaint", self.step, losses=("d_loss", "g_loss"))]

    def step(self, batch: dict[str, Tensor]) -> dict[str, Tensor]:
        self.tick()
        batch = self.with_holes(batch)
        self.hold(batch)
        G, D = self.nets["G"], self.nets["D"]
        a, b, mask = batch["a"], batch["b"], batch["mask"]
        with self.autocast():
            fake = G(a, mask)
            real_logits, fake_logits = judge(D, b, mask), judge(D, fake.detach(), mask)
            loss_d = self.adv.d(real_logits, fake_logits)
        self.update("D", loss_d)
        rec = masked_l1(fake, b, mask)
        with frozen(D), self.autocast():
            g_adv = self.adv.g(judge(D, fake, mask))
        loss_g = self.opts.rec_weight * rec + self.opts.adv_weight * g_adv
        self.update("G", loss_g)
        return {"d_loss": loss_d.detach(), "d_real": real_logits.detach().float().mean(),
                "d_fake": fake_logits.detach().float().mean(), "g_loss": loss_g.detach(),
                "g_rec": rec.detach(), "g_adv": g_adv.detach()}

    def grid_columns(self, G: nn.Module, held: dict[str, Tensor]) -> list[Tensor]:
        return [held["a"], G(held["a"], held["mask"]), held["b"]]

    def export_meta(self) -> dict[str, Any]:
        return {**super().export_meta(), "hole": self.hole}


register_family(
    "inpaint", Inpaint,
    {"model": {"g_net": "inpaint_g", "d_net": "patchgan_d"}, "train": {"loss": "nonsaturating", **ADAM},
     "options": asdict(InpaintOptions())},
    help="inpainting GAN: fills holes given the mask; masked L1 + 0.001 adversarial (Pathak et al. 2016)",
    smoke={**SMOKE, "data.name": "mnist-inpaint", "model.g_kwargs": {"dilations": [2]}})
