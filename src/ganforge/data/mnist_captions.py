"""Captioned MNIST and Fashion-MNIST (``mnist-captions``, ``fashion-mnist-captions``): the real
images, each with several captions written from its label and from attributes measured on the
image itself, and the measured values kept, so that generated images can be checked against
the caption they were made from with the same measurements (:mod:`ganforge.metrics.text2image`).

Attributes (measured at 28 px on the gray image in [0, 1]; other sizes are resized to 28 first;
the dataset measures its images as the model sees them, after any resize, i.e. exactly as
generated images are measured):

- digits: ``thickness`` (mean stroke width in px: twice the ink area over the ink perimeter,
  ink = pixels above 0.5; a stroke of width w and length L >> w gives w), ``slant`` (the
  intensity-weighted shear cov(x, y) / var(y) with y pointing up: > 0 leans right) and
  ``width`` (the ink's bounding-box width in px). MNIST digits are size-normalised into a
  20 x 20 box and centred by their centre of mass, so height and position are the same for
  (almost) every digit and are not used;
- clothes: ``brightness`` (mean intensity of the pixels above 0.1) and ``size`` (the share of
  the image above 0.1), plus the class's own words ("ankle boot", "pullover"...).

Each attribute falls in one of three bins by fixed thresholds (about the tertiles of the
training set), and each bin has its words: thin / regular / thick strokes, slanted left /
upright / slanted right, narrow / mid-width / wide; dark / mid-tone / light, small /
medium-sized / large. A caption mentions a random subset of the attributes (drawn with a seeded
generator, so the captions are the same every time). Extra fields: ``y`` (N,) the class,
``attrs`` (N, A) the measured values, ``caption_attrs`` (N, K, A) the bin each caption names
(-1: not named).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
import torch
from torch.nn import functional as F

from ..errors import GanforgeError
from .base import register_dataset, resize_images, to_unit_range
from .captions import CaptionDataset, caption_info, caption_options, encode_captions
from .idx import load_idx_split
from .vocab import Vocabulary

MEASURE_SIDE = 28


@dataclass(frozen=True)
class Attribute:
    """A measured attribute: values below ``thresholds[0]`` are bin 0, above ``thresholds[1]`` bin 2;
    ``words[b]`` are the phrases that name bin b."""

    name: str
    thresholds: tuple[float, float]
    words: tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]

    def bins(self, values: torch.Tensor) -> torch.Tensor:
        return (values > self.thresholds[0]).long() + (values > self.thresholds[1]).long()


DIGIT_ATTRIBUTES = (
    Attribute("thickness", (1.7, 2.25), (("thin", "fine"), ("regular", "medium"), ("thick", "bold"))),
    Attribute("slant", (-0.05, 0.2), (("slanted left", "leaning left"), ("upright", "standing straight"),
                                      ("slanted right", "leaning right"))),
    Attribute("width", (12.5, 17.5), (("narrow", "slim"), ("mid-width",), ("wide", "broad"))),
)
FASHION_ATTRIBUTES = (
    Attribute("brightness", (0.5, 0.64), (("dark", "dim"), ("mid-tone",), ("light", "bright"))),
    Attribute("size", (0.4, 0.58), (("small", "little"), ("medium-sized",), ("large", "big"))),
)
DIGIT_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
FASHION_WORDS = (("t-shirt", "top", "tee"), ("pair of trousers", "pair of pants"), ("pullover", "sweater", "jumper"),
                 ("dress",), ("coat", "jacket"), ("sandal",), ("shirt",), ("sneaker", "trainer"),
                 ("bag", "handbag"), ("ankle boot", "boot"))


def _gray28(x: torch.Tensor) -> torch.Tensor:
    """(N, H, W) uint8 or (N, C, H, W) float in [-1, 1] -> (N, 28, 28) float in [0, 1]."""
    if x.dtype == torch.uint8:
        x = to_unit_range(x.unsqueeze(1) if x.dim() == 3 else x)
    x = x.float()
    if x.dim() == 3:
        x = x.unsqueeze(1)
    if x.shape[1] == 3:
        x = (x * torch.tensor([0.299, 0.587, 0.114], device=x.device).view(1, 3, 1, 1)).sum(1, keepdim=True)
    if x.shape[-1] != MEASURE_SIDE or x.shape[-2] != MEASURE_SIDE:
        x = F.interpolate(x, size=(MEASURE_SIDE, MEASURE_SIDE), mode="bilinear", align_corners=False, antialias=True)
    return ((x[:, 0] + 1.0) / 2.0).clamp(0.0, 1.0)


def stroke_thickness(ink: torch.Tensor) -> torch.Tensor:
    """(N,) mean stroke width in px of binary images (N, H, W): 2 * area / perimeter, the
    perimeter counted as the ink/background edges between 4-neighbours."""
    ink = ink.float()
    area = ink.sum((1, 2))
    p = F.pad(ink, (1, 1, 1, 1))
    perimeter = (p[:, 1:, :] - p[:, :-1, :]).abs().sum((1, 2)) + (p[:, :, 1:] - p[:, :, :-1]).abs().sum((1, 2))
    return 2.0 * area / perimeter.clamp_min(1.0)


def shear_slant(x: torch.Tensor) -> torch.Tensor:
    """(N,) intensity-weighted shear cov(col, up) / var(up) of images (N, H, W) in [0, 1]
    (> 0: the top leans right). An empty image gives 0."""
    h, w = x.shape[-2:]
    mass = x.sum((1, 2), keepdim=True).clamp_min(1e-6)
    p = x / mass
    rows = torch.arange(h, dtype=x.dtype, device=x.device).view(1, -1, 1)
    cols = torch.arange(w, dtype=x.dtype, device=x.device).view(1, 1, -1)
    up = -(rows - (p * rows).sum((1, 2), keepdim=True))
    right = cols - (p * cols).sum((1, 2), keepdim=True)
    return (p * right * up).sum((1, 2)) / (p * up * up).sum((1, 2)).clamp_min(1e-6)


def ink_width(ink: torch.Tensor) -> torch.Tensor:
    """(N,) width in px of the bounding box of binary images (N, H, W) (0 when empty)."""
    cols = ink.any(1)
    idx = torch.arange(ink.shape[-1], device=ink.device).expand_as(cols)
    left = torch.where(cols, idx, ink.shape[-1]).amin(1)
    right = torch.where(cols, idx, -1).amax(1)
    return (right - left + 1).clamp_min(0).float()


def measure_digits(x: torch.Tensor) -> torch.Tensor:
    """(N, 3) thickness, slant, width of digit images ((N, H, W) uint8 or (N, C, H, W) in [-1, 1])."""
    g = _gray28(x)
    ink = g > 0.5
    return torch.stack([stroke_thickness(ink), shear_slant(g), ink_width(ink)], dim=1)


def measure_clothes(x: torch.Tensor) -> torch.Tensor:
    """(N, 2) brightness, size of clothing images ((N, H, W) uint8 or (N, C, H, W) in [-1, 1])."""
    g = _gray28(x)
    on = (g > 0.1).float()
    brightness = (g * on).sum((1, 2)) / on.sum((1, 2)).clamp_min(1.0)
    return torch.stack([brightness, on.mean((1, 2))], dim=1)


@dataclass(frozen=True)
class CaptionedSet:
    """A built-in captioned set: its IDX source, attributes, measurement and caption writer."""

    source: str
    attributes: tuple[Attribute, ...]
    measure: Callable[[torch.Tensor], torch.Tensor]
    write: Callable[[np.random.Generator, int, list[int | None]], str]
    class_names: list[str]


def attribute_bins(attributes: tuple[Attribute, ...], values: torch.Tensor) -> torch.Tensor:
    """(N, A) bins of measured values (N, A)."""
    return torch.stack([a.bins(values[:, i]) for i, a in enumerate(attributes)], dim=1)


def _pick(rng: np.random.Generator, words: tuple[str, ...]) -> str:
    return words[int(rng.integers(len(words)))]


def write_digit_caption(rng: np.random.Generator, label: int, bins: list[int | None]) -> str:
    """One caption of digit ``label`` naming the attributes whose bin is given (None: not named)."""
    t, s, w = (None if b is None else _pick(rng, a.words[b]) for a, b in zip(DIGIT_ATTRIBUTES, bins))
    digit = DIGIT_WORDS[label]
    form = int(rng.integers(3))
    if form == 0:
        adjs = " ".join(p for p in (t, w) if p)
        text = f"a {adjs} {digit}" if adjs else f"a {digit}"
        return text + (f" {s}" if s else "")
    if form == 1:
        adjs = " and ".join(p for p in (t, w) if p)
        text = f"a handwritten {digit}" + (f" that is {adjs}" if adjs else "")
        return text + (f" , {s}" if s else "")
    text = f"the digit {label if rng.integers(2) else digit}"
    text += f" in {t} strokes" if t else ""
    text += f" , {w}" if w else ""
    return text + (f" , {s}" if s else "")


def write_clothes_caption(rng: np.random.Generator, label: int, bins: list[int | None]) -> str:
    b, s = (None if k is None else _pick(rng, a.words[k]) for a, k in zip(FASHION_ATTRIBUTES, bins))
    thing = _pick(rng, FASHION_WORDS[label])
    adjs = " ".join(p for p in (s, b) if p)
    form = int(rng.integers(3))
    lead = "an" if not adjs and thing[0] in "aeiou" else "a"
    if form == 0:
        return f"{lead} {adjs} {thing}" if adjs else f"{lead} {thing}"
    if form == 1:
        return f"a picture of {lead} {adjs} {thing}" if adjs else f"a picture of {lead} {thing}"
    return f"{thing}" + (f" , {s}" if s else "") + (f" , {b}" if b else "")


def write_captions(spec: CaptionedSet, labels: torch.Tensor, bins: torch.Tensor, k: int, seed: int,
                   mention: float = 0.7) -> tuple[list[list[str]], torch.Tensor]:
    """``k`` captions per image and (N, k, A) the bin each names (-1: not named). Each
    attribute is named with probability ``mention``; the draws come from a generator seeded
    ``seed``, so the same images always get the same captions."""
    rng = np.random.default_rng(seed)
    n, a = bins.shape
    named = rng.random((n, k, a)) < mention
    caps: list[list[str]] = []
    cattrs = torch.full((n, k, a), -1, dtype=torch.int64)
    bins_l, labels_l = bins.tolist(), labels.tolist()
    for i in range(n):
        row = []
        for j in range(k):
            chosen = [bins_l[i][m] if named[i, j, m] else None for m in range(a)]
            row.append(spec.write(rng, labels_l[i], chosen))
            for m in range(a):
                if chosen[m] is not None:
                    cattrs[i, j, m] = chosen[m]
        caps.append(row)
    return caps, cattrs


CAPTIONED_SETS: dict[str, CaptionedSet] = {
    "mnist-captions": CaptionedSet("mnist", DIGIT_ATTRIBUTES, measure_digits, write_digit_caption,
                                   [str(i) for i in range(10)]),
    "fashion-mnist-captions": CaptionedSet("fashion-mnist", FASHION_ATTRIBUTES, measure_clothes,
                                           write_clothes_caption,
                                           ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
                                            "Sneaker", "Bag", "Ankle boot"]),
}
OPTIONS: dict[str, Any] = {"max_len": 16, "captions_per_image": 5, "seed": 0}


def all_words(spec: CaptionedSet, labels: range = range(10)) -> list[str]:
    """Every word the writer can produce is in these texts (for a vocabulary that does not depend
    on which images were drawn): for each class, captions naming every bin, and naming none."""
    texts = []
    rng = np.random.default_rng(0)
    for label in labels:
        for bins in [[b] * len(spec.attributes) for b in range(3)] + [[None] * len(spec.attributes)]:
            for _ in range(40):
                texts.append(spec.write(rng, label, bins))
    return texts


def build_captioned(name: str, cfg: Any) -> CaptionDataset:
    spec = CAPTIONED_SETS[name]
    opts = caption_options(cfg, name, OPTIONS)
    images, labels = load_idx_split(spec.source, cfg.split, cfg.root)
    if cfg.limit is not None:
        if cfg.limit <= 0:
            raise GanforgeError(f"data.limit must be positive, got {cfg.limit}")
        images, labels = images[: cfg.limit], labels[: cfg.limit]
    x = to_unit_range(images.unsqueeze(1))
    if cfg.channels == 3:
        x = x.expand(-1, 3, -1, -1).contiguous()
    elif cfg.channels not in (None, 1):
        raise GanforgeError(f"data.channels must be 1 or 3, got {cfg.channels}")
    x = resize_images(x, cfg.resolution or 32)
    # measured on the images as the model sees them, the way generated images are measured
    values = spec.measure(x)
    bins = attribute_bins(spec.attributes, values)
    # the split's seed is mixed in so train and test images get their own caption draws
    caps, cattrs = write_captions(spec, labels, bins, opts["captions_per_image"],
                                  seed=int(opts["seed"]) * 1009 + {"train": 0, "test": 1, "all": 2}[cfg.split])
    # the vocabulary of every caption the writer can make, fixed whatever the split or limit
    vocab = Vocabulary.build(all_words(spec), mode="word", lowercase=True)
    ids, counts = encode_captions(vocab, caps, opts["captions_per_image"], opts["max_len"])
    attrs = [{"name": a.name, "thresholds": list(a.thresholds), "words": [list(w) for w in a.words]}
             for a in spec.attributes]
    info = caption_info(name, x, vocab, opts, caps, num_classes=10, class_names=spec.class_names,
                        attributes=attrs, measure=name, split=cfg.split)
    return CaptionDataset({"x": x.contiguous(), "y": labels, "captions": ids, "n_captions": counts,
                           "attrs": values, "caption_attrs": cattrs}, info)


for _name, _help in (("mnist-captions", "MNIST digits at 32 px, 5 captions each from the label and measured stroke "
                                         "thickness, slant and width"),
                     ("fashion-mnist-captions", "Fashion-MNIST at 32 px, 5 captions each from the class words and "
                                                "measured brightness and size")):
    register_dataset(_name, help=_help)(lambda cfg, _n=_name: build_captioned(_n, cfg))
