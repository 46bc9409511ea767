"""Audio I/O and the audio datasets: WAV/FLAC/OGG in, 16 kHz x 16384 clips out, files named in
errors, labels from sub-folders, drums and spoken-digits from their Debian packages (skipped only
where a package is missing: tiny generated files cover the rest)."""
from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
import soundfile
import torch

from ganforge.config import DataConfig
from ganforge.data import build_dataset
from ganforge.data.audio import DRUM_CLASSES, DRUMKITS, drum_label
from ganforge.data.audio_io import CLIP_SAMPLES, SAMPLE_RATE, load_clip, read_audio, resample, write_wav
from ganforge.errors import GanforgeError


def tone(freq: float, rate: int, seconds: float = 0.5, amp: float = 0.5) -> np.ndarray:
    t = np.arange(int(rate * seconds)) / rate
    return (amp * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def test_wav_round_trip_is_exact_to_16_bit(tmp_path: Path) -> None:
    wave = tone(440, SAMPLE_RATE, 1.024)
    path = write_wav(tmp_path / "a.wav", wave)
    back, rate = read_audio(path)
    assert rate == SAMPLE_RATE and back.shape == wave.shape
    assert np.abs(back - wave).max() <= 1 / 32767 + 1e-7
    assert not list(tmp_path.glob(".*tmp*"))  # written atomically: no temporary left


@pytest.mark.parametrize("suffix,subtype", [(".flac", "PCM_16"), (".ogg", "VORBIS"), (".wav", "FLOAT")])
def test_stereo_files_at_other_rates_become_16k_mono_clips(tmp_path: Path, suffix: str, subtype: str) -> None:
    left, right = tone(440, 44100, 0.5), tone(440, 44100, 0.5, amp=0.3)
    path = tmp_path / f"s{suffix}"
    soundfile.write(str(path), np.stack([left, right], 1), 44100, subtype=subtype)
    clip = load_clip(path)
    assert clip.shape == (CLIP_SAMPLES,) and clip.dtype == np.float32
    half = SAMPLE_RATE // 2
    assert np.abs(clip[:half]).max() == pytest.approx(0.4, abs=0.03)  # the mean of the channels
    assert np.abs(clip[half + 200:]).max() < 1e-3  # zero-padded after 0.5 s
    spectrum = np.abs(np.fft.rfft(clip[:half]))
    assert spectrum.argmax() * SAMPLE_RATE / half == pytest.approx(440, abs=4)
    assert len(resample(left, 44100)) == 8000


def test_long_clips_are_cut_and_normalised(tmp_path: Path) -> None:
    path = write_wav(tmp_path / "long.wav", tone(100, SAMPLE_RATE, 2.0, amp=0.2))
    clip = load_clip(path, normalize=True)
    assert clip.shape == (CLIP_SAMPLES,) and np.abs(clip).max() == pytest.approx(0.95, abs=1e-3)


def test_unreadable_silent_and_foreign_files_are_named(tmp_path: Path) -> None:
    bad = tmp_path / "broken.wav"
    bad.write_bytes(b"RIFF not really a wave file")
    with pytest.raises(GanforgeError, match="broken.wav: cannot read audio"):
        load_clip(bad)
    quiet = write_wav(tmp_path / "quiet.wav", np.zeros(4000, np.float32))
    with pytest.raises(GanforgeError, match="quiet.wav: the audio is silent"):
        load_clip(quiet)
    with pytest.raises(GanforgeError, match=r"notes.mp4: not an audio file .*\.wav, \.flac, \.ogg"):
        read_audio(tmp_path / "notes.mp4")


def _folder(root: Path, labelled: bool = True) -> Path:
    for i, (cls, freq) in enumerate([("low", 220), ("low", 230), ("high", 880), ("high", 900)]):
        folder = root / cls if labelled else root
        write_wav(folder / f"clip{i}.wav", tone(freq, 22050 if i % 2 else SAMPLE_RATE))
    return root


def test_audio_folder_labels_from_subfolders(tmp_path: Path) -> None:
    ds = build_dataset(DataConfig(name=f"audio:{_folder(tmp_path / 'a')}"))
    assert ds.info.kind == "audio" and ds.info.shape == (1, CLIP_SAMPLES)
    assert ds.x.shape == (4, 1, CLIP_SAMPLES) and ds.x.dtype == torch.float32
    assert ds.info.class_names == ["high", "low"] and ds.y.tolist() == [0, 0, 1, 1]
    assert len(ds.info.extra["spec_mean"]) == 128 and all(s > 0 for s in ds.info.extra["spec_std"])
    flat = build_dataset(DataConfig(name=f"audio:{_folder(tmp_path / 'b', labelled=False)}"))
    assert flat.y is None and flat.info.num_classes == 0


def test_audio_folder_names_every_bad_file(tmp_path: Path) -> None:
    root = _folder(tmp_path / "a")
    (root / "low" / "garbage.ogg").write_bytes(b"\x00" * 100)
    write_wav(root / "high" / "silence.wav", np.zeros(1000, np.float32))
    with pytest.raises(GanforgeError, match=r"2 file\(s\) cannot be used: .*silence.wav.*; .*garbage.ogg"):
        build_dataset(DataConfig(name=f"audio:{root}"))
    write_wav(tmp_path / "b" / "loose.wav", tone(300, SAMPLE_RATE))
    write_wav(tmp_path / "b" / "x" / "in.wav", tone(300, SAMPLE_RATE))
    with pytest.raises(GanforgeError, match="loose.wav"):
        build_dataset(DataConfig(name=f"audio:{tmp_path / 'b'}"))
    with pytest.raises(GanforgeError, match="not audio options"):
        build_dataset(DataConfig(name=f"audio:{root}", options={"windw": 3}))


def test_drum_labels_from_names() -> None:
    assert [DRUM_CLASSES[drum_label(n)] for n in ("Kick_03", "snare-rim", "TomHigh", "hihat-open", "crash16",
                                                  "cowbell", "BD hard")] == \
        ["kick", "snare", "tom", "hat", "cymbal", "other", "kick"]
    assert DRUM_CLASSES[drum_label("sample-7", "Ride Cymbal")] == "cymbal"  # the kit's instrument name


@pytest.mark.skipif(not DRUMKITS.is_dir(), reason="Debian's hydrogen-drumkits is not installed (make test installs it)")
def test_drums_from_hydrogen_drumkits() -> None:
    ds = build_dataset(DataConfig(name="drums", limit=12))
    assert ds.x.shape == (12, 1, CLIP_SAMPLES) and ds.info.class_names == DRUM_CLASSES
    assert float(ds.x.abs().amax()) == pytest.approx(0.95, abs=1e-3)  # peak-normalised
    test = build_dataset(DataConfig(name="drums", split="test", limit=3))
    assert not any(torch.equal(a, b) for a in test.x for b in ds.x)


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="Debian's espeak-ng is not installed (make test installs it)")
def test_spoken_digits_render_once_into_the_cache(tmp_path: Path) -> None:
    cfg = DataConfig(name="spoken-digits", limit=4, root=str(tmp_path / "digits"))
    ds = build_dataset(cfg)
    assert ds.x.shape == (4, 1, CLIP_SAMPLES) and ds.info.num_classes == 10
    assert ds.info.class_names[7] == "seven" and ds.info.extra["split"] == "train"
    files = sorted((tmp_path / "digits").glob("*.wav"))
    assert len(files) == 4 and {f.name.split("_")[0] for f in files} <= set(ds.info.class_names)
    stamps = [f.stat().st_mtime_ns for f in files]
    again = build_dataset(cfg)  # read back from the cache, nothing rendered again
    assert torch.equal(again.x, ds.x) and [f.stat().st_mtime_ns for f in files] == stamps
    test = build_dataset(DataConfig(name="spoken-digits", split="test", limit=2, root=str(tmp_path / "digits")))
    train_voices = {f.name.split("_")[1].split("+")[1] for f in files}
    test_voices = {f.name.split("_")[1].split("+")[1] for f in sorted((tmp_path / "digits").glob("*.wav"))} - train_voices
    assert len(test) == 2 and test_voices  # the test split's voices are others
