"""InfoGAN (Chen et al. 2016, "InfoGAN: Interpretable Representation Learning by Information
Maximizing Generative Adversarial Nets").

The latent is split into incompressible noise and structured codes c. The GAN objective is
regularised by a variational lower bound of the mutual information I(c; G(z, c)) (eq. 5):
L_I = E[log Q(c | x)] + H(c), with Q a head sharing the discriminator's body. Maximising
L_I makes the codes recoverable from the images, so each code captures a salient factor
(the digit class for a 10-way categorical code on MNIST, width and rotation for continuous ones).

Latent layout: ``G.codes`` (and ``D.codes``) is a list of :class:`Code`, one per structured
code, named ``c1``, ``c2``, ... (categorical codes first, then continuous ones, as in the
paper's MNIST experiment), each with its slice ``[start, stop)`` in the latent vector and in
its Q output. The latent is ``[noise (noise_dim) | one-hot categorical codes | continuous codes]``.
``G.set_code(z, "c1", 3)`` writes a code's value into latents, e.g. for a traversal.

Networks are the paper's MNIST architecture (appendix C.1), for 28 or 32 px (any size
divisible by 4) and any number of channels.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from ..errors import GanforgeError
from .base import Net, discriminator_example_inputs, register_net
from .dcgan import dcgan_init


@dataclass(frozen=True)
class Code:
    """One structured latent code: ``kind`` is ``categorical`` (``size`` classes, one-hot in
    the latent) or ``continuous`` (``size`` = 1 dimension, prior U(-1, 1)). ``start:stop`` is its
    slice of the latent; ``q_start:q_stop`` its slice of Q's categorical logits or of Q's
    continuous means / log-stds."""

    name: str
    kind: str
    size: int
    start: int
    stop: int
    q_start: int
    q_stop: int

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def code_layout(noise_dim: int, categorical: Sequence[int], continuous: int) -> list[Code]:
    """The codes after ``noise_dim`` noise entries: categorical ones (sizes given), then
    ``continuous`` one-dimensional ones, named c1, c2, ... in that order."""
    if any(k < 2 for k in categorical):
        raise GanforgeError(f"InfoGAN categorical code sizes must be >= 2, got {list(categorical)}")
    if continuous < 0 or noise_dim < 0:
        raise GanforgeError(f"InfoGAN noise_dim and continuous must be >= 0, got {noise_dim} and {continuous}")
    codes, pos, q = [], noise_dim, 0
    for k in categorical:
        codes.append(Code(f"c{len(codes) + 1}", "categorical", k, pos, pos + k, q, q + k))
        pos, q = pos + k, q + k
    for j in range(continuous):
        codes.append(Code(f"c{len(codes) + 1}", "continuous", 1, pos, pos + 1, j, j + 1))
        pos += 1
    return codes


class _CodesMixin:
    codes: list[Code]

    def code(self, name: str) -> Code:
        """The code called ``name`` (c1, c2, ...)."""
        for c in self.codes:
            if c.name == name:
                return c
        raise GanforgeError(f"unknown InfoGAN code {name!r}: this model has {', '.join(c.name for c in self.codes)}")


@register_net("infogan_g", help="InfoGAN generator: noise + categorical + continuous codes (Chen et al. 2016)")
class InfoGANGenerator(_CodesMixin, Net):
    """``G(z, c=None) -> x`` in [-1, 1] of shape (N, *out_shape) with z = [noise | codes], (N, z_dim).

    Paper MNIST net: FC 1024, FC (2 width) x R/4 x R/4, two 4x4 stride-2 up-convolutions,
    batch norm and ReLU. ``noise`` is the noise prior: ``uniform`` on [-1, 1] (the reference
    code) or ``normal``. Unconditional: ``c`` must be None.
    """

    def __init__(self, noise_dim: int = 62, categorical: Sequence[int] = (10,), continuous: int = 2,
                 out_shape: Sequence[int] = (1, 28, 28), width: int = 64, hidden: int = 1024,
                 noise: str = "uniform") -> None:
        super().__init__()
        channels, res, res_w = out_shape
        if res != res_w or res % 4:
            raise GanforgeError(f"InfoGAN needs square images with a size divisible by 4 (28, 32), got {tuple(out_shape)}")
        if noise not in ("uniform", "normal"):
            raise GanforgeError(f"InfoGAN noise must be 'uniform' or 'normal', got {noise!r}")
        self.codes = code_layout(noise_dim, categorical, continuous)
        self.noise_dim, self.noise = noise_dim, noise
        self.z_dim = noise_dim + sum(categorical) + continuous
        self.num_classes, self.out_shape = 0, tuple(out_shape)
        self.base, self.c0 = res // 4, 2 * width
        self.fc = nn.Sequential(
            nn.Linear(self.z_dim, hidden, bias=False), nn.BatchNorm1d(hidden), nn.ReLU(True),
            nn.Linear(hidden, self.c0 * self.base ** 2, bias=False), nn.BatchNorm1d(self.c0 * self.base ** 2), nn.ReLU(True))
        self.deconv = nn.Sequential(
            nn.ConvTranspose2d(self.c0, width, 4, 2, 1, bias=False), nn.BatchNorm2d(width), nn.ReLU(True),
            nn.ConvTranspose2d(width, channels, 4, 2, 1), nn.Tanh())
        dcgan_init(self)

    @classmethod
    def example_args(cls) -> dict:
        return {"noise_dim": 4, "categorical": [3], "continuous": 1, "out_shape": [1, 28, 28], "width": 4,
                "hidden": 16}

    def example_inputs(self, n: int, generator: torch.Generator | None = None) -> tuple[torch.Tensor]:
        """z (n, z_dim) = [noise | codes] from :meth:`sample_latent` (unconditional: no labels)."""
        return (self.sample_latent(n, generator=generator),)

    def sample_latent(self, n: int, generator: torch.Generator | None = None,
                      device: torch.device | str | None = None) -> torch.Tensor:
        """[noise | one-hot uniform categorical codes | U(-1, 1) continuous codes], (n, z_dim)."""
        if self.noise == "uniform":
            parts = [torch.rand(n, self.noise_dim, generator=generator) * 2 - 1]
        else:
            parts = [torch.randn(n, self.noise_dim, generator=generator)]
        for code in self.codes:
            if code.kind == "categorical":
                idx = torch.randint(code.size, (n,), generator=generator)
                parts.append(F.one_hot(idx, code.size).float())
            else:
                parts.append(torch.rand(n, 1, generator=generator) * 2 - 1)
        return torch.cat(parts, dim=1).to(device or "cpu")

    def set_code(self, z: torch.Tensor, name: str, value: float | int | torch.Tensor) -> torch.Tensor:
        """A copy of latents z (N, z_dim) with code ``name`` set to ``value`` for every row (or
        per row when value is a tensor of shape (N,)): a class index for categorical codes, a
        real number (the prior covers [-1, 1]; traversals often go to +-2) for continuous ones."""
        code = self.code(name)
        z = z.clone()
        v = torch.as_tensor(value, device=z.device).expand(z.shape[0])
        if code.kind == "categorical":
            if ((v < 0) | (v >= code.size)).any() or v.is_floating_point() and (v != v.round()).any():
                raise GanforgeError(f"code {name} is categorical with {code.size} values: use integers 0..{code.size - 1}")
            z[:, code.start:code.stop] = F.one_hot(v.long(), code.size).to(z.dtype)
        else:
            z[:, code.start] = v.to(z.dtype)
        return z

    def forward(self, z: torch.Tensor, c: torch.Tensor | None = None) -> torch.Tensor:
        if c is not None:
            raise ValueError("InfoGAN's generator is unconditional: its codes are part of z")
        return self.deconv(self.fc(z).view(z.shape[0], self.c0, self.base, self.base))


@register_net("infogan_d", help="InfoGAN discriminator with an auxiliary Q head sharing its body")
class InfoGANDiscriminator(_CodesMixin, Net):
    """``D(x) -> logits`` (N,); ``D.q(x) -> (cat_logits, mean, log_std)``.

    Paper MNIST net: 4x4 stride-2 convs (width, 2 width), FC 1024, batch norm (not on the
    first layer), leaky ReLU 0.1; D's head is one linear layer and Q's head FC 128 - BN -
    lrelu - FC. ``learn_std=False`` (the reference code's choice for continuous codes) fixes
    the Gaussian's std to 1, so ``log_std`` is zeros; True predicts it as well.
    The code arguments must equal the generator's.
    """

    def __init__(self, in_shape: Sequence[int] = (1, 28, 28), noise_dim: int = 62, categorical: Sequence[int] = (10,),
                 continuous: int = 2, width: int = 64, hidden: int = 1024, q_hidden: int = 128,
                 learn_std: bool = False) -> None:
        super().__init__()
        channels, res, res_w = in_shape
        if res != res_w or res % 4:
            raise GanforgeError(f"InfoGAN needs square images with a size divisible by 4 (28, 32), got {tuple(in_shape)}")
        self.codes = code_layout(noise_dim, categorical, continuous)
        self.in_shape, self.num_classes, self.learn_std = tuple(in_shape), 0, learn_std
        self.num_cat, self.num_cont = sum(categorical), continuous
        self.body = nn.Sequential(
            nn.Conv2d(channels, width, 4, 2, 1), nn.LeakyReLU(0.1, True),
            nn.Conv2d(width, 2 * width, 4, 2, 1, bias=False), nn.BatchNorm2d(2 * width), nn.LeakyReLU(0.1, True),
            nn.Flatten(),
            nn.Linear(2 * width * (res // 4) ** 2, hidden, bias=False), nn.BatchNorm1d(hidden), nn.LeakyReLU(0.1, True))
        self.head = nn.Linear(hidden, 1)
        q_out = self.num_cat + continuous * (2 if learn_std else 1)
        self.q_head = nn.Sequential(nn.Linear(hidden, q_hidden, bias=False), nn.BatchNorm1d(q_hidden),
                                    nn.LeakyReLU(0.1, True), nn.Linear(q_hidden, q_out))
        dcgan_init(self)

    @classmethod
    def example_args(cls) -> dict:
        return {"in_shape": [1, 28, 28], "noise_dim": 4, "categorical": [3], "continuous": 1, "width": 4,
                "hidden": 16, "q_hidden": 8, "learn_std": True}

    def example_inputs(self, n: int, generator: torch.Generator | None = None) -> tuple[torch.Tensor, ...]:
        """x (n, *in_shape) in [-1, 1] and labels (n,)."""
        return discriminator_example_inputs(self, n, generator)

    def forward_unused_parameters(self) -> set[str]:
        """Q's head: :meth:`q` and :meth:`forward_with_q` use it, ``forward`` (D's logits) does not."""
        return {name for name, _ in self.named_parameters() if name.startswith("q_head.")}

    def _q_from_features(self, h: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        out = self.q_head(h)
        cat, mean = out[:, :self.num_cat], out[:, self.num_cat:self.num_cat + self.num_cont]
        log_std = out[:, self.num_cat + self.num_cont:] if self.learn_std else torch.zeros_like(mean)
        return cat, mean, log_std

    def forward(self, x: torch.Tensor, c: torch.Tensor | None = None) -> torch.Tensor:
        return self.head(self.body(x)).squeeze(1)

    def q(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Q(c | x): categorical logits (N, sum of sizes), continuous means and log-stds (N, n_cont)."""
        return self._q_from_features(self.body(x))

    def forward_with_q(self, x: torch.Tensor) -> tuple[torch.Tensor, tuple[torch.Tensor, torch.Tensor, torch.Tensor]]:
        """D's logits and Q's outputs from one pass through the shared body."""
        h = self.body(x)
        return self.head(h).squeeze(1), self._q_from_features(h)


