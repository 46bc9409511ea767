"""Images with captions (data kind ``captioned``): the ``captions:PATH`` dataset and the
dataset class the built-in captioned sets (:mod:`ganforge.data.mnist_captions`) share.

``captions:PATH`` reads the layouts people download:

- CUB-200 / Oxford-102 flowers (the StackGAN/AttnGAN releases): a folder holding ``images/``
  and ``text/`` (or ``text_c10/``); ``images/A/B/NAME.jpg`` has its captions in
  ``text/A/B/NAME.txt``, one caption a line;
- COCO: a captions JSON (``annotations/captions_train2014.json``, or a folder holding one)
  with ``images`` (``id``, ``file_name``) and ``annotations`` (``image_id``, ``caption``); the
  image files are looked for next to the JSON, in ``images/``, in the folder above and in a
  folder named like the JSON's split (``train2014``), or in ``data.options.images``;
- a CSV with a header holding the columns ``image`` and ``caption``, or a JSONL file of
  ``{"image": ..., "caption": ...}``; an image may have several rows; paths are relative to
  the file.

An image without captions, a caption without its image, an empty caption and an unreadable
file are errors that name them. Fields: ``x`` (N, C, H, W) in [-1, 1]; ``captions``
(N, K, L) int64 token ids (K = the most captions of an image kept, ``captions_per_image``;
each ``<eos>``-terminated, ``<pad>`` after); ``n_captions`` (N,) how many of the K rows are
real. A batch (:meth:`CaptionDataset.get_batch`) holds ``x`` and one ``caption`` (N, L) per
image drawn with the sampler's generator, so batches and exact resume stay reproducible.

The vocabulary is built from the captions of the training part (lower-cased words);
``info.extra['vocab']`` holds it and the run saves it with the generator.
"""
from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import torch

from ..errors import GanforgeError
from .base import DataInfo, TensorDataset, register_dataset, to_unit_range
from .text import train_test_indices
from .vocab import Vocabulary

KIND = "captioned"
DEFAULTS: dict[str, Any] = {"max_len": 18, "min_freq": 1, "captions_per_image": 10, "test_fraction": 0.1,
                            "seed": 0, "images": None}
#: how many captions the sample grids show (one row each)
GRID_CAPTIONS = 8


class CaptionDataset(TensorDataset):
    """Images with K captions each. ``get_batch`` draws one caption per image (uniformly among
    its ``n_captions``) with the generator it is given; fields named in ``per_caption`` hold one
    row per caption (N, K, ...) and give the chosen row under the name without the trailing
    ``s`` (``captions`` -> ``caption``, ``caption_attrs`` -> ``caption_attr``)."""

    per_caption = ("captions", "caption_attrs")

    def get_batch(self, idx: torch.Tensor, generator: torch.Generator | None = None) -> dict[str, torch.Tensor]:
        counts = self.fields["n_captions"][idx]
        r = torch.rand(len(idx), generator=generator)
        j = (r.to(counts.device) * counts.float()).long().clamp_max(counts - 1)
        out = {}
        for k, v in self.fields.items():
            if k in self.per_caption:
                out[k[:-1]] = v[idx, j]
            else:
                out[k] = v[idx]
        return out

    def subset(self, idx: torch.Tensor) -> "CaptionDataset":
        return CaptionDataset({k: v[idx] for k, v in self.fields.items()}, self.info)

    def caption_texts(self, i: int) -> list[str]:
        """The captions of image ``i`` as text."""
        vocab = Vocabulary.from_dict(self.info.extra["vocab"])
        k = int(self.fields["n_captions"][i])
        return vocab.decode_batch(self.fields["captions"][i, :k])


def caption_options(cfg: Any, where: str, defaults: dict[str, Any] | None = None) -> dict[str, Any]:
    """``data.options`` of a captioned dataset, checked: unknown names and bad values are named."""
    defaults = defaults if defaults is not None else DEFAULTS
    given = dict(getattr(cfg, "options", None) or {})
    unknown = sorted(set(given) - set(defaults))
    if unknown:
        raise GanforgeError(f"{where}: unknown data.options {unknown}; accepted: {', '.join(defaults)}")
    opts = {**defaults, **given}
    for key in ("max_len", "min_freq", "captions_per_image"):
        if key in opts and (not isinstance(opts[key], int) or opts[key] < (2 if key == "max_len" else 1)):
            raise GanforgeError(f"{where}: data.options.{key} must be an integer >= "
                                f"{2 if key == 'max_len' else 1}, got {opts[key]!r}")
    tf = opts.get("test_fraction", 0.0)
    if not isinstance(tf, (int, float)) or not 0.0 <= tf < 1.0:
        raise GanforgeError(f"{where}: data.options.test_fraction must be in [0, 1), got {tf!r}")
    return opts


