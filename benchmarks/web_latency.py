"""Latency of one explorer slider update on the CPU: request -> decoded image.

Starts the real `ganforge serve` app (uvicorn, 127.0.0.1, a free port) for the MNIST DCGAN
generator and times N render requests, each with the latent's dimension 0 moved a little
further, as a dragged slider sends them:

- ``python``: POST /render on a kept-alive connection + PIL decode of the PNG, from another
  thread of this process;
- ``browser`` (when /usr/bin/chromium exists): inside headless Chromium, the page's own
  pipeline: fetch() + createImageBitmap() of the returned PNG, timed with performance.now().

Requests are sequential (the page keeps one in flight), so this is the latency a user feels.

    python benchmarks/web_latency.py --run runs/mnist-dcgan --requests 100

Without ``--run`` it saves a DCGAN generator with the ``dcgan`` family's MNIST shapes
(z_dim 100, width 64, 1x28x28); its weights are untrained, which does not change the cost.
"""
from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

import numpy as np
import torch

ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def summary(ms: list[float]) -> dict[str, float]:
    s = sorted(ms)
    return {"n": len(s), "median_ms": round(statistics.median(s), 2),
            "p95_ms": round(s[min(len(s) - 1, int(round(0.95 * (len(s) - 1))))], 2),
            "mean_ms": round(statistics.fmean(s), 2), "min_ms": round(s[0], 2), "max_ms": round(s[-1], 2)}


def start(run: Path) -> tuple[object, str]:
    from ganforge.web.server import make_server, url_of

    srv, sock = make_server([run], port=0)
    threading.Thread(target=srv.run, kwargs={"sockets": [sock]}, daemon=True).start()
    while not srv.started:
        time.sleep(0.01)
    return srv, url_of(sock).rstrip("/")


def post(url: str, body: dict) -> bytes:
    req = urllib.request.Request(url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req) as r:
        return r.read()


def python_client(base: str, rid: str, z: list[float], label, n: int, warmup: int) -> list[float]:
    """POST /render on one kept-alive connection (as a browser does) + PIL decode."""
    import http.client
    from urllib.parse import urlsplit

    from PIL import Image

    u = urlsplit(base)
    conn = http.client.HTTPConnection(u.hostname, u.port)
    out = []
    for i in range(warmup + n):
        zz = list(z)
        zz[0] = -3 + 6 * (i % 100) / 99
        t0 = time.perf_counter()
        conn.request("POST", f"/api/runs/{rid}/render", body=json.dumps({"z": zz, "label": label}),
                     headers={"Content-Type": "application/json"})
        png = conn.getresponse().read()
        np.asarray(Image.open(io.BytesIO(png)))  # decoded pixels
        if i >= warmup:
            out.append((time.perf_counter() - t0) * 1000)
    conn.close()
    return out


def browser_client(base: str, rid: str, z: list[float], label, n: int, warmup: int) -> list[float] | None:
    if not Path("/usr/bin/chromium").exists():
        return None
    from playwright.sync_api import sync_playwright

    js = """async ([rid, z, label, n, warmup]) => {
      const times = [];
      for (let i = 0; i < warmup + n; i++) {
        const zz = z.slice(); zz[0] = -3 + 6 * (i % 100) / 99;
        const t0 = performance.now();
        const r = await fetch(`/api/runs/${rid}/render`, {method: 'POST', headers: {'Content-Type': 'application/json'},
                              body: JSON.stringify({z: zz, label})});
        const bmp = await createImageBitmap(await r.blob());
        bmp.close();
        if (i >= warmup) times.push(performance.now() - t0);
      }
      return times;
    }"""
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        page = b.new_page()
        page.goto(f"{base}/explore?run={rid}")
        times = page.evaluate(js, [rid, z, label, n, warmup])
        b.close()
    return times


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--run", default=None, help="a trained MNIST DCGAN run (default: same shapes, untrained)")
    p.add_argument("--requests", type=int, default=100)
    p.add_argument("--warmup", type=int, default=10)
    p.add_argument("--threads", type=int, default=None,
                   help="torch CPU threads in the server (default: as `ganforge serve`, half the cores, at most 4)")
    p.add_argument("--no-browser", action="store_true")
    p.add_argument("--json", default=None, help="also write the results here")
    args = p.parse_args()
    from ganforge.web.server import default_threads

    args.threads = args.threads or default_threads()
    torch.set_num_threads(args.threads)

    tmp = None
    if args.run is None:
        from ganforge.nets import build_net, save_model

        tmp = tempfile.TemporaryDirectory()
        run = Path(tmp.name) / "mnist-dcgan"
        save_model(build_net("dcgan_g", z_dim=100, width=64, out_shape=[1, 28, 28]), run / "generator",
                   meta={"family": "dcgan", "dataset": "mnist", "kind": "image"})
    else:
        run = Path(args.run)
    srv, base = start(run)
    rid = json.loads(urllib.request.urlopen(f"{base}/api/runs").read())["runs"][0]["id"]
    info = json.loads(urllib.request.urlopen(f"{base}/api/runs/{rid}").read())["model"]
    label = 0 if info["num_classes"] else None
    z = json.loads(post(f"{base}/api/runs/{rid}/latent", {"seed": 0}))["z"]

    results = {"run": "untrained dcgan_g (MNIST shapes)" if args.run is None else Path(args.run).name,
               "net": info["net"], "z_dim": info["z_dim"], "out_shape": info["out_shape"],
               "torch_threads": args.threads, "cpu_count": os.cpu_count(),
               "python": summary(python_client(base, rid, z, label, args.requests, args.warmup))}
    if not args.no_browser:
        bt = browser_client(base, rid, z, label, args.requests, args.warmup)
        if bt is not None:
            results["browser"] = summary(bt)
    srv.should_exit = True
    print(json.dumps(results, indent=2))
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2) + "\n")
    if tmp is not None:
        tmp.cleanup()


if __name__ == "__main__":
    main()
