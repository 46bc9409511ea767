"""Spectrograms of one-second audio clips and their inversion (Griffin-Lim), in torch.

The SpecGAN representation (Donahue et al. 2019, sec. 3.2): a short-time Fourier transform of a
16 kHz clip of 16,384 samples with 16 ms windows (256 samples, Hann) and an 8 ms stride (128
samples), keeping 128 frequency bins (0 to 8 kHz without the Nyquist bin) and 128 frames; the
log of the magnitude, ``log(|S| + 1e-6)``. SpecGAN normalises each frequency bin to zero mean and
unit variance over the training set, clips at 3 standard deviations and divides by 3, so a
spectrogram lies in [-1, 1] like an image (:func:`normalise` / :func:`denormalise`).
"""
from __future__ import annotations

import torch
from torch import Tensor

N_FFT, HOP, BINS, FRAMES = 256, 128, 128, 128
CLIP_SAMPLES = FRAMES * HOP  # 16,384
EPS = 1e-6
CLIP_STD = 3.0


def _window(device: torch.device) -> Tensor:
    return torch.hann_window(N_FFT, periodic=True, device=device)


def stft(wave: Tensor) -> Tensor:
    """Complex STFT (N, BINS, FRAMES) of waves (N, L) or (N, 1, L) (L = 16,384; other lengths are
    cut or zero-padded to it). Computed in float32 whatever the autocast state."""
    x = wave.reshape(wave.shape[0], -1).float()
    if x.shape[1] != CLIP_SAMPLES:
        x = torch.nn.functional.pad(x, (0, CLIP_SAMPLES - x.shape[1])) if x.shape[1] < CLIP_SAMPLES \
            else x[:, :CLIP_SAMPLES]
    with torch.autocast(x.device.type, enabled=False):
        s = torch.stft(x, N_FFT, HOP, window=_window(x.device), center=True, pad_mode="constant",
                       return_complex=True)
    return s[:, :BINS, :FRAMES]


def log_magnitude(wave: Tensor) -> Tensor:
    """``log(|STFT| + 1e-6)`` (N, BINS, FRAMES) float32 of waves (N, L) or (N, 1, L)."""
    return torch.log(stft(wave).abs() + EPS)


def bin_moments(log_mag: Tensor) -> tuple[Tensor, Tensor]:
    """Per-frequency-bin mean and standard deviation (BINS,) of log magnitudes (N, BINS, FRAMES)."""
    flat = log_mag.double().transpose(0, 1).reshape(log_mag.shape[1], -1)
    return flat.mean(1).float(), flat.std(1).clamp_min(1e-3).float()


def normalise(log_mag: Tensor, mean: Tensor, std: Tensor) -> Tensor:
    """Log magnitudes (N, BINS, FRAMES) -> (N, 1, BINS, FRAMES) in [-1, 1]: per-bin z-score,
    clipped at 3 standard deviations, divided by 3."""
    z = (log_mag - mean.view(1, -1, 1)) / std.view(1, -1, 1)
    return (z.clamp(-CLIP_STD, CLIP_STD) / CLIP_STD).unsqueeze(1)


def denormalise(spec: Tensor, mean: Tensor, std: Tensor) -> Tensor:
    """(N, 1, BINS, FRAMES) in [-1, 1] -> linear magnitudes (N, BINS, FRAMES) (the inverse of
    :func:`normalise` up to the clipping)."""
    s = spec.float().reshape(spec.shape[0], BINS, FRAMES)
    return torch.exp(s * CLIP_STD * std.view(1, -1, 1) + mean.view(1, -1, 1)) - EPS


def griffin_lim(magnitude: Tensor, iterations: int = 32, momentum: float = 0.99) -> Tensor:
    """Waves (N, 16384) whose STFT magnitude approaches ``magnitude`` (N, BINS, FRAMES): Griffin &
    Lim (1984) with the momentum of the fast variant (Perraudin et al. 2013, torchaudio's
    default 0.99), alternating inverse STFT and re-estimating the phase ``iterations`` times.
    The starting phase is random from a generator seeded 0 of its own (the same for every call,
    so inversion is deterministic; zero phase, SpecGAN's start, leaves pulse-train artefacts at
    the hop rate after 16 iterations). The Nyquist bin is zero and one silent frame is appended
    so the inverse STFT covers all 16,384 samples."""
    mag = magnitude.float().clamp_min(0.0)
    n = mag.shape[0]
    full = torch.zeros(n, BINS + 1, FRAMES + 1, device=mag.device)
    full[:, :BINS, :FRAMES] = mag
    window = _window(mag.device)
    g = torch.Generator().manual_seed(0)
    phase = torch.rand(BINS + 1, FRAMES + 1, generator=g).to(mag.device) * (2 * torch.pi)
    with torch.autocast(mag.device.type, enabled=False):
        angles = torch.polar(torch.ones_like(full), phase.expand_as(full))
        previous = torch.zeros_like(angles)
        for _ in range(iterations):
            wave = torch.istft(full * angles, N_FFT, HOP, window=window, center=True, length=CLIP_SAMPLES)
            rebuilt = torch.stft(wave, N_FFT, HOP, window=window, center=True, pad_mode="constant",
                                 return_complex=True)
            angles = rebuilt - (momentum / (1 + momentum)) * previous
            previous = rebuilt
            angles = angles / angles.abs().clamp_min(1e-16)
        return torch.istft(full * angles, N_FFT, HOP, window=window, center=True, length=CLIP_SAMPLES)


def dominant_frequency(wave: Tensor, sample_rate: int = 16000) -> float:
    """The frequency (Hz) of the largest peak of a wave's (L,) magnitude spectrum."""
    spectrum = torch.fft.rfft(wave.double().flatten()).abs()
    return float(spectrum.argmax()) * sample_rate / wave.numel()
