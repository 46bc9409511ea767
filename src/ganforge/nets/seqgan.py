"""SeqGAN networks (Yu et al. 2017): an LSTM language model as generator and a CNN over token
embeddings (several filter widths, max-over-time pooling, highway layer) as discriminator.

Token tensors are int64 ids of shape (N, T). The generator keeps the ganforge contract
``G(z) -> x``: its latent ``z`` is (N, max_len) uniform noise in [0, 1) that picks each token by
inverse-CDF sampling, so a fixed ``z`` gives a fixed sequence and ``G(G.sample_latent(n))``
samples like any other generator. ``sample``, ``log_probs`` and ``rollout`` are what the
SeqGAN training steps use.
"""
from __future__ import annotations

from typing import Sequence

import torch
from torch import nn
from torch.nn import functional as F

from ..errors import GanforgeError
from ..layers.recurrent import run_rnn
from .base import Net, register_net

# The discriminator of the paper's synthetic experiment (official code): 12 widths, 1,720 filters.
PAPER_FILTER_SIZES = (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 15, 20)
PAPER_NUM_FILTERS = (100, 200, 200, 200, 200, 100, 100, 100, 100, 100, 160, 160)

State = tuple[torch.Tensor, torch.Tensor]


def init_normal_(module: nn.Module, std: float, generator: torch.Generator | None = None) -> None:
    """Draw every parameter from N(0, std^2), in ``named_parameters`` order (deterministic for a
    seeded ``generator``). ``nn.LSTM`` has two bias vectors per layer where the paper's LSTM has
    one: ``bias_hh`` is zeroed so that each gate's bias is still a single N(0, std^2) draw."""
    with torch.no_grad():
        for name, p in module.named_parameters():
            if "bias_hh" in name:
                p.zero_()
            else:
                p.copy_(torch.randn(p.shape, generator=generator) * std)


