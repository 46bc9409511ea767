"""Training steps that the advanced image families need beyond a plain GAN step.

Each phase comes in two layers:

- ``*_loss(nets, batch, opts, ...) -> (loss, stats)`` computes the scalar to minimise and a
  dict of detached statistics; a family calls it and applies its own update (backward,
  gradient all-reduce, optimizer step);
- ``*_step(nets, optimizer, batch, opts, ...) -> dict[str, float]`` is the same plus
  zero_grad / backward / step, for tests and simple loops.

``batch`` is the loop's dict: ``x`` (N, C, H, W) images in [-1, 1] and optionally ``y`` (N,)
labels. Random draws use ``generator`` when given, else the global RNG. Every loss applies
DiffAugment (``opts.augment``, a policy string, empty = off) identically to real and fake
images, as Zhao et al. 2020 require.

The adversarial losses and penalties themselves (logistic, hinge, Wasserstein, R1, gradient
penalty) are the shared ones of :mod:`ganforge.losses`.
"""
from __future__ import annotations

import contextlib
import math
from dataclasses import dataclass
from typing import Iterable, Iterator

import torch
from torch import Tensor, nn

from ..layers.diffaugment import diff_augment
from ..layers.orthogonal import orthogonal_regularization
from ..losses import (d_loss_bce, d_loss_hinge, d_loss_wasserstein, g_loss_hinge, g_loss_nonsaturating,
                      gradient_penalty, r1_penalty)
from ..nets.infogan import mutual_information_loss
from ..nets.progan import fade_real_images, progan_schedule

Stats = dict[str, Tensor]


# --- shared helpers ---------------------------------------------------------------------

@contextlib.contextmanager
def _no_grad_for(params: Iterable[nn.Parameter]) -> Iterator[None]:
    """Temporarily turn off gradients of ``params`` (e.g. D while G is updated)."""
    params = list(params)
    flags = [p.requires_grad for p in params]
    for p in params:
        p.requires_grad_(False)
    try:
        yield
    finally:
        for p, f in zip(params, flags):
            p.requires_grad_(f)


def _augment(x: Tensor, policy: str, generator: torch.Generator | None) -> Tensor:
    return diff_augment(x, policy, generator) if policy else x


def _labels(G: nn.Module, batch: dict[str, Tensor], n: int, generator: torch.Generator | None,
            device: torch.device) -> Tensor | None:
    """Labels for fakes: the batch's labels when it has them, else uniform classes (BigGAN)."""
    k = getattr(G, "num_classes", 0)
    if not k:
        return None
    if "y" in batch:
        return batch["y"][:n]
    return torch.randint(k, (n,), generator=generator).to(device)


def _apply(opt: torch.optim.Optimizer, loss: Tensor, stats: Stats) -> dict[str, float]:
    opt.zero_grad(set_to_none=True)
    loss.backward()
    opt.step()
    return {k: float(v) for k, v in stats.items()}


def lazy_regularization_adam(lr: float, betas: tuple[float, float], interval: int) -> tuple[float, tuple[float, float]]:
    """Adam hyper-parameters for a net regularised every ``interval`` steps (StyleGAN2 appendix
    B): the optimizer then runs ``interval + 1`` times per ``interval`` steps, so lr and betas
    are scaled by ``c = interval / (interval + 1)``: ``(lr c, (beta1^c, beta2^c))``."""
    c = interval / (interval + 1)
    return lr * c, (betas[0] ** c, betas[1] ** c)


# --- StyleGAN ---------------------------------------------------------------------------

@dataclass(frozen=True)
class StyleGANOptions:
    """StyleGAN2's regularisation settings (paper values in brackets).

    r1_gamma: R1 weight gamma [10 at 1024 px; 0.01-1 for small images]; r1_interval: lazy R1
    every k D steps [16]; pl_weight: path-length weight [2; 0 = off]; pl_interval [4];
    pl_decay: speed of the running mean of path lengths [0.01]; pl_batch_shrink [2];
    style_mixing_prob: fraction of G batches generated from two latents [0.9];
    augment: DiffAugment policy ('' = off).
    """

    r1_gamma: float = 1.0
    r1_interval: int = 16
    pl_weight: float = 0.0
    pl_interval: int = 4
    pl_decay: float = 0.01
    pl_batch_shrink: int = 2
    style_mixing_prob: float = 0.9
    augment: str = ""


