"""The seqgan family's steps on a tiny corpus: MLE, D, REINFORCE with Monte-Carlo rollouts,
the rollout net as a delayed copy of the generator, and --precision bf16 in every forward."""
import pytest
import torch

from ganforge.data.base import DataInfo
from ganforge.errors import GanforgeError
from ganforge.families.seqgan import d_loss, make_rollout_net, mc_rewards, mle_loss, pg_loss, update_rollout
from ganforge.nets import build_net
from gf_family import build_family, output_dtypes, run_iteration

V, T = 12, 6
#: the corpus's vocabulary: <pad> 0, <start> 1, <eos> 2
CORPUS = DataInfo("corpus", "tokens", (T,), extra={"vocab_size": V, "max_len": T, "start_token": 1, "eos_token": 2,
                                                   "pad_token": 0})


def family(**overrides):
    """The seqgan family on the corpus with small nets (G: embedding 8, LSTM 16)."""
    options = {"mle_steps": 1000, "d_pretrain_steps": 0, "n_rollouts": 2, "embed_dim": 8, "hidden_dim": 16,
               "d_embed_dim": 8, **overrides.pop("options", {})}
    fam, _ = build_family("seqgan", CORPUS, **{"model.width": None, "options": options, **overrides})
    return fam


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
    fam = family(**{"train.lr_g": 3e-2})
    g = fam.nets["G"]
    batch = {"x": corpus()}
    losses = [float(fam.mle_step(batch)["g_mle_loss"]) for _ in range(80)]
    # The floor is ln(2) on the first token (two equally likely sentences) over ~5 tokens.
    assert losses[-1] < 0.3 < losses[0] / 5
    # Having learned the corpus, the generator's samples are mostly corpus sentences.
    s = g.sample(64, torch.Generator().manual_seed(0))
    hits = sum(row in corpus(2).tolist() for row in s.tolist())
    assert hits > 32


def test_d_step_learns_to_separate():
    fam = family(**{"train.lr_d": 1e-2})
    g, d = fam.nets["G"], fam.nets["D"]
    batch = {"x": corpus()}
    first = float(fam.d_step(batch)["d_loss"])
    for _ in range(30):
        last = fam.d_step(batch)
    assert float(last["d_loss"]) < first and float(last["d_acc"]) > 0.9
    d.eval()
    with torch.no_grad():
        assert bool((d(corpus()) > 0).all()) and float((d(g.sample(64)) < 0).float().mean()) > 0.9


def test_d_loss_l2_on_the_head():
    _, d = nets()
    real, fake = corpus(4), corpus(5)[1:]
    d.eval()
    plain, lr, lf = d_loss(d, real, fake)
    with_l2, _, _ = d_loss(d, real, fake, l2_head=0.2)
    head = sum(p.pow(2).sum() for p in d.head.parameters())
    assert with_l2.item() == pytest.approx(plain.item() + 0.1 * head.item(), rel=1e-5)
    bce = torch.nn.functional.binary_cross_entropy_with_logits
    assert plain.item() == pytest.approx(0.5 * (bce(lr, torch.ones(4)) + bce(lf, torch.zeros(4))).item(), rel=1e-6)


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


def test_pg_step_changes_weights_and_moves_the_rollout_net():
    fam = family(**{"train.lr_d": 1e-2, "train.lr_g": 1e-2}, options={"rollout_rate": 0.8})
    g, rollout = fam.nets["G"], fam.nets["rollout"]
    for _ in range(30):  # train D briefly so that rewards differ between samples
        fam.d_step({"x": corpus()})
    for _ in range(3):
        before_g = [p.detach().clone() for p in g.parameters()]
        before_r = [p.detach().clone() for p in rollout.parameters()]
        stats = fam.pg_step({"x": corpus(16)})
        assert all(torch.isfinite(torch.as_tensor(v)).all() for v in stats.values() if v is not None)
        assert 0.0 <= float(stats["reward"]) <= 1.0
        assert any(not torch.equal(a, b) for a, b in zip(before_g, g.parameters()))
        # the rollout net takes no gradient step: it moves 20 % of the way to the updated G
        for r0, r1, p in zip(before_r, rollout.parameters(), g.parameters()):
            assert torch.allclose(r1, 0.8 * r0 + 0.2 * p.detach(), atol=1e-6)
    assert all(not p.requires_grad and p.grad is None for p in rollout.parameters())
    mean = family(options={"baseline": "mean"})
    assert 0.0 <= float(mean.pg_step({"x": corpus(16)})["reward"]) <= 1.0
    with pytest.raises(GanforgeError, match="baseline='critic'.*none, mean"):
        family(options={"baseline": "critic"})
    with pytest.raises(GanforgeError, match="baseline"):
        pg_loss(g, corpus(4), torch.ones(4, T), baseline="critic")


