"""The runs a server exposes: ids, generators loaded on demand, metrics and sample grids.

The browser addresses a run by an id assigned here (a slug of the folder's name); every file
the server reads is built from the run's folder and a validated integer or a fixed name, so
no request can name a path.
"""
from __future__ import annotations

import json
import os
import re
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from torch import nn

from ..errors import GanforgeError

SAMPLE_RE = re.compile(r"^step_(\d{1,12})\.png$")
# a run whose metrics file changed this recently is shown as "training"
LIVE_SECONDS = 120.0
# metrics records sent in one reply at most (the client asks again from the returned offset)
MAX_RECORDS = 20000


def is_run_dir(p: Path) -> bool:
    """A run folder has a generator, a metrics log or a config written by ``ganforge train``."""
    return p.is_dir() and any((p / n).exists() for n in ("generator/config.json", "metrics.jsonl", "config.yaml"))


def _slug(name: str) -> str:
    s = re.sub(r"[^a-z0-9_-]+", "-", name.lower()).strip("-")
    return s[:40] or "run"


@dataclass
class Run:
    """One served run folder. ``path`` never leaves the server."""

    id: str
    path: Path
    lock: threading.Lock = field(default_factory=threading.Lock)
    _model: nn.Module | None = None
    _model_stamp: tuple[float, float] | None = None

    # -- generator -------------------------------------------------------------------------
    def _stamp(self) -> tuple[float, float] | None:
        g = self.path / "generator"
        try:
            return ((g / "config.json").stat().st_mtime, (g / "model.safetensors").stat().st_mtime)
        except OSError:
            return None

    def generator(self) -> nn.Module:
        """The run's generator on the CPU in eval mode, reloaded when training saved a newer one.
        Raises GanforgeError when none is saved yet."""
        from ..nets import load_model

        stamp = self._stamp()
        if stamp is None:
            raise GanforgeError(f"run {self.id!r} has no saved generator yet (it is written at the first checkpoint)")
        if self._model is None or stamp != self._model_stamp:
            try:
                self._model = load_model(self.path / "generator", map_location="cpu").eval()
            except (GanforgeError, OSError, ValueError, RuntimeError) as e:
                # a checkpoint being written right now: keep serving the previous weights
                if self._model is None:
                    raise GanforgeError(f"run {self.id!r}: the generator could not be loaded "
                                        f"({self.relative(str(e))})") from None
                return self._model
            self._model_stamp = stamp
        return self._model

    def relative(self, message: str) -> str:
        """``message`` with the run folder's absolute path replaced by paths inside the run: no
        reply may show where the server keeps its files."""
        root = str(self.path)
        return message.replace(root + os.sep, "").replace(root, ".")

    def has_generator(self) -> bool:
        return self._stamp() is not None

    # -- files written by training -------------------------------------------------------------
    def config(self) -> dict[str, Any]:
        """config.yaml as a dict ({} when absent or unreadable)."""
        import yaml

        try:
            data = yaml.safe_load((self.path / "config.yaml").read_text())
        except (OSError, ValueError, yaml.YAMLError):  # ValueError: not UTF-8 text
            return {}
        return data if isinstance(data, dict) else {}

    def model_meta(self) -> dict[str, Any]:
        """The generator's saved metadata without loading its weights."""
        try:
            meta = json.loads((self.path / "generator" / "config.json").read_text()).get("meta", {})
        except (OSError, ValueError, AttributeError):
            return {}
        return meta if isinstance(meta, dict) else {}  # a damaged config.json shows no metadata

    def sample_steps(self) -> list[int]:
        """Steps with a sample grid in RUN/samples/, ascending."""
        try:
            names = os.listdir(self.path / "samples")
        except OSError:
            return []
        return sorted(int(m.group(1)) for n in names if (m := SAMPLE_RE.match(n)))

    def sample_file(self, step: int) -> Path:
        """RUN/samples/step_NNNNNNN.png for an integer step (never a name from the request)."""
        p = self.path / "samples" / f"step_{int(step):07d}.png"
        if not p.is_file():
            raise FileNotFoundError(step)
        return p

    def metrics(self, offset: int = 0) -> dict[str, Any]:
        """Records of metrics.jsonl from byte ``offset`` on (complete lines only).

        Returns ``{"records", "events", "next", "reset"}``: metric records (no ``event`` key),
        event records (e.g. ``{"event": "health", ...}``), the offset to ask from next time, and
        ``reset`` when the file shrank (a run restarted with --overwrite): the client then
        drops what it had and the records start from the beginning.
        """
        p = self.path / "metrics.jsonl"
        records: list[dict[str, Any]] = []
        events: list[dict[str, Any]] = []
        try:
            size = p.stat().st_size
        except OSError:
            return {"records": records, "events": events, "next": 0, "reset": offset > 0}
        reset = offset > size
        if reset:
            offset = 0
        try:
            with open(p, "rb") as f:
                f.seek(offset)
                data = f.read()
        except OSError:  # e.g. metrics.jsonl replaced by a folder: nothing to show
            return {"records": records, "events": events, "next": 0, "reset": offset > 0}
        end = data.rfind(b"\n") + 1  # a line still being written waits for the next poll
        consumed = 0
        for line in data[:end].splitlines(keepends=True):
            if len(records) + len(events) >= MAX_RECORDS:
                break
            consumed += len(line)
            try:
                rec = json.loads(line)
            except ValueError:
                continue
            if not isinstance(rec, dict):
                continue
            (events if "event" in rec else records).append(_clean(rec))
        return {"records": records, "events": events, "next": offset + consumed, "reset": reset}

    def status(self) -> dict[str, Any]:
        """Progress: last logged step, planned steps, and whether the run looks alive."""
        cfg = self.config()
        total = (cfg.get("train") or {}).get("steps") if isinstance(cfg.get("train"), dict) else None
        meta = self.model_meta()
        last = None
        mtime = None
        p = self.path / "metrics.jsonl"
        try:
            mtime = p.stat().st_mtime
            with open(p, "rb") as f:
                f.seek(max(0, p.stat().st_size - 65536))
                for line in f.read().splitlines()[::-1]:
                    try:
                        rec = json.loads(line)
                    except ValueError:
                        continue
                    if isinstance(rec, dict) and "event" not in rec and isinstance(rec.get("step"), (int, float)):
                        last = int(rec["step"])
                        break
        except OSError:
            pass
        done = last is not None and isinstance(total, int) and last >= total
        live = (mtime is not None and time.time() - mtime < LIVE_SECONDS and not done)
        return {"step": last, "total_steps": total if isinstance(total, int) else None,
                "training": bool(live), "saved_step": meta.get("step")}

    def summary(self) -> dict[str, Any]:
        meta = self.model_meta()
        cfg = self.config()
        data = cfg.get("data") if isinstance(cfg.get("data"), dict) else {}
        return {"id": self.id, "name": self.path.name, "family": meta.get("family") or cfg.get("family"),
                "dataset": meta.get("dataset") or (data or {}).get("name"), "kind": meta.get("kind"),
                "has_generator": self.has_generator(), **self.status()}


