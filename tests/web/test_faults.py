"""Damaged run folders and hostile requests: 4xx answers that name the file inside the run
(never an absolute server path), no 5xx, and the other runs keep working (issue 18)."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Iterator

import pytest
from webtools import call, running_server

from ganforge.nets import build_net, save_model


def _good_generator(run: Path) -> None:
    net = build_net("dcgan_g", z_dim=8, out_shape=[1, 28, 28], width=8)
    save_model(net, run / "generator", meta={"family": "dcgan", "kind": "image", "step": 1})


def _damage_weights(run: Path) -> None:
    w = run / "generator" / "model.safetensors"
    w.write_bytes(w.read_bytes()[:200])


def _edit(run: Path, **changes: object) -> None:
    p = run / "generator" / "config.json"
    cfg = json.loads(p.read_text())
    cfg.update(changes)
    p.write_text(json.dumps(cfg))


DAMAGE = {
    "truncated-weights": _damage_weights,
    "kwargs-list": lambda r: _edit(r, kwargs=[1, 2]),
    "meta-string": lambda r: _edit(r, meta="oops"),
    "class-names-number": lambda r: _edit(r, meta={"class_names": 5, "kind": "image"}),
    "config-not-json": lambda r: (r / "generator" / "config.json").write_bytes(b"\xff\xfe{"),
    "yaml-list": lambda r: (r / "config.yaml").write_text("- 1\n- 2\n"),
    "yaml-binary": lambda r: (r / "config.yaml").write_bytes(b"\xff\xfe\x00garbage"),
    "metrics-folder": lambda r: ((r / "metrics.jsonl").unlink(), (r / "metrics.jsonl").mkdir()),
}


@pytest.fixture(scope="module")
def runs_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("damaged")
    for name in ["good", *DAMAGE]:
        run = root / name
        _good_generator(run)
        (run / "config.yaml").write_text("family: dcgan\ntrain:\n  steps: 10\n")
        (run / "metrics.jsonl").write_text(json.dumps({"step": 1, "d_loss": 1.0}) + "\n")
        if name in DAMAGE:
            DAMAGE[name](run)
    return root


@pytest.fixture(scope="module")
def damaged_server(runs_root: Path) -> Iterator[str]:
    with running_server([runs_root]) as url:
        yield url


REQUESTS = [("GET", "", None), ("POST", "/grid", {"seed": 0, "n": 4}), ("POST", "/render", {"z": [0.0] * 8}),
            ("POST", "/latent", {"seed": 1}), ("GET", "/metrics", None), ("GET", "/samples", None)]


@pytest.mark.parametrize("name", list(DAMAGE))
def test_damaged_run_answers_4xx_without_server_paths(damaged_server: str, runs_root: Path, name: str) -> None:
    for method, suffix, body in REQUESTS:
        status, data, _ = call(damaged_server, f"/api/runs/{name}{suffix}", body, method=method)
        text = data.decode("utf-8", "replace")
        assert status < 500, (name, suffix, status, text)
        assert str(runs_root) not in text, (name, suffix, text)
        if status >= 400:
            assert json.loads(text)["error"]
    status, data, _ = call(damaged_server, f"/api/runs/{name}")
    info = json.loads(data)
    if name in ("truncated-weights", "kwargs-list", "config-not-json"):
        assert "generator/" in info["model_error"], info["model_error"]
        status, data, _ = call(damaged_server, f"/api/runs/{name}/grid", {"seed": 0, "n": 4})
        assert status == 409 and "generator/" in json.loads(data)["error"]


def test_other_runs_keep_working(damaged_server: str) -> None:
    status, data, _ = call(damaged_server, "/api/runs")
    assert status == 200 and len(json.loads(data)["runs"]) == len(DAMAGE) + 1
    assert call(damaged_server, "/api/runs/good/grid", {"seed": 0, "n": 4})[0] == 200


def test_chunked_body_over_the_limit_gets_413(damaged_server: str) -> None:
    import http.client
    from urllib.parse import urlsplit

    u = urlsplit(damaged_server)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=20)

    def chunks() -> Iterator[bytes]:
        for _ in range(10):
            yield b"x" * (1024 * 1024)

    conn.request("POST", "/api/runs/good/render", body=chunks(), encode_chunked=True,
                 headers={"Content-Type": "application/json", "Transfer-Encoding": "chunked"})
    r = conn.getresponse()
    assert r.status == 413 and "larger than" in json.loads(r.read())["error"]
    conn.close()
    assert call(damaged_server, "/api/runs/good/latent", {"seed": 2})[0] == 200


def test_decompression_bomb_upload_is_415() -> None:
    """A 69-byte PNG whose header claims 100000 x 100000 pixels: refused as an image, not a crash."""
    import struct
    import zlib

    from ganforge.web.imaging import ImageError, decode_upload

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 100000, 100000, 8, 0, 0, 0, 0)) + \
        chunk(b"IDAT", zlib.compress(b"")) + chunk(b"IEND", b"")
    with pytest.raises(ImageError, match="too large"):
        decode_upload(png, 1, (28, 28))


def test_decompression_bomb_in_an_image_folder_names_the_file(tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    from PIL import Image

    from ganforge.data.image_files import read_image
    from ganforge.errors import GanforgeError

    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", Image.MAX_IMAGE_PIXELS)  # the env var raises it: restore
    p = tmp_path / "big.png"
    Image.new("L", (300, 300)).save(p)
    monkeypatch.setenv("GANFORGE_MAX_IMAGE_PIXELS", "10000")
    with pytest.raises(GanforgeError, match="big.png: image of .* is over the limit of 10,000") as info:
        read_image(p, 1)
    assert "GANFORGE_MAX_IMAGE_PIXELS" in str(info.value)
    monkeypatch.setenv("GANFORGE_MAX_IMAGE_PIXELS", "50000")  # under twice the limit: Pillow only warns
    with pytest.raises(GanforgeError, match="image of 300x300 pixels is over the limit of 50,000"):
        read_image(p, 1)
    monkeypatch.setenv("GANFORGE_MAX_IMAGE_PIXELS", "0")  # trusted files: no limit
    assert read_image(p, 1).shape == (300, 300, 1)
