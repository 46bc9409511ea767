"""Training steps of the image-to-image families, as plain functions.

Each takes the networks, their optimizers, a batch dict (tensors already on the nets'
device) and the loss weights, performs one update, and returns a dict of floats for
logging. They hold no state of their own (the CycleGAN history pools are passed in), so the
training loop can wire them into phases, checkpoint everything around them, and resume.

The ``opt_*`` arguments are optimizers (zero_grad, backward, step) or update functions
``f(loss)``; the families pass their ``update`` so that gradients are averaged across
processes and fp16 losses scaled.

Adversarial losses come from :mod:`ganforge.losses` by name (``adv="nonsaturating"``, the
default, is BCE for D with the non-saturating G loss; ``adv="lsgan"`` the least-squares loss
of CycleGAN), scaled by :func:`adversarial` to the pix2pix/CycleGAN convention: D minimises
the mean of its real and fake criteria, G the full criterion. They average over every
logit, so PatchGAN maps (N, H', W') and per-image logits (N,) are treated alike.
"""
from __future__ import annotations

import contextlib
from typing import Callable, Iterator, NamedTuple, Sequence, Union

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ..errors import GanforgeError
from ..losses import LOSSES, AdversarialLoss, d_loss_lsgan, g_loss_lsgan
from ._image_pool import ImagePool

Features = Union[Tensor, Sequence[Tensor]]
FeatureExtractor = Callable[[Tensor], Features]


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

    Every loss averages over all logits, so PatchGAN maps work unchanged.
    """
    pair = LOSSES.get(loss) if isinstance(loss, str) else loss
    d_scale = 1.0 if pair.d is d_loss_lsgan else 0.5
    g_scale = 2.0 if pair.g is g_loss_lsgan else 1.0

    def d(real: Tensor, fake: Tensor) -> Tensor:
        return d_scale * pair.d(real.float(), fake.float())

    def g(fake: Tensor) -> Tensor:
        return g_scale * pair.g(fake.float())

    return Adversarial(d, g)


# --- helpers -------------------------------------------------------------------------------

@contextlib.contextmanager
def frozen(module: nn.Module | None, eval_mode: bool = False) -> Iterator[None]:
    """Within the block, ``module``'s parameters take no gradient (gradients still flow through
    it to its inputs); with ``eval_mode`` it also runs in eval mode. Restores both after."""
    if module is None:
        yield
        return
    flags = [(p, p.requires_grad) for p in module.parameters()]
    was_training = module.training
    for p, _ in flags:
        p.requires_grad_(False)
    if eval_mode:
        module.eval()
    try:
        yield
    finally:
        for p, flag in flags:
            p.requires_grad_(flag)
        module.train(was_training)


def judge(D: nn.Module, y: Tensor, cond: Tensor | None) -> Tensor:
    """D's logits for images ``y``; conditional PatchGANs (``cond_channels`` > 0) also see ``cond``."""
    if getattr(D, "cond_channels", 0):
        if cond is None:
            raise ValueError("a conditional discriminator needs the conditioning image")
        return D(y, cond)
    return D(y)


Update = Union[torch.optim.Optimizer, Callable[[Tensor], None]]
AdvSpec = Union[str, AdversarialLoss]


def _step(opt: Update, loss: Tensor) -> None:
    """zero_grad, backward, step for an optimizer; or hand the loss to an update function
    (a family's ``update``, which adds gradient averaging across processes and loss scaling)."""
    if not isinstance(opt, torch.optim.Optimizer):
        opt(loss)
        return
    opt.zero_grad(set_to_none=True)
    loss.backward()
    opt.step()


def _f(t: Tensor) -> float:
    return float(t.detach())


# --- pix2pix (Isola et al. 2017) ------------------------------------------------------------

