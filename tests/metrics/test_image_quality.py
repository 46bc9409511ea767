"""PSNR, SSIM and the bicubic baseline of the image-to-image metrics."""
from __future__ import annotations

import math

import pytest
import torch

from ganforge.metrics.image_quality import bicubic_upsample, psnr, ssim


def test_psnr_hand_values():
    x = torch.full((2, 1, 8, 8), -1.0)
    y = x.clone()
    y[0] += 0.2  # 0.1 on the [0, 1] scale: MSE 0.01 -> 20 dB
    y[1, :, :4] += 2.0  # half the pixels off by 1: MSE 0.5 -> 10 log10 2
    assert torch.allclose(psnr(x, y), torch.tensor([20.0, 10 * math.log10(2)], dtype=torch.float64))
    assert torch.isinf(psnr(x, x)).all()


def test_ssim_hand_values():
    x = torch.rand(2, 3, 16, 16, generator=torch.Generator().manual_seed(0)) * 2 - 1
    assert torch.allclose(ssim(x, x), torch.ones(2, dtype=torch.float64))
    # constant images: only the luminance term remains, (2 m1 m2 + C1) / (m1^2 + m2^2 + C1)
    a, b = torch.full((1, 1, 12, 12), 0.0), torch.full((1, 1, 12, 12), -0.5)  # 0.5 and 0.25 on [0, 1]
    c1 = 0.01 ** 2
    expected = (2 * 0.5 * 0.25 + c1) / (0.25 + 0.0625 + c1)
    assert ssim(a, b).item() == pytest.approx(expected, rel=1e-9)
    assert ssim(x, -x).mean() < 0.2
    with pytest.raises(ValueError, match="smaller than"):
        ssim(torch.zeros(1, 1, 7, 7), torch.zeros(1, 1, 7, 7))


def test_ssim_and_psnr_match_scikit_image():
    metrics = pytest.importorskip("skimage.metrics")
    g = torch.Generator().manual_seed(0)
    x = torch.rand(3, 3, 24, 20, generator=g) * 2 - 1
    y = (x + 0.3 * torch.randn(x.shape, generator=g)).clamp(-1, 1)
    ours_s, ours_p = ssim(x, y), psnr(x, y)
    for i in range(3):
        a = ((x[i] + 1) / 2).permute(1, 2, 0).double().numpy()
        b = ((y[i] + 1) / 2).permute(1, 2, 0).double().numpy()
        ref = metrics.structural_similarity(a, b, gaussian_weights=True, sigma=1.5, use_sample_covariance=False,
                                            data_range=1.0, channel_axis=2)
        assert ours_s[i].item() == pytest.approx(ref, abs=1e-6)
        assert ours_p[i].item() == pytest.approx(metrics.peak_signal_noise_ratio(a, b, data_range=1.0), abs=1e-5)


def test_bicubic_upsample():
    flat = torch.full((2, 1, 7, 7), 0.3)
    assert torch.allclose(bicubic_upsample(flat, 4), torch.full((2, 1, 28, 28), 0.3))
    sharp = torch.where(torch.arange(7) < 3, -1.0, 1.0).expand(1, 1, 7, 7)
    up = bicubic_upsample(sharp, 2)
    assert up.shape == (1, 1, 14, 14) and up.min() >= -1 and up.max() <= 1  # overshoot clipped