def test_reinforce_raises_likelihood_of_rewarded_token():
    """With a reward of 1 only for sequences starting with token 4, policy-gradient steps raise
    log p(first token = 4): checks the sign and wiring of the REINFORCE loss."""
    fam = family(**{"train.lr_g": 5e-2}, options={"baseline": "mean", "n_rollouts": 1})
    g = fam.nets["G"]

    class Likes4(torch.nn.Module):
        def forward(self, x, c=None):
            return torch.where(x[:, 0] == 4, 10.0, -10.0)

    fam.nets["D"] = Likes4()
    first = torch.tensor([[4]])
    p0 = float(g.log_probs(first)[0, 0].detach())
    for _ in range(15):
        fam.pg_step({"x": corpus(32)})
    assert float(g.log_probs(first)[0, 0].detach()) > p0 + 1.0


def test_update_rollout_is_a_delayed_copy():
    g, _ = nets()
    r = make_rollout_net(g)
    with torch.no_grad():
        for p in g.parameters():
            p.add_(1.0)
    gap = update_rollout(r, g, rate=0.8)
    assert float(gap) == pytest.approx(0.8, abs=1e-5)
    for pr, pg in zip(r.parameters(), g.parameters()):
        assert torch.allclose(pg - pr, torch.full_like(pr, 0.8), atol=1e-5)
    update_rollout(r, g, rate=0.0)
    assert all(torch.equal(a, b) for a, b in zip(r.parameters(), g.parameters()))
    with pytest.raises(GanforgeError, match="rate"):
        update_rollout(r, g, rate=1.5)


def test_rollout_starts_from_the_pretrained_generator():
    """Issue 17: the rollout net was a copy of the untrained G for good. It is set to G when the
    adversarial stage starts (after MLE and D pre-training), then lags G at rate 0.8."""
    fam = family(**{"train.d_steps": 1}, options={"mle_steps": 3, "d_pretrain_steps": 1})
    G, rollout = fam.nets["G"], fam.nets["rollout"]
    initial = [p.detach().clone() for p in rollout.parameters()]
    batch = {"x": corpus(8)}
    for _ in range(4):  # 3 MLE iterations, 1 of D pre-training: the rollout net is untouched
        run_iteration(fam, batch)
    assert all(torch.equal(a, b) for a, b in zip(initial, rollout.parameters()))
    pretrained = [p.detach().clone() for p in G.parameters()]
    assert any(not torch.equal(a, b) for a, b in zip(initial, pretrained))
    stats = run_iteration(fam, batch)  # the first adversarial iteration
    assert fam.stage == "adversarial" and "reward" in stats
    for r, p0, p1 in zip(rollout.parameters(), pretrained, G.parameters()):
        assert torch.allclose(r, 0.8 * p0 + 0.2 * p1.detach(), atol=1e-6)
    assert any(not torch.allclose(a, b) for a, b in zip(initial, rollout.parameters()))


@pytest.mark.parametrize("precision,dtype", [("bf16", torch.bfloat16), ("fp32", torch.float32)])
def test_precision_reaches_the_logits_in_every_stage(precision, dtype):
    """bf16: G's and the rollout net's next-token logits and D's logits are bf16 in the MLE, D
    pre-training and adversarial stages; token ids stay integers."""
    fam = family(**{"train.precision": precision, "train.d_steps": 1}, options={"mle_steps": 1, "d_pretrain_steps": 1})
    G, D, rollout = fam.nets["G"], fam.nets["D"], fam.nets["rollout"]
    seen = output_dtypes(fam, {"x": corpus(4)}, {"G": G.head, "D": D, "rollout": rollout.head}, iterations=3)
    assert seen == {"G": {dtype}, "D": {dtype}, "rollout": {dtype}}
    assert fam.stage == "adversarial"
    with fam.autocast():
        assert fam.sample(3).dtype == torch.int64


@pytest.mark.parametrize("precision", ["fp32", "fp16"])
def test_generator_updates_clip_the_unscaled_gradient_norm(precision):
    """``Family.update(clip=)``: the step sees gradients of global norm ``clip`` at most, measured
    after the fp16 loss scale is undone; the norm reported is the one before clipping. (The loss
    is computed outside autocast: fp16 LSTMs have no CPU kernel.)"""
    fam = family(**{"train.optimizer": "sgd", "train.lr_g": 1.0, "train.precision": precision},
                 options={"grad_clip": 1e-3})
    G = fam.nets["G"]
    assert (fam.scaler is not None) == (precision == "fp16")
    loss = mle_loss(G, corpus(8))
    before = [p.detach().clone() for p in G.parameters()]
    norm = fam.update("G_mle", loss, grad_norm=True, clip=fam.opts.grad_clip)
    step = torch.linalg.vector_norm(torch.stack([(p.detach() - b).norm() for p, b in zip(G.parameters(), before)]))
    assert float(norm) > 1e-2 and float(step) == pytest.approx(1e-3, rel=1e-3)  # SGD, lr 1: the step is the gradient
