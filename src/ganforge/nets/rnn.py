"""Recurrent generator and discriminator for multivariate windows x of shape (N, T, F).

In the manner of RCGAN (Esteban et al. 2017): the generator reads one noise vector per time
step (so it can produce windows of any length) and emits one observation per step; the
discriminator reads the whole window and returns one raw logit per window.

Optional conditioning, for both nets (the same ``c`` goes to G and D):

- ``num_classes > 0``: ``c`` are integer labels (N,); a learned embedding joins every step's input;
- ``context_len > 0``: ``c`` is the window's past (N, context_len, F). The generator encodes it
  with a GRU and feeds the code to every step; the discriminator reads past and window as one
  sequence, so it judges whether the continuation fits the past.
"""
from __future__ import annotations

import torch
from torch import nn

from ..layers.recurrent import run_rnn
from .base import Net, example_labels, register_net

CELLS = {"lstm": nn.LSTM, "gru": nn.GRU}


def _rnn(cell: str, d_in: int, hidden: int, layers: int) -> nn.Module:
    if cell not in CELLS:
        raise ValueError(f"cell {cell!r}: accepted {', '.join(CELLS)}")
    return CELLS[cell](d_in, hidden, num_layers=layers, batch_first=True)


class _Conditioner(nn.Module):
    """c -> a per-window code (N, code_dim) from a label embedding or a GRU over the past."""

    def __init__(self, num_classes: int, context_len: int, features: int, code_dim: int) -> None:
        super().__init__()
        if num_classes and context_len:
            raise ValueError("condition on classes or on the past (context_len), not both")
        self.num_classes, self.context_len = num_classes, context_len
        self.embed = nn.Embedding(num_classes, code_dim) if num_classes else None
        self.encoder = nn.GRU(features, code_dim, batch_first=True) if context_len else None
        self.code_dim = code_dim if (num_classes or context_len) else 0

    def forward(self, c: torch.Tensor | None, n: int) -> torch.Tensor | None:
        if not self.code_dim:
            return None
        if c is None:
            what = "class labels (N,)" if self.num_classes else f"the past (N, {self.context_len}, F)"
            raise ValueError(f"this conditional net needs c = {what}")
        if self.embed is not None:
            return self.embed(c.long())
        return self.encoder(c)[1][-1]


@register_net("rnn_g", help="recurrent generator: per-step noise (N, T, z_dim) -> window (N, T, F)")
class RecurrentGenerator(Net):
    """LSTM/GRU generator. ``forward(z (N, T, z_dim), c=None) -> (N, T, features)``, unbounded
    (data are standardised) unless ``out_activation='tanh'``. ``out_shape = (seq_len, features)``;
    a longer or shorter z gives a longer or shorter window.

    Two options for returns-like series, whose windows differ in their volatility level and
    whose volatility persists within a window:

    - ``global_z=K``: the first K channels of the step-0 noise are also fed at every step, a
      window-level latent (a calm or a turbulent window is one draw, not a sum of per-step draws);
    - ``out_scale=True``: the head emits a location and a scale per feature and the output is
      ``mu_t + softplus(s_t) * eps_t`` with ``eps_t`` the last ``features`` channels of the step's
      noise, so the recurrent state sets the volatility and fresh noise the sign and size (a
      learned conditional heteroscedasticity, in the spirit of GARCH)."""

    def __init__(self, z_dim: int = 8, seq_len: int = 64, features: int = 1, hidden: int = 64,
                 num_layers: int = 2, cell: str = "lstm", num_classes: int = 0, context_len: int = 0,
                 code_dim: int = 16, out_activation: str = "none", noise_skip: bool = True,
                 global_z: int = 0, out_scale: bool = False) -> None:
        super().__init__()
        if out_activation not in ("none", "tanh"):
            raise ValueError(f"out_activation {out_activation!r}: accepted 'none', 'tanh'")
        if not 0 <= global_z <= z_dim:
            raise ValueError(f"global_z {global_z}: accepted 0 to z_dim ({z_dim}) channels of the step-0 noise")
        if out_scale and z_dim < features:
            raise ValueError(f"out_scale needs z_dim >= features ({features}) to draw eps from; got z_dim {z_dim}")
        self.z_dim, self.seq_len, self.features = z_dim, seq_len, features
        self.num_classes, self.context_len = num_classes, context_len
        self.global_z, self.out_scale = int(global_z), bool(out_scale)
        self.out_shape = (seq_len, features)
        self.cond = _Conditioner(num_classes, context_len, features, code_dim)
        self.rnn = _rnn(cell, z_dim + self.global_z + self.cond.code_dim, hidden, num_layers)
        # noise_skip: the output head also sees this step's noise z_t, so the state h_t can shape
        # (scale, skew) fresh per-step noise. Without it an RNN's output is a smooth function of
        # its state and tends to give strongly autocorrelated "returns".
        self.noise_skip = noise_skip
        head_in = hidden + (z_dim if noise_skip else 0)
        self.out = nn.Sequential(nn.Linear(head_in, hidden), nn.LeakyReLU(0.2),
                                 nn.Linear(hidden, features * (2 if self.out_scale else 1)))
        self.out_activation = out_activation

    @classmethod
    def example_args(cls) -> dict:
        return {"z_dim": 3, "seq_len": 5, "features": 2, "hidden": 8, "num_layers": 1, "num_classes": 3,
                "code_dim": 4, "global_z": 1, "out_scale": True}

    def example_inputs(self, n: int, generator: torch.Generator | None = None) -> tuple[torch.Tensor, ...]:
        """Per-step noise z (n, seq_len, z_dim) and the condition: labels (n,) or the past
        (n, context_len, features) N(0, I) (nothing when unconditional)."""
        z = self.sample_latent(n, generator=generator)
        if self.num_classes:
            return z, example_labels(n, self.num_classes, generator)
        if self.context_len:
            return z, torch.randn(n, self.context_len, self.features, generator=generator)
        return (z,)

    def sample_latent(self, n: int, generator: torch.Generator | None = None,
                      device: torch.device | str | None = None, seq_len: int | None = None) -> torch.Tensor:
        """Per-step noise N(0, I): (n, seq_len, z_dim)."""
        return torch.randn(n, seq_len or self.seq_len, self.z_dim, generator=generator).to(device or "cpu")

    def forward(self, z: torch.Tensor, c: torch.Tensor | None = None) -> torch.Tensor:
        code = self.cond(c, z.shape[0])
        extra = []
        if self.global_z:  # a window-level latent: the step-0 noise's first channels, at every step
            extra.append(z[:, :1, : self.global_z].expand(-1, z.shape[1], -1))
        if code is not None:
            extra.append(code[:, None, :].expand(-1, z.shape[1], -1))
        h, _ = run_rnn(self.rnn, torch.cat([z, *extra], dim=2) if extra else z)
        x = self.out(torch.cat([h, z], dim=2) if self.noise_skip else h)
        if self.out_scale:  # x_t = mu_t + sigma_t * eps_t, eps_t = the step's last `features` noise channels
            mu, s = x.split(self.features, dim=2)
            x = mu + nn.functional.softplus(s) * z[:, :, self.z_dim - self.features:]
        return torch.tanh(x) if self.out_activation == "tanh" else x