@register_net("seqgan_g", help="SeqGAN generator: LSTM language model (embedding, LSTM, linear to vocabulary)")
class SeqGANGenerator(Net):
    """LSTM language model over ``vocab_size`` tokens, generating ``max_len`` tokens after
    ``start_token``.

    With ``eos_token`` set (text), every token after the first ``eos_token`` of a sampled
    sequence is ``pad_token`` and :meth:`token_mask` excludes those positions from losses.
    ``init_std``: parameters drawn from N(0, init_std^2) as in the official code (0.1); None keeps
    PyTorch's default initialisation.
    """

    def __init__(self, vocab_size: int = 5000, embed_dim: int = 32, hidden_dim: int = 32, max_len: int = 20,
                 num_layers: int = 1, start_token: int = 0, eos_token: int | None = None,
                 pad_token: int | None = None, init_std: float | None = 0.1) -> None:
        super().__init__()
        for name, v in (("start_token", start_token), ("eos_token", eos_token), ("pad_token", pad_token)):
            if v is not None and not 0 <= v < vocab_size:
                raise GanforgeError(f"seqgan_g: {name}={v} is outside the vocabulary (0..{vocab_size - 1})")
        if (eos_token is None) != (pad_token is None):
            raise GanforgeError("seqgan_g: give both eos_token and pad_token, or neither")
        if max_len < 1:
            raise GanforgeError(f"seqgan_g: max_len must be >= 1, got {max_len}")
        self.vocab_size, self.max_len = vocab_size, max_len
        self.start_token, self.eos_token, self.pad_token = start_token, eos_token, pad_token
        self.z_dim, self.num_classes, self.out_shape = max_len, 0, (max_len,)
        self.embed = nn.Embedding(vocab_size, embed_dim)
        self.lstm = nn.LSTM(embed_dim, hidden_dim, num_layers=num_layers, batch_first=True)
        self.head = nn.Linear(hidden_dim, vocab_size)
        if init_std is not None:
            init_normal_(self, init_std)

    @classmethod
    def example_args(cls) -> dict:
        return {"vocab_size": 7, "embed_dim": 4, "hidden_dim": 4, "max_len": 5, "eos_token": 1, "pad_token": 2}

    def example_inputs(self, n: int, generator: torch.Generator | None = None) -> tuple[torch.Tensor]:
        """z (n, max_len) uniforms in [0, 1) from :meth:`sample_latent`."""
        return (self.sample_latent(n, generator=generator),)

    def forward_unused_parameters(self) -> set[str]:
        """All of them: ``forward`` samples tokens without gradients; the parameters train through
        :meth:`log_probs`."""
        return {name for name, p in self.named_parameters() if p.requires_grad}

    # ---- latent / sampling ----------------------------------------------------------------
    def sample_latent(self, n: int, generator: torch.Generator | None = None,
                      device: torch.device | str | None = None) -> torch.Tensor:
        """(n, max_len) uniforms in [0, 1): one per token to be drawn."""
        return torch.rand(n, self.max_len, generator=generator).to(device or self.head.weight.device)

    def _device(self) -> torch.device:
        return self.head.weight.device

    def _draw(self, logits: torch.Tensor, u: torch.Tensor, temperature: float) -> torch.Tensor:
        """Inverse-CDF draw: logits (N, V), u (N,) in [0, 1) -> ids (N,)."""
        cdf = torch.softmax(logits.float() / temperature, dim=-1).cumsum(dim=-1)
        # right=True: the first id whose cdf exceeds u, so a zero-probability id is never drawn.
        idx = torch.searchsorted(cdf, u.float().unsqueeze(1).contiguous(), right=True).squeeze(1)
        return idx.clamp_(max=self.vocab_size - 1)

    def _generate(self, last: torch.Tensor, state: State | None, u: torch.Tensor, done: torch.Tensor,
                  temperature: float) -> torch.Tensor:
        """Draw ``u.shape[1]`` tokens, feeding ``last`` (N,) first from ``state``; rows marked
        ``done`` (already ended by eos) get pad. Returns (N, k) int64."""
        if temperature <= 0:
            raise GanforgeError(f"temperature must be > 0, got {temperature}")
        out = []
        inp = last
        for t in range(u.shape[1]):
            h, state = run_rnn(self.lstm, self.embed(inp).unsqueeze(1), state)
            tok = self._draw(self.head(h.squeeze(1)), u[:, t], temperature)
            if self.eos_token is not None:
                tok = torch.where(done, torch.full_like(tok, self.pad_token), tok)
                done = done | (tok == self.eos_token)
            out.append(tok)
            inp = tok
        if not out:
            return torch.empty(last.shape[0], 0, dtype=torch.int64, device=last.device)
        return torch.stack(out, dim=1)

    @torch.no_grad()
    def forward(self, z: torch.Tensor, c: torch.Tensor | None = None, temperature: float = 1.0) -> torch.Tensor:
        """z: (N, max_len) uniforms in [0, 1) -> token ids (N, max_len) int64. Not differentiable
        (sampling); gradients flow through :meth:`log_probs`."""
        if z.dim() != 2 or z.shape[1] != self.max_len:
            raise GanforgeError(f"seqgan_g: z must be (N, {self.max_len}) uniforms, got {tuple(z.shape)}")
        n = z.shape[0]
        start = torch.full((n,), self.start_token, dtype=torch.int64, device=z.device)
        return self._generate(start, None, z, torch.zeros(n, dtype=torch.bool, device=z.device), temperature)

    def sample(self, n: int, generator: torch.Generator | None = None, temperature: float = 1.0) -> torch.Tensor:
        """n sequences (n, max_len) int64 drawn from the model (at ``temperature``)."""
        return self(self.sample_latent(n, generator), temperature=temperature)

    @torch.no_grad()
    def rollout(self, prefix: torch.Tensor, length: int | None = None, generator: torch.Generator | None = None,
                temperature: float = 1.0) -> torch.Tensor:
        """Complete each (N, t) prefix to ``length`` (default max_len) tokens by sampling.
        Returns (N, length) int64 whose first t columns are ``prefix`` unchanged."""
        length = self.max_len if length is None else length
        n, t = prefix.shape
        if t > length:
            raise GanforgeError(f"rollout: prefix of length {t} is longer than length={length}")
        dev = prefix.device
        done = torch.zeros(n, dtype=torch.bool, device=dev)
        state: State | None = None
        last = torch.full((n,), self.start_token, dtype=torch.int64, device=dev)
        if t > 0:
            # Run the LSTM over start + prefix[:-1] in one call; the last prefix token is fed
            # by _generate, whose first step then predicts position t.
            inputs = torch.cat([last.unsqueeze(1), prefix[:, :-1]], dim=1)
            _, state = run_rnn(self.lstm, self.embed(inputs))
            last = prefix[:, -1]
            if self.eos_token is not None:
                done = (prefix == self.eos_token).any(dim=1)
        u = torch.rand(n, length - t, generator=generator).to(dev)
        return torch.cat([prefix, self._generate(last, state, u, done, temperature)], dim=1)

    # ---- likelihood -----------------------------------------------------------------------
    def logits(self, x: torch.Tensor) -> torch.Tensor:
        """Teacher forcing: x (N, T) ids -> (N, T, V) next-token logits (position t predicts x[:, t])."""
        start = torch.full((x.shape[0], 1), self.start_token, dtype=torch.int64, device=x.device)
        h, _ = run_rnn(self.lstm, self.embed(torch.cat([start, x[:, :-1]], dim=1)))
        return self.head(h)

    def log_probs(self, x: torch.Tensor) -> torch.Tensor:
        """(N, T) log p(x_t | x_<t) of each token (differentiable; not masked)."""
        logp = torch.log_softmax(self.logits(x), dim=-1)
        return logp.gather(2, x.unsqueeze(2)).squeeze(2)

    def token_mask(self, x: torch.Tensor) -> torch.Tensor:
        """(N, T) float: 1 for positions up to and including the first eos, 0 after it (all ones
        when the model has no eos token)."""
        if self.eos_token is None:
            return torch.ones(x.shape, dtype=torch.float32, device=x.device)
        is_eos = (x == self.eos_token).long()
        ended_before = (is_eos.cumsum(dim=1) - is_eos) > 0
        return (~ended_before).float()

    def nll(self, x: torch.Tensor) -> torch.Tensor:
        """(N,) mean negative log-likelihood per (unmasked) token, in nats."""
        mask = self.token_mask(x)
        return -(self.log_probs(x) * mask).sum(dim=1) / mask.sum(dim=1).clamp_min(1.0)


