"""Piano-roll pictures, MIDI files and audio of multi-track rolls (data kind ``pianoroll``).

A roll is (V, T, P) in {0, 1} (values above 0.5 are notes); ``info.extra`` gives ``lowest``
(the MIDI pitch of index 0), ``steps_per_beat``, ``bar_steps``, ``voices``, ``programs`` and
``tempo_bpm`` (see :mod:`ganforge.data.music`).
"""
from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import torch

from . import register_sample_plot, register_sample_tiles
from ..errors import GanforgeError

#: one colour per voice (soprano red, alto orange, tenor green, bass blue, then more)
VOICE_COLORS = ((0.84, 0.15, 0.16), (1.0, 0.5, 0.05), (0.17, 0.63, 0.17), (0.12, 0.47, 0.71),
                (0.58, 0.4, 0.74), (0.55, 0.34, 0.29), (0.89, 0.47, 0.76), (0.5, 0.5, 0.5))
SOUNDFONT = Path("/usr/share/sounds/sf2/FluidR3_GM.sf2")


def _array(x: torch.Tensor | np.ndarray) -> np.ndarray:
    return x.detach().float().cpu().numpy() if isinstance(x, torch.Tensor) else np.asarray(x, dtype=np.float32)


def roll_image(roll: np.ndarray, info: Any, scale: int = 3) -> np.ndarray:
    """A roll (V, T, P) -> an RGB uint8 image (P * scale, T * scale, 3): time left to right, high
    pitches at the top, each voice in its colour on white, grey bar lines, faint C lines."""
    r = np.asarray(roll) > 0.5
    V, T, P = r.shape
    img = np.ones((P, T, 3), dtype=np.float32)
    lowest = int(info.extra.get("lowest", 0))
    for p in range(P):
        if (lowest + p) % 12 == 0:
            img[P - 1 - p] = 0.93
    bar = int(info.extra.get("bar_steps") or 0)
    if bar:
        img[:, ::bar] = np.minimum(img[:, ::bar], 0.75)
    for v in range(V):
        color = np.array(VOICE_COLORS[v % len(VOICE_COLORS)], dtype=np.float32)
        t, p = np.nonzero(r[v])
        img[P - 1 - p, t] = color
    img = np.repeat(np.repeat(img, scale, axis=0), scale, axis=1)
    return (img * 255).round().astype(np.uint8)


def _voice_names(info: Any, V: int) -> list[str]:
    names = list(info.extra.get("voices") or [])
    return names if len(names) == V else [f"voice {v}" for v in range(V)]


