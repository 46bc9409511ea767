"""Applying trained image-to-image models: translate, upscale and inpaint images and files.

:func:`translate` works on tensors; :func:`translate_files`, :func:`upscale_files` and
:func:`inpaint_files` on image files and folders (the ``ganforge translate|upscale|inpaint``
commands call them).

Sizes: the networks are fully convolutional, so images are processed at their own size by
default (a model trained at 256 px can translate a 512 px photo, as in the pix2pix paper).
``resize=True`` instead resizes each image to the size the model was trained at (bicubic),
and the result back to the image's size; that suits models trained on small images such as
28 px digits. Channels: a gray image given to a colour model is repeated over RGB; a colour
image given to a gray model is an error unless its three channels are equal.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ..errors import GanforgeError

PathLike = str | os.PathLike[str]


def is_translator(net: nn.Module) -> bool:
    """True for image-to-image networks (``T(x) -> y``, no latent): ``z_dim == 0`` and ``in_shape``."""
    return getattr(net, "z_dim", None) == 0 and hasattr(net, "in_shape")


@torch.no_grad()
def translate(T: nn.Module, x: Tensor, mask: Tensor | None = None, batch_size: int = 64) -> Tensor:
    """Apply translator ``T`` in eval mode, in batches, on T's device; returns a CPU tensor.

    ``x``: (N, C, H, W) in [-1, 1] with C = ``T.in_shape[0]`` (any H, W). ``mask``: (N, 1, H, W),
    1 on the hole, for inpainting generators. Returns (N, *T.out_shape[:1], H', W') in [-1, 1].
    """
    if not is_translator(T):
        raise GanforgeError(f"{type(T).__name__} is not an image-to-image translator (it has a latent input); "
                            "use ganforge.sample for generators")
    if x.dim() != 4 or x.shape[1] != T.in_shape[0]:
        raise GanforgeError(f"this translator takes images (N, {T.in_shape[0]}, H, W), got {tuple(x.shape)}")
    p = next(iter(T.parameters()), None)
    dev = p.device if p is not None else torch.device("cpu")
    was = T.training
    T.eval()
    outs = []
    try:
        for i in range(0, x.shape[0], batch_size):
            args = [x[i:i + batch_size].to(dev)]
            if mask is not None:
                args.append(mask[i:i + batch_size].to(dev))
            outs.append(T(*args).float().cpu())
    finally:
        T.train(was)
    return torch.cat(outs)


# --- loading the right model ---------------------------------------------------------------

def _families_for(command: str) -> list[str]:
    from ..families import FAMILIES

    return [name for name in FAMILIES if getattr(FAMILIES.get(name).cls, "command", None) == command]


def load_translator(run: PathLike, command: str, direction: str = "AtoB", device: str | torch.device = "cpu") -> nn.Module:
    """The translator of run folder ``run`` for ``command`` (translate, upscale, inpaint).

    ``direction``: ``AtoB`` (RUN/generator) or ``BtoA`` (RUN/generator_ba, CycleGAN only). A saved
    model folder (with config.json) is used as is. Errors name the run's family and the command
    that fits it.
    """
    from ..nets import load_model, read_model_config

    if direction not in ("AtoB", "BtoA"):
        raise GanforgeError(f"--direction {direction!r}: accepted values are AtoB, BtoA")
    p = Path(run)
    if not p.exists():
        raise GanforgeError(f"{p} does not exist (expected a run folder)")
    model_folder = (p / "config.json").is_file()
    config_dir = p if model_folder else p / "generator"
    if not (config_dir / "config.json").is_file():
        raise GanforgeError(f"{p}: no saved model (expected {p / 'generator'}/config.json, written when training "
                            "checkpoints or ends)")
    meta: dict[str, Any] = read_model_config(config_dir).get("meta", {})
    family = meta.get("family", "unknown")
    if meta.get("command") != command:
        wanted = " or ".join(_families_for(command)) or "an image-to-image"
        if meta.get("command"):
            what = f"use `ganforge {meta['command']}` with it"
        else:
            what = "it generates images from noise (use `ganforge sample`)"
        raise GanforgeError(f"{p} holds a {family!r} model: {what}. `ganforge {command}` needs a {wanted} run")
    if model_folder:
        if direction != "AtoB":
            raise GanforgeError(f"{p} is a saved model folder, used as is; pass the run folder to choose --direction")
        return load_model(p, map_location=device)
    translators = meta.get("translators", {"AtoB": "generator"})
    if direction not in translators:
        raise GanforgeError(f"{p} is a {family!r} run, which translates {meta.get('direction', 'AtoB')} only "
                            f"(train a second model with --data-option direction={direction} for the other way)")
    return load_model(p / translators[direction], map_location=device)


# --- files ---------------------------------------------------------------------------------

def image_inputs(path: PathLike, what: str = "INPUT") -> tuple[list[Path], bool]:
    """(image files, is_folder) for a file or a folder of images (not recursive)."""
    from ..data.image_files import list_image_files

    p = Path(path)
    if not p.exists():
        raise GanforgeError(f"{what} {p} does not exist")
    if p.is_dir():
        files = list_image_files(p)
        if not files:
            raise GanforgeError(f"{what} folder {p} holds no image files (png, jpg, bmp, gif, webp, tif)")
        return files, True
    return [p], False


def read_for(T: nn.Module, path: Path) -> Tensor:
    """Image file -> (1, C, H, W) float in [-1, 1] with T's input channels (see the module notes)."""
    from ..data.image_files import read_image

    arr = read_image(path, None)  # uint8 (H, W, 1 or 3)
    want = int(T.in_shape[0])
    if arr.shape[2] == 3 and want == 1:
        if not (np.array_equal(arr[..., 0], arr[..., 1]) and np.array_equal(arr[..., 0], arr[..., 2])):
            raise GanforgeError(f"{path} is a colour image, but this model takes gray images (1 channel): "
                                "convert it to grayscale first")
        arr = arr[..., :1]
    elif arr.shape[2] == 1 and want == 3:
        arr = np.repeat(arr, 3, axis=2)
    elif arr.shape[2] != want:
        raise GanforgeError(f"{path} has {arr.shape[2]} channels, this model takes {want}")
    x = torch.from_numpy(np.array(arr, copy=True)).permute(2, 0, 1).float().div(127.5).sub(1.0)
    return x.unsqueeze(0)


