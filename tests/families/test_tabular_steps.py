import pytest
import torch

from ganforge.families._tabular_steps import cond_loss, d_step, g_step, gradient_penalty
from ganforge.nets import load_model, save_model
from ganforge.nets.tabular import TabularDiscriminator, TabularGenerator, apply_activations, gumbel_softmax

SPANS = [[1, "tanh"], [2, "softmax"], [3, "softmax"]]
DISCRETE = [{"offset": 3, "size": 3}]  # one discrete column: the last span


def test_gumbel_softmax_and_activations():
    logits = torch.tensor([[10.0, 0.0, 0.0]]).repeat(1000, 1)
    y = gumbel_softmax(logits, 0.2, torch.Generator().manual_seed(0))
    assert torch.allclose(y.sum(1), torch.ones(1000))
    assert (y.argmax(1) == 0).float().mean() > 0.99
    # seeded and of scale 3: tanh of an unseeded draw of scale 5 rounded to 1.0 in float32 now and then
    raw = torch.randn(4, 6, generator=torch.Generator().manual_seed(1)) * 3
    out = apply_activations(raw, SPANS, 0.2, torch.Generator().manual_seed(0))
    assert out[:, 0].abs().max() < 1 and torch.allclose(out[:, 0], raw[:, 0].tanh())
    assert torch.allclose(out[:, 1:3].sum(1), torch.ones(4)) and torch.allclose(out[:, 3:].sum(1), torch.ones(4))


def test_cond_loss_hand_cases():
    cond = torch.tensor([[0.0, 1.0, 0.0]])
    mask = torch.ones(1, 1)
    right = torch.tensor([[0.0, 0.0, 0.0, -20.0, 20.0, -20.0]])
    wrong = torch.tensor([[0.0, 0.0, 0.0, 20.0, -20.0, -20.0]])
    assert cond_loss(right, DISCRETE, cond, mask) < 1e-6
    assert cond_loss(wrong, DISCRETE, cond, mask) == pytest.approx(40.0, abs=1e-3)
    assert cond_loss(wrong, DISCRETE, cond, torch.zeros(1, 1)) == 0.0


def test_gradient_penalty_zero_for_unit_linear_critic():
    D = TabularDiscriminator(data_dim=6, cond_dim=3, hidden=(), pac=2)
    with torch.no_grad():
        w = torch.randn_like(D.net[0].weight)
        D.net[0].weight.copy_(w / w.norm())
    x, y, c = torch.randn(4, 6), torch.randn(4, 6), torch.zeros(4, 3)
    assert gradient_penalty(D, x, y, c, c).item() == pytest.approx(0.0, abs=1e-10)
    with torch.no_grad():
        D.net[0].weight.mul_(3.0)  # gradient norm 3 -> penalty (3 - 1)^2 = 4
    assert gradient_penalty(D, x, y, c, c).item() == pytest.approx(4.0, rel=1e-5)


def test_steps_finite_and_change_weights(tmp_path):
    torch.manual_seed(0)
    G = TabularGenerator(z_dim=4, cond_dim=3, data_dim=6, spans=SPANS, hidden=(8,))
    D = TabularDiscriminator(data_dim=6, cond_dim=3, hidden=(8,), pac=2)
    opt_g, opt_d = torch.optim.Adam(G.parameters(), 1e-2), torch.optim.Adam(D.parameters(), 1e-2)
    c = torch.nn.functional.one_hot(torch.tensor([0, 1, 2, 0]), 3).float()
    batch = {"z": torch.randn(4, 4), "c_fake": c, "real": apply_activations(torch.randn(4, 6), SPANS), "c_real": c,
             "mask": torch.ones(4, 1)}
    g0, d0 = G.out.weight.detach().clone(), D.net[0].weight.detach().clone()
    for _ in range(2):
        out = {**d_step(G, D, opt_d, batch), **g_step(G, D, opt_g, batch, DISCRETE)}
        assert all(torch.isfinite(torch.tensor(v)) for v in out.values())
    assert not torch.equal(g0, G.out.weight) and not torch.equal(d0, D.net[0].weight)
    save_model(G, tmp_path / "g")
    G2 = load_model(tmp_path / "g")
    G.eval()
    torch.testing.assert_close(G2.raw(batch["z"], c), G.raw(batch["z"], c))
    assert D(batch["real"], c).shape == (2,)