def stylegan_latents(G: nn.Module, n: int, c: Tensor | None, mixing_prob: float, device: torch.device,
                     generator: torch.Generator | None = None, update_w_avg: bool = True) -> Tensor:
    """ws (n, num_ws, w_dim) with style-mixing regularization (StyleGAN section 3.1).

    With probability ``mixing_prob`` (one draw per batch, as in the reference code) the ws
    from a second latent replace those of the layers from a random cutoff in [1, num_ws) on.
    """
    z = G.sample_latent(n, generator=generator, device=device)
    ws = G.mapping(z, c, update_w_avg=update_w_avg)
    if mixing_prob > 0 and float(torch.rand((), generator=generator)) < mixing_prob:
        cutoff = int(torch.randint(1, ws.shape[1], (), generator=generator))
        z2 = G.sample_latent(n, generator=generator, device=device)
        ws2 = G.mapping(z2, c, update_w_avg=False)
        ws = torch.cat([ws[:, :cutoff], ws2[:, cutoff:]], dim=1)
    return ws


def _synthesize(G: nn.Module, ws: Tensor, generator: torch.Generator | None) -> Tensor:
    return G.synthesis(ws, "random", generator)


def stylegan_d_loss(G: nn.Module, D: nn.Module, batch: dict[str, Tensor], opts: StyleGANOptions,
                    generator: torch.Generator | None = None) -> tuple[Tensor, Stats]:
    """Logistic (non-saturating) D loss: softplus(D(G(z))) + softplus(-D(x)), mixed-style fakes."""
    x = batch["x"]
    n = x.shape[0]
    c = batch.get("y") if getattr(G, "num_classes", 0) else None
    with torch.no_grad():
        fake = _synthesize(G, stylegan_latents(G, n, c, opts.style_mixing_prob, x.device, generator), generator)
    real_logits = D(_augment(x, opts.augment, generator), c)
    fake_logits = D(_augment(fake, opts.augment, generator), c)
    loss = d_loss_bce(real_logits, fake_logits)
    # D(x) and D(G(z)) as probabilities of "real", as the other logistic-loss families report them
    return loss, {"d_loss": loss.detach(), "d_real": torch.sigmoid(real_logits.detach()).mean(),
                  "d_fake": torch.sigmoid(fake_logits.detach()).mean()}


def stylegan_r1_loss(D: nn.Module, batch: dict[str, Tensor], opts: StyleGANOptions,
                     generator: torch.Generator | None = None) -> tuple[Tensor, Stats]:
    """Lazy R1 (StyleGAN2 section 3.1): ``gamma / 2 * R1 * r1_interval``, run every r1_interval D steps.

    Multiplying by the interval keeps the regularisation's strength equal to running it every
    step. The gradient is taken w.r.t. the un-augmented reals through the augmentation.
    """
    x = batch["x"].detach().requires_grad_(True)
    c = batch.get("y") if getattr(D, "num_classes", 0) else None
    logits = D(_augment(x, opts.augment, generator), c)
    r1 = r1_penalty(logits, x)
    loss = r1 * (opts.r1_gamma / 2) * opts.r1_interval
    return loss, {"r1": r1.detach()}


def stylegan_g_loss(G: nn.Module, D: nn.Module, batch: dict[str, Tensor], opts: StyleGANOptions,
                    generator: torch.Generator | None = None) -> tuple[Tensor, Stats]:
    """Non-saturating G loss softplus(-D(G(z))) on a batch with style mixing."""
    x = batch["x"]
    c = _labels(G, batch, x.shape[0], generator, x.device)
    with _no_grad_for(D.parameters()):
        fake = _synthesize(G, stylegan_latents(G, x.shape[0], c, opts.style_mixing_prob, x.device, generator), generator)
        logits = D(_augment(fake, opts.augment, generator), c)
    loss = g_loss_nonsaturating(logits)
    return loss, {"g_loss": loss.detach()}


def new_path_length_state() -> dict[str, Tensor]:
    """The state path-length regularization carries between steps (checkpoint it with the run)."""
    return {"pl_mean": torch.zeros(())}


