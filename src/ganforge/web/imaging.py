"""Images in and out of the web server: PNG encoding of generator outputs and strict decoding
of uploaded files."""
from __future__ import annotations

import base64
import io

import numpy as np
import torch
from torch import Tensor

from ..imageio import make_grid, to_uint8

# uploads: what we accept and how large
UPLOAD_FORMATS = {"PNG", "JPEG", "BMP", "GIF", "WEBP", "TIFF"}
MAX_UPLOAD_PIXELS = 4096 * 4096  # also stops decompression bombs before decoding


class ImageError(ValueError):
    """An uploaded file that is not an acceptable image (-> 400/415)."""


def png_bytes(x: Tensor, scale: int = 1) -> bytes:
    """One (C, H, W) image in [-1, 1] (C = 1 or 3; other channel counts show the first) as PNG
    bytes, upscaled ``scale`` times with nearest-neighbour sampling."""
    from PIL import Image

    if x.shape[0] not in (1, 3):
        x = x[:1]
    arr = to_uint8(x.unsqueeze(0))[0]
    im = Image.fromarray(arr[..., 0] if arr.shape[-1] == 1 else arr)
    if scale > 1:
        im = im.resize((im.width * scale, im.height * scale), Image.Resampling.NEAREST)
    buf = io.BytesIO()
    im.save(buf, format="PNG", compress_level=1)  # speed over size: these are tiny images
    return buf.getvalue()


def data_url(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def tile_json(tile: dict) -> dict:
    """A sample tile (image PNG bytes, audio WAV bytes, caption) as JSON: data URLs and text;
    a field the tile lacks is None."""
    image, audio, caption = tile.get("image"), tile.get("audio"), tile.get("caption")
    return {"image": data_url(image) if image is not None else None,
            "audio": "data:audio/wav;base64," + base64.b64encode(audio).decode("ascii") if audio is not None else None,
            "caption": str(caption) if caption is not None else None}


def grid_png(x: Tensor, nrow: int | None = None) -> bytes:
    """(N, C, H, W) in [-1, 1] tiled into one PNG."""
    return png_bytes(make_grid(x, nrow=nrow, padding=2, pad_value=1.0))


def decode_upload(data: bytes, channels: int, size: tuple[int, int] | None) -> Tensor:
    """An uploaded image file -> (1, channels, H, W) float in [-1, 1].

    ``channels`` 1 converts to greyscale, 3 to RGB; ``size`` (H, W) resizes (bicubic) to it,
    None keeps the file's size. Raises :class:`ImageError` for files that are not images of
    an accepted format, too many pixels, or an unsupported channel count.
    """
    from PIL import Image, UnidentifiedImageError

    if channels not in (1, 3):
        raise ImageError(f"this model takes {channels}-channel images; uploads support 1 or 3 channels")
    try:
        with Image.open(io.BytesIO(data)) as probe:
            fmt = probe.format
            w, h = probe.size
            probe.verify()  # checks the file's structure without decoding all pixels
    except Image.DecompressionBombError as e:  # a header claiming a huge size: refused at open
        raise ImageError(f"image too large ({e}); at most {MAX_UPLOAD_PIXELS} pixels are accepted") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as e:
        raise ImageError(f"not a readable image ({type(e).__name__}); upload a PNG or JPEG file") from None
    if fmt not in UPLOAD_FORMATS:
        raise ImageError(f"image format {fmt} is not accepted; use one of {', '.join(sorted(UPLOAD_FORMATS))}")
    if w * h > MAX_UPLOAD_PIXELS or w < 1 or h < 1:
        raise ImageError(f"image of {w}x{h} pixels is too large (at most {MAX_UPLOAD_PIXELS} pixels)")
    try:
        im = Image.open(io.BytesIO(data))
        im.load()
    except (OSError, ValueError, Image.DecompressionBombError) as e:
        raise ImageError(f"the image could not be decoded ({e})") from None
    if im.mode in ("RGBA", "LA", "P"):  # flatten transparency onto white, like a viewer would
        im = im.convert("RGBA")
        bg = Image.new("RGBA", im.size, (255, 255, 255, 255))
        im = Image.alpha_composite(bg, im)
    im = im.convert("L" if channels == 1 else "RGB")
    if size is not None and (im.height, im.width) != tuple(size):
        im = im.resize((size[1], size[0]), Image.Resampling.BICUBIC)
    arr = np.asarray(im, dtype=np.float32) / 127.5 - 1.0
    t = torch.from_numpy(arr.copy())
    t = t.unsqueeze(0) if channels == 1 else t.permute(2, 0, 1)
    return t.unsqueeze(0).clamp(-1, 1)