def _clean(value: Any) -> Any:
    """Replace non-finite floats (JSON has no NaN; a diverging run logs them) by None, at any
    depth (health events carry an ``evidence`` dict), so the reply is valid JSON."""
    if isinstance(value, float):
        return None if value != value or value in (float("inf"), float("-inf")) else value
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return value


class RunStore:
    """The runs given on the command line, by id. A folder that is not a run but holds runs
    (e.g. ``runs/``) contributes each of them."""

    def __init__(self, paths: list[str | os.PathLike[str]]) -> None:
        self.runs: dict[str, Run] = {}
        for raw in paths:
            p = Path(raw).expanduser().resolve()
            if not p.exists():
                raise GanforgeError(f"run folder {raw} does not exist")
            if is_run_dir(p):
                self._add(p)
                continue
            children = sorted(c for c in p.iterdir() if is_run_dir(c)) if p.is_dir() else []
            if not children:
                raise GanforgeError(f"{raw} is not a run folder (no generator/, metrics.jsonl or config.yaml) "
                                    f"and holds none")
            for c in children:
                self._add(c)

    def _add(self, p: Path) -> None:
        if any(r.path == p for r in self.runs.values()):
            return
        base = _slug(p.name)
        rid, k = base, 2
        while rid in self.runs:
            rid, k = f"{base}-{k}", k + 1
        self.runs[rid] = Run(rid, p)

    def get(self, rid: str) -> Run:
        """The run with id ``rid``; KeyError (-> 404) otherwise."""
        return self.runs[rid]
