"""The MNIST-derived image-to-image tasks, on the first 64 test images."""
from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from ganforge.config import DataConfig
from ganforge.data import build_dataset
from ganforge.data.idx import load_mnist
from ganforge.data.mnist_tasks import dilate, erode
from ganforge.errors import GanforgeError


def build(name: str, limit: int = 64, **kw):
    return build_dataset(DataConfig(name=name, split="test", limit=limit, **kw))


@pytest.fixture(scope="module")
def source() -> tuple[torch.Tensor, torch.Tensor]:
    x, y = load_mnist("test", limit=64)
    return x.float().div(127.5).sub(1).unsqueeze(1), y


def all_of(ds):
    return ds.get_batch(torch.arange(len(ds)), torch.Generator().manual_seed(0))


@pytest.mark.parametrize("name,a_shape,b_shape", [
    ("mnist-edges2digits", (1, 28, 28), (1, 28, 28)),
    ("mnist-colorize", (1, 28, 28), (3, 28, 28)),
    ("mnist-sr", (1, 7, 7), (1, 28, 28)),
    ("mnist-inpaint", (1, 28, 28), (1, 28, 28)),
])
def test_paired_tasks_shapes_ranges_labels(name, a_shape, b_shape, source):
    ds = build(name)
    batch = all_of(ds)
    assert len(ds) == 64 and ds.info.kind == "paired" and ds.info.num_classes == 10
    assert tuple(batch["a"].shape) == (64, *a_shape) and tuple(batch["b"].shape) == (64, *b_shape)
    for k in ("a", "b"):
        assert batch[k].dtype == torch.float32 and batch[k].min() >= -1 and batch[k].max() <= 1
    assert torch.equal(batch["y"], source[1])
    if name != "mnist-colorize":
        assert torch.allclose(batch["b"], source[0])  # the target is the digit itself


def test_edges_are_a_thin_outline_outside_the_ink(source):
    a = all_of(build("mnist-edges2digits"))["a"]
    assert set(a.unique().tolist()) == {-1.0, 1.0}
    ink = (source[0] + 1) / 2 > 0.5
    edge = a > 0
    assert not (edge & ink).any()
    # every edge pixel touches ink (4-neighbourhood)
    touches = F.max_pool2d(ink.float(), 3, 1, 1) > 0
    assert (edge <= touches).all()
    assert 0.05 < edge.float().mean() < 0.3


def test_colorize_colours_are_fixed_per_image_and_digit_is_brighter():
    small, big = all_of(build("mnist-colorize", limit=16)), all_of(build("mnist-colorize", limit=64))
    assert torch.equal(small["b"], big["b"][:16])
    b, a = big["b"], big["a"]
    corner = b[:, :, 0, 0]  # background colour (MNIST corners are empty)
    assert not torch.allclose(corner[0], corner[1])
    lum = (b * torch.tensor([0.299, 0.587, 0.114]).view(1, 3, 1, 1)).sum(1)
    ink = a[:, 0] > 0.9
    assert (lum[ink].mean() > lum[~ink].mean() + 0.5)
    other_seed = all_of(build("mnist-colorize", limit=16, options={"seed": 1}))["b"]
    assert not torch.equal(other_seed, small["b"])


@pytest.mark.parametrize("scale", [2, 4])
def test_sr_low_res_is_the_block_average(scale):
    batch = all_of(build("mnist-sr", options={"scale": scale}))
    assert batch["a"].shape[-1] == 28 // scale
    assert torch.allclose(batch["a"], F.avg_pool2d(batch["b"], scale), atol=1e-6)
    bic = all_of(build("mnist-sr", limit=8, options={"scale": scale, "downsample": "bicubic"}))
    assert bic["a"].shape[-1] == 28 // scale and not torch.allclose(bic["a"], batch["a"][:8])


