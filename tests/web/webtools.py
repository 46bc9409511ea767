"""Helpers shared by the web tests (imported by name: pytest puts this folder on sys.path)."""
from __future__ import annotations

import contextlib
import json
import shutil
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, Iterator

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# Without the background-networking flags Chromium keeps trying to reach Google's hosts.
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
HEALTH = {"event": "health", "kind": "d_overpowers", "step": 3,
          "message": "D(x) - D(G(z)) stayed above 0.9 for 2 logs: the discriminator wins"}


def metric_record(step: int) -> dict[str, float]:
    """A plausible metrics.jsonl line for ``step`` (with an FID-like key that has a prefix)."""
    return {"step": step, "d_loss": 1.4 - 0.1 * step, "g_loss": 0.7 + 0.05 * step, "d_real": 0.5 + 0.02 * step,
            "d_fake": 0.5 - 0.02 * step, "fid/inception": 300.0 - step}


def call(base: str, path: str, body: Any = None, method: str | None = None, raw: bytes | None = None,
         headers: dict[str, str] | None = None) -> tuple[int, bytes, str]:
    """(status, body bytes, content type) of one request; never raises on HTTP errors."""
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    hdrs = {"Content-Type": "application/json"} if body is not None else {}
    hdrs.update(headers or {})
    req = urllib.request.Request(base + path, data=data, method=method or ("POST" if data is not None else "GET"),
                                 headers=hdrs)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, r.read(), r.headers.get("Content-Type", "")
    except urllib.error.HTTPError as e:
        return e.code, e.read(), e.headers.get("Content-Type", "")


@contextlib.contextmanager
def running_server(roots: list[Path]) -> Iterator[str]:
    """The real uvicorn server over ``roots`` on 127.0.0.1 and a free port, in a thread; yields
    its base URL and stops it on exit."""
    from ganforge.web.server import make_server, url_of

    srv, sock = make_server(roots, host="127.0.0.1", port=0)
    t = threading.Thread(target=srv.run, kwargs={"sockets": [sock]}, daemon=True)
    t.start()
    deadline = time.time() + 20
    while not srv.started:
        if time.time() > deadline or not t.is_alive():
            raise RuntimeError("the web server did not start")
        time.sleep(0.02)
    try:
        yield url_of(sock).rstrip("/")
    finally:
        srv.should_exit = True
        t.join(timeout=5)
        sock.close()


@contextlib.contextmanager
def browser_page(browser: Any, server: str, timeout_ms: int = 15000, offline: bool = True) -> Iterator[Any]:
    """A fresh Chromium page (1280 x 1000) that fails the test on JavaScript errors and, with
    ``offline``, on any request off the server (the page must work offline)."""
    ctx = browser.new_context(viewport={"width": 1280, "height": 1000}, accept_downloads=True)
    page = ctx.new_page()
    errors: list[str] = []
    outside: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    if offline:
        page.on("request", lambda r: None if r.url.startswith((server, "data:", "blob:")) else outside.append(r.url))
    page.set_default_timeout(timeout_ms)
    try:
        yield page
    finally:
        ctx.close()
    assert not errors, f"JavaScript errors: {errors}"
    assert not outside, f"the page requested resources off the server: {outside}"
