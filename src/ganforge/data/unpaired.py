"""``unpaired:PATH``: two unaligned image domains in the CycleGAN layout
``trainA/ trainB/ testA/ testB/`` (``data.split`` train or test; ``all`` reads both).

The domains may hold different numbers of images, in different channels. Options as for
``paired:`` (``load_size``, ``crop``, ``flip``), applied to each domain independently;
``data.limit`` keeps the first N images of each domain. Batches: ``a`` (from the sampled
indices) and ``b`` (drawn at random from domain B with the sampler's generator).
"""
from __future__ import annotations

from pathlib import Path

import torch

from ..errors import GanforgeError
from .base import DataInfo, register_dataset
from .i2i_base import UnpairedDataset, check_limit, check_options
from .image_files import FOLDER_OPTIONS, list_image_files, read_image, resize_square, sizes_from, stack_images


def _read_domain(root: Path, domain: str, cfg, load: int | None) -> tuple[torch.Tensor, list[str]]:
    splits = ["train", "test"] if cfg.split == "all" else [cfg.split]
    if cfg.split not in ("train", "test", "all"):
        raise GanforgeError(f"data.split {cfg.split!r}: unpaired folders have train and test (or all)")
    files: list[Path] = []
    for s in splits:
        folder = root / f"{s}{domain}"
        if not folder.is_dir():
            present = sorted(p.name for p in root.iterdir() if p.is_dir())
            raise GanforgeError(f"unpaired:{root}: missing folder {folder.name}/ (expected trainA/ trainB/ testA/ "
                                f"testB/; found {', '.join(present) or 'no folders'})")
        files += list_image_files(folder)
    if not files:
        raise GanforgeError(f"unpaired:{root}: no images in {', '.join(s + domain for s in splits)}/")
    files = files[: cfg.limit] if cfg.limit else files
    images = [read_image(p, cfg.channels) for p in files]
    if load:
        images = [resize_square(im, load) for im in images]
    return stack_images(images, files, f"unpaired:{root} ({domain})"), [p.name for p in files]


@register_dataset("unpaired:", help="unpaired:PATH - two image domains in trainA/ trainB/ testA/ testB/ (CycleGAN layout)")
def build_unpaired(cfg, path: str) -> UnpairedDataset:
    opts = check_options(cfg.options, "unpaired:", FOLDER_OPTIONS)
    check_limit(cfg.limit)
    if cfg.channels not in (None, 1, 3):
        raise GanforgeError(f"data.channels must be 1 or 3, got {cfg.channels}")
    root = Path(path).expanduser()
    if not root.is_dir():
        raise GanforgeError(f"unpaired data folder {root} does not exist or is not a folder")
    load = opts.get("load_size") or cfg.resolution
    a, names_a = _read_domain(root, "A", cfg, load)
    b, names_b = _read_domain(root, "B", cfg, load)
    _, crop = sizes_from(cfg, opts, tuple(a.shape[-2:]))
    if not load and a.shape[-2:] != b.shape[-2:] and crop == tuple(a.shape[-2:]):
        raise GanforgeError(f"unpaired:{root}: A images are {a.shape[-1]}x{a.shape[-2]} but B images "
                            f"{b.shape[-1]}x{b.shape[-2]}; set data.resolution to resize both")
    for t, dom in ((a, "A"), (b, "B")):
        if t.shape[-2] < crop[0] or t.shape[-1] < crop[1]:
            raise GanforgeError(f"unpaired:{root}: domain {dom} images are {t.shape[-1]}x{t.shape[-2]}, "
                                f"smaller than the crop {crop[1]}x{crop[0]}")
    train = cfg.split == "train"
    info = DataInfo(name=f"unpaired:{root}", kind="unpaired", shape=(b.shape[1], *crop),
                    extra={"task": "unpaired", "names_a": names_a, "names_b": names_b,
                           "a_shape": [a.shape[1], *crop], "b_shape": [b.shape[1], *crop],
                           "len_a": len(a), "len_b": len(b)})
    needs_crop = crop != tuple(a.shape[-2:]) or crop != tuple(b.shape[-2:])
    return UnpairedDataset({"a": a, "index_a": torch.arange(len(a))}, {"b": b, "index_b": torch.arange(len(b))},
                           info, crop=crop if needs_crop else None, flip=opts.get("flip", train), random=train)
