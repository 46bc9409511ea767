"""Audio runs on the explorer: each tile holds a spectrogram picture and an <audio> element
that loads the generated WAV (headless Chromium, Debian's package, driven by Playwright)."""
from __future__ import annotations

import base64
import io
from pathlib import Path
from typing import Any, Iterator

import pytest
import soundfile

import ganforge
from ganforge.families import FAMILIES
from ganforge.plots import SAMPLE_TILES
from webtools import browser_page, call, running_server


@pytest.fixture(scope="module")
def audio_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    out = tmp_path_factory.mktemp("web-audio") / "tiny-wavegan"
    ganforge.train("wavegan", **{**FAMILIES.get("wavegan").smoke, "train.steps": 1, "train.out": str(out),
                                 "train.progress": False, "train.tensorboard": False, "train.sample_every": 0})
    with running_server([out]) as url:
        yield url


def test_audio_tiles_carry_a_wav_and_a_spectrogram(audio_server: str) -> None:
    import json

    assert "audio" in SAMPLE_TILES
    status, body, _ = call(audio_server, "/api/runs/tiny-wavegan/grid", {"seed": 0, "n": 4})
    assert status == 200, body[:300]
    tiles = json.loads(body)["tiles"]
    assert len(tiles) == 4 and all(t["image"].startswith("data:image/png;base64,") for t in tiles)
    wav = base64.b64decode(tiles[0]["audio"].split(",", 1)[1])
    assert tiles[0]["audio"].startswith("data:audio/")
    data, rate = soundfile.read(io.BytesIO(wav))
    assert rate == 16000 and data.shape == (16384,)


def test_an_audio_element_loads_the_generated_wav(browser: Any, audio_server: str) -> None:
    with browser_page(browser, audio_server, timeout_ms=20000, offline=False) as page:
        page.goto(f"{audio_server}/explore?run=tiny-wavegan")
        page.wait_for_function("document.querySelectorAll('#grid figure.tile audio').length > 0")
        # the browser decodes the WAV: metadata loaded (readyState >= 1) and a duration of 16384 / 16000 s
        page.wait_for_function("document.querySelector('#grid figure.tile audio').readyState >= 1")
        duration = page.evaluate("document.querySelector('#grid figure.tile audio').duration")
        assert duration == pytest.approx(16384 / 16000, abs=0.01)
        assert page.evaluate("document.querySelector('#grid figure.tile audio').error") is None
        assert page.eval_on_selector_all("#grid figure.tile img", "els => els.every(e => e.naturalWidth === 128)")
