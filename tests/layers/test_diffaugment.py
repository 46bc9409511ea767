"""DiffAugment: shape, range, differentiability, reproducibility, policy errors."""
from __future__ import annotations

import pytest
import torch

from ganforge.errors import GanforgeError
from ganforge.layers import diff_augment
from ganforge.layers.diffaugment import rand_brightness, rand_cutout, rand_translation


def _images(n: int = 8, c: int = 3, size: int = 16) -> torch.Tensor:
    return torch.rand(n, c, size, size, generator=torch.Generator().manual_seed(0)) * 2 - 1


def test_shape_and_reproducibility() -> None:
    x = _images()
    a = diff_augment(x, generator=torch.Generator().manual_seed(5))
    b = diff_augment(x, generator=torch.Generator().manual_seed(5))
    c = diff_augment(x, generator=torch.Generator().manual_seed(6))
    assert a.shape == x.shape and torch.equal(a, b) and not torch.equal(a, c)
    assert torch.isfinite(a).all()
    assert torch.equal(diff_augment(x, ""), x)


def test_geometric_transforms_only_move_or_zero_pixels() -> None:
    x = _images(16, 1, 32)
    y = diff_augment(x, "translation,cutout", torch.Generator().manual_seed(1))
    assert y.min() >= min(x.min(), 0) and y.max() <= max(x.max(), 0)
    zeros = (y == 0).flatten(1).float().mean(1)
    assert (zeros >= 0.25 * 0.5).all()  # cutout removes a 16x16 square, at least a quarter of it inside
    # a translated image is a shifted copy: every non-padded row appears in the source image
    t = rand_translation(x, torch.Generator().manual_seed(2))
    shifts = [s for s in range(-4, 5) for r in range(-4, 5)
              if torch.equal(t[0, 0, 4:-4, 4:-4], x[0, 0, 4 - s:28 - s, 4 - r:28 - r])]
    assert len(shifts) == 1


def test_cutout_squares_have_the_right_size_inside_the_image() -> None:
    x = torch.ones(200, 1, 8, 8)
    y = rand_cutout(x, torch.Generator().manual_seed(0))
    holes = (y == 0).flatten(1).sum(1)
    assert holes.max() == 16 and holes.min() >= 4  # 4x4 square, clipped to at least 2x2 at the corners


def test_colour_on_grey_images_changes_brightness_only() -> None:
    x = torch.zeros(64, 3, 4, 4)
    y = diff_augment(x, "color", torch.Generator().manual_seed(0))
    shift = y[:, 0, 0, 0]
    assert torch.allclose(y, shift.view(-1, 1, 1, 1).expand_as(y), atol=1e-6)  # a flat image stays flat
    assert shift.min() >= -0.5 and shift.max() < 0.5 and shift.std() > 0.2
    b = rand_brightness(x, torch.Generator().manual_seed(0))
    assert torch.allclose(b, y, atol=1e-6)  # brightness draws first; saturation and contrast change nothing


def test_gradients_flow_through_the_augmentation() -> None:
    x = _images(4).requires_grad_(True)
    y = diff_augment(x, generator=torch.Generator().manual_seed(3))
    (y * torch.randn_like(y)).sum().backward()
    assert x.grad is not None and torch.isfinite(x.grad).all() and x.grad.abs().sum() > 0
    assert torch.autograd.gradcheck(lambda t: diff_augment(t, generator=torch.Generator().manual_seed(4)),
                                    (torch.rand(2, 3, 8, 8, dtype=torch.float64, requires_grad=True),))


def test_global_rng_is_used_without_a_generator() -> None:
    x = _images()
    torch.manual_seed(11)
    a = diff_augment(x)
    torch.manual_seed(11)
    assert torch.equal(a, diff_augment(x))


def test_unknown_policy_names_the_accepted_ones() -> None:
    with pytest.raises(GanforgeError, match="color, translation, cutout"):
        diff_augment(_images(), "colour")
