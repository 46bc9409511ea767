"""The synthetic oracle of SeqGAN (Yu et al. 2017, section "Synthetic Data Experiments").

A randomly initialised LSTM language model, every parameter drawn from N(0, 1), plays the real
world: it generates the training sequences, and because its likelihood is known, the quality of
a generator is measured exactly by NLL-oracle, the oracle's average negative log-likelihood
(nats per token) of the generator's samples (lower is better).

Paper / official code settings (LantaoYu/SeqGAN): vocabulary 5,000, embedding 32, hidden 32,
sequence length 20, start token 0 (a regular token that doubles as the start symbol), zero
initial state, 10,000 training sequences. Deviations here: the oracle's weights are drawn from
our own seeded generator (the official repository ships one fixed draw as a pickle, which we do
not use), so NLL values are on a different scale from the paper's table: compare a generator
with the references measured on the same oracle (the oracle's own samples, an untrained
generator), as benchmarks/seqgan_oracle.py does.
"""
from __future__ import annotations

from typing import Any

import torch

from .base import DataInfo, TensorDataset, register_dataset
from ..errors import GanforgeError
from ..nets.seqgan import SeqGANGenerator, init_normal_

ORACLE_DEFAULTS: dict[str, Any] = {"vocab_size": 5000, "embed_dim": 32, "hidden_dim": 32, "max_len": 20,
                                   "start_token": 0}
DATA_DEFAULTS: dict[str, Any] = {**ORACLE_DEFAULTS, "seed": 0, "sample_seed": 1, "num_samples": 10000}
# Offset between the sample streams of the train and test splits.
_TEST_STREAM = 1_000_003


def build_oracle(seed: int = 0, vocab_size: int = 5000, embed_dim: int = 32, hidden_dim: int = 32,
                 max_len: int = 20, start_token: int = 0, std: float = 1.0) -> SeqGANGenerator:
    """The oracle LSTM: a ``seqgan_g`` whose parameters are N(0, std^2) draws from a generator
    seeded with ``seed`` (independent of the global RNG). Returned in eval mode, frozen."""
    net = SeqGANGenerator(vocab_size=vocab_size, embed_dim=embed_dim, hidden_dim=hidden_dim, max_len=max_len,
                          start_token=start_token, init_std=None)
    init_normal_(net, std, torch.Generator().manual_seed(int(seed)))
    net.requires_grad_(False)
    return net.eval()


@torch.no_grad()
def sample_sequences(model: SeqGANGenerator, n: int, seed: int, batch_size: int = 1000,
                     temperature: float = 1.0) -> torch.Tensor:
    """n sequences (n, max_len) int64 from ``model``, determined by ``seed`` alone (all the
    uniforms are drawn first, so the batch size does not change the result)."""
    z = model.sample_latent(n, torch.Generator().manual_seed(int(seed)))
    return torch.cat([model(z[i:i + batch_size], temperature=temperature) for i in range(0, n, batch_size)])


@torch.no_grad()
def oracle_nll(oracle: SeqGANGenerator, samples: torch.Tensor, batch_size: int = 500) -> float:
    """NLL-oracle: the oracle's mean negative log-likelihood per token (nats) of ``samples``
    (N, T) int64, averaged over sequences. Batched so the (batch, T, vocab) logits stay small."""
    if samples.dim() != 2 or samples.shape[0] == 0:
        raise GanforgeError(f"oracle_nll: samples must be a non-empty (N, T) id tensor, got {tuple(samples.shape)}")
    if int(samples.max()) >= oracle.vocab_size or int(samples.min()) < 0:
        raise GanforgeError(f"oracle_nll: token ids must lie in 0..{oracle.vocab_size - 1}")
    was_training = oracle.training
    oracle.eval()
    total = 0.0
    for i in range(0, samples.shape[0], batch_size):
        total += float(oracle.nll(samples[i:i + batch_size]).double().sum())
    oracle.train(was_training)
    return total / samples.shape[0]


def oracle_from_info(info: DataInfo) -> SeqGANGenerator:
    """Rebuild the oracle of a ``seqgan-oracle`` dataset from its ``info.extra['oracle']``."""
    spec = info.extra.get("oracle")
    if spec is None:
        raise GanforgeError(f"dataset {info.name!r} has no oracle (only seqgan-oracle does)")
    return build_oracle(**spec)


# The oracle's embed_dim / hidden_dim stay --data-option only: as flags they would read like the model's sizes.
@register_dataset("seqgan-oracle", help="SeqGAN synthetic data: 10,000 sequences of 20 tokens (vocab 5,000) "
                  "from a random N(0,1) LSTM; NLL-oracle measurable",
                  options={"vocab_size": "oracle vocabulary (seqgan-oracle; default 5000)",
                           "num_samples": "training sequences drawn from the oracle (seqgan-oracle; default 10000)",
                           "sample_seed": "seed of the oracle's sample stream (seqgan-oracle; default 1)"})
def build_oracle_dataset(cfg: Any) -> TensorDataset:
    """Options: seed (oracle weights, 0), sample_seed (1), num_samples (10000), vocab_size (5000),
    embed_dim (32), hidden_dim (32), max_len (20). ``data.split``: train, or test (a disjoint
    sample stream for held-out evaluation); ``data.limit`` caps the number of sequences."""
    given = dict(getattr(cfg, "options", None) or {})
    unknown = sorted(set(given) - set(DATA_DEFAULTS))
    if unknown:
        raise GanforgeError(f"seqgan-oracle: unknown data.options {unknown}; accepted: {', '.join(DATA_DEFAULTS)}")
    opts = {**DATA_DEFAULTS, **given}
    split = getattr(cfg, "split", "train") or "train"
    if split not in ("train", "test"):
        raise GanforgeError(f"seqgan-oracle: data.split {split!r}; use train or test")
    n = int(opts["num_samples"])
    limit = getattr(cfg, "limit", None)
    if limit is not None:
        n = min(n, int(limit))
    if n < 1:
        raise GanforgeError(f"seqgan-oracle: num_samples must be >= 1, got {opts['num_samples']}")
    spec = {k: int(opts[k]) for k in ORACLE_DEFAULTS} | {"seed": int(opts["seed"])}
    oracle = build_oracle(**spec)
    stream = int(opts["sample_seed"]) + (_TEST_STREAM if split == "test" else 0)
    x = sample_sequences(oracle, n, stream)
    info = DataInfo(name="seqgan-oracle", kind="tokens", shape=(spec["max_len"],), extra={
        "vocab_size": spec["vocab_size"], "max_len": spec["max_len"], "start_token": spec["start_token"],
        "eos_token": None, "pad_token": None, "oracle": spec, "split": split})
    return TensorDataset({"x": x}, info)