def pix2pix_d_step(G: nn.Module, D: nn.Module, opt_d: Update, batch: dict[str, Tensor], *,
                   adv: AdvSpec = "nonsaturating", fake: Tensor | None = None) -> dict[str, float]:
    """Conditional D update: 1/2 [L(D(b | a), real) + L(D(G(a) | a), fake)] (eq. 1, sec. 3.3)."""
    d_loss = adversarial(adv).d
    a, b = batch["a"], batch["b"]
    if fake is None:
        with torch.no_grad():
            fake = G(a)
    real_logits, fake_logits = judge(D, b, a), judge(D, fake.detach(), a)
    loss = d_loss(real_logits, fake_logits)
    _step(opt_d, loss)
    return {"d_loss": _f(loss), "d_real": _f(real_logits.mean()), "d_fake": _f(fake_logits.mean())}


def pix2pix_g_step(G: nn.Module, D: nn.Module, opt_g: Update, batch: dict[str, Tensor], *,
                   lambda_l1: float = 100.0, adv: AdvSpec = "nonsaturating", fake: Tensor | None = None) -> dict[str, float]:
    """G update: L_cGAN(G, D) + lambda ||b - G(a)||_1 (eq. 4, lambda = 100)."""
    g_loss = adversarial(adv).g
    a, b = batch["a"], batch["b"]
    fake = G(a) if fake is None else fake
    with frozen(D):
        g_adv = g_loss(judge(D, fake, a))
    l1 = (fake - b).abs().mean()
    loss = g_adv + lambda_l1 * l1
    _step(opt_g, loss)
    return {"g_loss": _f(loss), "g_adv": _f(g_adv), "g_l1": _f(l1)}


def pix2pix_step(G: nn.Module, D: nn.Module, opt_g: Update, opt_d: Update,
                 batch: dict[str, Tensor], *, lambda_l1: float = 100.0, adv: AdvSpec = "nonsaturating") -> dict[str, float]:
    """One pix2pix iteration: translate once, update D, then G on the same translation."""
    fake = G(batch["a"])
    stats = pix2pix_d_step(G, D, opt_d, batch, adv=adv, fake=fake.detach())
    stats.update(pix2pix_g_step(G, D, opt_g, batch, lambda_l1=lambda_l1, adv=adv, fake=fake))
    return stats


# --- CycleGAN (Zhu et al. 2017) -------------------------------------------------------------

def cyclegan_g_step(G_ab: nn.Module, G_ba: nn.Module, D_a: nn.Module, D_b: nn.Module,
                    opt_g: Update, batch: dict[str, Tensor], *, lambda_cycle: float = 10.0,
                    lambda_identity: float = 0.5, adv: AdvSpec = "lsgan") -> tuple[dict[str, float], Tensor, Tensor]:
    """Both generators in one update (``opt_g`` holds the parameters of G_ab and G_ba).

    L = L_GAN(G_ab, D_b) + L_GAN(G_ba, D_a) + lambda_cycle (|G_ba(G_ab(a)) - a|_1 + |G_ab(G_ba(b)) - b|_1)
        + lambda_identity * lambda_cycle (|G_ab(b) - b|_1 + |G_ba(a) - a|_1)   (eq. 3 and sec. 5.2).
    ``D_b`` judges domain-B images (the outputs of G_ab), ``D_a`` domain-A images.
    Returns the stats and the detached fakes (fake_b = G_ab(a), fake_a = G_ba(b)) for the D step.
    """
    g_loss = adversarial(adv).g
    a, b = batch["a"], batch["b"]
    fake_b, fake_a = G_ab(a), G_ba(b)
    with frozen(D_a), frozen(D_b):
        adv_ab, adv_ba = g_loss(D_b(fake_b)), g_loss(D_a(fake_a))
    cyc_a = (G_ba(fake_b) - a).abs().mean()
    cyc_b = (G_ab(fake_a) - b).abs().mean()
    loss = adv_ab + adv_ba + lambda_cycle * (cyc_a + cyc_b)
    stats = {"g_adv_ab": _f(adv_ab), "g_adv_ba": _f(adv_ba), "cycle_a": _f(cyc_a), "cycle_b": _f(cyc_b)}
    if lambda_identity > 0:
        if a.shape[1] != b.shape[1]:
            raise GanforgeError(f"identity loss needs domains with the same channels (A has {a.shape[1]}, "
                                f"B has {b.shape[1]}); set lambda_identity to 0")
        idt_b, idt_a = (G_ab(b) - b).abs().mean(), (G_ba(a) - a).abs().mean()
        loss = loss + lambda_identity * lambda_cycle * (idt_a + idt_b)
        stats.update(idt_a=_f(idt_a), idt_b=_f(idt_b))
    _step(opt_g, loss)
    stats["g_loss"] = _f(loss)
    return stats, fake_a.detach(), fake_b.detach()