@register_net("rnn_d", help="recurrent discriminator: window (N, T, F) -> logit (N,)")
class RecurrentDiscriminator(Net):
    """LSTM/GRU critic over a window. Reads ``x`` (N, T, F) (after the past when ``context_len``
    > 0; with a label embedding per step when ``num_classes`` > 0) and returns raw logits (N,)
    from the last hidden state and the time-average of the hidden states.

    ``abs_input=True`` also feeds ``|x|`` at every step, so the magnitudes whose persistence is
    volatility clustering reach the recurrent state directly instead of through a sign-symmetric
    function the network would have to learn first."""

    def __init__(self, features: int = 1, seq_len: int = 64, hidden: int = 64, num_layers: int = 1,
                 cell: str = "lstm", num_classes: int = 0, context_len: int = 0, code_dim: int = 16,
                 abs_input: bool = False) -> None:
        super().__init__()
        self.features, self.seq_len, self.num_classes, self.context_len = features, seq_len, num_classes, context_len
        self.abs_input = bool(abs_input)
        self.in_shape = (seq_len, features)
        self.embed = nn.Embedding(num_classes, code_dim) if num_classes else None
        d_in = features * (2 if self.abs_input else 1) + (code_dim if num_classes else 0)
        self.rnn = _rnn(cell, d_in, hidden, num_layers)
        self.head = nn.Linear(2 * hidden, 1)

    @classmethod
    def example_args(cls) -> dict:
        return {"features": 2, "seq_len": 5, "hidden": 8, "cell": "gru", "num_classes": 3, "code_dim": 4,
                "abs_input": True}

    def example_inputs(self, n: int, generator: torch.Generator | None = None) -> tuple[torch.Tensor, ...]:
        """Windows x (n, seq_len, features) N(0, I) (data are standardised) and the condition:
        labels (n,) or the past (n, context_len, features) (nothing when unconditional)."""
        x = torch.randn(n, self.seq_len, self.features, generator=generator)
        if self.num_classes:
            return x, example_labels(n, self.num_classes, generator)
        if self.context_len:
            return x, torch.randn(n, self.context_len, self.features, generator=generator)
        return (x,)

    def forward(self, x: torch.Tensor, c: torch.Tensor | None = None) -> torch.Tensor:
        if (self.num_classes or self.context_len) and c is None:
            raise ValueError("this conditional discriminator needs c (labels or the past)")
        if self.context_len:
            x = torch.cat([c.to(x.dtype), x], dim=1)
        if self.abs_input:
            x = torch.cat([x, x.abs()], dim=2)
        if self.embed is not None:
            x = torch.cat([x, self.embed(c.long())[:, None, :].expand(-1, x.shape[1], -1)], dim=2)
        h, _ = run_rnn(self.rnn, x)
        return self.head(torch.cat([h[:, -1], h.mean(dim=1)], dim=1)).squeeze(1)
