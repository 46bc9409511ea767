"""Piano-roll runs on the explorer: each sample is a tile with the roll's picture and, with
Debian's fluidsynth, its audio; in Chromium the <audio> element loads the generated WAV."""
from __future__ import annotations

import base64
import io
import shutil
import wave
from pathlib import Path
from typing import Any, Iterator

import numpy as np
import pytest
import torch
from PIL import Image

from ganforge.data.base import DataInfo
from ganforge.plots import SAMPLE_TILES
from ganforge.plots.music import roll_tiles
from webtools import browser_page, call, running_server

HAS_FLUIDSYNTH = shutil.which("fluidsynth") is not None and Path("/usr/share/sounds/sf2/FluidR3_GM.sf2").is_file()


@pytest.fixture(scope="module")
def music_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An (untrained) musegan generator saved the way a run saves it: four voices, one bar of 8
    eighths, 12 pitches from middle C (the family's export meta)."""
    from ganforge.nets import build_net, save_model

    out = tmp_path_factory.mktemp("web-music") / "tiny-musegan"
    G = build_net("musegan_g", voices=4, bars=1, bar_steps=8, pitches=12, z_shared=4, z_temporal=4, z_voice=2,
                  z_voice_temporal=2, width=4)
    extra = {"lowest": 60, "steps_per_beat": 2, "bar_steps": 8, "bars": 1, "voices": ["s", "a", "t", "b"],
             "programs": [52] * 4, "tempo_bpm": 96.0, "time_signature": "4/4", "monophonic": True}
    save_model(G, out / "generator", meta={"family": "musegan", "kind": "pianoroll", "dataset": "bach-chorales",
                                           "data_shape": [4, 8, 12], "data_extra": extra})
    return out


@pytest.fixture(scope="module")
def music_server(music_run: Path) -> Iterator[str]:
    with running_server([music_run]) as url:
        yield url


def _wav(url: str) -> tuple[int, int]:
    assert url.startswith("data:audio/wav;base64,")
    with wave.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1]))) as w:
        return w.getnchannels(), w.getnframes()


def test_pianoroll_tiles_picture_and_audio_per_sample() -> None:
    assert "pianoroll" in SAMPLE_TILES
    info = DataInfo(name="t", kind="pianoroll", shape=(2, 8, 12),
                    extra={"lowest": 60, "steps_per_beat": 2, "bar_steps": 8, "tempo_bpm": 120, "programs": [0, 0]})
    x = torch.zeros(2, 2, 8, 12)
    x[0, 0, :, 0] = 1
    x[1, 1, :4, 7] = 1
    tiles = roll_tiles(x, info)
    imgs = [np.asarray(Image.open(io.BytesIO(t["image"]))) for t in tiles]
    assert len(tiles) == 2 and imgs[0].shape == (24, 16, 3) and (imgs[0] != imgs[1]).any()
    assert [t["caption"] for t in tiles] == ["1 notes", "1 notes"]
    if HAS_FLUIDSYNTH:
        for t in tiles:  # 8 eighths at 120 bpm = 2 s, plus the 0.5 s tail
            with wave.open(io.BytesIO(t["audio"])) as w:
                assert w.getnchannels() == 1 and w.getnframes() == round(2.5 * w.getframerate())
    else:
        assert all("audio" not in t for t in tiles)


def test_grid_of_a_music_run_gives_roll_tiles(music_server: str) -> None:
    import json

    status, body, _ = call(music_server, "/api/runs/tiny-musegan/grid", {"seed": 1, "n": 3})
    assert status == 200, body[:300]
    g = json.loads(body)
    assert len(g["tiles"]) == 3 and all(t["image"].startswith("data:image/png") for t in g["tiles"])
    if HAS_FLUIDSYNTH:
        assert all(_wav(t["audio"])[0] == 1 for t in g["tiles"])


@pytest.mark.skipif(not HAS_FLUIDSYNTH, reason="Debian's fluidsynth and fluid-soundfont-gm are not installed")
def test_explorer_audio_element_loads_the_generated_wav(browser: Any, music_server: str) -> None:
    with browser_page(browser, music_server, timeout_ms=30000, offline=False) as page:
        page.goto(f"{music_server}/explore?run=tiny-musegan")
        page.wait_for_function("document.querySelectorAll('#grid figure.tile audio').length > 0")
        # the browser decoded the WAV: its metadata loaded and it lasts about a bar (2.5 s) plus the tail
        page.wait_for_function("[...document.querySelectorAll('#grid figure.tile audio')]"
                               ".every(a => a.readyState >= 1 && a.duration > 1)")
        duration = page.eval_on_selector("#grid figure.tile audio", "a => a.duration")
        assert 2.0 < duration < 4.0
        assert page.eval_on_selector("#grid figure.tile img", "i => i.naturalWidth") > 0
