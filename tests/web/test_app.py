"""The web API without a browser: real server, real requests, checked values."""
from __future__ import annotations

import io
import json
import uuid
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from webtools import HEALTH, call


def _json(resp: tuple[int, bytes, str]) -> dict:
    status, body, ctype = resp
    assert ctype.startswith("application/json"), (status, ctype, body[:200])
    return json.loads(body)


def _png(b: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(b)))


def _data_url_png(u: str) -> np.ndarray:
    import base64

    assert u.startswith("data:image/png;base64,")
    return _png(base64.b64decode(u.split(",", 1)[1]))


def _multipart(fields: dict[str, tuple[str, bytes, str] | str]) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    out = io.BytesIO()
    for name, value in fields.items():
        out.write(f"--{boundary}\r\n".encode())
        if isinstance(value, tuple):
            fname, data, ctype = value
            out.write(f'Content-Disposition: form-data; name="{name}"; filename="{fname}"\r\n'
                      f"Content-Type: {ctype}\r\n\r\n".encode())
            out.write(data)
        else:
            out.write(f'Content-Disposition: form-data; name="{name}"\r\n\r\n{value}'.encode())
        out.write(b"\r\n")
    out.write(f"--{boundary}--\r\n".encode())
    return out.getvalue(), f"multipart/form-data; boundary={boundary}"


def _png_file(arr: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, format="PNG")
    return buf.getvalue()


def test_runs_are_listed_by_id_without_paths(server: str, tiny_run: Path, translator_run: Path) -> None:
    runs = _json(call(server, "/api/runs"))["runs"]
    assert [r["id"] for r in runs] == ["tiny-cgan", "tiny-pix2pix", "live", "tiny-seqgan", "tiny-series"]
    text = json.dumps(runs)
    assert str(tiny_run.parent) not in text and "/" not in "".join(r["id"] + r["name"] for r in runs)
    cgan = runs[0]
    assert (cgan["family"], cgan["dataset"], cgan["step"], cgan["total_steps"]) == ("cgan", "digits", 4, 4)
    info = _json(call(server, "/api/runs/tiny-cgan"))
    m = info["model"]
    assert (m["mode"], m["z_dim"], m["num_classes"], m["out_shape"]) == ("generate", 100, 10, [1, 28, 28])
    assert m["class_names"] == [str(i) for i in range(10)]
    assert m["truncation"] is None and m["codes"] == []  # DCGAN has neither
    t = _json(call(server, "/api/runs/tiny-pix2pix"))["model"]
    assert (t["mode"], t["in_shape"], t["needs_mask"]) == ("translate", [1, 28, 28], False)
    live = _json(call(server, "/api/runs/live"))
    assert live["model"] is None and "no generator saved yet" in live["model_error"]
    assert (live["training"], live["total_steps"], live["family"]) == (True, 100, "dcgan") and live["step"] >= 2
    assert call(server, "/api/runs/live/render", {"z": [0.0]})[0] == 409