def encode_captions(vocab: Vocabulary, captions: Sequence[Sequence[str]], k: int, max_len: int) -> tuple[torch.Tensor, torch.Tensor]:
    """(N, k, max_len) int64 ids of each image's first ``k`` captions (longer captions are cut to
    ``max_len - 1`` words and keep their ``<eos>``), and (N,) the number kept per image."""
    out = torch.full((len(captions), k, max_len), vocab.pad_id, dtype=torch.int64)
    counts = torch.zeros(len(captions), dtype=torch.int64)
    for i, caps in enumerate(captions):
        caps = list(caps)[:k]
        counts[i] = len(caps)
        for j, text in enumerate(caps):
            ids = vocab.encode(text, add_eos=False)[: max_len - 1] + [vocab.eos_id]
            out[i, j, : len(ids)] = torch.tensor(ids, dtype=torch.int64)
    return out, counts


def grid_captions(captions: Sequence[Sequence[str]], n: int = GRID_CAPTIONS) -> list[str]:
    """``n`` captions spread over the dataset (the first caption of evenly spaced images) for the
    sample grids: the same ones at every step."""
    idx = np.linspace(0, len(captions) - 1, min(n, len(captions))).round().astype(int)
    return [captions[i][0] for i in idx]


def caption_info(name: str, x: torch.Tensor, vocab: Vocabulary, opts: dict[str, Any], captions: Sequence[Sequence[str]],
                 num_classes: int = 0, class_names: list[str] | None = None, **extra: Any) -> DataInfo:
    return DataInfo(name=name, kind=KIND, shape=tuple(x.shape[1:]), num_classes=num_classes, class_names=class_names,
                    extra={"vocab": vocab.to_dict(), "vocab_size": len(vocab), "max_len": opts["max_len"],
                           "captions_per_image": opts["captions_per_image"],
                           "sample_captions": grid_captions(captions), **extra})


# --- reading the layouts -------------------------------------------------------------------------

def _listing(paths: Sequence[Any], limit: int = 5) -> str:
    shown = ", ".join(str(p) for p in paths[:limit])
    return shown + (f" and {len(paths) - limit} more" if len(paths) > limit else "")


def _read_lines(path: Path) -> list[str]:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as e:
        raise GanforgeError(f"{path}: not UTF-8 text ({e.reason} at byte {e.start})") from None
    except OSError as e:
        raise GanforgeError(f"{path}: cannot read ({e.strerror})") from None
    return [" ".join(line.split()) for line in text.splitlines() if line.strip()]


def read_cub(root: Path) -> list[tuple[Path, list[str]]]:
    """(image, captions) pairs of a CUB/flowers folder (``images/`` + ``text/`` or ``text_c10/``)."""
    from .image_files import IMAGE_SUFFIXES

    img_root = root / "images"
    text_root = next((root / t for t in ("text", "text_c10") if (root / t).is_dir()), None)
    if text_root is None:
        raise GanforgeError(f"captions:{root}: a CUB/flowers folder needs text/ (or text_c10/) next to images/")
    images = sorted(p for p in img_root.rglob("*") if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES
                    and not p.name.startswith("."))
    if not images:
        raise GanforgeError(f"captions:{root}: {img_root} holds no images")
    texts = {p.relative_to(text_root).with_suffix(""): p for p in text_root.rglob("*.txt")}
    pairs, missing, empty = [], [], []
    for img in images:
        rel = img.relative_to(img_root).with_suffix("")
        t = texts.pop(rel, None)
        if t is None:
            missing.append(img)
            continue
        lines = _read_lines(t)
        if not lines:
            empty.append(t)
        pairs.append((img, lines))
    if missing:
        raise GanforgeError(f"captions:{root}: {len(missing)} image(s) without captions (no text/<same path>.txt): "
                            f"{_listing(missing)}")
    if empty:
        raise GanforgeError(f"captions:{root}: {len(empty)} caption file(s) hold no captions: {_listing(empty)}")
    if texts:
        orphans = sorted(texts.values())
        raise GanforgeError(f"captions:{root}: {len(orphans)} caption file(s) without an image (no images/<same "
                            f"path>.jpg): {_listing(orphans)}")
    return pairs


def _coco_json(path: Path) -> Path:
    if path.is_file():
        return path
    found = sorted(path.glob("captions_*.json")) + sorted(path.glob("annotations/captions_*.json"))
    if not found:
        raise GanforgeError(f"captions:{path}: no captions JSON (captions_*.json or annotations/captions_*.json)")
    return found[0]


