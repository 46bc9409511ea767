"""Values of the pure building blocks, checked against hand computations."""
from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from ganforge.layers import (ConditionalBatchNorm2d, EqualConv2d, EqualLinear, HierarchicalLatent, ModulatedConv2d,
                             NoiseInjection, SelfAttention, apply_spectral_norm, count_spectral_norm, latent_chunks,
                             minibatch_stddev, modulated_conv2d, orthogonal_penalty, orthogonal_regularization,
                             pixel_norm)


def test_modulated_conv_with_unit_styles_and_no_demod_is_a_plain_conv() -> None:
    g = torch.Generator().manual_seed(0)
    x, w = torch.randn(3, 4, 6, 6, generator=g), torch.randn(5, 4, 3, 3, generator=g)
    out = modulated_conv2d(x, w, torch.ones(3, 4), demodulate=False, padding=1)
    assert torch.allclose(out, F.conv2d(x, w, padding=1), atol=1e-5)


def test_modulated_conv_matches_per_sample_modulation_and_demodulation() -> None:
    g = torch.Generator().manual_seed(1)
    x, w, s = torch.randn(2, 3, 5, 5, generator=g), torch.randn(4, 3, 3, 3, generator=g), torch.rand(2, 3, generator=g) + 0.5
    out = modulated_conv2d(x, w, s, demodulate=True, padding=1)
    for i in range(2):
        wi = w * s[i].view(1, 3, 1, 1)
        wi = wi / wi.square().sum(dim=(1, 2, 3), keepdim=True).add(1e-8).sqrt()  # unit-norm output filters (eq. 3)
        assert torch.allclose(out[i:i + 1], F.conv2d(x[i:i + 1], wi, padding=1), atol=1e-5)


def test_modulated_conv_module_upsamples_and_starts_with_identity_styles() -> None:
    conv = ModulatedConv2d(4, 6, 3, w_dim=5, upsample=True)
    w = torch.randn(2, 5)
    assert conv(torch.randn(2, 4, 4, 4), w).shape == (2, 6, 8, 8)
    assert torch.allclose(conv.affine(torch.zeros(1, 5)), torch.ones(1, 4))  # bias_init 1 -> identity modulation


def test_minibatch_stddev_values_by_hand() -> None:
    x = torch.tensor([0.0, 2.0, 4.0, 6.0]).view(4, 1, 1, 1).expand(4, 2, 1, 1).contiguous()
    out = minibatch_stddev(x, group_size=4)
    assert out.shape == (4, 3, 1, 1)
    assert torch.equal(out[:, :2], x)
    assert torch.allclose(out[:, 2], torch.full((4, 1, 1), math.sqrt(5.0)))  # population std of 0, 2, 4, 6
    # group size 2 groups samples strided by N/G = 2: {0, 4} (std 2) and {2, 6} (std 2)
    assert torch.allclose(minibatch_stddev(x, group_size=2)[:, 2], torch.full((4, 1, 1), 2.0))
    # 6 samples with group size 4 fall back to groups of 3; the std is averaged over features and pixels
    y = torch.randn(6, 4, 3, 3)
    out = minibatch_stddev(y, group_size=4, num_channels=2)
    assert out.shape == (6, 6, 3, 3)
    expect = y.view(3, 2, 2, 2, 3, 3).std(dim=0, unbiased=False).mean(dim=(2, 3, 4))  # (2 groups, 2 channels)
    assert torch.allclose(out[0, 4:, 0, 0], expect[0], atol=1e-5)
    assert torch.allclose(out[3, 4:, 1, 2], expect[1], atol=1e-5)  # sample 3 is in group 3 % 2 = 1


def test_equalized_linear_and_conv_scale_weights_at_run_time() -> None:
    torch.manual_seed(0)
    lin = EqualLinear(400, 300, gain=math.sqrt(2), lr_mul=0.01, bias_init=0.5)
    assert 95 < lin.weight.std().item() < 105  # stored N(0, 1 / lr_mul^2)
    x = torch.randn(8, 400)
    effective = lin.weight * math.sqrt(2) * 0.01 / math.sqrt(400)
    assert torch.allclose(lin(x), x @ effective.t() + 0.5, atol=1e-5)
    assert abs(effective.std().item() - math.sqrt(2 / 400)) < 0.003  # He's std at init
    conv = EqualConv2d(8, 4, 3, gain=2.0)
    assert 0.9 < conv.weight.std().item() < 1.1
    xi = torch.randn(2, 8, 5, 5)
    assert torch.allclose(conv(xi), F.conv2d(xi, conv.weight * 2.0 / math.sqrt(72), conv.bias, padding=1), atol=1e-5)


def test_pixel_norm_gives_unit_rms_feature_vectors() -> None:
    x = torch.randn(3, 7, 4, 4) * 5
    rms = pixel_norm(x).square().mean(dim=1).sqrt()
    assert torch.allclose(rms, torch.ones_like(rms), atol=1e-4)


