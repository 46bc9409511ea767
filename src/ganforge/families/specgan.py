"""The ``specgan`` family: SpecGAN (Donahue, McAuley & Puckette 2019, sec. 3.2), a DCGAN-like GAN
on 128x128 log-magnitude spectrograms of one-second clips, normalised per frequency bin with the
training set's moments, and inverted to waveforms with Griffin-Lim (:mod:`ganforge.layers.stft`).

D judges spectrograms: the real clips of a batch are transformed on the fly
(:meth:`SpecGANFamily.real_input`) and G's spectrograms (``specgan_g.spectrogram``) are judged
before inversion (:meth:`SpecGANFamily.generate`); the exported generator's forward returns
waveforms, so sampling, plots and metrics see audio like WaveGAN's.
"""
from __future__ import annotations

from typing import Any

import torch
from torch import Tensor

from ..errors import GanforgeError
from ..layers.stft import BINS, FRAMES, log_magnitude, normalise
from ..nets import build_net
from ._audio import AUDIO_SMOKE, WGAN_GP, AudioFamily
from .base import register_family


class SpecGANFamily(AudioFamily):
    """SpecGAN: WGAN-GP on normalised log-magnitude spectrograms (N, 1, 128, 128)."""

    def __init__(self, cfg, info, device, dist) -> None:
        extra = info.extra or {}
        if "spec_mean" not in extra or "spec_std" not in extra:
            raise GanforgeError(f"family 'specgan' needs the per-bin spectrogram moments of the data (spec_mean, "
                                f"spec_std); dataset {info.name!r} has none (use an audio dataset)")
        self.spec_mean = torch.tensor(extra["spec_mean"], dtype=torch.float32, device=device)
        self.spec_std = torch.tensor(extra["spec_std"], dtype=torch.float32, device=device)
        super().__init__(cfg, info, device, dist)

    def build_nets(self, num_classes: int) -> tuple[torch.nn.Module, torch.nn.Module]:
        m = self.cfg.model
        g_kw: dict[str, Any] = {"z_dim": m.z_dim, "out_shape": list(self.info.shape), "num_classes": num_classes,
                                "spec_mean": self.spec_mean.tolist(), "spec_std": self.spec_std.tolist()}
        d_kw: dict[str, Any] = {"in_shape": [1, BINS, FRAMES], "num_classes": num_classes, "pack": self.cfg.train.pack}
        if m.width is not None:
            g_kw["width"] = d_kw["width"] = m.width
        return build_net(m.g_net, **{**g_kw, **m.g_kwargs}), build_net(m.d_net, **{**d_kw, **m.d_kwargs})

    def generate(self, G: torch.nn.Module, n: int, c: Tensor | None) -> Tensor:
        return G.spectrogram(G.sample_latent(n, device=self.device), c)

    def real_input(self, batch: dict[str, Tensor]) -> Tensor:
        return normalise(log_magnitude(batch["x"]), self.spec_mean, self.spec_std)


register_family(
    "specgan", SpecGANFamily,
    {"model": {"g_net": "specgan_g", "d_net": "dcgan_d", "z_dim": 100, "width": 64,
               "d_kwargs": {"norm": "none", "cond": "projection"}},
     "train": dict(WGAN_GP)},
    help="SpecGAN (Donahue et al. 2019): DCGAN on 128x128 log-magnitude spectrograms (per-bin normalised), "
         "Griffin-Lim to audio, WGAN-GP; audio data; conditional when labelled",
    smoke=AUDIO_SMOKE)
