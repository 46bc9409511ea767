"""The ``timeseries`` family: a recurrent GAN over windows of a multivariate series (RCGAN,
Esteban et al. 2017), with the nets ``rnn_g`` / ``rnn_d``.

Each iteration runs the discriminator phase ``d_steps`` times, then one generator phase. The
nets are conditioned on the window's past when the dataset has ``context`` > 0 (the batch's
``context`` field), or on class labels when it has them (``y``).

Loss: ``--loss`` (the non-saturating GAN loss by default, Goodfellow et al. 2014, sec. 3), as
in RCGAN and TimeGAN's adversarial part. Why not WGAN-GP: a gradient penalty needs the
gradient of the critic's gradient, and cuDNN's fused LSTM/GRU kernels do not support double
backward, so on a GPU the recurrent critic would have to fall back to slow non-cuDNN kernels;
the non-saturating loss needs first-order gradients only.
"""
from __future__ import annotations

from typing import Any, Callable

import torch
from torch import Tensor, nn

from ..errors import GanforgeError
from ..losses import LOSSES, d_loss_bce, g_loss_nonsaturating
from ..nets import build_net
from .base import Family, Phase, frozen, register_family
from .options import NoOptions, parse_options


def condition(G: nn.Module, batch: dict[str, Tensor]) -> Tensor | None:
    """The conditioning input for G and D from a batch: labels ``y`` (N,), the past
    ``context`` (N, Tc, F), or None."""
    if getattr(G, "num_classes", 0):
        return batch["y"]
    if getattr(G, "context_len", 0):
        return batch["context"]
    return None


def fake_windows(G: nn.Module, n: int, c: Tensor | None, device: torch.device | str,
                 generator: torch.Generator | None = None) -> Tensor:
    """n generated windows (n, T, F) of the generator's own length."""
    return G(G.sample_latent(n, generator=generator, device=device), c)


def d_losses(G: nn.Module, D: nn.Module, batch: dict[str, Tensor], generator: torch.Generator | None = None,
             d_loss: Callable[[Tensor, Tensor], Tensor] = d_loss_bce) -> tuple[Tensor, Tensor, Tensor]:
    """The discriminator's loss on a batch (``x`` (N, T, F) real windows; gradients into D only)
    and its logits on the real and generated windows: ``(loss, real_logits (N,), fake_logits (N,))``.
    The loss is computed in float from the logits (which may be bf16/fp16 under autocast)."""
    x = batch["x"]
    c = condition(G, batch)
    with torch.no_grad():
        fake = fake_windows(G, x.shape[0], c, x.device, generator)
    real_logits, fake_logits = D(x, c), D(fake, c)
    return d_loss(real_logits.float(), fake_logits.float()), real_logits, fake_logits


def g_losses(G: nn.Module, D: nn.Module, batch: dict[str, Tensor], generator: torch.Generator | None = None,
             g_loss: Callable[[Tensor], Tensor] = g_loss_nonsaturating) -> tuple[Tensor, Tensor]:
    """The generator's loss on a batch (gradients flow through D into G; the batch gives the size
    and the condition) and D's logits on the generated windows: ``(loss, fake_logits (N,))``."""
    x = batch["x"]
    c = condition(G, batch)
    fake_logits = D(fake_windows(G, x.shape[0], c, x.device, generator), c)
    return g_loss(fake_logits.float()), fake_logits