def stylegan_pl_loss(G: nn.Module, batch: dict[str, Tensor], opts: StyleGANOptions, state: dict[str, Tensor],
                     generator: torch.Generator | None = None) -> tuple[Tensor, Stats]:
    """Lazy path-length regularization (StyleGAN2 section 3.2, eq. 4), run every pl_interval G steps.

    ``E_w,y[(||J_w^T y||_2 - a)^2]`` with y ~ N(0, I) / sqrt(HW) and a the running mean of
    the path lengths (``state['pl_mean']``, updated in place with rate pl_decay). The loss is
    scaled by ``pl_weight * pl_interval``; batch size is N / pl_batch_shrink.
    """
    x = batch["x"]
    n = max(1, x.shape[0] // opts.pl_batch_shrink)
    c = _labels(G, batch, n, generator, x.device)
    ws = stylegan_latents(G, n, c, opts.style_mixing_prob, x.device, generator, update_w_avg=False)
    ws.requires_grad_(True)
    img = _synthesize(G, ws, generator)
    noise = torch.randn(img.shape, generator=generator).to(img.device) / math.sqrt(img.shape[2] * img.shape[3])
    (grad,) = torch.autograd.grad((img * noise).sum(), ws, create_graph=True)
    lengths = grad.square().sum(dim=2).mean(dim=1).sqrt()  # (n,): averaged over the num_ws copies of w
    pl_mean = state["pl_mean"].to(lengths.device)
    pl_mean = pl_mean + opts.pl_decay * (lengths.detach().mean() - pl_mean)
    state["pl_mean"] = pl_mean.detach()
    penalty = (lengths - pl_mean).square().mean()
    loss = penalty * opts.pl_weight * opts.pl_interval
    return loss, {"pl_penalty": penalty.detach(), "pl_mean": pl_mean.detach()}


def stylegan_d_step(G: nn.Module, D: nn.Module, opt_d: torch.optim.Optimizer, batch: dict[str, Tensor],
                    opts: StyleGANOptions, generator: torch.Generator | None = None) -> dict[str, float]:
    return _apply(opt_d, *stylegan_d_loss(G, D, batch, opts, generator))


def stylegan_r1_step(D: nn.Module, opt_d: torch.optim.Optimizer, batch: dict[str, Tensor], opts: StyleGANOptions,
                     generator: torch.Generator | None = None) -> dict[str, float]:
    return _apply(opt_d, *stylegan_r1_loss(D, batch, opts, generator))


def stylegan_g_step(G: nn.Module, D: nn.Module, opt_g: torch.optim.Optimizer, batch: dict[str, Tensor],
                    opts: StyleGANOptions, generator: torch.Generator | None = None) -> dict[str, float]:
    return _apply(opt_g, *stylegan_g_loss(G, D, batch, opts, generator))


def stylegan_pl_step(G: nn.Module, opt_g: torch.optim.Optimizer, batch: dict[str, Tensor], opts: StyleGANOptions,
                     state: dict[str, Tensor], generator: torch.Generator | None = None) -> dict[str, float]:
    return _apply(opt_g, *stylegan_pl_loss(G, batch, opts, state, generator))


# --- InfoGAN ----------------------------------------------------------------------------

@dataclass(frozen=True)
class InfoGANOptions:
    """cat_weight / cont_weight: lambda of the MI term for categorical / continuous codes (1 and 1
    in the reference code, whose continuous codes have a fixed std); mi_in_d: also train D's
    shared body (and Q) on the MI term during the D step, as the reference code does;
    augment: DiffAugment policy ('' = off)."""

    cat_weight: float = 1.0
    cont_weight: float = 1.0
    mi_in_d: bool = True
    augment: str = ""


def infogan_q_parameters(D: nn.Module) -> list[nn.Parameter]:
    """The Q head's parameters, to be optimised together with G's (the G+Q optimizer)."""
    return list(D.q_head.parameters())


def infogan_d_loss(G: nn.Module, D: nn.Module, batch: dict[str, Tensor], opts: InfoGANOptions,
                   generator: torch.Generator | None = None) -> tuple[Tensor, Stats]:
    """BCE D loss (+ lambda * MI loss on the detached fakes when ``mi_in_d``)."""
    x = batch["x"]
    with torch.no_grad():
        z = G.sample_latent(x.shape[0], generator=generator, device=x.device)
        fake = G(z)
    real_logits = D(_augment(x, opts.augment, generator))
    fake_logits, q = D.forward_with_q(_augment(fake, opts.augment, generator))
    adv = d_loss_bce(real_logits, fake_logits)
    stats = {"d_loss": adv.detach(), "d_real": torch.sigmoid(real_logits.detach()).mean(),
             "d_fake": torch.sigmoid(fake_logits.detach()).mean()}
    if not opts.mi_in_d:
        return adv, stats
    mi = mutual_information_loss(*q, z, D.codes, opts.cat_weight, opts.cont_weight)
    stats["mi_loss_d"] = mi.detach()
    return adv + mi, stats


def infogan_gq_loss(G: nn.Module, D: nn.Module, batch: dict[str, Tensor], opts: InfoGANOptions,
                    generator: torch.Generator | None = None) -> tuple[Tensor, Stats]:
    """G+Q loss: non-saturating G loss + lambda * MI loss (Chen et al. 2016, eq. 6).

    D's body and head get no gradient (they are not in the G+Q optimizer); Q's head does.
    ``cat_acc`` is how often Q recovers the categorical codes of the fakes.
    """
    x = batch["x"]
    z = G.sample_latent(x.shape[0], generator=generator, device=x.device)
    q_ids = {id(p) for p in infogan_q_parameters(D)}
    with _no_grad_for(p for p in D.parameters() if id(p) not in q_ids):
        logits, (cat, mean, log_std) = D.forward_with_q(_augment(G(z), opts.augment, generator))
    adv = g_loss_nonsaturating(logits)
    mi = mutual_information_loss(cat, mean, log_std, z, D.codes, opts.cat_weight, opts.cont_weight)
    stats = {"g_loss": adv.detach(), "mi_loss": mi.detach()}
    cats = [code for code in D.codes if code.kind == "categorical"]
    if cats:
        hits = [(cat[:, k.q_start:k.q_stop].argmax(1) == z[:, k.start:k.stop].argmax(1)).float().mean() for k in cats]
        stats["cat_acc"] = torch.stack(hits).mean().detach()
    return adv + mi, stats


def infogan_d_step(G: nn.Module, D: nn.Module, opt_d: torch.optim.Optimizer, batch: dict[str, Tensor],
                   opts: InfoGANOptions, generator: torch.Generator | None = None) -> dict[str, float]:
    return _apply(opt_d, *infogan_d_loss(G, D, batch, opts, generator))


def infogan_gq_step(G: nn.Module, D: nn.Module, opt_gq: torch.optim.Optimizer, batch: dict[str, Tensor],
                    opts: InfoGANOptions, generator: torch.Generator | None = None) -> dict[str, float]:
    return _apply(opt_gq, *infogan_gq_loss(G, D, batch, opts, generator))


# --- BigGAN / SNGAN -------------------------------------------------------------------------

@dataclass(frozen=True)
class BigGANOptions:
    """ortho_weight: beta of orthogonal regularization [1e-4; 0 = off, e.g. SNGAN];
    augment: DiffAugment policy ('' = off)."""

    ortho_weight: float = 1e-4
    augment: str = ""


def hinge_d_loss(G: nn.Module, D: nn.Module, batch: dict[str, Tensor], opts: BigGANOptions,
                 generator: torch.Generator | None = None) -> tuple[Tensor, Stats]:
    """Hinge D loss E[relu(1 - D(x, y))] + E[relu(1 + D(G(z, y), y))] with the batch's labels."""
    x = batch["x"]
    c = batch.get("y") if getattr(D, "num_classes", 0) else None
    with torch.no_grad():
        fake = G(G.sample_latent(x.shape[0], generator=generator, device=x.device), c)
    real_logits = D(_augment(x, opts.augment, generator), c)
    fake_logits = D(_augment(fake, opts.augment, generator), c)
    loss = d_loss_hinge(real_logits, fake_logits)
    return loss, {"d_loss": loss.detach(), "d_real": real_logits.detach().mean(), "d_fake": fake_logits.detach().mean()}


def biggan_g_loss(G: nn.Module, D: nn.Module, batch: dict[str, Tensor], opts: BigGANOptions,
                  generator: torch.Generator | None = None) -> tuple[Tensor, Stats]:
    """Hinge G loss -E[D(G(z, y), y)] + ortho_weight * BigGAN orthogonal regularization of G.

    Fake labels are uniform over the classes (the reference code samples them, not the
    batch's). The shared class embedding is left out of the regularization.
    """
    x = batch["x"]
    n = x.shape[0]
    k = getattr(G, "num_classes", 0)
    c = torch.randint(k, (n,), generator=generator).to(x.device) if k else None
    with _no_grad_for(D.parameters()):
        logits = D(_augment(G(G.sample_latent(n, generator=generator, device=x.device), c), opts.augment, generator), c)
    adv = g_loss_hinge(logits)
    stats = {"g_loss": adv.detach()}
    if not opts.ortho_weight:
        return adv, stats
    shared = G.shared_parameters() if hasattr(G, "shared_parameters") else []
    ortho = orthogonal_regularization(G, exclude=shared)
    stats["ortho"] = ortho.detach()
    return adv + opts.ortho_weight * ortho, stats


def hinge_d_step(G: nn.Module, D: nn.Module, opt_d: torch.optim.Optimizer, batch: dict[str, Tensor],
                 opts: BigGANOptions, generator: torch.Generator | None = None) -> dict[str, float]:
    return _apply(opt_d, *hinge_d_loss(G, D, batch, opts, generator))


def biggan_g_step(G: nn.Module, D: nn.Module, opt_g: torch.optim.Optimizer, batch: dict[str, Tensor],
                  opts: BigGANOptions, generator: torch.Generator | None = None) -> dict[str, float]:
    return _apply(opt_g, *biggan_g_loss(G, D, batch, opts, generator))


# --- ProGAN -----------------------------------------------------------------------------

@dataclass(frozen=True)
class ProGANOptions:
    """phase_steps: steps per fade-in or stabilisation phase (paper: 800k images);
    gp_weight: WGAN-GP lambda [10]; drift: epsilon_drift of the D(x)^2 term [0.001];
    augment: DiffAugment policy ('' = off)."""

    phase_steps: int = 1000
    gp_weight: float = 10.0
    drift: float = 0.001
    augment: str = ""


def progan_set_stage(nets: Iterable[nn.Module], step: int, opts: ProGANOptions) -> tuple[int, float]:
    """Set every ProGAN net (G, D, G's EMA copy) to the stage of ``step``; returns (level, alpha)."""
    nets = list(nets)
    level, alpha = progan_schedule(step, opts.phase_steps, nets[0].max_level)
    for net in nets:
        net.set_stage(level, alpha)
    return level, alpha


def progan_d_loss(G: nn.Module, D: nn.Module, batch: dict[str, Tensor], opts: ProGANOptions,
                  generator: torch.Generator | None = None) -> tuple[Tensor, Stats]:
    """WGAN-GP critic loss + drift * E[D(x)^2] (ProGAN appendix A.1), with reals blended like
    G's output during a fade-in (:func:`ganforge.nets.progan.fade_real_images`)."""
    level, alpha = D.stage
    x = fade_real_images(batch["x"], level, alpha)
    c = batch.get("y") if getattr(D, "num_classes", 0) else None
    with torch.no_grad():
        fake = G(G.sample_latent(x.shape[0], generator=generator, device=x.device), c)
    x, fake = _augment(x, opts.augment, generator), _augment(fake, opts.augment, generator)
    real_logits, fake_logits = D(x, c), D(fake, c)
    wgan = d_loss_wasserstein(real_logits, fake_logits)
    gp = gradient_penalty(D, x, fake, c, generator=generator)
    drift = real_logits.square().mean()
    loss = wgan + opts.gp_weight * gp + opts.drift * drift
    return loss, {"d_loss": wgan.detach(), "gp": gp.detach(), "drift": drift.detach(),
                  "d_real": real_logits.detach().mean(), "d_fake": fake_logits.detach().mean(),
                  "level": torch.tensor(float(level)), "alpha": torch.tensor(alpha)}


def progan_d_step(G: nn.Module, D: nn.Module, opt_d: torch.optim.Optimizer, batch: dict[str, Tensor],
                  opts: ProGANOptions, generator: torch.Generator | None = None) -> dict[str, float]:
    return _apply(opt_d, *progan_d_loss(G, D, batch, opts, generator))