def read_mask(path: Path, size: tuple[int, int]) -> Tensor:
    """Mask file -> (1, 1, H, W) float in {0, 1}: white (> 127 after conversion to gray) = hole."""
    from ..data.image_files import read_image

    arr = read_image(path, 1)[..., 0]
    if arr.shape != size:
        raise GanforgeError(f"mask {path} is {arr.shape[1]}x{arr.shape[0]} but the image is {size[1]}x{size[0]}: "
                            "they must have the same size")
    mask = torch.from_numpy((arr > 127).astype(np.float32))[None, None]
    if not mask.any():
        raise GanforgeError(f"mask {path} marks no hole: white pixels (> 127) are the hole to fill")
    return mask


def _resize(x: Tensor, size: tuple[int, int], mode: str = "bicubic") -> Tensor:
    if tuple(x.shape[-2:]) == tuple(size):
        return x
    if mode == "nearest":
        return F.interpolate(x, size=size, mode="nearest")
    return F.interpolate(x, size=size, mode="bicubic", align_corners=False).clamp(-1, 1)


def _write(x: Tensor, path: Path) -> Path:
    from ..imageio import save_image

    return save_image(x[0], path)


def translate_files(run: PathLike, input: PathLike, out: PathLike, direction: str = "AtoB", resize: bool = False,
                    device: str = "cpu") -> list[Path]:
    """Translate an image file or every image of a folder into folder ``out`` (same file names).
    Returns the written paths."""
    T = load_translator(run, "translate", direction, device)
    files, _ = image_inputs(input)
    out_dir = Path(out)
    written = []
    for f in files:
        x = read_for(T, f)
        size = tuple(x.shape[-2:])
        y = translate(T, _resize(x, tuple(T.in_shape[1:])) if resize else x)
        written.append(_write(_resize(y, size) if resize else y, out_dir / f.name))
    return written


def upscale_files(run: PathLike, input: PathLike, out: PathLike, device: str = "cpu") -> list[Path]:
    """Super-resolve an image file or a folder of images into folder ``out`` (same file names);
    each output is ``scale`` times the size of its input."""
    T = load_translator(run, "upscale", "AtoB", device)
    files, _ = image_inputs(input)
    return [_write(translate(T, read_for(T, f)), Path(out) / f.name) for f in files]


def inpaint_files(run: PathLike, image: PathLike, mask: PathLike, out: PathLike, resize: bool = False,
                  device: str = "cpu") -> list[Path]:
    """Fill the holes of an image (or of each image of a folder) marked white in ``mask``.

    ``mask``: one file for every image, or a folder with a mask of the same file name per image.
    ``out``: the output file for one image (a folder, when it is one or has no suffix), a folder
    for a folder. Known pixels are kept exactly.
    """
    T = load_translator(run, "inpaint", "AtoB", device)
    files, folder = image_inputs(image, "IMAGE")
    mask_p = Path(mask)
    if not mask_p.exists():
        raise GanforgeError(f"--mask {mask_p} does not exist")
    out_p = Path(out)
    written = []
    for f in files:
        m_path = mask_p / f.name if mask_p.is_dir() else mask_p
        if not m_path.is_file():
            raise GanforgeError(f"no mask for {f}: expected {m_path} (a mask folder holds one mask per image, "
                                "with the image's file name)")
        x = read_for(T, f)
        size = tuple(x.shape[-2:])
        m = read_mask(m_path, size)
        if resize:
            y = translate(T, _resize(x, tuple(T.in_shape[1:])), _resize(m, tuple(T.in_shape[1:]), "nearest"))
            y = m * _resize(y, size) + (1 - m) * x  # back at full size: keep the known pixels exactly
        else:
            y = translate(T, x, m)
        # one image: OUT is the output file, or a folder when it is one or has no suffix
        target = out_p / f.name if folder or out_p.is_dir() or not out_p.suffix else out_p
        written.append(_write(y, target))
    return written
