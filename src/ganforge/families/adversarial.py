"""The classic unconditional and conditional GAN families, as registered configurations of
one class: ``gan``, ``dcgan``, ``cgan``, ``wgan`` and ``wgan-gp``.

Each iteration runs the discriminator phase ``d_steps`` times (k in Algorithm 1 of Goodfellow
et al. 2014; n_critic in WGAN), then one generator phase.

One generator forward per iteration: when the D phase runs once per iteration (``d_steps`` 1),
the D step's G forward runs with gradients, D trains on the detached fakes, and the G step
trains G on the same fakes (:meth:`AdversarialFamily.make_fakes`). Both steps see fakes from
the same G weights, as in the two-forward loop; D's update in between is what the G step
trains against, as before. With ``d_steps`` > 1 each D step draws its own fakes and the G step
draws fresh ones.
"""
from __future__ import annotations

from typing import Any, Callable

import torch
from torch import Tensor

from ..errors import GanforgeError
from ..layers.diffaugment import diff_augment
from ..losses import LOSSES, clip_weights, gradient_penalty, r1_penalty
from ..nets import build_net
from .base import Family, Phase, frozen, register_family
from .options import NoOptions, parse_options


def augment_policy(cfg, info) -> str:
    """``train.augment`` checked against the data: DiffAugment transforms images only."""
    policy = cfg.train.augment or ""
    if policy and info.kind != "image":
        raise GanforgeError(f"train.augment = {policy!r}: DiffAugment needs image data, but dataset "
                            f"{info.name!r} is of kind {info.kind!r}")
    return policy