def test_noise_injection_modes() -> None:
    layer = NoiseInjection(4)
    x = torch.randn(2, 3, 4, 4)
    assert torch.equal(layer(x, "random"), x)  # strength starts at 0
    with torch.no_grad():
        layer.strength.fill_(2.0)
    assert torch.equal(layer(x, "const"), x + 2 * layer.noise_const)
    assert torch.equal(layer(x, "none"), x)
    a = layer(x, "random", torch.Generator().manual_seed(3))
    b = layer(x, "random", torch.Generator().manual_seed(3))
    assert torch.equal(a, b) and not torch.equal(a, x)
    d = a - x
    assert torch.allclose(d[:, 0], d[:, 2], atol=1e-6)  # one noise map broadcast over channels
    with pytest.raises(ValueError, match="noise mode"):
        layer(x, "fixed")


def test_conditional_batch_norm_starts_as_batch_norm() -> None:
    x, cond = torch.randn(6, 3, 4, 4), torch.randn(6, 5)
    cbn = ConditionalBatchNorm2d(3, 5)
    assert torch.allclose(cbn(x, cond), F.batch_norm(x, None, None, training=True), atol=1e-5)
    with torch.no_grad():
        cbn.gain.bias.fill_(1.0)  # gain 1 + 1 = 2
        cbn.bias.bias.fill_(0.5)
    assert torch.allclose(cbn(x, cond), 2 * F.batch_norm(x, None, None, training=True) + 0.5, atol=1e-5)
    plain = ConditionalBatchNorm2d(3, 0)
    assert plain.bn.affine and torch.allclose(plain(x), F.batch_norm(x, None, None, training=True), atol=1e-5)
    with pytest.raises(ValueError, match="cond of shape"):
        cbn(x, None)


def test_hierarchical_latent_chunks_and_conditions() -> None:
    assert latent_chunks(120, 6) == [20] * 6
    assert latent_chunks(10, 3) == [4, 3, 3]
    with pytest.raises(ValueError):
        latent_chunks(2, 3)
    h = HierarchicalLatent(10, num_blocks=2, num_classes=4, embed_dim=5)
    z, y = torch.randn(3, 10), torch.tensor([0, 1, 3])
    z0, conds = h(z, y)
    assert torch.equal(z0, z[:, :4]) and h.cond_dims == [8, 8]
    assert torch.equal(conds[0][:, :5], h.shared(y)) and torch.equal(conds[1][:, 5:], z[:, 7:])
    z0, conds = HierarchicalLatent(10, 2)(z)
    assert torch.equal(conds[1], z[:, 7:])


def test_self_attention_starts_as_identity_and_keeps_shape() -> None:
    att = SelfAttention(16)
    x = torch.randn(2, 16, 8, 8)
    assert torch.equal(att(x), x)  # gamma = 0
    with torch.no_grad():
        att.gamma.fill_(1.0)
    y = att(x)
    assert y.shape == x.shape and not torch.allclose(y, x)
    # a constant value map makes every attended value that constant, whatever the attention weights
    with torch.no_grad():
        att.value.weight.zero_()
    assert torch.allclose(att(x), x + att.out(torch.zeros(2, 8, 8, 8)), atol=1e-6)


def test_spectral_norm_bounds_the_largest_singular_value() -> None:
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(6, 5), torch.nn.Embedding(3, 4), torch.nn.Conv2d(2, 3, 3))
    apply_spectral_norm(net, skip=[net[1]])
    assert count_spectral_norm(net) == 2
    apply_spectral_norm(net)  # idempotent for already normalised modules, adds the skipped one
    assert count_spectral_norm(net) == 3
    for _ in range(30):  # power iterations happen in training-mode forwards
        net[0](torch.randn(1, 6))
    assert abs(torch.linalg.matrix_norm(net[0].weight, ord=2).item() - 1.0) < 1e-3


def test_orthogonal_regularization_by_hand() -> None:
    w = torch.tensor([[1.0, 1.0], [1.0, 0.0]])  # W W^T = [[2, 1], [1, 1]]: off-diagonal 1, 1
    assert orthogonal_penalty(w).item() == pytest.approx(2.0)
    q, _ = torch.linalg.qr(torch.randn(5, 5))
    assert orthogonal_penalty(q * 3.0).item() == pytest.approx(0.0, abs=1e-3)  # norms are free, only angles count
    conv = torch.nn.Conv2d(2, 3, 1, bias=True)
    with torch.no_grad():
        conv.weight.copy_(torch.tensor([[1.0, 0.0], [1.0, 1.0], [0.0, 2.0]]).view(3, 2, 1, 1))
    # Gram [[1, 1, 0], [1, 2, 2], [0, 2, 4]] -> off-diagonal squares 2 * (1 + 4) = 10; the bias is 1-D
    assert orthogonal_regularization(conv).item() == pytest.approx(10.0)
    assert orthogonal_regularization(conv, exclude=[conv.weight]).item() == 0.0