def test_grid_matches_ganforge_sample_per_seed(server: str, tiny_run: Path) -> None:
    import ganforge

    g = _json(call(server, "/api/runs/tiny-cgan/grid", {"seed": 5, "n": 4, "label": 3}))
    assert g["seeds"] == [5, 6, 7, 8] and g["labels"] == [3, 3, 3, 3]
    G = ganforge.load(tiny_run)
    for i, seed in enumerate(g["seeds"]):
        # the command the page shows: ganforge sample RUN --n 1 --seed S --class 3
        want = ganforge.sample(G, 1, seed=seed, labels=3)[0]
        want_u8 = ((want.clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8)[0].numpy()
        assert np.array_equal(_data_url_png(g["images"][i]), want_u8)
        z = ganforge.latents(G, 1, seed)[0]
        assert np.allclose(g["latents"][i], z.numpy(), atol=1e-5)
    # without a label, classes in turn
    assert _json(call(server, "/api/runs/tiny-cgan/grid", {"seed": 0, "n": 12}))["labels"] == [*range(10), 0, 1]


def test_render_follows_the_latent_and_the_class(server: str) -> None:
    z = _json(call(server, "/api/runs/tiny-cgan/latent", {"seed": 1}))["z"]
    assert len(z) == 100
    s, a, ctype = call(server, "/api/runs/tiny-cgan/render", {"z": z, "label": 2})
    assert s == 200 and ctype == "image/png" and _png(a).shape == (28, 28)
    z2 = list(z)
    z2[0] += 2.5
    b = call(server, "/api/runs/tiny-cgan/render", {"z": z2, "label": 2})[1]
    c = call(server, "/api/runs/tiny-cgan/render", {"z": z, "label": 7})[1]
    assert np.abs(_png(a).astype(int) - _png(b)).sum() > 0, "moving one latent dimension changes the image"
    assert np.abs(_png(a).astype(int) - _png(c)).sum() > 0, "the class changes the image"
    assert np.array_equal(_png(a), _png(call(server, "/api/runs/tiny-cgan/render", {"z": z, "label": 2})[1]))
    big = _png(call(server, "/api/runs/tiny-cgan/render", {"z": z, "label": 2, "scale": 4})[1])
    assert big.shape == (112, 112) and np.array_equal(big[::4, ::4], _png(a))


def test_interpolation_ends_at_both_latents(server: str) -> None:
    za = _json(call(server, "/api/runs/tiny-cgan/latent", {"seed": 1}))["z"]
    zb = _json(call(server, "/api/runs/tiny-cgan/latent", {"seed": 2}))["z"]
    for mode in ("slerp", "linear"):
        r = _json(call(server, "/api/runs/tiny-cgan/interpolate",
                       {"z_a": za, "z_b": zb, "steps": 5, "mode": mode, "label": 4}))
        assert len(r["images"]) == 5
        ends = [_png(call(server, "/api/runs/tiny-cgan/render", {"z": z, "label": 4})[1]) for z in (za, zb)]
        assert np.abs(_data_url_png(r["images"][0]).astype(int) - ends[0]).max() <= 1
        assert np.abs(_data_url_png(r["images"][-1]).astype(int) - ends[1]).max() <= 1


def test_metrics_incremental_with_health_events(server: str) -> None:
    m = _json(call(server, "/api/runs/tiny-cgan/metrics"))
    assert [r["step"] for r in m["records"]] == [1, 2, 3, 4]
    assert all({"d_loss", "g_loss", "d_real", "d_fake"} <= r.keys() for r in m["records"])
    assert m["events"] == [HEALTH]
    assert m["status"]["step"] == 4 and m["status"]["total_steps"] == 4 and m["status"]["training"] is False
    again = _json(call(server, f"/api/runs/tiny-cgan/metrics?offset={m['next']}"))
    assert again["records"] == [] and again["events"] == [] and again["next"] == m["next"]
    shrunk = _json(call(server, f"/api/runs/tiny-cgan/metrics?offset={m['next'] + 10**6}"))
    assert shrunk["reset"] is True and len(shrunk["records"]) == 4


def test_non_finite_values_become_null(tmp_path: Path) -> None:
    from ganforge.web.runs import Run

    (tmp_path / "metrics.jsonl").write_text(
        '{"step": 1, "d_loss": NaN, "g_loss": Infinity}\n'
        '{"step": 1, "event": "health", "kind": "nan", "message": "m", "evidence": {"g_loss": NaN, "x": [1.0, -Infinity]}}\n'
        '{"step": 2, "d_loss": 0.5')  # a line still being written is left for the next poll
    m = Run("r", tmp_path).metrics()
    assert m["records"] == [{"step": 1, "d_loss": None, "g_loss": None}]
    assert m["events"][0]["evidence"] == {"g_loss": None, "x": [1.0, None]}
    json.dumps(m, allow_nan=False)
    assert m["next"] == len((tmp_path / "metrics.jsonl").read_bytes().rsplit(b"\n", 1)[0]) + 1


def test_sample_grids_over_time(server: str, tiny_run: Path) -> None:
    steps = _json(call(server, "/api/runs/tiny-cgan/samples"))["steps"]
    assert steps == [2, 4]
    s, body, ctype = call(server, "/api/runs/tiny-cgan/samples/4.png")
    assert s == 200 and ctype == "image/png"
    assert body == (tiny_run / "samples" / "step_0000004.png").read_bytes()
    assert call(server, "/api/runs/tiny-cgan/samples/3.png")[0] == 404


def test_translate_an_upload(server: str) -> None:
    rng = np.random.default_rng(0)
    img = (rng.random((40, 40)) * 255).astype(np.uint8)  # resized to the model's 28x28
    body, ctype = _multipart({"file": ("digit.png", _png_file(img), "image/png")})
    r = _json(call(server, "/api/runs/tiny-pix2pix/translate", raw=body, headers={"Content-Type": ctype}))
    out, seen = _data_url_png(r["output"]), _data_url_png(r["input"])
    assert out.shape == seen.shape == (28, 28) and r["out_size"] == [1, 28, 28]
    assert out.std() > 0 and not np.array_equal(out, seen)
    # an RGB JPEG kept at its own size
    rgb = (rng.random((36, 20, 3)) * 255).astype(np.uint8)
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, format="JPEG")
    body, ctype = _multipart({"file": ("x.jpg", buf.getvalue(), "image/jpeg"), "keep_size": "true"})
    r = _json(call(server, "/api/runs/tiny-pix2pix/translate", raw=body, headers={"Content-Type": ctype}))
    assert r["out_size"] == [1, 36, 20] and _data_url_png(r["output"]).shape == (36, 20)


