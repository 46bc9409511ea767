"""Captioned MNIST / Fashion-MNIST: the measurements are right on synthetic strokes, and the
captions name exactly the bins the measurements give."""
from __future__ import annotations

import pytest
import torch

from ganforge.api import make_config
from ganforge.data import build_dataset
from ganforge.data.mnist_captions import (CAPTIONED_SETS, DIGIT_ATTRIBUTES, measure_clothes, measure_digits,
                                          write_captions)
from ganforge.data.vocab import Vocabulary, tokenize


def canvas(n: int = 1) -> torch.Tensor:
    return torch.zeros(n, 28, 28)


def to_images(x: torch.Tensor) -> torch.Tensor:
    """[0, 1] canvases (N, 28, 28) -> (N, 1, 28, 28) in [-1, 1], as datasets and generators give them."""
    return (x * 2 - 1).unsqueeze(1)


@pytest.mark.parametrize("w", [1, 2, 3, 4])
def test_thickness_of_a_vertical_bar_is_its_width(w: int) -> None:
    x = canvas()
    x[0, 4:24, 12:12 + w] = 1.0  # a stroke 20 px long, w px wide
    thickness = float(measure_digits(to_images(x))[0, 0])
    assert thickness == pytest.approx(20 * w / (20 + w), rel=1e-5)  # 2A/P = wL/(w+L): w for L >> w
    assert abs(thickness - w) < 0.2 * w + 0.01


def test_thickness_orders_thin_and_thick_strokes_of_any_shape() -> None:
    x = canvas(2)
    for i, w in enumerate((1, 3)):
        x[i, 4:24, 6:6 + w] = 1.0   # an L shape: vertical and horizontal strokes
        x[i, 24 - w:24, 6:22] = 1.0
    t = measure_digits(to_images(x))[:, 0]
    assert DIGIT_ATTRIBUTES[0].bins(t).tolist() == [0, 2]  # thin, thick


def test_slant_sign_and_size() -> None:
    x = canvas(3)
    for r in range(4, 24):
        x[0, r, 14 - (r - 14) // 2: 14 - (r - 14) // 2 + 2] = 1.0  # top to the right: leans right
        x[1, r, 13:15] = 1.0                                     # vertical
        x[2, r, 14 + (r - 14) // 2: 14 + (r - 14) // 2 + 2] = 1.0  # leans left
    s = measure_digits(to_images(x))[:, 1]
    assert s[0] == pytest.approx(0.5, abs=0.05) and abs(float(s[1])) < 1e-5 and s[2] == pytest.approx(-0.5, abs=0.05)
    assert DIGIT_ATTRIBUTES[1].bins(s).tolist() == [2, 1, 0]


def test_width_is_the_bounding_box() -> None:
    x = canvas(2)
    x[0, 10:12, 5:9] = 1.0
    x[1, 3:20, 2:24] = 0.6
    assert measure_digits(to_images(x))[:, 2].tolist() == [4.0, 22.0]


def test_measurements_accept_32px_and_uint8_alike() -> None:
    x = canvas()
    x[0, 4:24, 10:13] = 1.0
    a = measure_digits((x * 255).round().to(torch.uint8))
    b = measure_digits(torch.nn.functional.interpolate(to_images(x), size=32, mode="bilinear", antialias=True))
    assert torch.allclose(a, measure_digits(to_images(x)))
    assert abs(float(a[0, 2]) - float(b[0, 2])) <= 1 and abs(float(a[0, 0]) - float(b[0, 0])) < 0.6


def test_clothes_brightness_and_size() -> None:
    x = canvas()
    x[0, :14, :] = 0.8  # half the image at 0.8
    b, s = measure_clothes(to_images(x))[0].tolist()
    assert b == pytest.approx(0.8, abs=1e-5) and s == pytest.approx(0.5)


def test_captions_name_the_measured_bins() -> None:
    spec = CAPTIONED_SETS["mnist-captions"]
    bins = torch.tensor([[0, 2, 1], [2, 0, 2]])
    caps, named = write_captions(spec, torch.tensor([7, 1]), bins, k=20, seed=0, mention=0.7)
    for i in range(2):
        for j, text in enumerate(caps[i]):
            words = " ".join(tokenize(text, lowercase=True))
            assert ("seven" in words or "7" in words) if i == 0 else ("one" in words or "1" in words.split())
            for a, attr in enumerate(spec.attributes):
                said = {b for b in range(3) for w in attr.words[b] if " ".join(tokenize(w)) in words}
                if named[i, j, a] >= 0:
                    assert named[i, j, a] == bins[i, a] and bins[i, a].item() in said, (text, attr.name)
                else:
                    assert not said, (text, attr.name)
    again, _ = write_captions(spec, torch.tensor([7, 1]), bins, k=20, seed=0, mention=0.7)
    assert again == caps  # seeded: the same captions every time


@pytest.mark.parametrize("name", ["mnist-captions", "fashion-mnist-captions"])
def test_builtin_sets_keep_their_measurements(name: str) -> None:
    cfg = make_config("attngan", **{"data.name": name, "data.limit": 40, "data.split": "test"})
    ds = build_dataset(cfg.data)
    spec = CAPTIONED_SETS[name]
    assert ds.x.shape == (40, 1, 32, 32) and ds.info.kind == "captioned" and ds.info.num_classes == 10
    # the kept values are the measurements of the images as the model sees them (32 px)
    assert torch.equal(spec.measure(ds.x), ds.fields["attrs"])
    bins = torch.stack([a.bins(ds.fields["attrs"][:, i]) for i, a in enumerate(spec.attributes)], 1)
    named = ds.fields["caption_attrs"]
    assert ((named == -1) | (named == bins[:, None, :])).all()
    vocab = Vocabulary.from_dict(ds.info.extra["vocab"])
    assert (ds.fields["captions"] != vocab.unk_id).all() and len(ds.caption_texts(0)) == 5
    assert [a["name"] for a in ds.info.extra["attributes"]] == [a.name for a in spec.attributes]
