"""Music datasets: the Bach chorales of music21's corpus (a 3-file slice), a MIDI folder, the
note / roll / MIDI conversions, keys, and errors that name the bad file."""
from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import torch

from ganforge.data import build_dataset
from ganforge.data.midi import Piece, piece_roll, read_midi, roll_notes, roll_to_midi
from ganforge.data.music import (MusicOptions, bach_chorale_files, bach_chorales, cache_dir, find_key, key_shift,
                                 midi_dataset, music_options)
from ganforge.errors import GanforgeError


def cfg(**options):
    return SimpleNamespace(options=options, limit=None)


@pytest.fixture(scope="module")
def chorales(tmp_path_factory):
    with pytest.MonkeyPatch.context() as mp:  # the session's cache (the autouse fixture is per test)
        mp.setenv("GANFORGE_CACHE", str(tmp_path_factory.getbasetemp() / "cache"))
        return bach_chorales(MusicOptions(pieces=3, bars=2))


def test_bach_chorales_slice_is_four_voices_in_whole_bars_and_transposed(chorales) -> None:
    x, info = chorales.x, chorales.info
    assert info.kind == "pianoroll" and info.name == "bach-chorales"
    n, V, T, P = x.shape
    assert V == 4 and T == 2 * 16 and n > 20 and P == info.shape[2]
    assert set(torch.unique(x).tolist()) <= {0.0, 1.0}
    assert (x.sum(-1) <= 1).all()  # chorale voices are monophonic: at most one pitch per voice and step
    e = info.extra
    assert e["voices"] == ["soprano", "alto", "tenor", "bass"] and e["bar_steps"] == 16 and e["monophonic"]
    # files of the slice that are not four-part 4/4 chorales are skipped and named
    assert len(e["pieces"]) + len(e["skipped"]) == 3
    for p in e["pieces"]:
        tonic_name, mode = p["key"].split()
        assert mode in ("major", "minor") and -6 <= p["shift"] <= 5
    # soprano above bass on average, in the right ranges (MIDI pitch = lowest + index)
    pitches = torch.arange(P) + e["lowest"]
    mean = [(x[:, v] * pitches).sum() / x[:, v].sum() for v in range(4)]
    assert mean[0] > mean[1] > mean[2] > mean[3] and 55 < float(mean[3]) + 12 < 75


def test_chorales_are_read_once_then_from_the_cache(chorales) -> None:
    files = list(cache_dir().glob("bach-*.npz"))
    assert files, "the parsed notes were not cached"
    again = bach_chorales(MusicOptions(pieces=3, bars=2))
    assert torch.equal(again.x, chorales.x)


def test_registered_names_and_options() -> None:
    ds = build_dataset(SimpleNamespace(name="bach-chorales", options={"pieces": 3, "bars": 1, "steps_per_beat": 2,
                                                                      "transpose": "none"}, limit=5))
    assert tuple(ds.x.shape[1:3]) == (4, 8) and len(ds) == 5 and ds.info.extra["transpose"] == "none"
    with pytest.raises(GanforgeError, match="not music options; accepted: steps_per_beat"):
        music_options(cfg(window=3))
    with pytest.raises(GanforgeError, match="transpose='d': accepted c, none"):
        music_options(cfg(transpose="d"))


def test_key_finding_and_shift_to_c_major_or_a_minor() -> None:
    # a G major scale, long tonic and dominant
    g_major = [67, 69, 71, 72, 74, 76, 78, 79, 67, 74, 71]
    dur = [2, 1, 1, 1, 2, 1, 1, 2, 2, 2, 1]
    starts = np.cumsum([0] + dur[:-1]).astype(float)
    piece = Piece("g.mid", np.zeros(len(g_major), np.int64), starts, starts + dur, np.array(g_major), voices=["v"])
    assert find_key(piece) == (7, "major")
    assert key_shift(7, "major") == 5 and key_shift(2, "minor") == -5 and key_shift(9, "minor") == 0
    assert key_shift(6, "major") == -6