BAD_JSON = [
    ("/api/runs/nope/grid", {"seed": 0}, 404, "unknown run id"),
    ("/api/runs/tiny-cgan/grid", {"n": 1000}, 422, "n:"),
    ("/api/runs/tiny-cgan/grid", {"n": 0}, 422, "n:"),
    ("/api/runs/tiny-cgan/grid", {"seed": -1}, 422, "seed"),
    ("/api/runs/tiny-cgan/grid", {"seed": "zero"}, 422, "seed"),
    ("/api/runs/tiny-cgan/grid", {"lable": 3}, 422, "lable"),
    ("/api/runs/tiny-cgan/grid", {"label": 10}, 400, "out of range"),
    ("/api/runs/tiny-cgan/grid", {"truncation": 0.5}, 400, "truncation"),
    ("/api/runs/tiny-cgan/render", {"z": [0.0] * 99, "label": 0}, 400, "100 numbers"),
    ("/api/runs/tiny-cgan/render", {"z": [0.0] * 100}, 400, "conditional"),
    ("/api/runs/tiny-cgan/render", {"z": [1e9] * 100, "label": 0}, 422, "z"),
    ("/api/runs/tiny-cgan/render", {"z": [0.0] * 100, "label": 0, "scale": 100}, 422, "scale"),
    ("/api/runs/tiny-cgan/render", {"z": [0.0] * 5000, "label": 0}, 422, "z"),
    ("/api/runs/tiny-cgan/interpolate", {"z_a": [0.0] * 100, "z_b": [0.0] * 100, "steps": 99, "label": 0}, 422, "steps"),
    ("/api/runs/tiny-cgan/codes", {"z": [0.0] * 100, "code": "c1", "label": 0}, 400, "codes are none"),
    ("/api/runs/tiny-pix2pix/grid", {"seed": 0}, 400, "translates images"),
]


@pytest.mark.parametrize("path,body,status,words", BAD_JSON, ids=[f"{p.rsplit('/', 1)[1]}-{i}" for i, (p, *_) in enumerate(BAD_JSON)])
def test_bad_parameters_get_clear_4xx(server: str, path: str, body: dict, status: int, words: str) -> None:
    got = call(server, path, body)
    assert got[0] == status, got
    assert words in _json(got)["error"]