def cyclegan_d_step(D_a: nn.Module, D_b: nn.Module, opt_d: Update, batch: dict[str, Tensor],
                    fake_a: Tensor, fake_b: Tensor, pool_a: ImagePool, pool_b: ImagePool, *,
                    generator: torch.Generator | None = None, adv: AdvSpec = "lsgan") -> dict[str, float]:
    """D_a and D_b in one update (``opt_d`` holds both), each on real images and on fakes drawn
    through its history pool: 1/2 [L(D(real), real) + L(D(pool(fake)), fake)] per discriminator."""
    d_loss = adversarial(adv).d
    from_pool_a, from_pool_b = pool_a.query(fake_a, generator), pool_b.query(fake_b, generator)
    real_a, fake_a_logits = D_a(batch["a"]), D_a(from_pool_a)
    real_b, fake_b_logits = D_b(batch["b"]), D_b(from_pool_b)
    loss_a, loss_b = d_loss(real_a, fake_a_logits), d_loss(real_b, fake_b_logits)
    _step(opt_d, loss_a + loss_b)
    # mean outputs of both discriminators on real images and on (pooled) fakes
    d_real = 0.5 * (real_a.detach().mean() + real_b.detach().mean())
    d_fake = 0.5 * (fake_a_logits.detach().mean() + fake_b_logits.detach().mean())
    return {"d_a": _f(loss_a), "d_b": _f(loss_b), "d_real": _f(d_real), "d_fake": _f(d_fake)}


def cyclegan_step(G_ab: nn.Module, G_ba: nn.Module, D_a: nn.Module, D_b: nn.Module,
                  opt_g: Update, opt_d: Update, batch: dict[str, Tensor],
                  pool_a: ImagePool, pool_b: ImagePool, *, lambda_cycle: float = 10.0, lambda_identity: float = 0.5,
                  generator: torch.Generator | None = None, adv: AdvSpec = "lsgan") -> dict[str, float]:
    """One CycleGAN iteration: both generators together, then D_a and D_b (official order)."""
    stats, fake_a, fake_b = cyclegan_g_step(G_ab, G_ba, D_a, D_b, opt_g, batch, lambda_cycle=lambda_cycle,
                                            lambda_identity=lambda_identity, adv=adv)
    stats.update(cyclegan_d_step(D_a, D_b, opt_d, batch, fake_a, fake_b, pool_a, pool_b, generator=generator, adv=adv))
    return stats


# --- SRGAN (Ledig et al. 2017) ---------------------------------------------------------------

def srgan_pretrain_step(G: nn.Module, opt_g: Update, batch: dict[str, Tensor]) -> dict[str, float]:
    """SRResNet pre-training: pixel-wise MSE between G(low-res) and the high-res image (eq. 4)."""
    mse = F.mse_loss(G(batch["a"]), batch["b"])
    _step(opt_g, mse)
    return {"mse": _f(mse)}


def _module_of(features: FeatureExtractor) -> nn.Module | None:
    """The module behind an extractor (itself, or the owner of a bound method such as clf.features)."""
    if isinstance(features, nn.Module):
        return features
    owner = getattr(features, "__self__", None)
    return owner if isinstance(owner, nn.Module) else None


