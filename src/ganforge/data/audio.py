"""Audio datasets of one-second clips (16 kHz mono, 16,384 samples; data kind ``audio``).

- ``drums``: the one-shot drum recordings of Debian's ``hydrogen-drumkits`` (real kits, WAV and
  FLAC under ``/usr/share/hydrogen/data/drumkits``), labelled kick, snare, tom, hat, cymbal or
  other from the file name and the kit's instrument name (``drumkit.xml``). Test split: every
  tenth file in name order.
- ``spoken-digits``: the words "zero" to "nine" spoken by Debian's ``espeak-ng`` in its English
  dialects crossed with its voice variants, each at a speed and pitch drawn once (seeded): a
  synthetic stand-in for SC09 with the same shape and labels. Rendered once into
  ``$GANFORGE_CACHE/spoken-digits`` (atomic writes; ``data.limit`` renders only what is used).
  Split by voice: the test split holds every fifth voice variant, never heard in training.
- ``audio:PATH``: a folder of WAV/FLAC/OGG files, labelled by sub-folder when there are any
  (files directly in PATH are unlabelled). Every file is used for every split.

A sample ``x`` is (1, 16384) float32 in [-1, 1]; ``info.extra`` holds the sample rate and the
per-frequency-bin moments of the clips' log-magnitude spectrograms (SpecGAN's normalisation).
"""
from __future__ import annotations

import shutil
import subprocess
import tempfile
import xml.etree.ElementTree as ET
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ..errors import GanforgeError
from ..layers.stft import bin_moments, log_magnitude
from .audio_io import CLIP_SAMPLES, SAMPLE_RATE, SUFFIXES, load_clip, write_wav
from .base import DataInfo, TensorDataset, register_dataset
from .idx import cache_dir

OPTION_HELP = {
    "normalize": "drums, audio:PATH: scale each clip's peak to 0.95 (default: true for drums, false for "
                 "audio:PATH; spoken-digits clips are always rendered at peak 0.95)",
    "workers": "spoken-digits: espeak-ng renderings run at once when the cache is filled (default 2)",
}
DRUMKITS = Path("/usr/share/hydrogen/data/drumkits")
DRUM_CLASSES = ["kick", "snare", "tom", "hat", "cymbal", "other"]
# substrings of a lower-case file or instrument name (separators removed), checked in this order
_DRUM_WORDS = [("hat", ("hihat", "hat", "hh")), ("cymbal", ("crash", "ride", "splash", "china", "cymbal", "cym")),
               ("tom", ("tom",)), ("snare", ("snare", "sd", "rim")), ("kick", ("kick", "bassdrum", "bd", "kck"))]
DIGITS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
DIALECTS = ["en-us", "en-gb", "en-gb-scotland", "en-gb-x-rp", "en-gb-x-gbclan", "en-gb-x-gbcwmd", "en-029"]


def _options(cfg: Any, normalize: bool) -> dict[str, Any]:
    from ..config import coerce

    opts = dict(getattr(cfg, "options", {}) or {})
    unknown = sorted(set(opts) - set(OPTION_HELP))
    if unknown:
        raise GanforgeError(f"data.options {unknown} are not audio options; accepted: {', '.join(OPTION_HELP)}")
    return {"normalize": coerce(opts.get("normalize", normalize), bool, "--normalize"),
            "workers": coerce(opts.get("workers", 2), int, "--workers")}


def _split(cfg: Any) -> str:
    split = getattr(cfg, "split", "train") or "train"
    if split not in ("train", "test", "all"):
        raise GanforgeError(f"data.split {split!r}: use train, test or all")
    return split


def audio_dataset(name: str, clips: np.ndarray, labels: list[int] | None, class_names: list[str] | None,
                  extra: dict[str, Any] | None = None) -> TensorDataset:
    """A TensorDataset of kind ``audio``: x (N, 1, 16384) float32, y (N,) when labelled."""
    x = torch.from_numpy(np.ascontiguousarray(clips, dtype=np.float32)).reshape(len(clips), 1, CLIP_SAMPLES)
    fields = {"x": x}
    if labels is not None:
        fields["y"] = torch.tensor(labels, dtype=torch.int64)
    mean, std = spectrogram_moments(x)
    info = DataInfo(name=name, kind="audio", shape=(1, CLIP_SAMPLES), num_classes=len(class_names or []),
                    class_names=class_names,
                    extra={"sample_rate": SAMPLE_RATE, "spec_mean": mean.tolist(), "spec_std": std.tolist(),
                           **(extra or {})})
    return TensorDataset(fields, info)