def test_malformed_requests_never_crash_the_server(server: str) -> None:
    cases = [
        call(server, "/api/runs/tiny-cgan/render", raw=b"{not json", headers={"Content-Type": "application/json"}),
        call(server, "/api/runs/tiny-cgan/render", raw=b'{"z": [NaN], "label": 0}', headers={"Content-Type": "application/json"}),
        call(server, "/api/runs/tiny-cgan/render", raw=b"[1, 2]", headers={"Content-Type": "application/json"}),
        call(server, "/api/runs/tiny-cgan/render", raw=b"\xff\xfe\x00", headers={"Content-Type": "application/json"}),
        call(server, "/api/runs/tiny-cgan/metrics?offset=-5"),
        call(server, "/api/runs/tiny-cgan/metrics?offset=abc"),
        call(server, "/api/runs/tiny-cgan/samples/abc.png"),
        call(server, "/api/runs/tiny-cgan/grid", method="GET"),
    ]
    assert all(400 <= c[0] < 500 for c in cases), [c[:2] for c in cases]
    assert all(_json(c)["error"] for c in cases)
    # uploads: not an image, a bad multipart body, too large, a generator run
    body, ctype = _multipart({"file": ("x.png", b"GIF89a not really", "image/png")})
    r = call(server, "/api/runs/tiny-pix2pix/translate", raw=body, headers={"Content-Type": ctype})
    assert r[0] == 415 and "not a readable image" in _json(r)["error"]
    r = call(server, "/api/runs/tiny-pix2pix/translate", raw=b"--x\r\ngarbage", headers={"Content-Type": "multipart/form-data; boundary=x"})
    assert 400 <= r[0] < 500
    status, err = _announce_big_upload(server, 9 * 1024 * 1024)
    assert status == 413 and "larger than" in err
    body, ctype = _multipart({"file": ("d.png", _png_file(np.zeros((28, 28), np.uint8)), "image/png")})
    r = call(server, "/api/runs/tiny-cgan/translate", raw=body, headers={"Content-Type": ctype})
    assert r[0] == 400 and "not an image-to-image model" in _json(r)["error"]
    # still serving
    assert call(server, "/api/runs")[0] == 200
    assert call(server, "/api/runs/tiny-cgan/latent", {"seed": 3})[0] == 200


def _announce_big_upload(server: str, size: int) -> tuple[int, str]:
    """Announce a body of ``size`` bytes and read the answer before sending it: the server must
    refuse from the Content-Length alone, without reading the upload."""
    import http.client
    from urllib.parse import urlsplit

    u = urlsplit(server)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=10)
    conn.putrequest("POST", "/api/runs/tiny-pix2pix/translate")
    conn.putheader("Content-Type", "multipart/form-data; boundary=x")
    conn.putheader("Content-Length", str(size))
    conn.endheaders()
    r = conn.getresponse()
    out = r.status, json.loads(r.read())["error"]
    conn.close()
    return out


@pytest.mark.parametrize("path", [
    "/static/../../../../etc/passwd", "/static/%2e%2e/%2e%2e/etc/passwd", "/api/runs/..%2F..%2Fetc/metrics",
    "/api/runs/%2e%2e/samples", "/static/..%2Fapp.py", "/api/runs/tiny-cgan/samples/..%2F..%2Fconfig.yaml",
])
def test_no_path_traversal(server: str, path: str) -> None:
    import http.client
    from urllib.parse import urlsplit

    u = urlsplit(server)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=10)
    conn.request("GET", path)  # sent as written, without client-side normalisation
    r = conn.getresponse()
    body = r.read()
    assert r.status in (404, 422), (path, r.status)
    assert b"root:" not in body and b"train:" not in body and b"create_app" not in body


def test_pages_and_assets_are_served_without_external_references(server: str) -> None:
    import re

    for page in ("/explore", "/dashboard"):
        s, html, ctype = call(server, page)
        assert s == 200 and ctype.startswith("text/html")
        refs = re.findall(rb'(?:src|href)="([^"]+)"', html)
        assert refs and all(r.startswith((b"/", b"data:")) for r in refs), refs
        for r in refs:
            if r.startswith(b"/static/"):
                assert call(server, r.decode())[0] == 200
    assert call(server, "/")[0] == 200  # redirect followed to the explorer
