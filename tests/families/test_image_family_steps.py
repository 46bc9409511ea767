"""Each phase of the advanced families runs three times on tiny nets with finite statistics and
updates exactly the parameters it should; the terms of each objective are checked by hand
(lazy R1 scaling, path-length state, style mixing, InfoGAN's MI term, BigGAN's orthogonal
regularization, ProGAN's fade-in schedule)."""
from __future__ import annotations

import dataclasses
import math

import pytest
import torch

from ganforge.families import Family
from ganforge.families.infogan import q_parameters
from ganforge.families.stylegan import lazy_regularization_adam
from ganforge.layers.orthogonal import orthogonal_regularization
from ganforge.losses import r1_penalty

from gf_family import build_family, first_batch
from gf_tiny import build_pair


def _snapshot(net: torch.nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in net.named_parameters()}


def _changed(net: torch.nn.Module, before: dict[str, torch.Tensor]) -> set[str]:
    return {k for k, v in net.named_parameters() if not torch.equal(v, before[k])}


def _run3(family: Family, phase: str, batch: dict[str, torch.Tensor]) -> list[dict[str, float]]:
    """Run the phase named ``phase`` three times; every statistic it returns is finite."""
    step = {p.name: p.step for p in family.phases()}[phase]
    out = [{k: float(v) for k, v in step(batch).items() if v is not None} for _ in range(3)]
    for stats in out:
        assert stats and all(math.isfinite(v) for v in stats.values()), stats
    return out


def _capture_losses(family: Family) -> list[torch.Tensor]:
    """Replace ``family.update`` by a recorder of the losses it is given (no step is taken)."""
    losses: list[torch.Tensor] = []
    family.update = lambda opt, loss, grad_norm=False: losses.append(loss.detach())  # type: ignore[method-assign]
    return losses


@pytest.mark.parametrize("conditional", [False, True])
def test_stylegan_phases(conditional: bool) -> None:
    torch.manual_seed(0)
    fam, ds = build_family("stylegan", **{"options.style_mixing_prob": 1.0, "options.conditional": conditional,
                                          "train.augment": "color,translation,cutout"})
    assert [p.name for p in fam.phases()] == ["D", "R1", "G", "PL"]
    G, D = fam.nets["G"], fam.nets["D"]
    assert bool(G.num_classes) == conditional
    batch = first_batch(ds)
    g0, d0 = _snapshot(G), _snapshot(D)
    _run3(fam, "D", batch)
    assert not _changed(G, g0) and _changed(D, d0)
    r1 = _run3(fam, "R1", batch)
    assert all(s["r1"] > 0 for s in r1)
    d1 = _snapshot(D)
    _run3(fam, "G", batch)
    assert _changed(G, g0) and not _changed(D, d1)
    pl = _run3(fam, "PL", batch)
    assert pl[-1]["pl_mean"] > 0 and float(fam.pl_mean) == pytest.approx(pl[-1]["pl_mean"])
    assert torch.equal(fam.extra_state()["pl_mean"], fam.pl_mean)
    assert G.mapping.w_avg.abs().sum() > 0  # tracked during the steps


def test_style_mixing_probability() -> None:
    torch.manual_seed(0)
    always, _ = build_family("stylegan", **{"options.style_mixing_prob": 1.0})
    mixed = [always.latents(2, None) for _ in range(5)]
    assert all(not torch.equal(ws[:, 0], ws[:, -1]) for ws in mixed)  # two latents in every batch
    never, _ = build_family("stylegan", **{"options.style_mixing_prob": 0.0})
    plain = never.latents(2, None)
    assert torch.equal(plain[:, 0], plain[:, -1])


def test_lazy_regularization_hyper_parameters() -> None:
    lr, (b1, b2) = lazy_regularization_adam(0.002, (0.0, 0.99), 16)
    assert lr == pytest.approx(0.002 * 16 / 17) and b1 == 0.0 and b2 == pytest.approx(0.99 ** (16 / 17))