def spectrogram_moments(x: torch.Tensor, chunk: int = 256) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-frequency-bin mean and std (128,) of the log-magnitude spectrograms of clips (N, 1, L)."""
    s1 = s2 = None
    count = 0
    for i in range(0, len(x), chunk):
        m = log_magnitude(x[i:i + chunk]).double()  # (n, bins, frames)
        a, b = m.sum((0, 2)), (m * m).sum((0, 2))
        s1, s2 = (a, b) if s1 is None else (s1 + a, s2 + b)
        count += m.shape[0] * m.shape[2]
    mean = s1 / count
    std = (s2 / count - mean * mean).clamp_min(1e-6).sqrt().clamp_min(1e-3)
    return mean.float(), std.float()


def _read_clips(files: list[Path], normalize: bool, trim: bool = False) -> np.ndarray:
    return np.stack([load_clip(f, normalize=normalize, trim=trim) for f in files]) if files else \
        np.zeros((0, CLIP_SAMPLES), np.float32)


# ---- drums ---------------------------------------------------------------------------------------
def drum_label(*names: str) -> int:
    """The DRUM_CLASSES index for a file / instrument name: the first kind whose word it holds."""
    for name in names:
        text = "".join(ch for ch in name.lower() if ch.isalnum())
        for kind, words in _DRUM_WORDS:
            if any(w in text for w in words):
                return DRUM_CLASSES.index(kind)
    return DRUM_CLASSES.index("other")


def _instrument_names(kit: Path) -> dict[str, str]:
    """file name -> instrument name, from the kit's drumkit.xml (empty when it is unreadable)."""
    out: dict[str, str] = {}
    try:
        root = ET.parse(kit / "drumkit.xml").getroot()
    except (OSError, ET.ParseError):
        return out
    for inst in root.iter():
        if inst.tag.split("}")[-1] != "instrument":
            continue
        name = next((e.text or "" for e in inst if e.tag.split("}")[-1] == "name"), "")
        for e in inst.iter():
            if e.tag.split("}")[-1] == "filename" and e.text:
                out[Path(e.text).name] = name
    return out


def drum_files(root: Path) -> list[tuple[Path, int]]:
    """Every (audio file, label) of the kits under ``root``, in name order."""
    out = []
    for kit in sorted(p for p in root.iterdir() if p.is_dir()):
        names = _instrument_names(kit)
        for f in sorted(kit.rglob("*")):
            if f.suffix.lower() in SUFFIXES and f.is_file():
                # the file name first (it names the drum), then the kit's instrument name
                out.append((f, drum_label(f.stem, names.get(f.name, ""))))
    return out


@register_dataset("drums", help="one-shot drum recordings of Debian's hydrogen-drumkits (16 kHz, 16384 samples; "
                                "kick/snare/tom/hat/cymbal/other)", options=OPTION_HELP)
def build_drums(cfg: Any) -> TensorDataset:
    opts = _options(cfg, normalize=True)
    root = Path(cfg.root) if getattr(cfg, "root", None) else DRUMKITS
    if not root.is_dir():
        raise GanforgeError(f"drums: {root} does not exist; install Debian's hydrogen-drumkits "
                            f"(apt-get install hydrogen-drumkits) or give --root with drum kit folders")
    files = drum_files(root)
    if not files:
        raise GanforgeError(f"drums: no {'/'.join(SUFFIXES)} files under {root}")
    split = _split(cfg)
    chosen = [fl for i, fl in enumerate(files) if split == "all" or (i % 10 == 9) == (split == "test")]
    if cfg.limit:
        chosen = chosen[:cfg.limit]
    clips, labels, skipped = [], [], []
    for f, y in chosen:
        try:
            clips.append(load_clip(f, normalize=opts["normalize"]))
            labels.append(y)
        except GanforgeError as e:  # the kits ship a few empty placeholder samples
            if "silent" not in str(e):
                raise
            skipped.append(f.name)
    if skipped:
        print(f"drums: left out {len(skipped)} silent file(s): {', '.join(skipped[:5])}")
    return audio_dataset("drums", np.stack(clips), labels, list(DRUM_CLASSES),
                         {"files": len(clips), "split": split, "silent_files_left_out": skipped})


