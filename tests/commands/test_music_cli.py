"""`ganforge train musegan --data bach-chorales` on a 3-chorale slice, then `sample` (MIDI, PNG,
WAV per sample) and `eval` (the music statistics and the discriminative score)."""
from __future__ import annotations

import json
import shutil

import mido
import pytest

from ganforge.cli import main
from ganforge.plots.music import fluidsynth_available

QUIET = ["--no-progress", "--no-tensorboard", "--log-every", "1"]
TINY = ["--data", "bach-chorales", "--pieces", "3", "--bars", "2", "--steps-per-beat", "2", "--width", "4",
        "--z-dim", "4", "--d-steps", "1", "--batch-size", "8"]


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    out = tmp_path_factory.mktemp("musegan") / "run"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("GANFORGE_CACHE", str(tmp_path_factory.getbasetemp() / "cache"))
        assert main(["train", "musegan", *TINY, "--steps", "3", "--sample-every", "3", "--out", str(out),
                     *QUIET]) == 0
    return out


def test_training_logs_and_draws_piano_rolls(run) -> None:
    rows = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in rows] == [1, 2, 3] and all("gp" in r and "d_loss" in r for r in rows)
    assert (run / "samples" / "step_0000003.png").is_file()
    meta = json.loads((run / "generator" / "config.json").read_text())["meta"]
    assert meta["kind"] == "pianoroll" and meta["data_extra"]["voices"] == ["soprano", "alto", "tenor", "bass"]


def test_sample_writes_midi_png_and_wav_per_sample(run, tmp_path, capsys) -> None:
    out = tmp_path / "chorales"
    assert main(["sample", str(run), "--n", "2", "--out", str(out)]) == 0
    said = capsys.readouterr().out
    names = sorted(p.name for p in out.iterdir())
    wav = fluidsynth_available() is None
    assert names == sorted(f"sample_00{i}.{ext}" for i in range(2) for ext in (["mid", "png"] + (["wav"] * wav)))
    assert ("and WAV" in said) == wav and (wav or "no WAV:" in said)
    mf = mido.MidiFile(str(out / "sample_000.mid"))
    assert len(mf.tracks) == 5  # tempo track + four voices
    assert main(["sample", str(run), "--n", "3", "--out", str(tmp_path / "grid.png")]) == 0
    assert (tmp_path / "grid.png").stat().st_size > 1000
    assert main(["sample", str(run), "--n", "3", "--out", str(tmp_path / "x.mid")]) == 2  # a named error


@pytest.mark.skipif(shutil.which("fluidsynth") is None, reason="fluidsynth is not installed")
def test_wav_is_mono_and_short(run, tmp_path) -> None:
    import wave

    assert main(["sample", str(run), "--n", "1", "--out", str(tmp_path / "s")]) == 0
    with wave.open(str(tmp_path / "s" / "sample_000.wav")) as w:
        assert w.getnchannels() == 1 and 0.5 < w.getnframes() / w.getframerate() < 10


def test_eval_prints_generated_and_real_statistics(run, tmp_path, capsys) -> None:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("GANFORGE_CACHE", str(run.parent.parent.parent / "cache"))
        assert main(["eval", str(run), "--n", "40", "--out", str(tmp_path / "e.json")]) == 0
    res = json.loads((tmp_path / "e.json").read_text())
    for stat in ("empty_bar_rate", "pitch_classes_per_bar", "qualified_note_rate", "polyphony",
                 "scale_consistency", "tonal_distance"):
        assert f"{stat}/generated" in res and f"{stat}/real" in res
    assert 0.0 <= res["discriminative_accuracy"] <= 1.0 and res["reference"] == "bach-chorales"
    assert 3.0 < res["polyphony/real"] <= 4.0
    assert main(["eval", str(run), "--metrics", "fid"]) == 2
