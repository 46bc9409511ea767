"""Each advanced training step runs three times on tiny nets with finite losses and updates
exactly the parameters it should."""
from __future__ import annotations

import math

import pytest
import torch

from ganforge.families import _advanced_steps as S

from .tiny import build_pair, tiny_batch


def _adam(params, lr: float = 1e-3) -> torch.optim.Adam:
    return torch.optim.Adam(params, lr=lr, betas=(0.0, 0.99))


def _snapshot(net: torch.nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in net.named_parameters()}


def _changed(net: torch.nn.Module, before: dict[str, torch.Tensor]) -> set[str]:
    return {k for k, v in net.named_parameters() if not torch.equal(v, before[k])}


def _run3(fn, *args, **kw) -> list[dict[str, float]]:
    out = [fn(*args, **kw) for _ in range(3)]
    for stats in out:
        assert stats and all(math.isfinite(v) for v in stats.values()), stats
    return out


@pytest.mark.parametrize("name", ["stylegan", "stylegan_cond"])
def test_stylegan_steps(name: str) -> None:
    torch.manual_seed(0)
    G, D = build_pair(name)
    batch, gen = tiny_batch(G), torch.Generator().manual_seed(0)
    opts = S.StyleGANOptions(r1_gamma=1.0, pl_weight=2.0, style_mixing_prob=1.0, augment="color,translation,cutout")
    opt_g = _adam(G.parameters())
    lr, betas = S.lazy_regularization_adam(2e-3, (0.0, 0.99), opts.r1_interval)
    opt_d = torch.optim.Adam(D.parameters(), lr=lr, betas=betas)
    g0, d0 = _snapshot(G), _snapshot(D)
    _run3(S.stylegan_d_step, G, D, opt_d, batch, opts, gen)
    assert not _changed(G, g0) and _changed(D, d0)
    r1 = _run3(S.stylegan_r1_step, D, opt_d, batch, opts, gen)
    assert all(s["r1"] > 0 for s in r1)
    d1 = _snapshot(D)
    _run3(S.stylegan_g_step, G, D, opt_g, batch, opts, gen)
    assert _changed(G, g0) and not _changed(D, d1)
    state = S.new_path_length_state()
    pl = _run3(S.stylegan_pl_step, G, opt_g, batch, opts, state, gen)
    assert pl[-1]["pl_mean"] > 0 and float(state["pl_mean"]) == pytest.approx(pl[-1]["pl_mean"])
    assert G.mapping.w_avg.abs().sum() > 0  # tracked during the steps


def test_style_mixing_probability() -> None:
    torch.manual_seed(0)
    G, _ = build_pair("stylegan")
    gen = torch.Generator().manual_seed(1)
    mixed = [S.stylegan_latents(G, 2, None, 1.0, torch.device("cpu"), gen) for _ in range(5)]
    assert all(not torch.equal(ws[:, 0], ws[:, -1]) for ws in mixed)  # two latents in every batch
    plain = S.stylegan_latents(G, 2, None, 0.0, torch.device("cpu"), gen)
    assert torch.equal(plain[:, 0], plain[:, -1])


def test_lazy_regularization_hyper_parameters() -> None:
    lr, (b1, b2) = S.lazy_regularization_adam(0.002, (0.0, 0.99), 16)
    assert lr == pytest.approx(0.002 * 16 / 17) and b1 == 0.0 and b2 == pytest.approx(0.99 ** (16 / 17))


def test_r1_penalty_by_hand() -> None:
    x = torch.randn(3, 2, requires_grad=True)
    logits = (x * torch.tensor([3.0, 4.0])).sum(1)  # gradient (3, 4): squared norm 25
    assert S.r1_penalty(logits, x).item() == pytest.approx(25.0)


def test_infogan_steps() -> None:
    torch.manual_seed(0)
    G, D = build_pair("infogan")
    batch, gen = tiny_batch(G), torch.Generator().manual_seed(0)
    opts = S.InfoGANOptions()
    opt_d = _adam(D.parameters())
    opt_gq = _adam(list(G.parameters()) + S.infogan_q_parameters(D))
    g0, d0 = _snapshot(G), _snapshot(D)
    d_stats = _run3(S.infogan_d_step, G, D, opt_d, batch, opts, gen)
    assert "mi_loss_d" in d_stats[0] and not _changed(G, g0)
    d1 = _snapshot(D)
    gq = _run3(S.infogan_gq_step, G, D, opt_gq, batch, opts, gen)
    assert 0.0 <= gq[0]["cat_acc"] <= 1.0 and gq[0]["mi_loss"] > 0
    changed = _changed(D, d1)
    assert changed and all(k.startswith("q_head.") for k in changed)  # only Q moves in the G+Q step
    assert _changed(G, g0)