# ---- spoken digits ---------------------------------------------------------------------------------
def espeak_variants() -> list[str]:
    """espeak-ng's voice variants (``espeak-ng --voices=variant``), sorted."""
    exe = shutil.which("espeak-ng")
    if exe is None:
        raise GanforgeError("spoken-digits renders its clips with Debian's espeak-ng, which is not installed "
                            "(apt-get install espeak-ng)")
    res = subprocess.run([exe, "--voices=variant"], capture_output=True, text=True, check=False)
    names = [line.split()[4].removeprefix("!v/") for line in res.stdout.splitlines()[1:] if len(line.split()) >= 5]
    if not names:
        raise GanforgeError(f"espeak-ng --voices=variant listed no variants ({res.stderr.strip()[:200]})")
    return sorted(set(names), key=str.lower)


def digit_plan(variants: list[str]) -> list[dict[str, Any]]:
    """Every utterance of the set: each digit by each dialect + variant voice, at a speed (120-200
    words per minute) and pitch (20-80) drawn from a generator seeded 0, in a seeded shuffled
    order (so the first N are mixed); ``test`` marks every fifth variant."""
    rng = np.random.default_rng(0)
    plan = []
    for vi, variant in enumerate(variants):
        for dialect in DIALECTS:
            for label, word in enumerate(DIGITS):
                plan.append({"word": word, "label": label, "voice": f"{dialect}+{variant}",
                             "speed": int(rng.integers(120, 201)), "pitch": int(rng.integers(20, 81)),
                             "test": vi % 5 == 4})
    order = rng.permutation(len(plan))
    return [plan[i] for i in order]


def render_digit(item: dict[str, Any], path: Path, exe: str) -> None:
    """espeak-ng says ``item['word']`` into a temporary WAV; the 16 kHz clip (silence trimmed,
    peak 0.95) is written to ``path`` atomically."""
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "raw.wav"
        cmd = [exe, "-v", item["voice"], "-s", str(item["speed"]), "-p", str(item["pitch"]), "-w", str(raw), item["word"]]
        res = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if res.returncode != 0 or not raw.is_file():
            raise GanforgeError(f"spoken-digits: `{' '.join(cmd)}` failed ({res.stderr.strip()[:200]})")
        clip = load_clip(raw, normalize=True, trim=True)
    write_wav(path, clip, what="a rendered spoken digit")


def _clip_name(item: dict[str, Any]) -> str:
    return f"{item['word']}_{item['voice']}_s{item['speed']}_p{item['pitch']}.wav"


@register_dataset("spoken-digits", help="'zero'..'nine' spoken by espeak-ng voices (synthetic SC09 stand-in; 16 kHz, "
                                        "16384 samples; split by voice; rendered once into the cache)",
                  options=OPTION_HELP)
def build_spoken_digits(cfg: Any) -> TensorDataset:
    opts = _options(cfg, normalize=True)
    split = _split(cfg)
    folder = Path(cfg.root) if getattr(cfg, "root", None) else cache_dir() / "spoken-digits"
    exe = shutil.which("espeak-ng")
    plan = digit_plan(espeak_variants()) if exe else None
    if plan is None:
        raise GanforgeError("spoken-digits renders its clips with Debian's espeak-ng, which is not installed "
                            "(apt-get install espeak-ng)")
    chosen = [it for it in plan if split == "all" or it["test"] == (split == "test")]
    if cfg.limit:
        chosen = chosen[:cfg.limit]
    missing = [it for it in chosen if not (folder / _clip_name(it)).is_file()]
    if missing:
        print(f"spoken-digits: rendering {len(missing)} clips with espeak-ng into {folder} (once)")
        with ThreadPoolExecutor(max(1, opts["workers"])) as pool:
            list(pool.map(lambda it: render_digit(it, folder / _clip_name(it), exe), missing))
    clips = _read_clips([folder / _clip_name(it) for it in chosen], normalize=False)
    return audio_dataset("spoken-digits", clips, [it["label"] for it in chosen], list(DIGITS),
                         {"split": split, "voices": len({it["voice"] for it in chosen})})


