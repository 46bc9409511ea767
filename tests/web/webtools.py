"""Helpers shared by the web tests (imported by name: pytest puts this folder on sys.path)."""
from __future__ import annotations

import json
import shutil
import urllib.error
import urllib.request
from typing import Any

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
