"""seqgan_g / seqgan_d: shapes, sampling, rollout, masks, save/load round-trip."""
import pytest
import torch

from ganforge.errors import GanforgeError
from ganforge.nets import build_net, load_model, save_model

G_KW = dict(vocab_size=30, embed_dim=8, hidden_dim=12, max_len=7)
D_KW = dict(vocab_size=30, max_len=7, embed_dim=8, filter_sizes=[1, 3, 7], num_filters=[4, 5, 6])


def test_generator_shapes_and_contract():
    torch.manual_seed(0)
    g = build_net("seqgan_g", **G_KW)
    assert g.z_dim == 7 and g.num_classes == 0 and g.out_shape == (7,)
    z = g.sample_latent(5, torch.Generator().manual_seed(1))
    x = g(z)
    assert x.shape == (5, 7) and x.dtype == torch.int64 and 0 <= int(x.min()) and int(x.max()) < 30
    assert torch.equal(x, g(z))                                    # z fixes the sample
    assert torch.equal(g.sample(5, torch.Generator().manual_seed(1)), x)
    lp = g.log_probs(x)
    assert lp.shape == (5, 7) and bool((lp <= 0).all())
    assert g.logits(x).shape == (5, 7, 30)
    # A sharp temperature concentrates on the argmax path.
    cold = g.sample(50, torch.Generator().manual_seed(2), temperature=1e-3)
    assert (cold == cold[0]).all()
    with pytest.raises(GanforgeError, match="temperature"):
        g.sample(2, temperature=0.0)


def test_inverse_cdf_sampling_matches_probabilities():
    torch.manual_seed(0)
    g = build_net("seqgan_g", **dict(G_KW, max_len=1))
    x = g.sample(20000, torch.Generator().manual_seed(0))[:, 0]
    freq = torch.bincount(x, minlength=30).float() / 20000
    with torch.no_grad():
        p = torch.softmax(g.logits(x[:1, None])[0, 0], 0)
    assert float((freq - p).abs().max()) < 0.015


def test_rollout_keeps_prefix_and_completes():
    torch.manual_seed(0)
    g = build_net("seqgan_g", **G_KW)
    prefix = torch.randint(0, 30, (6, 3))
    out = g.rollout(prefix, generator=torch.Generator().manual_seed(0))
    assert out.shape == (6, 7) and torch.equal(out[:, :3], prefix)
    assert g.rollout(prefix, length=3).shape == (6, 3)
    assert g.rollout(prefix[:, :0], generator=torch.Generator().manual_seed(1)).shape == (6, 7)
    # An empty prefix is plain sampling: same noise, same sequences.
    a = g.rollout(prefix[:, :0], generator=torch.Generator().manual_seed(3))
    b = g(torch.rand(6, 7, generator=torch.Generator().manual_seed(3)))
    assert torch.equal(a, b)
    with pytest.raises(GanforgeError, match="longer"):
        g.rollout(torch.zeros(2, 8, dtype=torch.long))


def test_eos_then_pad_and_token_mask():
    torch.manual_seed(0)
    g = build_net("seqgan_g", **G_KW, start_token=1, eos_token=2, pad_token=0)
    with torch.no_grad():                                     # make <eos> likely
        g.head.bias[2] = 3.0
    x = g.sample(200, torch.Generator().manual_seed(0))
    for row in x.tolist():
        if 2 in row:
            assert all(t == 0 for t in row[row.index(2) + 1:])
    mask = g.token_mask(torch.tensor([[5, 2, 0, 0], [5, 6, 7, 8]]))
    assert mask.tolist() == [[1, 1, 0, 0], [1, 1, 1, 1]]
    ended = g.rollout(torch.tensor([[5, 2, 0]]))
    assert ended[0, 3:].tolist() == [0] * 4
    with pytest.raises(GanforgeError, match="both"):
        build_net("seqgan_g", **G_KW, eos_token=2)


def test_discriminator_shapes_and_errors():
    torch.manual_seed(0)
    d = build_net("seqgan_d", **D_KW)
    out = d(torch.randint(0, 30, (4, 7)))
    assert out.shape == (4,) and torch.isfinite(out).all()
    assert d.features(torch.randint(0, 30, (4, 7))).shape == (4, 15)
    with pytest.raises(GanforgeError, match="do not fit"):
        build_net("seqgan_d", **dict(D_KW, filter_sizes=[2, 9], num_filters=[3, 3]))
    with pytest.raises(GanforgeError, match="same length"):
        build_net("seqgan_d", **dict(D_KW, num_filters=[3]))
    with pytest.raises(GanforgeError, match="widest filter"):
        d(torch.randint(0, 30, (2, 5)))
    with pytest.raises(GanforgeError, match="integer token ids"):
        d(torch.rand(2, 7))


def test_generator_log_probs_survive_save_load(tmp_path):
    # (the generic round trip of every net, seqgan_g and seqgan_d included, is in tests/nets/test_nets.py)
    torch.manual_seed(0)
    net = build_net("seqgan_g", **G_KW, eos_token=2, pad_token=0).eval()
    save_model(net, tmp_path / "g")
    back = load_model(tmp_path / "g")
    x = torch.randint(0, 30, (3, 7))
    assert torch.equal(net.log_probs(x), back.log_probs(x))
