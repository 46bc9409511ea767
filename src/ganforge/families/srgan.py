"""The ``srgan`` family (Ledig et al. 2017): super-resolution by an SRResNet generator, first
pre-trained on the pixel MSE (the SRResNet loss, eq. 4, ``pretrain_steps`` iterations with D
idle), then trained on the perceptual loss against a discriminator:

- D: 1/2 [L(D(hr), real) + L(D(G(lr)), fake)]
- G: l_content + adv_weight * L(D(G(lr)), real) (eq. 3, adversarial weight 10^-3), where
  l_content is the MSE in a feature space (eq. 5: VGG54 on photos; here the bundled MNIST
  classifier's last convolution block for 28x28 digits, else the pixel MSE).
"""
from __future__ import annotations

import contextlib
from dataclasses import asdict, dataclass
from typing import Any, Callable, Sequence, Union

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ..errors import GanforgeError
from .base import Phase, frozen, register_family
from .translation import SMOKE, TranslationFamily, build_with, eval_mode

Features = Union[Tensor, Sequence[Tensor]]
FeatureExtractor = Callable[[Tensor], Features]


@dataclass(frozen=True)
class SRGANOptions:
    """pretrain_steps: iterations of pixel-MSE pre-training (SRResNet), D idle [1000];
    adv_weight: weight of the adversarial term of G's loss [1e-3]; content: the content loss's
    feature space, ``auto`` | ``classifier`` | ``pixel`` [auto]."""

    pretrain_steps: int = 1000
    adv_weight: float = 1e-3
    content: str = "auto"


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


def _module_of(features: FeatureExtractor) -> nn.Module | None:
    """The module behind an extractor (itself, or the owner of a bound method such as clf.features)."""
    if isinstance(features, nn.Module):
        return features
    owner = getattr(features, "__self__", None)
    return owner if isinstance(owner, nn.Module) else None


def content_loss(features: FeatureExtractor | None, fake: Tensor, real: Tensor) -> Tensor:
    """MSE in the extractor's feature space (SRGAN's VGG loss, eq. 5): a (N, F) tensor or a list
    of intermediate maps, whose per-map MSEs are summed. ``features=None``: pixel MSE. Computed
    in float whatever the dtype of the features.

    The extractor is frozen and run in eval mode here; gradients reach ``fake`` through it.
    """
    if features is None:
        return F.mse_loss(fake.float(), real.float())
    module = _module_of(features)
    with contextlib.ExitStack() as stack:
        if module is not None:
            stack.enter_context(frozen(module))
            stack.enter_context(eval_mode(module))
        with torch.no_grad():
            target = features(real)
        pred = features(fake)
    if isinstance(pred, Tensor):
        pred, target = [pred], [target]  # type: ignore[list-item]
    if len(pred) != len(target) or not len(pred):
        raise ValueError("feature extractor returned no features or a different number of maps for real and fake")
    return sum((F.mse_loss(p.float(), t.float()) for p, t in zip(pred, target)),
               start=torch.zeros((), device=fake.device))


class SRGAN(TranslationFamily):
    """SRGAN (Ledig et al. 2017): SRResNet MSE pre-training, then content + 1e-3 adversarial loss."""

    example_data = "mnist-sr"
    command = "upscale"
    options_cls = SRGANOptions
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
        self.features, self.content = self._content(self.opts.content, b)

    def _content(self, choice: str, shape: tuple[int, ...]) -> tuple[nn.Module | None, str]:
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
        # one phase: an iteration is either a pre-training step or a D then G step
        return [Phase("SR", self.step, losses=("mse", "d_loss", "g_loss"))]

    def step(self, batch: dict[str, Tensor]) -> dict[str, Tensor]:
        it = self.tick()
        self.hold(batch)
        if it < self.opts.pretrain_steps:
            return self.pretrain_step(batch)
        return self.adversarial_step(batch)

    def pretrain_step(self, batch: dict[str, Tensor]) -> dict[str, Tensor]:
        """SRResNet: pixel MSE between G(low-res) and the high-res image (eq. 4), D idle."""
        with self.autocast():
            out = self.nets["G"](batch["a"])
        mse = F.mse_loss(out.float(), batch["b"].float())
        self.update("G", mse)
        return {"mse": mse.detach(), "g_loss": mse.detach()}

    def adversarial_step(self, batch: dict[str, Tensor]) -> dict[str, Tensor]:
        """D on high-res reals vs G(low-res), then G on content + adv_weight * adversarial loss."""
        G, D = self.nets["G"], self.nets["D"]
        lr, hr = batch["a"], batch["b"]
        with self.autocast():
            fake = G(lr)
            real_logits, fake_logits = D(hr), D(fake.detach())
            loss_d = self.adv.d(real_logits, fake_logits)
        self.update("D", loss_d)
        with self.autocast():
            content = content_loss(self.features, fake, hr)
            with frozen(D):
                g_adv = self.adv.g(D(fake))
            loss_g = content + self.opts.adv_weight * g_adv
        self.update("G", loss_g)
        return {"d_loss": loss_d.detach(), "d_real": real_logits.detach().float().mean(),
                "d_fake": fake_logits.detach().float().mean(), "g_loss": loss_g.detach(),
                "g_content": content.detach(), "g_adv": g_adv.detach()}

    def grid_columns(self, G: nn.Module, held: dict[str, Tensor]) -> list[Tensor]:
        from ..metrics.image_quality import bicubic_upsample

        a = held["a"]
        return [a, bicubic_upsample(a, self.scale), G(a), held["b"]]

    def export_meta(self) -> dict[str, Any]:
        return {**super().export_meta(), "scale": self.scale, "content": self.content}


register_family(
    "srgan", SRGAN,
    {"model": {"g_net": "srgan_g", "d_net": "srgan_d"},
     "train": {"loss": "nonsaturating", "optimizer": "adam", "lr_g": 1e-4, "lr_d": 1e-4, "betas": (0.9, 0.999)},
     "options": asdict(SRGANOptions())},
    help="SRGAN (Ledig et al. 2017): super-resolution, MSE pre-training then content + 1e-3 adversarial loss",
    smoke={**SMOKE, "data.name": "mnist-sr", "model.g_kwargs": {"n_blocks": 1},
           "model.d_kwargs": {"n_stages": 2, "hidden": 16}, "options.pretrain_steps": 1})