def test_inpaint_mask_hole_and_determinism():
    ds = build("mnist-inpaint")
    batch = all_of(ds)
    a, b, mask = batch["a"], batch["b"], batch["mask"]
    assert tuple(mask.shape) == (64, 1, 28, 28)
    assert torch.equal(mask.sum((1, 2, 3)), torch.full((64,), 144.0))  # 12 x 12 holes
    assert torch.equal(a[mask.bool()], torch.zeros(int(mask.sum())))  # hole filled with 0
    assert torch.equal(a[~mask.bool()], b[~mask.bool()])
    rows = mask[:, 0].amax(2).float().argmax(1)
    assert len(rows.unique()) > 3  # positions vary between images
    assert torch.equal(all_of(build("mnist-inpaint", limit=10))["mask"], mask[:10])
    custom = all_of(build("mnist-inpaint", limit=4, options={"hole": 6, "fill": -1.0}))
    assert torch.equal(custom["mask"].sum((1, 2, 3)), torch.full((4,), 36.0))


@pytest.mark.parametrize("name", ["mnist-thin2thick", "mnist-invert"])
def test_unpaired_domains_never_share_a_source(name, source):
    ds = build(name)
    assert ds.info.kind == "unpaired"
    a, ya, b, yb = ds.fields["a"], ds.fields["ya"], ds.fields_b["b"], ds.fields_b["yb"]
    assert len(a) + len(b) == 64 and len(a) > 10 and len(b) > 10
    x = source[0]
    if name == "mnist-invert":
        in_a = [(x == img).flatten(1).all(1).nonzero().item() for img in a]
        in_b = [(x == -img).flatten(1).all(1).nonzero().item() for img in b]
    else:
        thin, thick = (a + 1).sum((1, 2, 3)), (b + 1).sum((1, 2, 3))
        assert thin.mean() < (x + 1).sum((1, 2, 3)).mean() < thick.mean()
        unit = (x + 1) / 2
        thin_x, thick_x = erode(unit, 2) * 2 - 1, dilate(unit, 3) * 2 - 1
        in_a = [(thin_x == img).flatten(1).all(1).nonzero().item() for img in a]
        in_b = [(thick_x == img).flatten(1).all(1).nonzero().item() for img in b]
        # the eroded image lies inside the digit, the dilated one covers it
        assert ((a > -1) <= (x[in_a] > -1)).all() and ((x[in_b] > -1) <= (b > -1)).all()
    assert sorted(in_a + in_b) == list(range(64))
    assert torch.equal(ya, source[1][in_a]) and torch.equal(yb, source[1][in_b])


def test_unpaired_batches_are_reproducible_from_the_generator():
    ds = build("mnist-invert")
    idx = torch.arange(8)
    b1 = ds.get_batch(idx, torch.Generator().manual_seed(5))
    b2 = ds.get_batch(idx, torch.Generator().manual_seed(5))
    b3 = ds.get_batch(idx, torch.Generator().manual_seed(6))
    assert torch.equal(b1["b"], b2["b"]) and torch.equal(b1["yb"], b2["yb"])
    assert not torch.equal(b1["b"], b3["b"])
    assert torch.equal(b1["a"], ds.fields["a"][:8])
    assert set(b1) == {"a", "ya", "b", "yb"}
    assert len(ds.subset(torch.arange(5))) == 5 and ds.subset(torch.arange(5)).len_b() == ds.len_b()


def test_channels_resolution_and_option_errors():
    rgb = all_of(build("mnist-edges2digits", limit=4, channels=3))
    assert rgb["a"].shape[1] == 3 and rgb["b"].shape[1] == 3
    big = all_of(build("mnist-sr", limit=4, resolution=32, options={"scale": 2}))
    assert tuple(big["a"].shape[-2:]) == (16, 16) and tuple(big["b"].shape[-2:]) == (32, 32)
    with pytest.raises(GanforgeError, match="scale"):
        build("mnist-sr", limit=4, options={"scale": 3})
    with pytest.raises(GanforgeError, match="not understood.*accepted: seed"):
        build("mnist-invert", limit=4, options={"sede": 1})
    with pytest.raises(GanforgeError, match="must be int"):
        build("mnist-inpaint", limit=4, options={"hole": "big"})
    with pytest.raises(GanforgeError, match="divisible"):
        build("mnist-sr", limit=4, resolution=30, options={"scale": 4})
    with pytest.raises(GanforgeError, match="one domain empty"):
        build("mnist-invert", limit=1)
