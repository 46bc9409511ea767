"""`ganforge sample` and `ganforge eval` on audio runs: WAV files + a spectrogram grid, --class for
conditional models, the spoken-digit classifier's metrics."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import soundfile
from PIL import Image

import ganforge
from ganforge.cli import main
from ganforge.families import FAMILIES


@pytest.fixture(scope="module", params=["wavegan", "specgan"])
def audio_run(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp(request.param) / "run"
    ganforge.train(request.param, **{**FAMILIES.get(request.param).smoke, "train.steps": 2, "train.out": str(out),
                                     "train.progress": False, "train.tensorboard": False, "train.sample_every": 1})
    return out


def test_the_loop_draws_spectrograms(audio_run: Path) -> None:
    assert Image.open(audio_run / "samples.png").format == "PNG"


def test_sample_writes_wavs_and_a_spectrogram_grid(audio_run: Path, tmp_path: Path, capsys) -> None:
    out = tmp_path / "sounds"
    assert main(["sample", str(audio_run), "--n", "4", "--out", str(out)]) == 0
    assert f"wrote 4 WAV files (16000 Hz, 16384 samples) and spectrograms.png to {out}/" in capsys.readouterr().out
    wavs = sorted(out.glob("*.wav"))
    assert [w.name for w in wavs] == ["sample_000_220-Hz.wav", "sample_001_330-Hz.wav", "sample_002_440-Hz.wav",
                                      "sample_003_660-Hz.wav"]
    data, rate = soundfile.read(str(wavs[0]))
    assert rate == 16000 and data.shape == (16384,) and np.isfinite(data).all()
    assert Image.open(out / "spectrograms.png").format == "PNG"
    # --class: every clip of one class; the same seed gives the same first clip as the API
    assert main(["sample", str(audio_run), "--n", "2", "--class", "2", "--out", str(tmp_path / "c")]) == 0
    assert sorted(p.name for p in (tmp_path / "c").glob("*.wav")) == ["sample_000_440-Hz.wav", "sample_001_440-Hz.wav"]
    assert main(["sample", str(audio_run), "--n", "3", "--out", str(tmp_path / "w.npy")]) == 0
    assert np.load(tmp_path / "w.npy").shape == (3, 1, 16384)
    assert main(["sample", str(audio_run), "--n", "2", "--out", str(tmp_path / "x.mp3")]) != 0
    assert "audio samples go to a folder" in capsys.readouterr().err


def test_eval_prints_the_audio_metrics(audio_run: Path, capsys) -> None:
    assert main(["eval", str(audio_run), "--n", "20"]) == 0
    printed = capsys.readouterr().out
    res = json.loads((audio_run / "eval.json").read_text())
    assert set(res) >= {"frechet/digits", "nn_train", "nn_self", "n", "reference"} and res["n"] == 20
    assert res["reference"] == "tones-test" and "nn_train" in printed
    assert all(np.isfinite(res[k]) and res[k] >= 0 for k in ("frechet/digits", "nn_train", "nn_self"))