def test_infogan_mi_term_teaches_q_the_categorical_code() -> None:
    """Minimising only the MI loss over G and Q makes the code recoverable from the images."""
    from ganforge.nets.infogan import mutual_information_loss
    torch.manual_seed(0)
    G, D = build_pair("infogan")
    gen = torch.Generator().manual_seed(0)
    opt = torch.optim.Adam(list(G.parameters()) + S.infogan_q_parameters(D), lr=2e-2, betas=(0.5, 0.99))
    code = G.code("c1")
    accs, losses = [], []
    for _ in range(50):
        z = G.sample_latent(32, generator=gen)
        _, (cat, mean, log_std) = D.forward_with_q(G(z))
        mi = mutual_information_loss(cat, mean, log_std, z, D.codes)
        opt.zero_grad()
        mi.backward()
        opt.step()
        accs.append((cat.argmax(1) == z[:, code.start:code.stop].argmax(1)).float().mean().item())
        losses.append(mi.item())
    assert sum(accs[:3]) / 3 < 0.25 and sum(accs[-5:]) / 5 > 0.8  # chance is 0.1
    assert losses[-1] < losses[0] - 1.0  # the categorical cross-entropy starts near log(10) = 2.3


@pytest.mark.parametrize("name, ortho", [("biggan", 1e-4), ("biggan_cond28", 1e-4), ("sngan_cond28", 0.0)])
def test_biggan_and_sngan_steps(name: str, ortho: float) -> None:
    torch.manual_seed(0)
    G, D = build_pair(name)
    batch, gen = tiny_batch(G), torch.Generator().manual_seed(0)
    opts = S.BigGANOptions(ortho_weight=ortho, augment="translation")
    opt_g, opt_d = _adam(G.parameters()), _adam(D.parameters())
    g0 = _snapshot(G)
    _run3(S.hinge_d_step, G, D, opt_d, batch, opts, gen)
    d1 = _snapshot(D)
    g_stats = _run3(S.biggan_g_step, G, D, opt_g, batch, opts, gen)
    assert _changed(G, g0) and not _changed(D, d1)
    assert ("ortho" in g_stats[0]) == bool(ortho)
    if ortho:
        assert g_stats[0]["ortho"] > 0


def test_biggan_g_loss_adds_the_orthogonal_term_without_the_shared_embedding() -> None:
    torch.manual_seed(0)
    G, D = build_pair("biggan_cond28")
    G.eval(), D.eval()  # frozen BN statistics and SN vectors: two calls with one seed agree exactly
    batch = tiny_batch(G)
    emb = G.latent.shared.weight
    grads, losses = [], []
    for w in (0.0, 1.0):
        loss, _ = S.biggan_g_loss(G, D, batch, S.BigGANOptions(ortho_weight=w), torch.Generator().manual_seed(3))
        grads.append(torch.autograd.grad(loss, emb)[0])
        losses.append(loss)
    ortho = S.orthogonal_regularization(G, exclude=G.shared_parameters())
    assert ortho > 0 and torch.allclose(losses[1] - losses[0], ortho, rtol=1e-5)
    assert torch.allclose(grads[0], grads[1])  # the embedding gets no orthogonality gradient


def test_progan_steps_follow_the_schedule() -> None:
    torch.manual_seed(0)
    G, D = build_pair("progan")
    batch, gen = tiny_batch(G), torch.Generator().manual_seed(0)
    opts = S.ProGANOptions(phase_steps=2)
    opt_d = _adam(D.parameters())
    seen = []
    for step in range(6):
        seen.append(S.progan_set_stage([G, D], step, opts))
        stats = S.progan_d_step(G, D, opt_d, batch, opts, gen)
        assert all(math.isfinite(v) for v in stats.values()) and stats["gp"] >= 0
        assert (stats["level"], stats["alpha"]) == seen[-1]
    assert seen == [(0, 1.0), (0, 1.0), (1, 0.0), (1, 0.5), (1, 1.0), (1, 1.0)]
    assert G.stage == D.stage == (1, 1.0)


class _LinearCritic(torch.nn.Module):
    """D(x) = <a, x> per sample: its input gradient is a everywhere."""

    num_classes = 0

    def __init__(self, shape: tuple[int, ...]) -> None:
        super().__init__()
        self.a = torch.nn.Parameter(torch.full(shape, 0.5))

    def forward(self, x: torch.Tensor, c: torch.Tensor | None = None) -> torch.Tensor:
        return (x * self.a).flatten(1).sum(1)


def test_lazy_r1_is_scaled_by_gamma_over_two_and_the_interval() -> None:
    D = _LinearCritic((1, 4, 4))
    batch = {"x": torch.randn(3, 1, 4, 4)}
    loss, stats = S.stylegan_r1_loss(D, batch, S.StyleGANOptions(r1_gamma=10.0, r1_interval=16))
    assert stats["r1"].item() == pytest.approx(16 * 0.25)  # ||a||^2 = 16 entries of 0.5^2
    assert loss.item() == pytest.approx(4.0 * 10.0 / 2 * 16)
