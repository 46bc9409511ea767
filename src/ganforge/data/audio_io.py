"""Reading and writing audio clips: WAV, FLAC and OGG in (``soundfile``, libsndfile), 16 kHz
mono clips of 16,384 samples out (WAV, written atomically).

Every clip the audio datasets hold went through :func:`load_clip`: read, mixed down to mono,
resampled to 16 kHz (polyphase, :func:`scipy.signal.resample_poly`), then cut or zero-padded to
16,384 samples (about 1 s, WaveGAN's length). Files that cannot be read, and silent ones, raise
a :class:`GanforgeError` that names them.
"""
from __future__ import annotations

import io
import math
import os
from pathlib import Path

import numpy as np

from ..errors import GanforgeError
from ..fileio import atomic_write

SAMPLE_RATE = 16000
CLIP_SAMPLES = 16384
SUFFIXES = (".wav", ".flac", ".ogg")
#: a clip whose peak is below this (about -80 dBFS) counts as silent
SILENCE = 1e-4


def read_audio(path: str | os.PathLike[str]) -> tuple[np.ndarray, int]:
    """(samples (L,) float32 mono, sample rate) of a WAV, FLAC or OGG file."""
    p = Path(path)
    if p.suffix.lower() not in SUFFIXES:
        raise GanforgeError(f"{p}: not an audio file this reads (accepted: {', '.join(SUFFIXES)})")
    try:
        import soundfile
    except ImportError:  # pragma: no cover - soundfile is a dependency
        raise GanforgeError(f"{p}: reading audio needs the soundfile package (pip install soundfile)") from None
    try:
        data, rate = soundfile.read(str(p), dtype="float32", always_2d=True)
    except Exception as e:  # soundfile.LibsndfileError, RuntimeError, OSError
        raise GanforgeError(f"{p}: cannot read audio ({type(e).__name__}: {' '.join(str(e).split())[:200]})") from None
    if data.size == 0:
        raise GanforgeError(f"{p}: the audio file holds no samples")
    if not np.isfinite(data).all():
        raise GanforgeError(f"{p}: the audio holds NaN or infinite samples")
    return data.mean(axis=1).astype(np.float32), int(rate)


def resample(wave: np.ndarray, rate: int, target: int = SAMPLE_RATE) -> np.ndarray:
    """``wave`` (L,) at ``rate`` Hz -> float32 at ``target`` Hz (polyphase filter)."""
    if rate == target:
        return wave.astype(np.float32)
    from scipy.signal import resample_poly

    g = math.gcd(int(rate), int(target))
    return resample_poly(wave, target // g, int(rate) // g).astype(np.float32)


def fit_length(wave: np.ndarray, length: int = CLIP_SAMPLES) -> np.ndarray:
    """Cut to the first ``length`` samples, or zero-pad at the end."""
    if len(wave) >= length:
        return wave[:length].copy()
    return np.pad(wave, (0, length - len(wave))).astype(np.float32)


def trim_silence(wave: np.ndarray, threshold: float = 0.01) -> np.ndarray:
    """``wave`` without its leading and trailing parts quieter than ``threshold`` x its peak."""
    loud = np.flatnonzero(np.abs(wave) > threshold * float(np.abs(wave).max(initial=0.0)))
    return wave[loud[0]:loud[-1] + 1] if len(loud) else wave


def load_clip(path: str | os.PathLike[str], normalize: bool = False, trim: bool = False) -> np.ndarray:
    """A 16 kHz mono clip (16384,) float32 in [-1, 1] from an audio file: read, resample, (trim
    silence at both ends), cut or pad; ``normalize`` scales its peak to 0.95. Unreadable and
    silent files are GanforgeErrors naming the file."""
    wave, rate = read_audio(path)
    if float(np.abs(wave).max()) < SILENCE:
        raise GanforgeError(f"{path}: the audio is silent (peak below {SILENCE:g}); remove it from the data")
    wave = resample(wave, rate)
    if trim:
        wave = trim_silence(wave)
    wave = fit_length(wave)
    peak = float(np.abs(wave).max())
    if peak < SILENCE:
        raise GanforgeError(f"{path}: its first {CLIP_SAMPLES} samples at {SAMPLE_RATE} Hz are silent")
    if normalize:
        wave = wave * (0.95 / peak)
    return np.clip(wave, -1.0, 1.0).astype(np.float32)


def wav_bytes(wave: np.ndarray, rate: int = SAMPLE_RATE) -> bytes:
    """A 16-bit PCM mono WAV file of ``wave`` (L,) in [-1, 1] (values beyond are clipped)."""
    from scipy.io import wavfile

    pcm = (np.clip(np.asarray(wave, dtype=np.float64).reshape(-1), -1.0, 1.0) * 32767).round().astype(np.int16)
    buf = io.BytesIO()
    wavfile.write(buf, int(rate), pcm)
    return buf.getvalue()


def write_wav(path: str | os.PathLike[str], wave: np.ndarray, rate: int = SAMPLE_RATE,
              what: str = "the audio clip") -> Path:
    """Write ``wave`` (L,) in [-1, 1] as a 16-bit mono WAV file, atomically."""
    data = wav_bytes(wave, rate)
    return atomic_write(path, lambda f: f.write(data), what)