# ---- a folder ------------------------------------------------------------------------------------------
@register_dataset("audio:", help="a folder of WAV/FLAC/OGG files (labels from sub-folders), 16 kHz, 16384 samples",
                  options=OPTION_HELP)
def build_audio_folder(cfg: Any, path: str) -> TensorDataset:
    opts = _options(cfg, normalize=False)
    _split(cfg)
    root = Path(path).expanduser()
    if not root.is_dir():
        raise GanforgeError(f"audio:{path}: not a folder")
    files = sorted(f for f in root.rglob("*") if f.is_file() and f.suffix.lower() in SUFFIXES)
    if not files:
        raise GanforgeError(f"audio:{path}: no {', '.join(SUFFIXES)} files in the folder or its sub-folders")
    subdirs = sorted({f.relative_to(root).parts[0] for f in files if len(f.relative_to(root).parts) > 1})
    labelled = bool(subdirs) and all(len(f.relative_to(root).parts) > 1 for f in files)
    if subdirs and not labelled:
        loose = [str(f) for f in files if len(f.relative_to(root).parts) == 1][:3]
        raise GanforgeError(f"audio:{path}: files both in sub-folders (labels) and directly in the folder "
                            f"({', '.join(loose)}); put every file in a class sub-folder, or none")
    if cfg.limit:
        files = files[:cfg.limit]
    bad: list[str] = []
    clips = []
    for f in files:
        try:
            clips.append(load_clip(f, normalize=opts["normalize"]))
        except GanforgeError as e:
            bad.append(str(e))
    if bad:
        more = f" (and {len(bad) - 5} more)" if len(bad) > 5 else ""
        raise GanforgeError(f"audio:{path}: {len(bad)} file(s) cannot be used: " + "; ".join(bad[:5]) + more)
    labels = [subdirs.index(f.relative_to(root).parts[0]) for f in files] if labelled else None
    return audio_dataset(f"audio:{path}", np.stack(clips), labels, subdirs if labelled else None,
                         {"files": len(files)})


# ---- tones: tiny synthetic clips for tests and smoke runs ------------------------------------------------
TONE_NAMES = ["220 Hz", "330 Hz", "440 Hz", "660 Hz"]


@register_dataset("tones", help="synthetic decaying sine tones at 4 pitches (labels), 16 kHz, 16384 samples: a "
                                "tiny stand-in for tests and smoke runs", options=OPTION_HELP)
def build_tones(cfg: Any) -> TensorDataset:
    """Clip i: a sine at TONE_NAMES[i % 4] with a random onset, decay and amplitude (seeded 0)."""
    _options(cfg, normalize=False)
    split = _split(cfg)
    n = int(cfg.limit or 64)
    rng = np.random.default_rng(0 if split != "test" else 1)
    t = np.arange(CLIP_SAMPLES) / SAMPLE_RATE
    clips, labels = [], []
    for i in range(n):
        k = i % len(TONE_NAMES)
        freq = float(TONE_NAMES[k].split()[0]) * (1 + 0.01 * rng.standard_normal())
        onset = rng.uniform(0.0, 0.2)
        env = np.where(t >= onset, np.exp(-(t - onset) * rng.uniform(3, 8)), 0.0)
        clips.append((rng.uniform(0.5, 0.9) * env * np.sin(2 * np.pi * freq * (t - onset))).astype(np.float32))
        labels.append(k)
    return audio_dataset("tones", np.stack(clips), labels, list(TONE_NAMES), {"split": split})