@register_sample_plot("pianoroll", help="piano rolls, one panel per sample, each voice in its colour")
def plot_pianoroll(samples: torch.Tensor | np.ndarray, path: str | Path, info: Any,
                   real: torch.Tensor | np.ndarray | None = None, title: str = "", n_rolls: int = 8,
                   cols: int = 2, scale: int = 2) -> Path:
    """Up to ``n_rolls`` generated rolls (and as many real ones beside them, if given) as a PNG:
    panels of :func:`roll_image` with a label each, the voices' colours in a legend at the foot.
    Drawn with PIL (matplotlib took seconds per grid)."""
    from PIL import Image, ImageDraw

    from ..fileio import save_pil

    fake = _array(samples)[:n_rolls]
    panels = [(f"sample {i}", r) for i, r in enumerate(fake)]
    if real is not None:
        panels = [p for pair in zip([("generated", r) for r in fake], [("real", r) for r in _array(real)[:len(fake)]])
                  for p in pair]
        cols = 2
    cols = max(1, min(cols, len(panels)))
    rows = -(-len(panels) // cols)
    V, T, P = fake.shape[1:]
    pw, ph, pad, label = T * scale, P * scale, 8, 12
    head = 16 if title else 0
    foot = 16
    names = _voice_names(info, V)
    legend = pad + sum(20 + 7 * len(n) for n in names)
    width = max(cols * (pw + pad) + pad, legend, 2 * pad + 6 * len(title))
    height = head + rows * (ph + label + pad) + pad + foot
    canvas = Image.new("RGB", (width, height), (255, 255, 255))
    draw = ImageDraw.Draw(canvas)
    if title:
        draw.text((pad, 2), title, fill=(0, 0, 0))
    for i, (name, r) in enumerate(panels):
        x0 = pad + (i % cols) * (pw + pad)
        y0 = head + pad + (i // cols) * (ph + label + pad)
        draw.text((x0, y0), name, fill=(60, 60, 60))
        canvas.paste(Image.fromarray(roll_image(r, info, scale=scale)), (x0, y0 + label))
        draw.rectangle((x0 - 1, y0 + label - 1, x0 + pw, y0 + label + ph), outline=(160, 160, 160))
    x = pad
    for v, n in enumerate(names):
        color = tuple(int(255 * c) for c in VOICE_COLORS[v % len(VOICE_COLORS)])
        draw.rectangle((x, height - foot + 3, x + 10, height - foot + 12), fill=color)
        draw.text((x + 14, height - foot + 2), n, fill=(0, 0, 0))
        x += 20 + 7 * len(n)
    return save_pil(canvas, path, "the piano-roll plot")


def midi_bytes(roll: np.ndarray | torch.Tensor, info: Any) -> bytes:
    """One roll (V, T, P) as the bytes of a MIDI file, with the data's voices, programs and tempo."""
    from ..data.midi import roll_to_midi

    r = _array(roll)
    e = info.extra
    return roll_to_midi(r, int(e.get("lowest", 0)), int(e.get("steps_per_beat", 4)),
                        float(e.get("tempo_bpm", 90.0)), e.get("programs"), _voice_names(info, r.shape[0]),
                        str(e.get("time_signature", "4/4")))


def fluidsynth_available(soundfont: Path = SOUNDFONT) -> str | None:
    """None when WAV can be rendered, else why not (for a message)."""
    if shutil.which("fluidsynth") is None:
        return "the fluidsynth program is not installed (Debian: apt-get install fluidsynth fluid-soundfont-gm)"
    if not Path(soundfont).is_file():
        return f"no soundfont at {soundfont} (Debian: apt-get install fluid-soundfont-gm)"
    return None


def _render(midi: bytes, soundfont: Path = SOUNDFONT, rate: int = 11025, gain: float = 0.6) -> np.ndarray:
    """MIDI bytes -> mono float samples at ``rate`` Hz, rendered by the ``fluidsynth`` program
    (its stereo output averaged)."""
    import wave

    why = fluidsynth_available(soundfont)
    if why:
        raise GanforgeError(f"cannot render audio: {why}")
    with tempfile.TemporaryDirectory(prefix="ganforge-wav-") as d:
        mid, wav = Path(d) / "in.mid", Path(d) / "out.wav"
        mid.write_bytes(midi)
        cmd = ["fluidsynth", "-ni", "-q", "-g", str(gain), "-r", str(rate), "-F", str(wav), "-T", "wav",
               str(soundfont), str(mid)]
        try:
            done = subprocess.run(cmd, capture_output=True, timeout=300)
        except (OSError, subprocess.TimeoutExpired) as e:
            raise GanforgeError(f"fluidsynth failed to render audio: {e}") from None
        if done.returncode != 0 or not wav.is_file():
            raise GanforgeError(f"fluidsynth failed to render audio (exit {done.returncode}): "
                                f"{done.stderr.decode(errors='replace')[-300:]}")
        with wave.open(str(wav), "rb") as w:
            ch, width = w.getnchannels(), w.getsampwidth()
            frames = w.readframes(w.getnframes())
    if width != 2:
        raise GanforgeError(f"fluidsynth wrote {8 * width}-bit audio; expected 16-bit")
    return np.frombuffer(frames, dtype="<i2").reshape(-1, ch).astype(np.float64).mean(axis=1)


def _wav_bytes(pcm: np.ndarray, rate: int) -> bytes:
    """Mono samples as the bytes of a 16-bit WAV file."""
    import io
    import wave

    buf = io.BytesIO()
    with wave.open(buf, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(np.clip(np.round(pcm), -32768, 32767).astype("<i2").tobytes())
    return buf.getvalue()


def midi_to_wav(midi: bytes, soundfont: Path = SOUNDFONT, rate: int = 11025, gain: float = 0.6) -> bytes:
    """MIDI bytes -> the bytes of a 16-bit mono WAV file (11025 Hz keeps four bars near 200 KB),
    the reverb's near-silent tail cut 0.3 s after the last audible sample."""
    pcm = _render(midi, soundfont, rate, gain)
    loud = np.nonzero(np.abs(pcm) > 0.01 * max(float(np.abs(pcm).max()), 1.0))[0]
    if len(loud):
        pcm = pcm[:min(len(pcm), int(loud[-1]) + int(0.3 * rate))]
    return _wav_bytes(pcm, rate)


def rolls_to_wavs(rolls: torch.Tensor | np.ndarray, info: Any, rate: int = 11025, tail: float = 0.5) -> list[bytes]:
    """Every roll (N, V, T, P) as WAV bytes, rendered by one ``fluidsynth`` run: the rolls are
    played one after another with a second of silence between them and the recording is cut
    into pieces of T steps plus ``tail`` seconds (loading the 140 MB soundfont once, not N times)."""
    r = _array(rolls)
    n, V, T, P = r.shape
    e = info.extra
    step_s = 60.0 / float(e.get("tempo_bpm", 90.0)) / int(e.get("steps_per_beat", 4))
    gap = int(np.ceil(max(1.0, tail + 0.5) / step_s))
    joined = np.zeros((V, n * (T + gap), P), dtype=np.float32)
    for i in range(n):
        joined[:, i * (T + gap): i * (T + gap) + T] = r[i]
    pcm = _render(midi_bytes(joined, info), rate=rate)
    out = []
    for i in range(n):
        a = int(round(i * (T + gap) * step_s * rate))
        piece = pcm[a: a + int(round((T * step_s + tail) * rate))]
        out.append(_wav_bytes(piece, rate))
    return out


@register_sample_tiles("pianoroll", help="each roll as a picture, with its audio when fluidsynth is installed")
def roll_tiles(samples: torch.Tensor | np.ndarray, info: Any, audio: bool = True) -> list[dict[str, Any]]:
    """Per sample a dict: ``image`` (PNG bytes of the roll), ``audio`` (WAV bytes, when fluidsynth
    and its soundfont are installed and ``audio``), ``caption``."""
    import io

    from PIL import Image

    rolls = _array(samples)
    wavs = rolls_to_wavs(rolls, info) if audio and fluidsynth_available() is None and len(rolls) else None
    tiles = []
    for i, roll in enumerate(rolls):
        buf = io.BytesIO()
        Image.fromarray(roll_image(roll, info, scale=2)).save(buf, format="PNG")
        notes = int((np.diff(np.concatenate([np.zeros_like(roll[:, :1]), roll > 0.5], axis=1).astype(np.int8),
                             axis=1) == 1).sum())
        tile: dict[str, Any] = {"image": buf.getvalue(), "caption": f"{notes} notes"}
        if wavs is not None:
            tile["audio"] = wavs[i]
        tiles.append(tile)
    return tiles


def write_rolls(samples: torch.Tensor | np.ndarray, folder: str | Path, info: Any, wav: bool = True,
                prefix: str = "sample") -> tuple[list[Path], str]:
    """Write ``PREFIX_000.mid``, ``PREFIX_000.png`` (and ``.wav`` when fluidsynth is installed and
    ``wav``) per roll into ``folder``. Returns the paths and a note on WAV (empty when written)."""
    from PIL import Image

    from ..fileio import ensure_dir, save_pil, write_bytes

    d = ensure_dir(folder, "the generated music")
    rolls = _array(samples)
    why = fluidsynth_available() if wav else "not asked for"
    wavs = rolls_to_wavs(rolls, info) if why is None and len(rolls) else None
    paths: list[Path] = []
    for i, roll in enumerate(rolls):
        stem = d / f"{prefix}_{i:03d}"
        paths.append(write_bytes(stem.with_suffix(".mid"), midi_bytes(roll, info), "a MIDI file"))
        paths.append(save_pil(Image.fromarray(roll_image(roll, info)), stem.with_suffix(".png"), "a piano-roll image"))
        if wavs is not None:
            paths.append(write_bytes(stem.with_suffix(".wav"), wavs[i], "a WAV file"))
    return paths, ("" if why is None else f"no WAV: {why}")


def roll_names(info: Any) -> Sequence[str]:
    return _voice_names(info, int(info.shape[0]) if info.shape else 0)
