"""The image-to-image families: ``pix2pix``, ``cyclegan``, ``srgan`` and ``inpaint``.

Each builds its nets from the data's input and target shapes, declares its phases and wires
them to the step functions of :mod:`._i2i_steps`. docs/image-to-image.md gives the losses.
"""
from __future__ import annotations

from typing import Any

import torch
from torch import Tensor, nn

from ..errors import GanforgeError
from . import _i2i_steps as steps
from ._image_pool import ImagePool
from .base import Phase, register_family
from .translation import TranslationFamily, build_with


def patch_layers(shape: tuple[int, ...]) -> int:
    """PatchGAN depth for images of ``shape``: 3 layers (70 px patches, the paper's) from 64 px
    up, else 2 (34 px patches: at 28 px, 3 layers would see the whole digit)."""
    return 3 if min(shape[1:]) >= 64 else 2


def linear_decay(iteration: int, total: int, start: int | None = None) -> float:
    """Learning-rate factor of CycleGAN: 1 until ``start`` (None: half of ``total``), then
    linearly down to 0 at ``total`` (the paper: 100 epochs at 2e-4, then 100 decaying to zero).
    The update of iteration i (0-based) uses ``linear_decay(i, ...)``."""
    start = total // 2 if start is None else start
    if iteration < start:
        return 1.0
    return max(0.0, 1.0 - (iteration - start) / max(1, total - start))


class Pix2Pix(TranslationFamily):
    """pix2pix (Isola et al. 2017): U-Net G, conditional PatchGAN D, cGAN loss + lambda L1."""

    option_defaults = {"lambda_l1": 100.0}

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
        self._fake: Tensor | None = None

    def phases(self) -> list[Phase]:
        # one translation per iteration, as in the paper's code: D learns on it (detached),
        # then G on the same translation, judged by the updated D
        return [Phase("D", self.d_step), Phase("G", self.g_step, uses_data=False)]

    def d_step(self, batch: dict[str, Tensor]) -> dict[str, Any]:
        self.tick()
        self.hold(batch)
        G, D = self.nets["G"], self.nets["D"]
        with self.autocast():
            self._fake = G(batch["a"])
            return steps.pix2pix_d_step(G, D, self.update_fn("D"), batch, adv=self.cfg.train.loss,
                                        fake=self._fake.detach())

    def g_step(self, batch: dict[str, Tensor]) -> dict[str, Any]:
        fake, self._fake = self._fake, None
        with self.autocast():
            return steps.pix2pix_g_step(self.nets["G"], self.nets["D"], self.update_fn("G"), batch,
                                        lambda_l1=self.options["lambda_l1"], adv=self.cfg.train.loss, fake=fake)

    def grid_columns(self, G: nn.Module, held: dict[str, Tensor]) -> list[Tensor]:
        return [held["a"], G(held["a"]), held["b"]]