class TimeSeriesFamily(Family):
    """Recurrent GAN for windows (N, T, F) of a series (RCGAN-style LSTM generator and critic)."""

    # --precision auto: CPU LSTM/GRU kernels have no bf16 fast path (bf16 only adds casts)
    auto_bf16_devices = ("cuda",)
    auto_fp32_reason = "its recurrent nets run no faster in bf16"

    def __init__(self, cfg, info, device, dist) -> None:
        super().__init__(cfg, info, device, dist)
        if info.kind != "series" or len(info.shape) != 2:
            raise GanforgeError(f"family {cfg.family!r} trains on windows of a series (series:PATH.csv, sines, "
                                f"garch); dataset {info.name!r} is of kind {info.kind!r}")
        parse_options(cfg.options, NoOptions, cfg.family)  # none: a stray --option is an error
        t, m = cfg.train, cfg.model
        window, features = info.shape
        context = int(info.extra.get("context", 0) or 0)
        cond = {"num_classes": info.num_classes if not context else 0, "context_len": context}
        g_kw: dict[str, Any] = {"z_dim": m.z_dim, "seq_len": window, "features": features, **cond}
        d_kw: dict[str, Any] = {"seq_len": window, "features": features, **cond}
        if m.width is not None:
            g_kw["hidden"] = d_kw["hidden"] = m.width
        G = build_net(m.g_net, **{**g_kw, **m.g_kwargs})
        D = build_net(m.d_net, **{**d_kw, **m.d_kwargs})
        self.nets = {"G": G.to(device), "D": D.to(device)}
        self.loss = LOSSES.get(t.loss)
        self.add_optimizer("G", ["G"], t.lr_g)
        self.add_optimizer("D", ["D"], t.lr_d)

    def phases(self) -> list[Phase]:
        return [Phase("D", self.d_step, repeat=self.cfg.train.d_steps, losses=("d_loss",)),
                Phase("G", self.g_step, uses_data=False, losses=("g_loss",))]

    def sample(self, n: int, generator: torch.Generator | None = None, net: torch.nn.Module | None = None,
               labels: Tensor | None = None) -> Tensor:
        G = net if net is not None else self.nets["G"]
        if getattr(G, "context_len", 0):
            # a past to continue from: the first windows' contexts of the dataset are not at hand
            # here, so grids of context models start from a flat (zero) past in scaled units
            c = torch.zeros(n, G.context_len, G.features, device=self.device)
            return G(G.sample_latent(n, generator=generator, device=self.device), c)
        return super().sample(n, generator, net, labels)

    def d_step(self, batch: dict[str, Tensor]) -> dict[str, Tensor]:
        G, D = self.nets["G"], self.nets["D"]
        with self.autocast():
            loss, real, fake = d_losses(G, D, batch, d_loss=self.loss.d)
        self.update("D", loss)
        r, f = real.detach().float(), fake.detach().float()
        prob = self.loss.probabilistic
        return {"d_loss": loss.detach(),
                "d_real": torch.sigmoid(r).mean() if prob else r.mean(),
                "d_fake": torch.sigmoid(f).mean() if prob else f.mean(),
                "d_acc": 0.5 * ((r > 0).float().mean() + (f <= 0).float().mean())}

    def g_step(self, batch: dict[str, Tensor]) -> dict[str, Tensor]:
        G, D = self.nets["G"], self.nets["D"]
        with frozen(D), self.autocast():
            loss, fake = g_losses(G, D, batch, g_loss=self.loss.g)
        norm = self.update("G", loss, grad_norm=True)
        return {"g_loss": loss.detach(), "g_grad_norm": norm, "d_fooled": (fake.detach().float() > 0).float().mean()}

    def export_meta(self) -> dict[str, Any]:
        # the scaler and column names let `ganforge sample` write series in original units
        extra = {k: self.info.extra[k] for k in ("columns", "scaler", "window", "context") if k in self.info.extra}
        return {**super().export_meta(), "data_extra": extra}


register_family(
    "timeseries", TimeSeriesFamily,
    {"model": {"g_net": "rnn_g", "d_net": "rnn_d", "z_dim": 8},
     "train": {"loss": "nonsaturating", "d_steps": 1, "optimizer": "adam", "lr_g": 1e-3, "lr_d": 1e-3,
               "betas": (0.5, 0.999)}},
    help="recurrent GAN for multivariate series (RCGAN, Esteban et al. 2017): LSTM G and D over windows; "
         "--data series:PATH.csv --window 64",
    smoke={"data.name": "sines", "data.options": {"window": 8, "length": 200}, "data.limit": 64,
           "data.resolution": None, "model.width": 8})
