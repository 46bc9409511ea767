"""The synthetic SeqGAN oracle: determinism, dataset, NLL-oracle."""
import pytest
import torch

from ganforge.config import DataConfig
from ganforge.data.base import build_dataset
from ganforge.errors import GanforgeError
from ganforge.data.oracle import build_oracle, oracle_from_info, oracle_nll, sample_sequences

SMALL = dict(vocab_size=50, embed_dim=8, hidden_dim=8, max_len=6)


def test_oracle_weights_are_seeded_normal_and_frozen():
    a, b, c = build_oracle(3, **SMALL), build_oracle(3, **SMALL), build_oracle(4, **SMALL)
    for pa, pb in zip(a.parameters(), b.parameters()):
        assert torch.equal(pa, pb)
    assert not torch.equal(a.head.weight, c.head.weight)
    assert not any(p.requires_grad for p in a.parameters())
    big = build_oracle(0)                               # paper sizes: N(0, 1) parameters
    assert big.embed.weight.shape == (5000, 32) and big.head.weight.shape == (5000, 32)
    w = big.head.weight
    assert abs(float(w.mean())) < 0.02 and abs(float(w.std()) - 1.0) < 0.02


def test_samples_deterministic_and_batch_size_independent():
    o = build_oracle(0, **SMALL)
    x = sample_sequences(o, 40, seed=7, batch_size=40)
    assert x.shape == (40, 6) and x.dtype == torch.int64
    assert torch.equal(x, sample_sequences(o, 40, seed=7, batch_size=7))
    assert not torch.equal(x, sample_sequences(o, 40, seed=8))


def test_oracle_likes_its_own_samples_more_than_random_tokens():
    o = build_oracle(0, **SMALL)
    own = oracle_nll(o, sample_sequences(o, 400, seed=1))
    rand = oracle_nll(o, torch.randint(0, 50, (400, 6), generator=torch.Generator().manual_seed(0)))
    assert own < rand - 0.5
    # Per-token NLL of the oracle's own samples estimates its entropy: below log(V).
    assert 0 < own < torch.log(torch.tensor(50.0)).item()
    with pytest.raises(GanforgeError, match="token ids"):
        oracle_nll(o, torch.full((2, 6), 50))


def test_oracle_dataset_registered_deterministic_with_splits():
    opts = dict(SMALL, num_samples=64, seed=5)
    ds = build_dataset(DataConfig(name="seqgan-oracle", options=opts))
    assert ds.x.shape == (64, 6) and ds.info.kind == "tokens" and ds.info.extra["vocab_size"] == 50
    again = build_dataset(DataConfig(name="seqgan-oracle", options=opts))
    assert torch.equal(ds.x, again.x)
    test = build_dataset(DataConfig(name="seqgan-oracle", split="test", options=opts))
    assert not torch.equal(ds.x, test.x)
    lim = build_dataset(DataConfig(name="seqgan-oracle", limit=10, options=opts))
    assert torch.equal(lim.x, ds.x[:10])
    o = oracle_from_info(ds.info)
    assert torch.equal(o.head.weight, build_oracle(5, **SMALL).head.weight)
    with pytest.raises(GanforgeError, match="accepted"):
        build_dataset(DataConfig(name="seqgan-oracle", options={"vocab": 3}))