class CycleGAN(TranslationFamily):
    """CycleGAN (Zhu et al. 2017): two ResNet translators, two PatchGANs, LSGAN + cycle +
    identity losses, history pools, linear learning-rate decay over the second half."""

    kinds = ("unpaired", "paired")
    example_data = "mnist-thin2thick"
    option_defaults = {"lambda_cycle": 10.0, "lambda_identity": 0.5, "pool_size": 50, "decay_start": None}
    export_names = {"G_BA": "generator_ba", "D_A": "discriminator_a", "D_B": "discriminator_b"}
    grid_titles = ("A", "G_AB(A)", "G_BA(G_AB(A))", "B", "G_BA(B)", "G_AB(G_BA(B))")

    def __init__(self, cfg, info, device, dist) -> None:
        super().__init__(cfg, info, device, dist)
        a, b = self.a_shape, self.b_shape
        o = self.options
        if o["lambda_identity"] > 0 and a[0] != b[0]:
            raise GanforgeError(f"options.lambda_identity = {o['lambda_identity']} needs domains with the same "
                                f"channels, but {info.name!r} has A {a} and B {b}: set options.lambda_identity=0")
        if o["pool_size"] < 0:
            raise GanforgeError(f"options.pool_size must be >= 0 (0: no pool), got {o['pool_size']}")
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
        self.pool_a, self.pool_b = ImagePool(o["pool_size"]), ImagePool(o["pool_size"])
        # the pools' coin flips: their own generator, checkpointed with the pools
        self.pool_gen = torch.Generator().manual_seed(t.seed + 50)
        self._fakes: tuple[Tensor, Tensor] | None = None

    def lr_factor(self, iteration: int) -> float:
        """Recomputed from the iteration every step, so a resumed run follows the same schedule."""
        return linear_decay(iteration, self.cfg.train.steps, self.options["decay_start"])

    def phases(self) -> list[Phase]:
        return [Phase("G", self.g_step), Phase("D", self.d_step, uses_data=False)]

    def g_step(self, batch: dict[str, Tensor]) -> dict[str, Any]:
        it = self.tick()
        self.hold(batch)
        factor = self.lr_factor(it)
        for name, opt in self.optimizers.items():
            for group in opt.param_groups:
                group["lr"] = self.base_lr[name] * factor
        n = self.nets
        with self.autocast():
            stats, fake_a, fake_b = steps.cyclegan_g_step(
                n["G"], n["G_BA"], n["D_A"], n["D_B"], self.update_fn("G"), batch,
                lambda_cycle=self.options["lambda_cycle"], lambda_identity=self.options["lambda_identity"],
                adv=self.cfg.train.loss)
        self._fakes = (fake_a, fake_b)
        return {**stats, "lr_g": self.base_lr["G"] * factor}

    def d_step(self, batch: dict[str, Tensor]) -> dict[str, Any]:
        assert self._fakes is not None, "the D phase runs after the G phase"
        (fake_a, fake_b), self._fakes = self._fakes, None
        with self.autocast():
            stats = steps.cyclegan_d_step(self.nets["D_A"], self.nets["D_B"], self.update_fn("D"), batch,
                                          fake_a, fake_b, self.pool_a, self.pool_b, generator=self.pool_gen,
                                          adv=self.cfg.train.loss)
        return {**stats, "d_loss": stats["d_a"] + stats["d_b"]}

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


class DigitFeatures(nn.Module):
    """The content space of SRGAN for digits: the feature maps of the MNIST classifier's last
    convolution block, before global pooling ((N, 1, 28, 28) in [-1, 1] -> (N, 64, 7, 7)).

    It plays the part of Ledig et al.'s VGG54 (the last convolution before the last pooling of
    VGG19): deep enough to describe strokes rather than pixels, still spatial, so it pins where
    they are. Shares the classifier's (frozen) modules."""

    def __init__(self, classifier: nn.Module) -> None:
        super().__init__()
        layers = []
        for m in classifier.trunk:  # type: ignore[union-attr]
            if isinstance(m, nn.AdaptiveAvgPool2d):
                break
            layers.append(m)
        self.body = nn.Sequential(*layers)

    def forward(self, x: Tensor) -> Tensor:
        return self.body(x)


def digit_classifier_features(device: torch.device) -> nn.Module | None:
    """:class:`DigitFeatures` of the bundled MNIST classifier, or None where it is not installed."""
    try:
        from ..nets.classifier import load_mnist_classifier  # type: ignore[import-not-found]
    except ImportError:  # an installation without the classifier module
        return None
    try:
        clf = load_mnist_classifier(device=device)
    except (GanforgeError, FileNotFoundError, OSError):
        return None
    return DigitFeatures(clf).eval().requires_grad_(False)


