"""Toy mode-collapse metrics (VEEGAN / PacGAN protocol) and the mixture constants."""
import math

import numpy as np
import pytest
import torch

from ganforge.errors import GanforgeError
from ganforge.metrics.toy import TOY_MODES, mode_metrics, toy_metrics


def _sample(name: str, n: int, seed: int = 0) -> torch.Tensor:
    centres, std = TOY_MODES[name]
    g = torch.Generator().manual_seed(seed)
    idx = torch.randint(len(centres), (n,), generator=g)
    return centres[idx] + std * torch.randn(n, 2, generator=g, dtype=torch.float64)


def test_constants_follow_pacgan():
    ring, ring_std = TOY_MODES["ring8"]
    grid, grid_std = TOY_MODES["grid25"]
    assert ring.shape == (8, 2) and ring_std == 0.01
    assert torch.allclose(ring.norm(dim=1), torch.ones(8, dtype=torch.float64))
    assert grid.shape == (25, 2) and grid_std == 0.05
    assert sorted(set(grid[:, 0].tolist())) == [-4.0, -2.0, 0.0, 2.0, 4.0]


@pytest.mark.parametrize("name,k", [("ring8", 8), ("grid25", 25)])
def test_true_samples_capture_every_mode(name, k):
    m = toy_metrics(_sample(name, 2500), name)
    assert m["modes_captured"] == k and m["num_modes"] == k
    # P(|x - mu| < 3 std) for a 2-D Gaussian is 1 - exp(-4.5) = 0.989
    assert m["high_quality"] == pytest.approx(1 - math.exp(-4.5), abs=0.01)
    assert 0 <= m["reverse_kl"] < 0.02


def test_collapse_to_one_mode():
    centres, std = TOY_MODES["ring8"]
    x = centres[2] + 0.5 * std * torch.randn(2500, 2, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    m = toy_metrics(x, "ring8")
    assert m["modes_captured"] == 1 and m["high_quality"] == 1.0
    assert m["reverse_kl"] == pytest.approx(math.log(8))


def test_quality_threshold_and_histogram():
    centres = np.array([[0.0, 0.0], [10.0, 0.0]])
    x = np.array([[0.0, 0.29], [0.0, -0.1], [10.0, 0.31], [5.0, 5.0]])
    m = mode_metrics(x, centres, std=0.1)
    assert m["modes_captured"] == 1 and m["high_quality"] == 0.5
    assert m["reverse_kl"] == pytest.approx(math.log(2))
    m = mode_metrics(np.array([[0.0, 0.0], [10.0, 0.0], [0.0, 0.1]]), centres, std=0.1)
    q = np.array([2 / 3, 1 / 3])
    assert m["modes_captured"] == 2 and m["reverse_kl"] == pytest.approx(float((q * np.log(q * 2)).sum()))
    assert mode_metrics(np.array([[5.0, 5.0]]), centres, std=0.1)["reverse_kl"] == pytest.approx(math.log(2))


def test_errors():
    with pytest.raises(GanforgeError, match="accepted names"):
        toy_metrics(np.zeros((3, 2)), "ring9")
    with pytest.raises(GanforgeError, match="samples"):
        mode_metrics(np.zeros((3, 3)), np.zeros((2, 2)), 0.1)


def test_evaluate_toy_samples_a_generator():
    from ganforge.metrics.toy import evaluate_toy
    from ganforge.nets import build_net

    G = build_net("mlp_g", z_dim=2, out_shape=(2,), hidden=(8,))
    torch.nn.init.zeros_(G.net[-1].weight)
    torch.nn.init.zeros_(G.net[-1].bias)
    with torch.no_grad():
        G.net[-1].bias.copy_(TOY_MODES["grid25"][0][7].float())  # every sample exactly on mode 7
    m = evaluate_toy(G, "grid25", n=300)
    assert m == {"modes_captured": 1.0, "high_quality": 1.0, "reverse_kl": pytest.approx(math.log(25)),
                 "num_modes": 25.0}
    assert G.training
