"""``paired:PATH``: aligned image pairs from the two layouts pix2pix users already have.

1. One file per pair, input and target side by side (``A|B``, the pix2pix datasets such as
   facades and edges2shoes): every image in the folder is split down the middle.
2. Parallel folders ``A/`` and ``B/`` whose files are matched by name (the extension may
   differ); a name present on one side only is an error listing the unmatched names.

Either layout may sit directly in PATH or under split folders: ``PATH/train/...``,
``PATH/test/...`` (also ``PATH/A/train`` and ``PATH/B/train``). ``data.split`` picks the
split folder (``all``: every split folder); without split folders every split reads PATH.

Options: ``load_size`` (resize to this square first), ``crop`` (final square size, random
crop in training, centre crop otherwise; defaults to data.resolution), ``flip`` (random
horizontal flips, default True for split train), ``direction`` (``AtoB`` default or
``BtoA``, swapping input and target). Crop and flip are the same for both images of a pair.
Channels: data.channels, else each side is gray only if all its images are.
"""
from __future__ import annotations

from pathlib import Path

import torch

from ..errors import GanforgeError
from .base import DataInfo, register_dataset
from .i2i_base import PairedDataset, check_limit, check_options
from .image_files import FOLDER_OPTIONS, list_image_files, read_image, resize_square, sizes_from, split_folders, stack_images


def _match_pairs(dir_a: Path, dir_b: Path) -> list[tuple[Path, Path]]:
    """Pair files of ``dir_a`` and ``dir_b`` by name without extension."""
    sides = []
    for d in (dir_a, dir_b):
        by_stem: dict[str, Path] = {}
        for p in list_image_files(d):
            if p.stem in by_stem:
                raise GanforgeError(f"{d}: two files named {p.stem!r} ({by_stem[p.stem].name}, {p.name}); "
                                    "pairs are matched by name, so names must be unique")
            by_stem[p.stem] = p
        sides.append(by_stem)
    only_a = sorted(set(sides[0]) - set(sides[1]))
    only_b = sorted(set(sides[1]) - set(sides[0]))
    if only_a or only_b:
        def show(names: list[str], side: dict[str, Path]) -> str:
            listed = ", ".join(side[n].name for n in names[:5])
            return f"{len(names)} ({listed}{', ...' if len(names) > 5 else ''})"
        raise GanforgeError(f"paired folders {dir_a} and {dir_b} do not match: only in A: {show(only_a, sides[0])}; "
                            f"only in B: {show(only_b, sides[1])}. Every A file needs a B file of the same name")
    return [(sides[0][s], sides[1][s]) for s in sorted(sides[0])]


def _find_layout(root: Path, split: str) -> tuple[str, list[tuple[Path, Path]] | list[Path]]:
    """("parallel", [(a, b), ...]) or ("side_by_side", [file, ...])."""
    what = f"paired:{root}"
    if (root / "A").is_dir() and (root / "B").is_dir():
        dirs_a, dirs_b = split_folders(root / "A", split, what), split_folders(root / "B", split, what)
        return "parallel", [pair for da, db in zip(dirs_a, dirs_b) for pair in _match_pairs(da, db)]
    folders = split_folders(root, split, what)
    if all((f / "A").is_dir() and (f / "B").is_dir() for f in folders):
        return "parallel", [pair for f in folders for pair in _match_pairs(f / "A", f / "B")]
    return "side_by_side", [p for f in folders for p in list_image_files(f)]


@register_dataset("paired:", help="paired:PATH - aligned pairs: A|B side-by-side files or A/ and B/ folders matched by name")
def build_paired(cfg, path: str) -> PairedDataset:
    opts = check_options(cfg.options, "paired:", {**FOLDER_OPTIONS, "direction": str})
    direction = opts.get("direction", "AtoB")
    if direction not in ("AtoB", "BtoA"):
        raise GanforgeError(f"data.options.direction must be AtoB or BtoA, got {direction!r}")
    check_limit(cfg.limit)
    if cfg.channels not in (None, 1, 3):
        raise GanforgeError(f"data.channels must be 1 or 3, got {cfg.channels}")
    root = Path(path).expanduser()
    if not root.is_dir():
        raise GanforgeError(f"paired data folder {root} does not exist or is not a folder")
    layout, items = _find_layout(root, cfg.split)
    if not items:
        raise GanforgeError(f"paired:{root} holds no images for split {cfg.split!r} "
                            f"(looked for A|B files or A/ and B/ folders)")
    items = items[: cfg.limit] if cfg.limit else items
    load = opts.get("load_size") or cfg.resolution
    imgs_a, imgs_b, paths_a, paths_b = [], [], [], []
    for item in items:
        if layout == "parallel":
            pa, pb = item  # type: ignore[misc]
            ia, ib = read_image(pa, cfg.channels), read_image(pb, cfg.channels)
        else:
            pa = pb = item  # type: ignore[assignment]
            whole = read_image(item, cfg.channels)  # type: ignore[arg-type]
            half = whole.shape[1] // 2
            if half == 0:
                raise GanforgeError(f"{item}: {whole.shape[1]} px wide, too narrow to hold an A|B pair")
            ia, ib = whole[:, :half], whole[:, half:2 * half]
        if load:
            ia, ib = resize_square(ia, load), resize_square(ib, load)
        elif ia.shape[:2] != ib.shape[:2]:
            raise GanforgeError(f"pair {pa} ({ia.shape[1]}x{ia.shape[0]}) and {pb} ({ib.shape[1]}x{ib.shape[0]}) "
                                "differ in size; set data.resolution to resize both")
        imgs_a.append(ia)
        imgs_b.append(ib)
        paths_a.append(pa)
        paths_b.append(pb)
    a = stack_images(imgs_a, paths_a, f"paired:{root} (A)")
    b = stack_images(imgs_b, paths_b, f"paired:{root} (B)")
    if a.shape[-2:] != b.shape[-2:]:
        raise GanforgeError(f"paired:{root}: A images are {a.shape[-1]}x{a.shape[-2]} but B images "
                            f"{b.shape[-1]}x{b.shape[-2]}; set data.resolution to resize both")
    _, crop = sizes_from(cfg, opts, tuple(a.shape[-2:]))
    if direction == "BtoA":
        a, b = b, a
    train = cfg.split == "train"
    names = [p.stem for p in paths_a]
    info = DataInfo(name=f"paired:{root}", kind="paired", shape=(b.shape[1], *crop),
                    extra={"task": "paired", "layout": layout, "direction": direction, "names": names,
                           "a_shape": [a.shape[1], *crop], "b_shape": [b.shape[1], *crop]})
    crop_arg = crop if crop != tuple(a.shape[-2:]) else None
    return PairedDataset({"a": a, "b": b, "index": torch.arange(len(a))}, info, crop=crop_arg,
                         flip=opts.get("flip", train), random=train)
