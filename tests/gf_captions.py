"""Tiny caption folders in the layouts ``captions:PATH`` reads (CUB/flowers, COCO, CSV, JSONL),
made in a test's tmp_path from real MNIST digits (a unique module name at the root of tests/)."""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

import numpy as np
from PIL import Image

from ganforge.data.idx import load_idx_split

WORDS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]


@lru_cache(maxsize=1)
def _test_digits() -> tuple[np.ndarray, list[int]]:
    x, y = load_idx_split("mnist", "test")
    return x[:64].numpy(), y[:64].tolist()


def digits(n: int) -> tuple[np.ndarray, list[int]]:
    """The first ``n`` (<= 64) MNIST test digits (uint8 (n, 28, 28)) and their labels."""
    x, y = _test_digits()
    return x[:n], y[:n]


def captions_of(label: int) -> list[str]:
    return [f"a handwritten {WORDS[label]}", f"the digit {WORDS[label]}"]


def make_cub(root: Path, n: int = 12) -> Path:
    """root/images/<class>/<name>.jpg with root/text/<class>/<name>.txt (two captions each)."""
    x, y = digits(n)
    for i, (img, label) in enumerate(zip(x, y)):
        folder = f"{label:03d}.{WORDS[label]}"
        (root / "images" / folder).mkdir(parents=True, exist_ok=True)
        (root / "text" / folder).mkdir(parents=True, exist_ok=True)
        Image.fromarray(img).convert("RGB").save(root / "images" / folder / f"img_{i}.jpg", quality=95)
        (root / "text" / folder / f"img_{i}.txt").write_text("\n".join(captions_of(label)) + "\n")
    return root


def make_coco(root: Path, n: int = 6) -> Path:
    """root/annotations/captions_train2014.json with the images in root/train2014/."""
    x, y = digits(n)
    (root / "train2014").mkdir(parents=True)
    (root / "annotations").mkdir()
    images, annotations = [], []
    for i, (img, label) in enumerate(zip(x, y)):
        name = f"COCO_train2014_{i:012d}.jpg"
        Image.fromarray(img).save(root / "train2014" / name)
        images.append({"id": 100 + i, "file_name": name})
        annotations += [{"id": 10 * i + k, "image_id": 100 + i, "caption": c} for k, c in enumerate(captions_of(label))]
    path = root / "annotations" / "captions_train2014.json"
    path.write_text(json.dumps({"images": images, "annotations": annotations}))
    return path


def make_table(root: Path, kind: str = "csv", n: int = 5) -> Path:
    """root/captions.csv (or .jsonl) of image,caption rows, two rows an image, images in root/img/."""
    x, y = digits(n)
    (root / "img").mkdir(parents=True)
    rows = []
    for i, (img, label) in enumerate(zip(x, y)):
        Image.fromarray(img).save(root / "img" / f"{i}.png")
        rows += [(f"img/{i}.png", c) for c in captions_of(label)]
    if kind == "csv":
        path = root / "captions.csv"
        path.write_text("image,caption\n" + "".join(f'{im},"{c}"\n' for im, c in rows))
    else:
        path = root / "captions.jsonl"
        path.write_text("".join(json.dumps({"image": im, "caption": c}) + "\n" for im, c in rows))
    return path
