"""The pages in headless Chromium (Debian's package) driven by Playwright: real server, real
clicks and drags, pixels read back from the page."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from webtools import HEALTH, metric_record

PIXELS = """sel => {
  const img = document.querySelector(sel);
  const c = document.createElement('canvas');
  c.width = img.naturalWidth; c.height = img.naturalHeight;
  const ctx = c.getContext('2d');
  ctx.drawImage(img, 0, 0);
  return Array.from(ctx.getImageData(0, 0, c.width, c.height).data.filter((_, i) => i % 4 === 0));
}"""


def _version(page: Any, sel: str) -> int:
    return int(page.get_attribute(sel, "data-version") or 0)


def _wait_version(page: Any, sel: str, above: int) -> None:
    page.wait_for_function("([s, v]) => +document.querySelector(s).dataset.version > v", arg=[sel, above])


def test_slider_move_changes_the_image(page: Any, server: str) -> None:
    page.goto(f"{server}/explore?run=tiny-cgan")
    _wait_version(page, "#big", 0)
    page.wait_for_function("document.querySelectorAll('#grid img').length === 16")
    page.wait_for_timeout(200)  # let the first render settle
    before, v0 = page.evaluate(PIXELS, "#big"), _version(page, "#big")
    assert len(before) == 28 * 28
    assert "--n 1 --seed 0 --class 0" in page.inner_text("#command")
    # drag the z[0] slider to its right end, as a user would
    box = page.locator('#sliders input[data-dim="0"]').bounding_box()
    y = box["y"] + box["height"] / 2
    page.mouse.move(box["x"] + box["width"] / 2, y)
    page.mouse.down()
    for i in range(1, 11):
        page.mouse.move(box["x"] + box["width"] / 2 + i * box["width"] / 20, y)
    page.mouse.move(box["x"] + box["width"] - 1, y)
    page.mouse.up()
    _wait_version(page, "#big", v0)
    page.wait_for_timeout(300)  # the last coalesced render of the drag
    after = page.evaluate(PIXELS, "#big")
    assert np.abs(np.array(before) - np.array(after)).sum() > 0
    assert float(page.input_value('#sliders input[data-dim="0"]')) > 2.9
    # the page now reproduces the edited latent through a .npy file
    assert "--latent latent.npy --class 0" in page.inner_text("#command")
    assert page.is_visible("#download-latent")
    with page.expect_download() as dl:
        page.click("#download-latent")
    arr = np.load(dl.value.path())
    assert arr.shape == (1, 100) and arr.dtype == np.float32 and arr[0, 0] > 2.9


def test_class_change_changes_the_samples(page: Any, server: str) -> None:
    page.goto(f"{server}/explore?run=tiny-cgan")
    page.wait_for_function("document.querySelectorAll('#grid img').length === 16")
    first = [page.get_attribute(f"#grid img:nth-child({i})", "src") for i in (1, 2, 3)]
    page.select_option("#class", "3")
    page.wait_for_function("s => document.querySelector('#grid img').src !== s", arg=first[0])
    titles = page.eval_on_selector_all("#grid img", "els => els.map(e => e.title)")
    assert len(titles) == 16 and all(t.endswith("class 3") for t in titles)
    now = [page.get_attribute(f"#grid img:nth-child({i})", "src") for i in (1, 2, 3)]
    assert all(a != b for a, b in zip(first, now))
    page.wait_for_function("document.querySelector('#command').textContent.includes('--class 3')")
    assert "class 3" in page.inner_text("#sel-title")
    # the interpolation strip follows (10 images by default)
    page.wait_for_function("document.querySelectorAll('#interp img').length === 10")


def test_bad_parameter_shows_the_servers_error(page: Any, server: str) -> None:
    page.goto(f"{server}/explore?run=tiny-cgan")
    page.wait_for_function("document.querySelectorAll('#grid img').length === 16")
    page.fill("#seed", "-5")
    page.dispatch_event("#seed", "change")
    page.wait_for_selector("#status.error")
    assert "seed" in page.inner_text("#status")


def test_dashboard_shows_the_curves_of_a_tiny_run(page: Any, server: str) -> None:
    page.goto(f"{server}/dashboard?run=tiny-cgan")
    page.wait_for_selector('.chart[data-title="Losses"][data-points="8"]')
    assert page.get_attribute('.chart[data-title="Losses"]', "data-series") == "d_loss,g_loss"
    dx = '.chart[data-title="D(x) and D(G(z))"]'
    assert page.get_attribute(dx, "data-series") == "d_real,d_fake"
    assert page.get_attribute(dx, "data-points") == "8" and page.get_attribute(dx, "data-events") == "1"
    # the lines are really drawn: count pixels of the first series' colour (#2f6fde)
    blue = page.eval_on_selector('.chart[data-title="Losses"] canvas', """c => {
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data; let n = 0;
        for (let i = 0; i < d.length; i += 4) if (Math.abs(d[i] - 47) < 30 && Math.abs(d[i+1] - 111) < 30 && Math.abs(d[i+2] - 222) < 30 && d[i+3] > 200) n++;
        return n; }""")
    assert blue > 50
    assert page.inner_text("#state") == "finished" and page.inner_text("#step") == "4"
    assert HEALTH["message"] in page.inner_text("#events")
    # sample grids over time: steps 2 and 4, newest first shown
    page.wait_for_function("document.querySelector('#sample-img').dataset.step === '4'")
    page.fill("#sample-step", "0")
    page.wait_for_function("document.querySelector('#sample-img').dataset.step === '2'")
    page.wait_for_function("document.querySelector('#sample-img').naturalWidth > 0")


def test_dashboard_refreshes_while_training(page: Any, server: str, live_run: Path) -> None:
    page.goto(f"{server}/dashboard?run=live")
    page.wait_for_selector('.chart[data-title="Losses"][data-points="4"]')
    assert page.inner_text("#state") == "training"
    assert page.get_attribute('.chart[data-title="fid"]', "data-series") == "fid/inception"
    with open(live_run / "metrics.jsonl", "a") as f:
        for step in (3, 4):
            f.write(json.dumps(metric_record(step)) + "\n")
    page.wait_for_selector('.chart[data-title="Losses"][data-points="8"]', timeout=8000)
    assert page.inner_text("#step") == "4"
    # the explorer explains why there is nothing to explore yet
    page.goto(f"{server}/explore?run=live")
    page.wait_for_selector("#nothing:not([hidden])")
    assert "no generator saved yet" in page.inner_text("#nothing-msg")


def test_upload_returns_a_translated_image(page: Any, server: str, tmp_path: Path) -> None:
    digit = np.zeros((28, 28), np.uint8)
    digit[6:22, 12:16] = 255  # a "1"
    path = tmp_path / "one.png"
    Image.fromarray(digit).save(path)
    page.goto(f"{server}/explore?run=tiny-pix2pix")
    page.wait_for_selector("#translator:not([hidden])")
    assert page.is_hidden("#explorer")
    page.set_input_files("#file", str(path))
    page.click("#translate-btn")
    _wait_version(page, "#t-out", 0)
    out = np.array(page.evaluate(PIXELS, "#t-out")).reshape(28, 28)
    seen = np.array(page.evaluate(PIXELS, "#t-in")).reshape(28, 28)
    assert np.array_equal(seen, digit)  # the input as the model saw it
    assert out.std() > 0 and not np.array_equal(out, digit)
    assert page.is_enabled("#t-download")
    # a file that is not an image is refused with the server's message
    bad = tmp_path / "notes.png"
    bad.write_bytes(b"this is text")
    page.set_input_files("#file", str(bad))
    page.click("#translate-btn")
    page.wait_for_selector("#status.error")
    assert "not a readable image" in page.inner_text("#status")
    # a file over the server's limit is stopped in the page, before uploading
    huge = tmp_path / "huge.png"
    huge.write_bytes(b"\0" * (9 * 1024 * 1024))
    page.set_input_files("#file", str(huge))
    page.click("#translate-btn")
    page.wait_for_function("document.querySelector('#status').textContent.includes('the server accepts up to')")