def test_r1_penalty_by_hand() -> None:
    x = torch.randn(3, 2, requires_grad=True)
    logits = (x * torch.tensor([3.0, 4.0])).sum(1)  # gradient (3, 4): squared norm 25
    assert r1_penalty(logits, x).item() == pytest.approx(25.0)


class _LinearCritic(torch.nn.Module):
    """D(x) = <a, x> per sample: its input gradient is a everywhere."""

    num_classes = 0

    def __init__(self, shape: tuple[int, ...]) -> None:
        super().__init__()
        self.a = torch.nn.Parameter(torch.full(shape, 0.5))

    def forward(self, x: torch.Tensor, c: torch.Tensor | None = None) -> torch.Tensor:
        return (x * self.a).flatten(1).sum(1)


def test_lazy_r1_is_scaled_by_gamma_over_two_and_the_interval() -> None:
    fam, _ = build_family("stylegan", **{"train.r1_gamma": 10.0, "options.r1_interval": 16})
    fam.nets["D"] = _LinearCritic((1, 4, 4))
    losses = _capture_losses(fam)
    stats = fam.r1_step({"x": torch.randn(3, 1, 4, 4)})
    assert stats["r1"].item() == pytest.approx(16 * 0.25)  # ||a||^2 = 16 entries of 0.5^2
    assert losses[0].item() == pytest.approx(4.0 * 10.0 / 2 * 16)


def test_adversarial_lazy_r1_runs_on_every_kth_iteration_weighted_by_k() -> None:
    """dcgan with train.r1_interval 4: R1 (gamma / 2 * k * ||grad||^2) only on iterations 0, 4, 8,
    ...; on the others the D loss is the adversarial loss alone. With interval 1 (the default)
    R1 is in every D step with weight gamma / 2."""
    for interval, gamma in ((4, 2.0), (None, 3.0)):
        torch.manual_seed(0)
        fam, _ = build_family("dcgan", **{"train.r1_gamma": gamma, "train.r1_interval": interval,
                                          "train.precision": "fp32"})
        shape = tuple(fam.info.shape)
        x = torch.randn(3, *shape)
        fam.nets["D"] = _LinearCritic(shape)
        fam.make_fakes = lambda batch, gen, for_g=False: torch.zeros(3, *shape)  # type: ignore[method-assign]
        losses = _capture_losses(fam)
        got = []
        for it in range(6):
            fam.iteration = it
            got.append(fam.d_step({"x": x}))
        k = interval or 1
        adv = fam.loss.d((x * 0.5).flatten(1).sum(1), torch.zeros(3)).item()
        for it, (stats, loss) in enumerate(zip(got, losses)):
            on = it % k == 0
            assert ("r1" in stats) == on
            norm2 = 0.25 * x[0].numel()  # ||a||^2 with a = 0.5 everywhere
            assert loss.item() == pytest.approx(adv + (gamma / 2 * k * norm2 if on else 0.0), rel=1e-5)


def test_r1_interval_is_checked_and_stylegan_points_to_its_option() -> None:
    from ganforge.errors import GanforgeError

    for bad, says in ((0, "integers >= 1"), (-3, "integers >= 1"), (2.5, "expected an integer")):
        with pytest.raises(GanforgeError, match=rf"train.r1_interval.*{says}"):
            build_family("dcgan", **{"train.r1_interval": bad})
    with pytest.raises(GanforgeError, match=r"--option r1_interval=K"):
        build_family("stylegan", **{"train.r1_interval": 4})