class Highway(nn.Module):
    """One highway layer (Srivastava et al. 2015): t = sigmoid(W_t h + b_t);
    out = t * relu(W_h h + b_h) + (1 - t) * h. Shape-preserving (N, D) -> (N, D)."""

    def __init__(self, dim: int, gate_bias: float = 0.0) -> None:
        super().__init__()
        self.transform, self.gate = nn.Linear(dim, dim), nn.Linear(dim, dim)
        nn.init.constant_(self.gate.bias, gate_bias)

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        t = torch.sigmoid(self.gate(h))
        return t * F.relu(self.transform(h)) + (1.0 - t) * h


@register_net("seqgan_d", help="SeqGAN discriminator: CNN over token embeddings, several widths, max-pool, highway")
class SeqGANDiscriminator(Net):
    """Token ids (N, T) -> raw logits (N,) of "real". One Conv1d per filter width over the
    embedded sequence, ReLU, max over time; the concatenated features pass a highway layer and
    dropout, then a linear head. The paper's widths are :data:`PAPER_FILTER_SIZES` with
    :data:`PAPER_NUM_FILTERS`; the defaults are small for CPU."""

    def __init__(self, vocab_size: int = 5000, max_len: int = 20, embed_dim: int = 64,
                 filter_sizes: Sequence[int] = (2, 3, 4, 5), num_filters: Sequence[int] = (32, 32, 32, 32),
                 dropout: float = 0.25, highway: bool = True) -> None:
        super().__init__()
        if len(filter_sizes) != len(num_filters) or not filter_sizes:
            raise GanforgeError(f"seqgan_d: filter_sizes {list(filter_sizes)} and num_filters "
                                f"{list(num_filters)} must be non-empty lists of the same length")
        too_wide = [k for k in filter_sizes if not 1 <= k <= max_len]
        if too_wide:
            raise GanforgeError(f"seqgan_d: filter widths {too_wide} do not fit sequences of max_len={max_len}")
        if not 0.0 <= dropout < 1.0:
            raise GanforgeError(f"seqgan_d: dropout must be in [0, 1), got {dropout}")
        self.vocab_size, self.max_len, self.num_classes = vocab_size, max_len, 0
        self.in_shape = (max_len,)
        self.min_len = max(filter_sizes)
        self.embed = nn.Embedding(vocab_size, embed_dim)
        self.convs = nn.ModuleList(nn.Conv1d(embed_dim, n, k) for k, n in zip(filter_sizes, num_filters))
        total = sum(num_filters)
        self.highway = Highway(total) if highway else nn.Identity()
        self.drop = nn.Dropout(dropout)
        self.head = nn.Linear(total, 1)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """(N, T) ids -> (N, sum(num_filters)) features after the highway layer."""
        if x.dim() != 2 or x.dtype not in (torch.int64, torch.int32):
            raise GanforgeError(f"seqgan_d: x must be (N, T) integer token ids, got {tuple(x.shape)} {x.dtype}")
        if x.shape[1] < self.min_len:
            raise GanforgeError(f"seqgan_d: sequences of length {x.shape[1]} are shorter than the widest "
                                f"filter ({self.min_len})")
        e = self.embed(x).transpose(1, 2)                      # (N, E, T)
        pooled = [F.relu(conv(e)).amax(dim=2) for conv in self.convs]
        return self.highway(torch.cat(pooled, dim=1))

    @classmethod
    def example_args(cls) -> dict:
        return {"vocab_size": 7, "max_len": 5, "embed_dim": 4, "filter_sizes": [2, 3], "num_filters": [3, 4]}

    def example_inputs(self, n: int, generator: torch.Generator | None = None) -> tuple[torch.Tensor]:
        """Token ids (n, max_len) int64, uniform over the vocabulary."""
        return (torch.randint(0, self.vocab_size, (n, self.max_len), generator=generator),)

    def forward(self, x: torch.Tensor, c: torch.Tensor | None = None) -> torch.Tensor:
        return self.head(self.drop(self.features(x))).squeeze(1)