class SRGAN(TranslationFamily):
    """SRGAN (Ledig et al. 2017): SRResNet MSE pre-training, then content + 1e-3 adversarial loss."""

    example_data = "mnist-sr"
    command = "upscale"
    option_defaults = {"pretrain_steps": 1000, "adv_weight": 1e-3, "content": "auto"}
    grid_titles = ("input (nearest)", "bicubic", "output", "target")

    def __init__(self, cfg, info, device, dist) -> None:
        super().__init__(cfg, info, device, dist)
        a, b = self.a_shape, self.b_shape
        scale = b[1] // a[1]
        if scale * a[1] != b[1] or scale * a[2] != b[2] or scale not in (2, 4, 8):
            raise GanforgeError(f"srgan needs targets 2, 4 or 8 times the size of the inputs; {info.name!r} has "
                                f"inputs {a} and targets {b}")
        self.scale = scale
        m, t = cfg.model, cfg.train
        G = build_with(m.g_net, {"in_shape": list(a), "out_channels": b[0], "scale": scale, "width": m.width},
                       m.g_kwargs)
        D = build_with(m.d_net, {"in_shape": list(b), "width": m.width}, m.d_kwargs)
        self.nets = {"G": G.to(device), "D": D.to(device)}
        self.add_optimizer("G", ["G"], t.lr_g)
        self.add_optimizer("D", ["D"], t.lr_d)
        self.features, self.content = self._content(self.options["content"], b)

    def _content(self, choice: str, shape: tuple[int, ...]) -> tuple[Any | None, str]:
        """The content loss's feature space: ``classifier`` (the bundled MNIST classifier,
        28x28 gray images only), ``pixel`` (plain MSE, the SRResNet loss) or ``auto`` (the
        classifier where it fits the data and is installed, else pixel)."""
        if choice not in ("auto", "classifier", "pixel"):
            raise GanforgeError(f"options.content = {choice!r}: accepted values are auto, classifier, pixel")
        if choice == "pixel":
            return None, "pixel"
        fits = tuple(shape) == (1, 28, 28)
        features = digit_classifier_features(self.device) if fits else None
        if features is None:
            if choice == "classifier":
                why = "it is not installed" if fits else f"it reads 1x28x28 digits, the targets are {tuple(shape)}"
                raise GanforgeError(f"options.content = 'classifier' needs the bundled MNIST classifier, but {why}; "
                                    "use options.content=pixel")
            return None, "pixel"
        return features, "classifier"

    def phases(self) -> list[Phase]:
        return [Phase("SR", self.step)]

    def step(self, batch: dict[str, Tensor]) -> dict[str, Any]:
        it = self.tick()
        self.hold(batch)
        G, D = self.nets["G"], self.nets["D"]
        with self.autocast():
            if it < self.options["pretrain_steps"]:  # SRResNet: pixel MSE only, D idle
                stats = steps.srgan_pretrain_step(G, self.update_fn("G"), batch)
                return {**stats, "g_loss": stats["mse"]}
            return steps.srgan_step(G, D, self.update_fn("G"), self.update_fn("D"), batch, self.features,
                                    adv_weight=self.options["adv_weight"], adv=self.cfg.train.loss)

    def grid_columns(self, G: nn.Module, held: dict[str, Tensor]) -> list[Tensor]:
        from ..metrics.image_quality import bicubic_upsample

        a = held["a"]
        return [a, bicubic_upsample(a, self.scale), G(a), held["b"]]

    def export_meta(self) -> dict[str, Any]:
        return {**super().export_meta(), "scale": self.scale, "content": self.content}


