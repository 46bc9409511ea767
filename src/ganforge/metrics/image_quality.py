"""Full-reference image quality for image-to-image tasks: PSNR, SSIM, and the bicubic
upsampling baseline that super-resolution results are compared against.

Inputs are image batches (N, C, H, W) in [-1, 1] (the package's convention); both measures
are computed on the [0, 1] scale (data range 1), per image, as super-resolution papers report
them, and returned per image (N,) so callers can average or inspect them. Values outside
[-1, 1] are not clipped: clip first if a method can overshoot (see :func:`bicubic_upsample`).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F


def _unit(x: torch.Tensor) -> torch.Tensor:
    return (x.double() + 1.0) / 2.0


def _check_pair(x: torch.Tensor, y: torch.Tensor, who: str) -> None:
    if x.shape != y.shape or x.dim() != 4:
        raise ValueError(f"{who}: need two image batches (N, C, H, W) of the same shape, got "
                         f"{tuple(x.shape)} and {tuple(y.shape)}")


def psnr(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Peak signal-to-noise ratio in dB per image, (N,) float64: 10 log10(1 / MSE) on [0, 1].

    Identical images give +inf.
    """
    _check_pair(x, y, "psnr")
    mse = (_unit(x) - _unit(y)).pow(2).flatten(1).mean(1)
    return 10.0 * torch.log10(1.0 / mse)


def gaussian_window(size: int = 11, sigma: float = 1.5) -> torch.Tensor:
    """Normalised 1-D Gaussian weights of ``size`` taps (float64)."""
    r = torch.arange(size, dtype=torch.float64) - (size - 1) / 2
    w = torch.exp(-(r ** 2) / (2 * sigma ** 2))
    return w / w.sum()


def ssim(x: torch.Tensor, y: torch.Tensor, window: int = 11, sigma: float = 1.5,
         k1: float = 0.01, k2: float = 0.03) -> torch.Tensor:
    """Structural similarity per image, (N,) float64 (Wang et al. 2004, eq. 13 with the 11x11
    Gaussian window of sigma 1.5 and K1 = 0.01, K2 = 0.03 of section III-C).

    Local means, variances and covariance are Gaussian-weighted (population, not sample,
    statistics); the SSIM map is taken where the window fits inside the image ("valid") and
    averaged over positions and channels. This equals scikit-image's
    ``structural_similarity(..., gaussian_weights=True, sigma=1.5, use_sample_covariance=False,
    data_range=1)``. Images must be at least ``window`` pixels on each side.
    """
    _check_pair(x, y, "ssim")
    if min(x.shape[-2:]) < window:
        raise ValueError(f"ssim: images of {x.shape[-1]}x{x.shape[-2]} px are smaller than the {window}x{window} window")
    a, b = _unit(x), _unit(y)
    c = a.shape[1]
    g = gaussian_window(window, sigma).to(a.device)
    kernel = (g[:, None] * g[None, :]).expand(c, 1, window, window).contiguous()

    def blur(t: torch.Tensor) -> torch.Tensor:
        return F.conv2d(t, kernel, groups=c)

    mu_a, mu_b = blur(a), blur(b)
    var_a = blur(a * a) - mu_a ** 2
    var_b = blur(b * b) - mu_b ** 2
    cov = blur(a * b) - mu_a * mu_b
    c1, c2 = k1 ** 2, k2 ** 2  # (K L)^2 with data range L = 1
    smap = ((2 * mu_a * mu_b + c1) * (2 * cov + c2)) / ((mu_a ** 2 + mu_b ** 2 + c1) * (var_a + var_b + c2))
    return smap.flatten(1).mean(1)


def bicubic_upsample(x: torch.Tensor, scale: int) -> torch.Tensor:
    """The super-resolution baseline: bicubic interpolation (a = -0.75, half-pixel centres, as
    ``torch.nn.functional.interpolate``) of (N, C, h, w) in [-1, 1] to (N, C, h*scale, w*scale),
    clipped back to [-1, 1] (cubic kernels overshoot at edges)."""
    if scale < 1:
        raise ValueError(f"bicubic_upsample: scale must be a positive integer, got {scale}")
    out = F.interpolate(x, scale_factor=scale, mode="bicubic", align_corners=False)
    return out.clamp(-1.0, 1.0)
