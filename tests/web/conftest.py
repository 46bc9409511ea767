"""Fixtures for the web tests: a tiny trained conditional run, a tiny image translator, the real
server on a free loopback port, and headless Chromium driven by Playwright.

Browser tests need Debian's chromium (``apt-get install -y chromium``) and the Python
``playwright`` package (its driver only: no browser download). They are skipped, with that
reason, only when /usr/bin/chromium is missing.
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Iterator

import pytest

from webtools import CHROMIUM, CHROMIUM_ARGS, HEALTH, browser_page, metric_record, running_server


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 4-step conditional DCGAN on digits, logged every step, one health warning appended."""
    import ganforge

    out = tmp_path_factory.mktemp("web") / "tiny-cgan"
    ganforge.train("cgan", **{"data.name": "digits", "data.resolution": 28, "data.limit": 64,
                              "data.batch_size": 16, "model.width": 8, "train.steps": 4, "train.out": str(out),
                              "train.progress": False, "train.sample_every": 2, "train.log_every": 1,
                              "train.tensorboard": False})
    with open(out / "metrics.jsonl", "a") as f:
        f.write(json.dumps(HEALTH) + "\n")
    return out


@pytest.fixture(scope="session")
def translator_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An (untrained) pix2pix U-Net saved the way an image-to-image run saves its generator."""
    from ganforge.nets import build_net, save_model

    out = tmp_path_factory.mktemp("web") / "tiny-pix2pix"
    net = build_net("unet_g", in_shape=[1, 28, 28], out_channels=1, width=8)
    save_model(net, out / "generator", meta={"family": "pix2pix", "kind": "paired"})
    return out


@pytest.fixture(scope="session")
def live_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A run "in progress": a config planning 100 steps and two logged steps, no generator yet.
    Tests append lines to its metrics.jsonl as a training process would."""
    out = tmp_path_factory.mktemp("web") / "live"
    out.mkdir()
    (out / "config.yaml").write_text("family: dcgan\ndata:\n  name: mnist\ntrain:\n  steps: 100\n")
    with open(out / "metrics.jsonl", "w") as f:
        for step in (1, 2):
            f.write(json.dumps(metric_record(step)) + "\n")
    return out


@pytest.fixture(scope="session")
def tile_runs(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """Runs whose samples are not images, shown as tiles: a 2-step SeqGAN on a small text file
    (kind tokens: captions) and a 2-step recurrent GAN on sines (kind series: line charts)."""
    import ganforge

    root = tmp_path_factory.mktemp("web-tiles")
    text = root / "lines.txt"
    text.write_text("".join(f"the {a} cat sat on the {b} mat\n" for a in ("big", "small", "red") for b in ("old", "new")))
    common = {"train.steps": 2, "train.progress": False, "train.tensorboard": False, "train.log_every": 1,
              "model.width": 8}
    ganforge.train("seqgan", **{"data.name": f"text:{text}", "data.resolution": None, "data.batch_size": 4,
                                "options": {"mle_steps": 1, "d_pretrain_steps": 1, "n_rollouts": 2},
                                "train.d_steps": 1, "train.out": str(root / "tiny-seqgan"), **common})
    ganforge.train("timeseries", **{"data.name": "sines", "data.options": {"window": 16, "length": 200},
                                    "data.limit": 64, "data.resolution": None, "train.out": str(root / "tiny-series"),
                                    **common})
    return [root / "tiny-seqgan", root / "tiny-series"]


@pytest.fixture(scope="session")
def server(tiny_run: Path, translator_run: Path, live_run: Path, tile_runs: list[Path]) -> Iterator[str]:
    """The real uvicorn server on 127.0.0.1 and a free port, in a thread; yields its base URL."""
    with running_server([tiny_run, translator_run, live_run, *tile_runs]) as url:
        yield url


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):  # CI must run the browser tests: `make test` installs chromium
            pytest.fail("Debian's chromium is not installed; `make test` installs it (apt-get install -y chromium)")
        pytest.skip("Debian's chromium is not installed (apt-get install -y chromium); browser tests need it")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser: Any, server: str) -> Iterator[Any]:
    """A fresh page that fails the test on JavaScript errors and on any request off loopback
    (the page must work offline)."""
    with browser_page(browser, server) as pg:
        yield pg
