"""The ``wavegan`` family: WaveGAN (Donahue, McAuley & Puckette 2019), a GAN on raw waveforms of
one-second clips with the nets ``wavegan_g`` / ``wavegan_d`` (1-D transposed convolutions with
length-25 filters and stride 4; phase shuffle in D), trained with WGAN-GP, conditional on the
label when the data has one.

``--width`` is the paper's d (64 there, ~19M parameters per net; small widths such as 8-16 train
on a CPU). Train with e.g. ``ganforge train wavegan --data spoken-digits --width 16``.
"""
from __future__ import annotations

from ._audio import AUDIO_SMOKE, WGAN_GP, AudioFamily
from .base import register_family


class WaveGANFamily(AudioFamily):
    """WaveGAN: WGAN-GP on waveforms (N, 1, 16384)."""


register_family(
    "wavegan", WaveGANFamily,
    {"model": {"g_net": "wavegan_g", "d_net": "wavegan_d", "z_dim": 100, "width": 64}, "train": dict(WGAN_GP)},
    help="WaveGAN (Donahue et al. 2019): 1-D transposed convs (length 25, stride 4), phase shuffle in D, WGAN-GP; "
         "audio data (spoken-digits, drums, audio:FOLDER); conditional when labelled; --width 64 is the paper's",
    smoke=AUDIO_SMOKE)