def read_coco(path: Path, images_dir: str | None = None) -> list[tuple[Path, list[str]]]:
    """(image, captions) pairs of a COCO captions JSON."""
    jf = _coco_json(path)
    try:
        data = json.loads(jf.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise GanforgeError(f"{jf}: not a readable JSON file ({e})") from None
    if not isinstance(data, dict) or not isinstance(data.get("images"), list) or not isinstance(data.get("annotations"), list):
        raise GanforgeError(f"{jf}: a COCO captions file needs the lists 'images' and 'annotations'")
    files: dict[Any, str] = {}
    for i, im in enumerate(data["images"]):
        if not isinstance(im, dict) or "id" not in im or "file_name" not in im:
            raise GanforgeError(f"{jf}: images[{i}] needs 'id' and 'file_name'")
        files[im["id"]] = str(im["file_name"])
    caps: dict[Any, list[str]] = {k: [] for k in files}
    for i, a in enumerate(data["annotations"]):
        if not isinstance(a, dict) or "image_id" not in a or "caption" not in a:
            raise GanforgeError(f"{jf}: annotations[{i}] needs 'image_id' and 'caption'")
        if a["image_id"] not in caps:
            raise GanforgeError(f"{jf}: annotations[{i}] refers to image_id {a['image_id']!r}, which is not in 'images'")
        text = " ".join(str(a["caption"]).split())
        if not text:
            raise GanforgeError(f"{jf}: annotations[{i}] (image {files[a['image_id']]}) has an empty caption")
        caps[a["image_id"]].append(text)
    bare = [files[k] for k, v in caps.items() if not v]
    if bare:
        raise GanforgeError(f"{jf}: {len(bare)} image(s) without captions: {_listing(bare)}")
    if not files:
        raise GanforgeError(f"{jf}: 'images' is empty")
    if images_dir is not None:
        candidates = [Path(images_dir).expanduser()]
    else:
        split = jf.stem.split("_", 1)[-1]
        candidates = [jf.parent, jf.parent / "images", jf.parent.parent, jf.parent.parent / "images",
                      jf.parent.parent / split, jf.parent / split]
    first = next(iter(files.values()))
    folder = next((c for c in candidates if (c / first).is_file()), None)
    if folder is None:
        raise GanforgeError(f"{jf}: image {first!r} not found in {', '.join(str(c) for c in candidates)}; "
                            f"give the image folder as data.options.images")
    return [(folder / files[k], caps[k]) for k in sorted(files, key=lambda k: files[k])]


def read_table(path: Path) -> list[tuple[Path, list[str]]]:
    """(image, captions) pairs of a CSV (header with ``image`` and ``caption``) or JSONL file."""
    rows: list[tuple[str, str, str]] = []  # (where, image, caption)
    if path.suffix.lower() == ".csv":
        try:
            with open(path, newline="", encoding="utf-8") as f:
                reader = csv.DictReader(f)
                cols = reader.fieldnames or []
                if "image" not in cols or "caption" not in cols:
                    raise GanforgeError(f"{path}: the header must name the columns image and caption (it has "
                                        f"{', '.join(cols) or 'none'})")
                for row in reader:
                    rows.append((f"{path}:{reader.line_num}", row.get("image") or "", row.get("caption") or ""))
        except UnicodeDecodeError as e:
            raise GanforgeError(f"{path}: not UTF-8 text ({e.reason})") from None
    else:
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
            except json.JSONDecodeError as e:
                raise GanforgeError(f"{path}:{n}: not a JSON object ({e.msg})") from None
            if not isinstance(rec, dict) or "image" not in rec or "caption" not in rec:
                raise GanforgeError(f"{path}:{n}: each line needs the keys image and caption")
            rows.append((f"{path}:{n}", str(rec["image"]), str(rec["caption"])))
    if not rows:
        raise GanforgeError(f"{path}: no rows")
    by_image: dict[str, list[str]] = {}
    for where, image, caption in rows:
        if not image.strip():
            raise GanforgeError(f"{where}: the image is empty")
        text = " ".join(caption.split())
        if not text:
            raise GanforgeError(f"{where}: the caption of {image} is empty")
        by_image.setdefault(image.strip(), []).append(text)
    missing = [im for im in by_image if not (path.parent / im).is_file()]
    if missing:
        raise GanforgeError(f"{path}: {len(missing)} image file(s) not found (relative to {path.parent}): "
                            f"{_listing(missing)}")
    return [(path.parent / im, caps) for im, caps in by_image.items()]


def read_captions(path: str, images_dir: str | None = None) -> list[tuple[Path, list[str]]]:
    """The (image file, captions) pairs at ``path``, whichever layout it is in."""
    p = Path(path).expanduser()
    if not p.exists():
        raise GanforgeError(f"captions:{path}: no such file or folder")
    if p.is_file():
        if p.suffix.lower() in (".csv", ".jsonl"):
            return read_table(p)
        if p.suffix.lower() == ".json":
            return read_coco(p, images_dir)
        raise GanforgeError(f"captions:{path}: accepted files are .csv, .jsonl (image,caption) or a COCO .json")
    if (p / "images").is_dir() and any((p / t).is_dir() for t in ("text", "text_c10")):
        return read_cub(p)
    if list(p.glob("captions_*.json")) or list(p.glob("annotations/captions_*.json")):
        return read_coco(p, images_dir)
    tables = sorted(list(p.glob("*.csv")) + list(p.glob("*.jsonl")))
    if len(tables) == 1:
        return read_table(tables[0])
    raise GanforgeError(f"captions:{path}: not a known layout; accepted: a folder with images/ and text/ (CUB, "
                        f"flowers), a COCO captions_*.json (or a folder with annotations/captions_*.json), or one "
                        f"CSV/JSONL file of image,caption")


def load_pairs(pairs: list[tuple[Path, list[str]]], size: int, channels: int | None) -> torch.Tensor:
    """(N, C, size, size) float images in [-1, 1] of the pairs' files (centre-cropped squares)."""
    from .image_files import opened_image
    from .images import center_crop_resize, load_image

    if channels is None:
        channels = 1
        for f, _ in pairs[:256]:
            with opened_image(f) as im:
                if im.mode not in ("L", "1", "I", "I;16", "F"):
                    channels = 3
                    break
    if channels not in (1, 3):
        raise GanforgeError(f"data.channels must be 1 or 3, got {channels}")
    mode = "L" if channels == 1 else "RGB"
    arrays = [center_crop_resize(load_image(f, mode), size) for f, _ in pairs]
    x = torch.from_numpy(np.stack(arrays))
    x = x.unsqueeze(1) if x.dim() == 3 else x.permute(0, 3, 1, 2)
    return to_unit_range(x.contiguous())


def split_indices(n: int, test_fraction: float, seed: int, split: str, where: str) -> list[int]:
    train, test = train_test_indices(n, test_fraction, seed)
    chosen = {"train": train, "test": test, "all": list(range(n))}.get(split)
    if chosen is None:
        raise GanforgeError(f"data.split {split!r}: accepted values are train, test, all")
    if not chosen:
        raise GanforgeError(f"{where}: the {split!r} split is empty ({n} images, test_fraction={test_fraction})")
    return sorted(chosen) if split != "all" else chosen


@register_dataset("captions:", help="captions:PATH - images with captions: a CUB/flowers folder (images/ + text/), "
                  "a COCO captions JSON, or a CSV/JSONL of image,caption",
                  options={"captions_per_image": "captions kept per image (captioned data; default 10)",
                           "images": "the image folder of a COCO captions JSON (default: found next to it)"})
def build_captions(cfg: Any, path: str) -> CaptionDataset:
    where = f"captions:{path}"
    opts = caption_options(cfg, where)
    pairs = read_captions(path, opts["images"])
    train = split_indices(len(pairs), float(opts["test_fraction"]), opts["seed"], "train", where) \
        if opts["test_fraction"] > 0 else list(range(len(pairs)))
    vocab = Vocabulary.build((c for i in train for c in pairs[i][1]), mode="word", min_freq=opts["min_freq"],
                             lowercase=True)
    split = getattr(cfg, "split", "train") or "train"
    chosen = split_indices(len(pairs), float(opts["test_fraction"]), opts["seed"], split, where) \
        if opts["test_fraction"] > 0 or split != "train" else list(range(len(pairs)))
    if cfg.limit is not None:
        if cfg.limit <= 0:
            raise GanforgeError(f"data.limit must be positive, got {cfg.limit}")
        chosen = chosen[: cfg.limit]
    pairs = [pairs[i] for i in chosen]
    x = load_pairs(pairs, cfg.resolution or 64, cfg.channels)
    caps = [c for _, c in pairs]
    k = min(opts["captions_per_image"], max(len(c) for c in caps))
    ids, counts = encode_captions(vocab, caps, k, opts["max_len"])
    info = caption_info(where, x, vocab, {**opts, "captions_per_image": k}, caps, split=split)
    return CaptionDataset({"x": x, "captions": ids, "n_captions": counts}, info)
