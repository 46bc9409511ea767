"""CycleGAN's ImagePool: the history of generated images its discriminators also see."""
from __future__ import annotations

import torch
from safetensors.torch import load, save

from ganforge.families.cyclegan import ImagePool


def batch(start: float, n: int = 4) -> torch.Tensor:
    """n images (1, 2, 2), image i filled with start + i, so images are identifiable."""
    return (start + torch.arange(n, dtype=torch.float32)).view(n, 1, 1, 1).expand(n, 1, 2, 2).clone()


def ids(t: torch.Tensor) -> list[float]:
    return t[:, 0, 0, 0].tolist()


def test_pool_fills_then_mixes_history_reproducibly():
    pool = ImagePool(6)
    first = pool.query(batch(0), torch.Generator().manual_seed(0))
    assert ids(first) == [0, 1, 2, 3] and len(pool) == 4
    second = pool.query(batch(10), torch.Generator().manual_seed(0))
    assert ids(second)[:2] == [10, 11] and len(pool) == 6  # fills up to 6 first
    g = torch.Generator().manual_seed(0)
    outs = [ids(pool.query(batch(100 + 10 * k), g)) for k in range(20)]
    flat = [v for o in outs for v in o]
    assert any(v < 100 for v in flat)  # images stored before these queries come back
    fresh = sum(v == 100 + 10 * k + i for k, o in enumerate(outs) for i, v in enumerate(o))
    assert 0.25 < fresh / len(flat) < 0.75  # about half the images are the new ones
    assert len(pool) == 6


def test_pool_state_dict_replays_exactly():
    pool = ImagePool(5)
    g = torch.Generator().manual_seed(1)
    for k in range(3):
        pool.query(batch(10 * k), g)
    state = load(save(pool.state_dict()))  # safetensors round trip
    g_state = g.get_state()
    expected = [pool.query(batch(100 + k), g) for k in range(4)]
    restored = ImagePool(50)
    restored.load_state_dict(state)
    g2 = torch.Generator()
    g2.set_state(g_state)
    assert restored.size == 5
    for k in range(4):
        assert torch.equal(restored.query(batch(100 + k), g2), expected[k])
    empty = ImagePool(3)
    empty.load_state_dict(ImagePool(3).state_dict())
    assert len(empty) == 0


def test_pool_size_zero_passes_through():
    pool = ImagePool(0)
    x = batch(0)
    assert torch.equal(pool.query(x), x) and len(pool) == 0