def content_loss(features: FeatureExtractor | None, fake: Tensor, real: Tensor) -> Tensor:
    """MSE in the extractor's feature space (SRGAN's VGG loss, eq. 5): a (N, F) tensor or a list
    of intermediate maps, whose per-map MSEs are summed. ``features=None``: pixel MSE.

    The extractor is frozen and run in eval mode here; gradients reach ``fake`` through it.
    """
    if features is None:
        return F.mse_loss(fake, real)
    module = _module_of(features)
    with frozen(module, eval_mode=True):
        with torch.no_grad():
            target = features(real)
        pred = features(fake)
    if isinstance(pred, Tensor):
        pred, target = [pred], [target]  # type: ignore[list-item]
    if len(pred) != len(target) or not len(pred):
        raise ValueError("feature extractor returned no features or a different number of maps for real and fake")
    return sum((F.mse_loss(p, t) for p, t in zip(pred, target)), start=torch.zeros((), device=fake.device))


def srgan_step(G: nn.Module, D: nn.Module, opt_g: Update, opt_d: Update,
               batch: dict[str, Tensor], features: FeatureExtractor | None, *, adv_weight: float = 1e-3,
               content_weight: float = 1.0, adv: AdvSpec = "nonsaturating") -> dict[str, float]:
    """One SRGAN iteration: D on high-res reals vs G(low-res), then G on the perceptual loss
    content_weight * l_content + adv_weight * l_adv (eq. 3, adversarial weight 10^-3)."""
    d_loss, g_loss = adversarial(adv)
    lr, hr = batch["a"], batch["b"]
    fake = G(lr)
    real_logits, fake_logits = D(hr), D(fake.detach())
    loss_d = d_loss(real_logits, fake_logits)
    _step(opt_d, loss_d)
    content = content_loss(features, fake, hr)
    with frozen(D):
        g_adv = g_loss(D(fake))
    loss_g = content_weight * content + adv_weight * g_adv
    _step(opt_g, loss_g)
    return {"d_loss": _f(loss_d), "d_real": _f(real_logits.mean()), "d_fake": _f(fake_logits.mean()),
            "g_loss": _f(loss_g), "g_content": _f(content), "g_adv": _f(g_adv)}


# --- inpainting (Pathak et al. 2016; Iizuka et al. 2017) -------------------------------------

def masked_l1(fake: Tensor, real: Tensor, mask: Tensor) -> Tensor:
    """Mean absolute error over the hole only: sum(|fake - real| * mask) / (hole pixels x channels)."""
    mask = mask.expand_as(real)
    return ((fake - real).abs() * mask).sum() / mask.sum().clamp_min(1.0)


def inpaint_step(G: nn.Module, D: nn.Module, opt_g: Update, opt_d: Update,
                 batch: dict[str, Tensor], *, rec_weight: float = 0.999, adv_weight: float = 0.001,
                 adv: AdvSpec = "nonsaturating") -> dict[str, float]:
    """One inpainting iteration: D on full images vs completions (conditional on the mask when
    D has ``cond_channels``), then G on rec_weight * masked L1 + adv_weight * adversarial loss
    (the joint loss of Pathak et al. 2016, eq. 5, with lambda_rec = 0.999, lambda_adv = 0.001).
    Batch fields: ``a`` masked image, ``mask`` (1 on the hole), ``b`` the full image."""
    d_loss, g_loss = adversarial(adv)
    a, b, mask = batch["a"], batch["b"], batch["mask"]
    fake = G(a, mask)
    real_logits, fake_logits = judge(D, b, mask), judge(D, fake.detach(), mask)
    loss_d = d_loss(real_logits, fake_logits)
    _step(opt_d, loss_d)
    rec = masked_l1(fake, b, mask)
    with frozen(D):
        g_adv = g_loss(judge(D, fake, mask))
    loss_g = rec_weight * rec + adv_weight * g_adv
    _step(opt_g, loss_g)
    return {"d_loss": _f(loss_d), "d_real": _f(real_logits.mean()), "d_fake": _f(fake_logits.mean()),
            "g_loss": _f(loss_g), "g_rec": _f(rec), "g_adv": _f(g_adv)}
