"""Generic control detection (truncation, codes, translators) and the explorer's pure functions,
on small stand-in networks that follow the contract, plus `ganforge sample --latent`."""
from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from torch import nn

from ganforge.nets import build_net
from ganforge.nets.controls import is_translator, latent_codes, needs_mask, truncation_support
from ganforge.web import explore


class PsiNet(nn.Module):
    """StyleGAN-like: truncation psi in forward (1.0 = off), pulls z towards 0."""

    z_dim, num_classes, out_shape = 4, 0, (1, 4, 4)

    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(4, 16)

    def sample_latent(self, n, generator=None, device=None):
        return torch.randn(n, 4, generator=generator)

    def forward(self, z, c=None, truncation: float = 1.0):
        return torch.tanh(self.fc(z * truncation)).view(-1, 1, 4, 4)


class ThresholdNet(PsiNet):
    """BigGAN-like: truncated normal in sample_latent (None = off)."""

    def sample_latent(self, n, generator=None, device=None, truncation=None):
        z = torch.randn(n, self.z_dim, generator=generator)
        return z if truncation is None else z.clamp(-truncation, truncation)

    def forward(self, z, c=None):
        return torch.tanh(self.fc(z)).view(-1, 1, 4, 4)


class CodeNet(ThresholdNet):
    """InfoGAN-like: z = [noise (2) | categorical code of 3 | continuous code], no set_code."""

    z_dim = 6
    codes = [SimpleNamespace(name="c1", kind="categorical", size=3, start=2, stop=5),
             SimpleNamespace(name="c2", kind="continuous", size=1, start=5, stop=6),
             SimpleNamespace(name="bad", kind="continuous", size=1, start=9, stop=10)]  # outside z: ignored

    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(6, 16)


def test_truncation_is_detected_from_signatures() -> None:
    t = truncation_support(PsiNet())
    assert (t.where, t.off, t.low, t.high) == ("forward", 1.0, 0.0, 1.0)
    t = truncation_support(ThresholdNet())
    assert (t.where, t.off) == ("sample_latent", None) and t.low > 0
    assert truncation_support(build_net("dcgan_g", width=8)) is None
    assert explore.describe(build_net("dcgan_g", width=8))["truncation"] is None


def test_truncation_reaches_the_right_place() -> None:
    G = PsiNet()
    z = explore.seed_latents(G, [0])
    full, half = explore.decode(G, z, None), explore.decode(G, z, None, truncation=0.0)
    assert torch.allclose(half, torch.tanh(G.fc.bias).view(1, 1, 4, 4))  # psi 0: the "mean" image
    assert not torch.allclose(full, half)
    with pytest.raises(explore.BadRequest, match="out of range"):
        explore.decode(G, z, None, truncation=1.5)
    B = ThresholdNet()
    z_free, z_trunc = explore.seed_latents(B, [7]), explore.seed_latents(B, [7], truncation=0.2)
    assert z_trunc.abs().max() <= 0.2 < z_free.abs().max()
    with pytest.raises(explore.BadRequest, match="no truncation trick"):
        explore.seed_latents(build_net("dcgan_g", width=8), [0], truncation=0.5)


def test_codes_are_read_generically_and_traversed() -> None:
    G = CodeNet()
    codes = latent_codes(G)
    assert [c["name"] for c in codes] == ["c1", "c2"]
    assert explore.describe(G)["codes"] == codes
    z = explore.seed_latents(G, [1])
    zs, values = explore.code_traversal(G, z, "c1", steps=5, low=-2, high=2)
    assert values == [0.0, 1.0, 2.0] and torch.equal(zs[:, 2:5], torch.eye(3))
    assert torch.equal(zs[:, :2], z[:, :2].expand(3, -1))  # the noise is kept
    zs, values = explore.code_traversal(G, z, "c2", steps=5, low=-2, high=2)
    assert values == [-2.0, -1.0, 0.0, 1.0, 2.0] and torch.equal(zs[:, 5], torch.linspace(-2, 2, 5))
    with pytest.raises(explore.BadRequest, match="codes are c1, c2"):
        explore.code_traversal(G, z, "c9", 5, -2, 2)


