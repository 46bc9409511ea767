"""SeqGAN training steps on a tiny corpus: MLE, D, REINFORCE with Monte-Carlo rollouts."""
import pytest
import torch

from ganforge.errors import GanforgeError
from ganforge.families._seqgan_steps import d_step, make_rollout_net, mc_rewards, mle_step, pg_step, update_rollout
from ganforge.nets import build_net

V, T = 12, 6


def nets(seed=0, **g_extra):
    torch.manual_seed(seed)
    g = build_net("seqgan_g", vocab_size=V, embed_dim=8, hidden_dim=16, max_len=T, **g_extra)
    d = build_net("seqgan_d", vocab_size=V, max_len=T, embed_dim=8, filter_sizes=[2, 3], num_filters=[6, 6])
    return g, d


def corpus(n=32):
    # Two "sentences" repeated: an easy, low-entropy language.
    a = torch.tensor([4, 5, 6, 7, 8, 2])
    b = torch.tensor([9, 10, 11, 2, 0, 0])
    return torch.stack([a if i % 2 else b for i in range(n)])


def test_mle_step_lowers_loss():
    g, _ = nets(start_token=1, eos_token=2, pad_token=0)
    opt = torch.optim.Adam(g.parameters(), lr=3e-2)
    batch = {"x": corpus()}
    losses = [mle_step(g, opt, batch)["g_mle"] for _ in range(80)]
    # The floor is ln(2) on the first token (two equally likely sentences) over ~5 tokens.
    assert losses[-1] < 0.3 < losses[0] / 5
    assert all(isinstance(v, float) for v in mle_step(g, opt, batch).values())
    # Having learned the corpus, the generator's samples are mostly corpus sentences.
    s = g.sample(64, torch.Generator().manual_seed(0))
    hits = sum(row in corpus(2).tolist() for row in s.tolist())
    assert hits > 32


def test_d_step_learns_to_separate():
    g, d = nets()
    opt = torch.optim.Adam(d.parameters(), lr=1e-2)
    batch = {"x": corpus()}
    first = d_step(d, opt, g, batch, generator=torch.Generator().manual_seed(0))
    for i in range(30):
        last = d_step(d, opt, g, batch, l2_head=0.2, generator=torch.Generator().manual_seed(i + 1))
    assert last["d_loss"] < first["d_loss"] and last["d_real_acc"] == 1.0 and last["d_fake_acc"] > 0.9


def test_mc_rewards_shape_range_and_last_column():
    g, d = nets()
    x = g.sample(5, torch.Generator().manual_seed(0))
    r = mc_rewards(x, make_rollout_net(g), d, n_rollouts=3, generator=torch.Generator().manual_seed(0))
    assert r.shape == (5, T) and bool(((r >= 0) & (r <= 1)).all())
    d.eval()
    assert torch.allclose(r[:, -1], torch.sigmoid(d(x)))
    assert d.training is False
    with pytest.raises(GanforgeError, match="n_rollouts"):
        mc_rewards(x, g, d, n_rollouts=0)


def test_pg_step_changes_weights_and_follows_rewards():
    g, d = nets(seed=1)
    # Train D briefly so that rewards differ between samples.
    d_opt = torch.optim.Adam(d.parameters(), lr=1e-2)
    for i in range(30):
        d_step(d, d_opt, g, {"x": corpus()}, generator=torch.Generator().manual_seed(i))
    rollout = make_rollout_net(g)
    opt = torch.optim.Adam(g.parameters(), lr=1e-2)
    before = [p.detach().clone() for p in g.parameters()]
    gen = torch.Generator().manual_seed(0)
    stats = [pg_step(g, opt, rollout, d, {"x": corpus(16)}, n_rollouts=2, generator=gen) for _ in range(3)]
    assert all(torch.isfinite(torch.tensor(list(s.values()))).all() for s in stats)
    assert any(not torch.equal(a, b) for a, b in zip(before, g.parameters()))
    # The rollout net is frozen: pg_step never trains it.
    assert all(torch.equal(a, b) for a, b in zip(before, rollout.parameters()))
    s = pg_step(g, opt, rollout, d, {"x": corpus(16)}, n_rollouts=2, baseline="mean", generator=gen)
    assert 0.0 <= s["reward"] <= 1.0
    with pytest.raises(GanforgeError, match="baseline"):
        pg_step(g, opt, rollout, d, {"x": corpus(4)}, baseline="critic")


def test_reinforce_raises_likelihood_of_rewarded_token():
    """With a reward of 1 only for sequences starting with token 4, policy-gradient steps raise
    log p(first token = 4): checks the sign and wiring of the REINFORCE loss."""
    g, _ = nets(seed=2)

    class Likes4(torch.nn.Module):
        training = False

        def forward(self, x, c=None):
            return torch.where(x[:, 0] == 4, 10.0, -10.0)

        def eval(self):
            return self

        def train(self, mode=True):
            return self

    rollout = make_rollout_net(g)
    opt = torch.optim.Adam(g.parameters(), lr=5e-2)
    first = torch.tensor([[4]])
    p0 = float(g.log_probs(first)[0, 0].detach())
    gen = torch.Generator().manual_seed(0)
    for _ in range(15):
        pg_step(g, opt, rollout, Likes4(), {"x": corpus(32)}, n_rollouts=1, baseline="mean", generator=gen)
    assert float(g.log_probs(first)[0, 0].detach()) > p0 + 1.0


def test_update_rollout_is_a_delayed_copy():
    g, _ = nets()
    r = make_rollout_net(g)
    with torch.no_grad():
        for p in g.parameters():
            p.add_(1.0)
    out = update_rollout(r, g, rate=0.8)
    assert out["rollout_gap"] == pytest.approx(0.8, abs=1e-5)
    for pr, pg in zip(r.parameters(), g.parameters()):
        assert torch.allclose(pg - pr, torch.full_like(pr, 0.8), atol=1e-5)
    update_rollout(r, g, rate=0.0)
    assert all(torch.equal(a, b) for a, b in zip(r.parameters(), g.parameters()))
    with pytest.raises(GanforgeError, match="rate"):
        update_rollout(r, g, rate=1.5)