def test_path_length_penalty_and_running_mean() -> None:
    """pl_mean a moves by pl_decay towards the batch's mean length m; the penalty is
    E[(length - a)^2], so on the same draws E[l^2] (decay 0: a stays 0) = Var(l) + m^2 (decay 1:
    a = m); the loss is the penalty times pl_weight * pl_interval."""
    torch.manual_seed(0)
    fam, ds = build_family("stylegan", **{"options.pl_weight": 2.0, "options.pl_interval": 3})
    losses = _capture_losses(fam)
    out = {}
    for decay in (0.0, 1.0):
        fam.opts = dataclasses.replace(fam.opts, pl_decay=decay)
        fam.pl_mean = torch.zeros(())
        torch.manual_seed(1)  # the same latents, mixing, noise and y for both
        out[decay] = fam.pl_step(first_batch(ds))
    assert out[0.0]["pl_mean"].item() == 0.0 and out[1.0]["pl_mean"].item() > 0
    var, m = out[1.0]["pl_penalty"].item(), out[1.0]["pl_mean"].item()
    assert out[0.0]["pl_penalty"].item() == pytest.approx(var + m * m, rel=1e-5)
    assert losses[1].item() == pytest.approx(var * 2.0 * 3)
    assert float(fam.pl_mean) == pytest.approx(m)


def test_infogan_phases() -> None:
    torch.manual_seed(0)
    fam, ds = build_family("infogan")
    G, D = fam.nets["G"], fam.nets["D"]
    batch = first_batch(ds)
    g0, d0 = _snapshot(G), _snapshot(D)
    d_stats = _run3(fam, "D", batch)
    assert "mi_loss_d" in d_stats[0] and not _changed(G, g0) and _changed(D, d0)
    d1 = _snapshot(D)
    gq = _run3(fam, "G", batch)
    assert 0.0 <= gq[0]["cat_acc"] <= 1.0 and gq[0]["mi_loss"] > 0
    changed = _changed(D, d1)
    assert changed and all(k.startswith("q_head.") for k in changed)  # only Q moves in the G+Q step
    assert _changed(G, g0)
    assert all(p.requires_grad for p in D.parameters())  # the frozen parts are restored
    no_mi, _ = build_family("infogan", **{"options.mi_in_d": False})
    assert "mi_loss_d" not in _run3(no_mi, "D", batch)[0]


def test_infogan_losses_are_adversarial_plus_weighted_mi() -> None:
    """The G+Q loss is g_loss + mi_loss; doubling both lambdas doubles the MI term of the same
    draws (the categorical cross-entropy and the continuous NLL are both weighted)."""
    fam, ds = build_family("infogan")
    twice, _ = build_family("infogan", **{"options.cat_weight": 2.0, "options.cont_weight": 2.0})
    twice.nets["G"].load_state_dict(fam.nets["G"].state_dict())
    twice.nets["D"].load_state_dict(fam.nets["D"].state_dict())
    out = []
    for f in (fam, twice):
        losses = _capture_losses(f)
        torch.manual_seed(3)
        stats = f.g_step(first_batch(ds))
        assert losses[0].item() == pytest.approx((stats["g_loss"] + stats["mi_loss"]).item())
        out.append(stats)
    assert out[1]["mi_loss"].item() == pytest.approx(2 * out[0]["mi_loss"].item(), rel=1e-5)
    assert out[1]["g_loss"].item() == pytest.approx(out[0]["g_loss"].item())


def test_infogan_mi_term_teaches_q_the_categorical_code() -> None:
    """Minimising only the MI loss over G and Q makes the code recoverable from the images."""
    from ganforge.nets.infogan import mutual_information_loss
    torch.manual_seed(0)
    G, D = build_pair("infogan")
    gen = torch.Generator().manual_seed(0)
    opt = torch.optim.Adam(list(G.parameters()) + q_parameters(D), lr=2e-2, betas=(0.5, 0.99))
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


def test_random_affine_is_a_random_differentiable_transform() -> None:
    from ganforge.families.infogan import random_affine
    x = torch.rand(4, 1, 12, 12, requires_grad=True)
    same = random_affine(x, rotate=0.0, scale=0.0, shear=0.0, shift=0.0)
    assert torch.allclose(same, x, atol=1e-5)  # no range: the identity
    torch.manual_seed(0)
    moved = random_affine(x)
    assert moved.shape == x.shape and not torch.allclose(moved, x, atol=1e-3)
    torch.manual_seed(0)
    assert torch.equal(random_affine(x), moved)  # draws from the seeded global RNG
    moved.sum().backward()
    assert x.grad is not None and x.grad.abs().sum() > 0