def mutual_information_loss(cat_logits: torch.Tensor, mean: torch.Tensor, log_std: torch.Tensor,
                            latent: torch.Tensor, codes: Sequence[Code], cat_weight: float = 1.0,
                            cont_weight: float = 1.0) -> torch.Tensor:
    """Negative variational MI lower bound, up to the constant H(c) (Chen et al. 2016, eq. 4-6).

    For each categorical code: cross-entropy between Q's logits and the code's index in
    ``latent``; for each continuous code: Gaussian negative log-likelihood
    ``log_std + (c - mean)^2 / (2 exp(2 log_std)) + log(2 pi) / 2``. Each term is averaged over
    the batch; categorical terms are summed and weighted by ``cat_weight`` (lambda, 1 in the
    paper), continuous ones by ``cont_weight``. Minimising it maximises L_I. Returns a scalar.
    """
    loss = cat_logits.new_zeros(())
    for code in codes:
        if code.kind == "categorical":
            target = latent[:, code.start:code.stop].argmax(dim=1)
            loss = loss + cat_weight * F.cross_entropy(cat_logits[:, code.q_start:code.q_stop], target)
        else:
            c, mu, ls = latent[:, code.start], mean[:, code.q_start], log_std[:, code.q_start]
            nll = ls + 0.5 * ((c - mu) * torch.exp(-ls)).square() + 0.5 * math.log(2 * math.pi)
            loss = loss + cont_weight * nll.mean()
    return loss