class AdversarialFamily(Family):
    """A generator and a discriminator trained with a chosen adversarial loss and penalties.

    Subclasses change the nets (:meth:`build_nets`), whether labels are used
    (:meth:`class_count`), add a generator regularizer (:meth:`g_regularizer`) and declare
    their ``--option`` names as a dataclass (``options_cls``).
    """

    conditional = False
    options_cls: type = NoOptions

    def __init__(self, cfg, info, device, dist) -> None:
        super().__init__(cfg, info, device, dist)
        t = cfg.train
        self.opts = parse_options(cfg.options, self.options_cls, cfg.family)
        num_classes = self.class_count(info)
        self.conditional = bool(num_classes)
        self.augment = augment_policy(cfg, info)
        G, D = self.build_nets(num_classes)
        self.nets = {"G": G.to(device), "D": D.to(device)}
        self.loss = LOSSES.get(t.loss)
        self.gp_weight, self.r1_gamma, self.clip = t.gp_weight or 0.0, t.r1_gamma or 0.0, t.clip
        #: lazy R1 (StyleGAN2 section 3.1): the penalty on every k-th iteration, weighted by k
        self.r1_interval = t.r1_interval or 1
        self.add_optimizer("G", ["G"], t.lr_g)
        self.add_optimizer("D", ["D"], t.lr_d)
        # D's decision threshold on logits, for reporting how often D is fooled
        self.threshold = 0.5 if t.loss == "lsgan" else 0.0
        # (the batch, the fakes with their graph) made by the D step for the G step of that batch
        self._shared: tuple[dict[str, Tensor], Tensor] | None = None

    def shares_fakes(self) -> bool:
        """Whether the G step trains on the fakes of the D step (one G forward per iteration): when
        the D phase runs once per iteration. Subclasses whose G step needs fresh samples say no."""
        return self.cfg.train.d_steps == 1

    def make_fakes(self, batch: dict[str, Tensor], generate: Callable[[], Tensor], for_g: bool = False) -> Tensor:
        """The fakes ``generate()`` (N, ...) under autocast, for the D step (``for_g=False``:
        detached) or the G step (with G's graph).

        With :meth:`shares_fakes`, the D step's forward runs with gradients and keeps its
        result for the G step of the same ``batch`` (the loop hands the G phase the batch the D
        phase drew), which reuses it instead of calling ``generate`` again: one G forward per
        iteration, and the random draws of the second forward are not made. Without sharing, or
        for a G step given another batch, ``generate`` runs each time."""
        if for_g:
            shared, self._shared = self._shared, None
            if shared is not None and shared[0] is batch:
                return shared[1]
            with self.autocast():
                return generate()
        share = self.shares_fakes()
        with torch.set_grad_enabled(share), self.autocast():
            fake = generate()
        self._shared = (batch, fake) if share else None
        return fake.detach()

    def class_count(self, info) -> int:
        """Classes to condition on (0: unconditional)."""
        if self.conditional and not info.num_classes:
            raise GanforgeError(f"family {self.cfg.family!r} is conditional but dataset {info.name!r} has no class labels")
        return info.num_classes if self.conditional else 0

    def build_nets(self, num_classes: int) -> tuple[torch.nn.Module, torch.nn.Module]:
        """(G, D) from ``cfg.model`` (``model.width`` is the nets' ``width`` argument)."""
        t, m, info = self.cfg.train, self.cfg.model, self.info
        g_kw: dict[str, Any] = {"z_dim": m.z_dim, "out_shape": list(info.shape), "num_classes": num_classes}
        d_kw: dict[str, Any] = {"in_shape": list(info.shape), "num_classes": num_classes, "pack": t.pack}
        if m.width is not None:
            g_kw["width"] = d_kw["width"] = m.width
        if info.kind == "image" and m.g_net and m.g_net.startswith("mlp"):
            g_kw.setdefault("out_activation", "tanh")
        if t.pack > 1 and num_classes:
            d_kw["cond"] = "concat"
        return build_net(m.g_net, **{**g_kw, **m.g_kwargs}), build_net(m.d_net, **{**d_kw, **m.d_kwargs})

    def aug(self, x: Tensor) -> Tensor:
        """DiffAugment (``train.augment``) of a D input; random draws from the global RNG, which
        the checkpoint holds, so a resumed run augments exactly as an uninterrupted one."""
        return diff_augment(x, self.augment) if self.augment else x

    def g_regularizer(self) -> dict[str, Tensor]:
        """Extra terms (already weighted) added to the generator loss, by name (e.g. BigGAN's
        orthogonal regularization). None by default."""
        return {}

    def phases(self) -> list[Phase]:
        return [Phase("D", self.d_step, repeat=self.cfg.train.d_steps, losses=("d_loss", "gp", "r1")),
                Phase("G", self.g_step, uses_data=False, losses=("g_loss",))]

    def _labels(self, batch: dict[str, Tensor]) -> Tensor | None:
        return batch["y"] if self.conditional else None

    def generate(self, G: torch.nn.Module, n: int, c: Tensor | None) -> Tensor:
        """n fakes as D judges them (a family whose D sees another form of the data, e.g.
        SpecGAN's spectrograms, returns that form)."""
        return G(G.sample_latent(n, device=self.device), c)

    def real_input(self, batch: dict[str, Tensor]) -> Tensor:
        """The real samples of a batch as D judges them (``x`` itself by default)."""
        return batch["x"]

    def d_step(self, batch: dict[str, Tensor]) -> dict[str, Tensor]:
        G, D = self.nets["G"], self.nets["D"]
        x, c = self.real_input(batch), self._labels(batch)
        fake = self.make_fakes(batch, lambda: self.generate(G, x.shape[0], c))
        r1_now = bool(self.r1_gamma) and self.iteration % self.r1_interval == 0
        if r1_now:
            x = x.detach().requires_grad_(True)
        with self.autocast():
            x_in, fake_in = self.aug(x), self.aug(fake)
            real_logits, fake_logits = D(x_in, c), D(fake_in, c)
            loss = self.loss.d(real_logits.float(), fake_logits.float())
        stats = {"d_loss": loss.detach()}
        if self.gp_weight:  # on the D inputs as D sees them (augmented when DiffAugment is on)
            with self.penalty_autocast():
                gp = gradient_penalty(D, x_in.float(), fake_in.float(), c)
            loss = loss + self.gp_weight * gp
            stats["gp"] = gp.detach()
        if r1_now:
            r1 = r1_penalty(real_logits.float(), x)
            loss = loss + 0.5 * self.r1_gamma * self.r1_interval * r1
            stats["r1"] = r1.detach()
        self.update("D", loss)
        if self.clip:
            clip_weights(D, self.clip)
        r, f = real_logits.detach().float(), fake_logits.detach().float()
        if self.loss.probabilistic:  # D(x) and D(G(z)) as probabilities of "real"
            stats["d_real"], stats["d_fake"] = torch.sigmoid(r).mean(), torch.sigmoid(f).mean()
        else:  # raw critic / hinge / least-squares outputs
            stats["d_real"], stats["d_fake"] = r.mean(), f.mean()
        thr = self.threshold if self.loss.probabilistic or self.cfg.train.loss != "wasserstein" else 0.5 * (r.mean() + f.mean())
        stats["d_acc"] = 0.5 * ((r > thr).float().mean() + (f <= thr).float().mean())
        return stats

    def g_step(self, batch: dict[str, Tensor]) -> dict[str, Tensor]:
        G, D = self.nets["G"], self.nets["D"]
        c = self._labels(batch)
        n = batch["x"].shape[0]
        fake = self.make_fakes(batch, lambda: self.generate(G, n, c), for_g=True)
        with frozen(D), self.autocast():
            fake_logits = D(self.aug(fake), c)
            loss = self.loss.g(fake_logits.float())
        stats = {"g_loss": loss.detach()}
        for name, term in self.g_regularizer().items():
            loss = loss + term
            stats[name] = term.detach()
        norm = self.update("G", loss, grad_norm=True)
        return {**stats, "g_grad_norm": norm,
                "d_fooled": (fake_logits.detach().float() > self.threshold).float().mean()}


class ConditionalFamily(AdversarialFamily):
    """A GAN conditioned on class labels: label embedding in G, projection or concat in D."""

    conditional = True