def test_infogan_aug_weight_adds_the_categorical_mi_of_transformed_fakes() -> None:
    """With aug_weight the G+Q loss is g_loss + mi_loss + mi_aug_loss, and the D loss gains
    mi_aug_loss_d; only Q's head moves in D during the G+Q step; the term is categorical only
    (cont_weight does not change it) and scales with aug_weight."""
    fam, ds = build_family("infogan", **{"options.aug_weight": 1.0})
    batch = first_batch(ds)
    d_stats = _run3(fam, "D", batch)
    assert d_stats[0]["mi_aug_loss_d"] > 0
    d1 = _snapshot(fam.nets["D"])
    assert _run3(fam, "G", batch)[0]["mi_aug_loss"] > 0
    changed = _changed(fam.nets["D"], d1)
    assert changed and all(k.startswith("q_head.") for k in changed)  # D's body stays fixed in the G+Q step
    names = {p.name: p for p in fam.phases()}
    assert "mi_aug_loss" in names["G"].losses and "mi_aug_loss_d" in names["D"].losses
    out = {}
    for key, over in {"1": {}, "2": {"options.aug_weight": 2.0}, "cont": {"options.cont_weight": 5.0}}.items():
        f, _ = build_family("infogan", **{"options.aug_weight": 1.0, **over})
        f.nets["G"].load_state_dict(fam.nets["G"].state_dict())
        f.nets["D"].load_state_dict(fam.nets["D"].state_dict())
        losses = _capture_losses(f)
        torch.manual_seed(3)
        stats = f.g_step(batch)
        assert losses[0].item() == pytest.approx((stats["g_loss"] + stats["mi_loss"] + stats["mi_aug_loss"]).item(),
                                                 rel=1e-5)
        out[key] = stats["mi_aug_loss"].item()
    assert out["2"] == pytest.approx(2 * out["1"], rel=1e-4)
    assert out["cont"] == pytest.approx(out["1"], rel=1e-4)
    off, _ = build_family("infogan")
    assert "mi_aug_loss" not in _run3(off, "G", batch)[0]


@pytest.mark.parametrize("bad", [-1.0, float("nan")])
def test_infogan_aug_weight_is_checked(bad: float) -> None:
    from ganforge.errors import GanforgeError
    with pytest.raises(GanforgeError, match="aug_weight"):
        build_family("infogan", **{"options.aug_weight": bad})


@pytest.mark.parametrize("family, conditional, ortho", [("biggan", False, True), ("biggan", True, True),
                                                        ("sngan", True, False)])
def test_biggan_and_sngan_phases(family: str, conditional: bool, ortho: bool) -> None:
    torch.manual_seed(0)
    fam, ds = build_family(family, **{"options.conditional": conditional, "train.augment": "translation"})
    G, D = fam.nets["G"], fam.nets["D"]
    assert bool(G.num_classes) == bool(D.num_classes) == conditional
    phases = {p.name: p for p in fam.phases()}
    assert phases["G"].losses == (("g_loss", "ortho") if ortho else ("g_loss",))
    batch = first_batch(ds)
    g0 = _snapshot(G)
    d_stats = _run3(fam, "D", batch)
    assert all(s["d_loss"] >= 0 for s in d_stats)  # the hinge loss is a sum of relus
    d1 = _snapshot(D)
    g_stats = _run3(fam, "G", batch)
    assert _changed(G, g0) and not _changed(D, d1)
    assert ("ortho" in g_stats[0]) == ortho
    if ortho:
        assert g_stats[0]["ortho"] > 0