def test_translators_and_masks() -> None:
    unet = build_net("unet_g", in_shape=[1, 28, 28], out_channels=1, width=8)
    inpaint = build_net("inpaint_g", in_shape=[1, 28, 28], width=8)
    sr = build_net("srgan_g", in_shape=[1, 7, 7], scale=4, width=8, n_blocks=1)
    assert all(is_translator(n) for n in (unet, inpaint, sr))
    assert not is_translator(build_net("dcgan_g", width=8))
    assert (needs_mask(unet), needs_mask(inpaint), needs_mask(sr)) == (False, True, False)
    assert explore.describe(sr)["mode"] == "translate" and explore.describe(sr)["out_shape"] == [1, 28, 28]
    x = torch.rand(1, 1, 28, 28) * 2 - 1
    y, seen = explore.translate(inpaint, x)
    hole = explore.default_mask((1, 28, 28))
    assert y.shape == (1, 1, 28, 28) and hole.sum() == 14 * 14
    assert torch.equal(seen[hole.bool()], torch.zeros(14 * 14)) and torch.equal(seen[~hole.bool()], x[~hole.bool()])
    y, _ = explore.translate(sr, torch.zeros(1, 1, 7, 7))
    assert y.shape == (1, 1, 28, 28)


def test_non_image_generators_are_not_explorable() -> None:
    d = explore.describe(build_net("mlp_g", z_dim=2, out_shape=[2]))
    assert d["mode"] == "none" and "shape [2]" in d["reason"]


def test_labels_are_checked() -> None:
    G = build_net("dcgan_g", width=8, num_classes=3)
    assert explore.labels_for(G, 4, None, cycle=True).tolist() == [0, 1, 2, 0]
    assert explore.labels_for(G, 2, 1).tolist() == [1, 1]
    with pytest.raises(explore.BadRequest, match="classes 0..2"):
        explore.labels_for(G, 1, 3)
    with pytest.raises(explore.BadRequest, match="not conditional"):
        explore.labels_for(build_net("dcgan_g", width=8), 1, 0)


def test_sample_cli_decodes_a_latent_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from ganforge.cli import main
    from ganforge.nets import load_model, save_model

    save_model(build_net("dcgan_g", width=8, num_classes=3), tmp_path / "run" / "generator", meta={"kind": "image"})
    G = load_model(tmp_path / "run" / "generator")
    z = explore.seed_latents(G, [4])
    z[0, 0] = 2.5  # an edited latent, as the explorer saves it
    np.save(tmp_path / "latent.npy", z.numpy())
    out = tmp_path / "x.npy"
    assert main(["sample", str(tmp_path / "run"), "--latent", str(tmp_path / "latent.npy"), "--class", "2",
                 "--out", str(out)]) == 0
    want = explore.decode(G, z, torch.tensor([2]))
    assert np.allclose(np.load(out), want.numpy(), atol=1e-6)
    # the seed path gives what the explorer shows for that seed
    assert main(["sample", str(tmp_path / "run"), "--n", "1", "--seed", "4", "--class", "2", "--out", str(out)]) == 0
    z[0, 0] = explore.seed_latents(G, [4])[0, 0]
    assert np.allclose(np.load(out), explore.decode(G, z, torch.tensor([2])).numpy(), atol=1e-6)
    np.save(tmp_path / "bad.npy", np.zeros((2, 7), np.float32))
    assert main(["sample", str(tmp_path / "run"), "--latent", str(tmp_path / "bad.npy"), "--out", str(out)]) == 2
    assert "(N, 100)" in capsys.readouterr().err
    assert main(["sample", str(tmp_path / "run"), "--truncation", "0.5", "--out", str(out)]) == 2
    assert "no truncation trick" in capsys.readouterr().err


def test_serve_refuses_folders_that_hold_no_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from ganforge.cli import main

    assert main(["serve", str(tmp_path), "--port", "0"]) == 2
    assert "is not a run folder" in capsys.readouterr().err
    assert main(["serve", str(tmp_path / "missing")]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_the_listening_socket_is_tcp_so_replies_are_not_delayed() -> None:
    """asyncio sets TCP_NODELAY on accepted connections only when the socket's proto is TCP;
    with proto 0, Nagle + delayed ACKs added ~40 ms to every reply on a kept-alive connection."""
    import socket

    from ganforge.web.server import bind

    s = bind("127.0.0.1", 0)
    try:
        assert s.proto == socket.IPPROTO_TCP and s.getsockname()[1] > 0
    finally:
        s.close()