class Inpaint(TranslationFamily):
    """Inpainting GAN (Pathak et al. 2016 losses, Iizuka et al. 2017 generator): masked L1 +
    0.001 adversarial; on plain images, square holes are drawn at random."""

    kinds = ("paired", "image")
    example_data = "mnist-inpaint"
    command = "inpaint"
    option_defaults = {"rec_weight": 0.999, "adv_weight": 0.001, "hole": 0, "fill": 0.0}
    grid_titles = ("masked", "output", "target")

    def __init__(self, cfg, info, device, dist) -> None:
        super().__init__(cfg, info, device, dist)
        if info.kind == "paired" and (info.extra or {}).get("task") != "inpaint":
            raise GanforgeError(f"inpaint trains on images with holes: a dataset with masks (mnist-inpaint) or plain "
                                f"images (kind 'image', holes drawn at random); {info.name!r} is a paired dataset "
                                "without masks")
        shape = self.b_shape
        size = min(shape[1:])
        self.hole = self.options["hole"] or max(1, round(size * 12 / 28))
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
        return {**out, "a": x * (1 - mask) + self.options["fill"] * mask, "b": x, "mask": mask}

    def phases(self) -> list[Phase]:
        return [Phase("inpaint", self.step)]

    def step(self, batch: dict[str, Tensor]) -> dict[str, Any]:
        self.tick()
        batch = self.with_holes(batch)
        self.hold(batch)
        with self.autocast():
            return steps.inpaint_step(self.nets["G"], self.nets["D"], self.update_fn("G"), self.update_fn("D"), batch,
                                      rec_weight=self.options["rec_weight"], adv_weight=self.options["adv_weight"],
                                      adv=self.cfg.train.loss)

    def grid_columns(self, G: nn.Module, held: dict[str, Tensor]) -> list[Tensor]:
        return [held["a"], G(held["a"], held["mask"]), held["b"]]

    def export_meta(self) -> dict[str, Any]:
        return {**super().export_meta(), "hole": self.hole}


_ADAM = {"optimizer": "adam", "lr_g": 2e-4, "lr_d": 2e-4, "betas": (0.5, 0.999)}
_SMOKE = {"data.split": "test", "data.limit": 48, "data.batch_size": 8, "model.width": 8, "train.grid": 12}

register_family(
    "pix2pix", Pix2Pix,
    {"model": {"g_net": "unet_g", "d_net": "patchgan_d"}, "train": {"loss": "nonsaturating", **_ADAM},
     "options": Pix2Pix.option_defaults},
    help="pix2pix (Isola et al. 2017): paired translation, U-Net G, conditional PatchGAN, cGAN + 100 L1",
    smoke={**_SMOKE, "data.name": "mnist-edges2digits"})
register_family(
    "cyclegan", CycleGAN,
    {"model": {"g_net": "resnet_g", "d_net": "patchgan_d"}, "train": {"loss": "lsgan", **_ADAM},
     "options": CycleGAN.option_defaults},
    help="CycleGAN (Zhu et al. 2017): unpaired translation, cycle + identity losses, LSGAN, image pools",
    smoke={**_SMOKE, "data.name": "mnist-thin2thick", "model.g_kwargs": {"n_blocks": 1}, "options.pool_size": 4})
register_family(
    "srgan", SRGAN,
    {"model": {"g_net": "srgan_g", "d_net": "srgan_d"},
     "train": {"loss": "nonsaturating", "optimizer": "adam", "lr_g": 1e-4, "lr_d": 1e-4, "betas": (0.9, 0.999)},
     "options": SRGAN.option_defaults},
    help="SRGAN (Ledig et al. 2017): super-resolution, MSE pre-training then content + 1e-3 adversarial loss",
    smoke={**_SMOKE, "data.name": "mnist-sr", "model.g_kwargs": {"n_blocks": 1}, "model.d_kwargs": {"n_stages": 2, "hidden": 16},
           "options.pretrain_steps": 1})
register_family(
    "inpaint", Inpaint,
    {"model": {"g_net": "inpaint_g", "d_net": "patchgan_d"}, "train": {"loss": "nonsaturating", **_ADAM},
     "options": Inpaint.option_defaults},
    help="inpainting GAN: fills holes given the mask; masked L1 + 0.001 adversarial (Pathak et al. 2016)",
    smoke={**_SMOKE, "data.name": "mnist-inpaint", "model.g_kwargs": {"dilations": [2]}})