_ADAM_DCGAN = {"optimizer": "adam", "lr_g": 2e-4, "lr_d": 2e-4, "betas": (0.5, 0.999)}

register_family(
    "gan", AdversarialFamily,
    {"model": {"g_net": "mlp_g", "d_net": "mlp_d", "z_dim": 2},
     "train": {"loss": "nonsaturating", "d_steps": 1, "optimizer": "adam", "lr_g": 1e-4, "lr_d": 1e-4,
               "betas": (0.5, 0.999)},
     # on images, the paper's MNIST setting: 100-d noise, wide hidden layers (a 2-d latent and 128
     # units are for the toy mixtures)
     "by_kind": {"image": {"model": {"z_dim": 100, "width": 512}}}},
    help="the original GAN (Goodfellow et al. 2014, Algorithm 1): MLPs, k=--d-steps D updates per G update; "
         "--loss minimax|nonsaturating",
    smoke={"data.name": "ring8", "data.limit": 256, "data.resolution": None})
# On 2-D/1-D toy points, convolutional defaults make no sense: families use MLPs there.
_POINTS = {"by_kind": {"points": {"model": {"g_net": "mlp_g", "d_net": "mlp_d", "z_dim": 2, "d_kwargs": {}}}}}

# R1 on real data (Mescheder et al. 2018), gamma 1: without it D wins late in long runs and G
# collapses (dcgan on MNIST after ~22k steps, cgan's diversity within each class from ~6k); the
# exported G is an EMA of G's weights (0.999, with warm-up). Issue 17,
# docs/families.md#dcgan-and-cgan-r1-and-ema-against-the-late-collapse. The paper's recipe:
# --r1-gamma 0 --ema 0.
_R1 = {"r1_gamma": 1.0, "ema": 0.999}

register_family(
    "dcgan", AdversarialFamily,
    {"model": {"g_net": "dcgan_g", "d_net": "dcgan_d", "z_dim": 100},
     "train": {"loss": "nonsaturating", "d_steps": 1, **_ADAM_DCGAN, **_R1}},
    help="DCGAN (Radford et al. 2016): strided (transposed) convolutions, batch norm, Adam 2e-4 beta1 0.5; "
         "R1 gamma 1 on D, EMA of G")
# cgan: two time-scale learning rates (Heusel et al. 2017), D 4e-4 and G 1e-4: at the 780-CPU-s
# MNIST protocol recall 0.623-0.638 over three seeds against 0.593-0.617 with DCGAN's 2e-4 for
# both, FID 0.97-0.99 against 0.85-0.89 (issue 17; docs/evaluation.md#cgan-two-time-scale-learning-rates)
_TTUR = {"lr_g": 1e-4, "lr_d": 4e-4}

register_family(
    "cgan", ConditionalFamily,
    # D reads the label as one-hot planes beside the image (cond="concat"): with the projection
    # head instead, each class collapsed to one image (issue 17;
    # docs/families.md#cgan-the-label-enters-d-at-its-input)
    {"model": {"g_net": "dcgan_g", "d_net": "dcgan_d", "z_dim": 100, "d_kwargs": {"cond": "concat"}},
     "train": {"loss": "nonsaturating", "d_steps": 1, **_ADAM_DCGAN, **_R1, **_TTUR},
     # on toy points: MLPs, no R1 and DCGAN's learning rates (R1's gamma and TTUR were measured on
     # images only)
     "by_kind": {"points": {**_POINTS["by_kind"]["points"],
                            "train": {"r1_gamma": 0.0, "lr_g": _ADAM_DCGAN["lr_g"], "lr_d": _ADAM_DCGAN["lr_d"]}}}},
    help="conditional GAN (Mirza & Osindero 2014) on DCGAN nets: class embedding in G, label planes into D, "
         "R1 gamma 1 on D, Adam G 1e-4 / D 4e-4, EMA of G; --class at sampling")
register_family(
    "wgan", AdversarialFamily,
    {"model": {"g_net": "dcgan_g", "d_net": "dcgan_d", "z_dim": 100},
     "train": {"loss": "wasserstein", "d_steps": 5, "optimizer": "rmsprop", "lr_g": 5e-5, "lr_d": 5e-5, "clip": 0.01},
     **_POINTS},
    help="Wasserstein GAN (Arjovsky et al. 2017): critic, n_critic=5, weight clipping 0.01, RMSprop 5e-5")
register_family(
    "wgan-gp", AdversarialFamily,
    {"model": {"g_net": "dcgan_g", "d_net": "dcgan_d", "z_dim": 100, "d_kwargs": {"norm": "layer"}},
     "train": {"loss": "wasserstein", "d_steps": 5, "optimizer": "adam", "lr_g": 1e-4, "lr_d": 1e-4,
               "betas": (0.0, 0.9), "gp_weight": 10.0},
     **_POINTS},
    help="WGAN-GP (Gulrajani et al. 2017): gradient penalty lambda=10, n_critic=5, Adam 1e-4 (0, 0.9), no batch norm in D")