def test_roll_midi_round_trip_and_midi_folder_dataset(chorales, tmp_path) -> None:
    e = chorales.info.extra
    folder = tmp_path / "midi"
    folder.mkdir()
    rolls = chorales.x[:3].numpy()
    for i, roll in enumerate(rolls):
        data = roll_to_midi(roll, e["lowest"], e["steps_per_beat"], programs=[52] * 4, names=e["voices"])
        (folder / f"s{i}.mid").write_bytes(data)
    piece = read_midi(folder / "s0.mid")
    assert piece.voices == e["voices"] and piece.bar == 4.0
    back = piece_roll(piece, e["steps_per_beat"])[..., e["lowest"]:e["lowest"] + rolls.shape[3]]
    assert np.array_equal(back[:, :rolls.shape[2]], rolls[0] > 0.5)
    ds = midi_dataset(str(folder), MusicOptions(bars=2, transpose="none"))
    assert ds.info.kind == "pianoroll" and ds.x.shape[1:3] == (4, 32) and len(ds) == 3
    assert ds.info.extra["monophonic"]
    # the same notes, on the pitch range the folder itself uses
    lo = ds.info.extra["lowest"] - e["lowest"]
    assert torch.equal(ds.x, chorales.x[:3, :, :, lo:lo + ds.x.shape[3]])
    assert len(roll_notes(rolls[0])) == len(piece.pitch)


def test_unreadable_files_are_named(tmp_path) -> None:
    bad = tmp_path / "broken.mid"
    bad.write_bytes(b"MThd not really a midi file")
    with pytest.raises(GanforgeError, match="broken.mid: cannot read it as a MIDI file"):
        midi_dataset(str(tmp_path))
    score = tmp_path / "x" / "bad.mxl"
    score.parent.mkdir()
    score.write_bytes(b"PK\x03\x04 broken zip")
    with pytest.raises(GanforgeError, match="bad.mxl: cannot read it as a score with music21"):
        midi_dataset(str(score.parent))
    with pytest.raises(GanforgeError, match="no such file or folder"):
        midi_dataset(str(tmp_path / "nowhere"))
    (tmp_path / "empty").mkdir()
    with pytest.raises(GanforgeError, match="holds no MIDI files"):
        midi_dataset(str(tmp_path / "empty"))


def test_corpus_is_found_inside_music21() -> None:
    files = bach_chorale_files()
    assert len(files) > 300 and all(f.suffix in (".mxl", ".xml") for f in files)
    assert Path(files[0]).parent.name == "bach"


def test_voice_transitions_count_each_voice_s_step_to_step_choices(chorales) -> None:
    from ganforge.data.music import voice_transitions
    x = torch.zeros(2, 2, 4, 3)
    x[0, 0, [0, 1, 2, 3], [1, 1, 2, 0]] = 1  # voice 0: 1 1 2 0
    x[1, 0, [0, 2], [2, 2]] = 1               # voice 0: 2 rest 2 rest
    x[:, 1, :, 0] = 1                         # voice 1 holds pitch 0
    c = voice_transitions(x)
    assert c.shape == (2, 4, 4) and c.sum() == 2 * 2 * 3
    assert c[0, 1, 1] == 1 and c[0, 1, 2] == 1 and c[0, 2, 0] == 1 and c[0, 2, 3] == 2 and c[0, 3, 2] == 1
    assert c[1, 0, 0] == 6
    # the chorales carry theirs: held notes are the commonest move of every voice
    e, (n, V, T, P) = chorales.info.extra, chorales.x.shape
    t = np.asarray(e["voice_transitions"])
    assert t.shape == (V, P + 1, P + 1) and t.sum() == n * V * (T - 1)
    assert all(np.trace(t[v]) > t[v].sum() / 2 for v in range(V))