def test_biggan_hinge_losses_by_hand() -> None:
    """D: E[relu(1 - D(x))] + E[relu(1 + D(G(z)))]; G: -E[D(G(z))], on the step's own logits
    (recorded by a hook on D) with the batch's labels for the fakes."""
    torch.manual_seed(0)
    fam, ds = build_family("biggan", **{"options.ortho_weight": 0.0})
    D = fam.nets["D"]
    seen: list[tuple[torch.Tensor, torch.Tensor]] = []
    D.register_forward_hook(lambda m, args, out: seen.append((out.detach(), args[1])))
    batch = first_batch(ds)
    d = fam.d_step(batch)
    (real, y_real), (fake, y_fake) = seen
    assert torch.equal(y_real, batch["y"]) and torch.equal(y_fake, batch["y"])
    expect = torch.relu(1 - real).mean() + torch.relu(1 + fake).mean()
    assert d["d_loss"].item() == pytest.approx(expect.item(), rel=1e-6)
    seen.clear()
    g = fam.g_step(batch)  # the G phase draws no data: fakes take the last batch's labels
    ((fake_g, y_g),) = seen
    assert torch.equal(y_g, batch["y"]) and g["g_loss"].item() == pytest.approx(-fake_g.mean().item(), rel=1e-6)


def test_biggan_g_loss_adds_the_orthogonal_term_without_the_shared_embedding() -> None:
    torch.manual_seed(0)
    fam, ds = build_family("biggan", **{"options.ortho_weight": 1.0})
    G = fam.nets["G"]
    reg = fam.g_regularizer()
    ortho = orthogonal_regularization(G, exclude=G.shared_parameters())
    assert set(reg) == {"ortho"} and ortho > 0 and torch.allclose(reg["ortho"], ortho)
    emb = G.latent.shared.weight
    assert torch.autograd.grad(reg["ortho"], emb, allow_unused=True)[0] is None  # no gradient into the embedding
    losses = _capture_losses(fam)
    stats = fam.g_step(first_batch(ds))
    assert losses[0].item() == pytest.approx((stats["g_loss"] + stats["ortho"]).item(), rel=1e-6)
    off, _ = build_family("biggan", **{"options.ortho_weight": 0.0})
    assert off.g_regularizer() == {}


def test_progan_phases_follow_the_schedule() -> None:
    torch.manual_seed(0)
    fam, ds = build_family("progan", **{"options.phase_steps": 2})
    G, D = fam.nets["G"], fam.nets["D"]
    assert [(p.name, p.losses) for p in fam.phases()] == [("D", ("d_loss", "gp", "drift")), ("G", ("g_loss",))]
    batch = first_batch(ds)
    seen = []
    for _ in range(6):
        stats = fam.d_step(batch)
        assert all(math.isfinite(float(v)) for v in stats.values()) and stats["gp"] >= 0 and stats["drift"] >= 0
        seen.append((int(stats["level"]), float(stats["alpha"])))
        assert G.stage == D.stage == seen[-1]
        fam.g_step(batch)
    assert seen == [(0, 1.0), (0, 1.0), (1, 0.0), (1, 0.5), (1, 1.0), (1, 1.0)]
    assert fam.extra_state() == {"iteration": 6}


def test_progan_d_loss_terms() -> None:
    """The D loss is the Wasserstein estimate + lambda GP + eps_drift E[D(x)^2]."""
    torch.manual_seed(0)
    fam, ds = build_family("progan", **{"options.drift": 0.5})
    losses = _capture_losses(fam)
    s = fam.d_step(first_batch(ds))
    assert s["d_loss"].item() == pytest.approx((s["d_fake"] - s["d_real"]).item(), rel=1e-5, abs=1e-6)
    expect = s["d_loss"] + fam.gp_weight * s["gp"] + 0.5 * s["drift"]
    assert fam.gp_weight == 10.0 and losses[0].item() == pytest.approx(expect.item(), rel=1e-6)
