"""Built-in synthetic series for demos and tests: ``sines`` and ``garch`` (no file needed).

Both are generated from a fixed seed, then windowed and scaled like ``series:PATH``, so they
accept the same options (``window``, ``stride``, ``transform``, ``context``) plus:

- ``length`` (steps of the whole series; default 2000), ``features`` (columns; default 2 for
  ``sines``, 1 for ``garch``), ``seed`` (default 0).

``sines``: column j is sin(2 pi t / period_j + phase_j) with periods drawn in [10, 50] steps,
plus N(0, 0.05^2) noise: a smooth, strongly autocorrelated series.

``garch``: GARCH(1, 1) returns r_t = sigma_t e_t, sigma_t^2 = omega + alpha r_{t-1}^2 +
beta sigma_{t-1}^2 with omega = 0.05, alpha = 0.1, beta = 0.85 and Student-t (5 d.o.f.)
innovations scaled to unit variance: heavy tails, no autocorrelation of returns, and volatility
clustering (autocorrelated absolute returns), the stylized facts of daily asset returns.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from .base import TensorDataset, register_dataset
from ..errors import GanforgeError
from . import series as series_data  # the module, not its names: ganforge.data imports us mid-way through it

SYNTH_OPTIONS = {"length": "steps of a synthetic series (sines, garch; default 2000)",
                 "features": "columns of a synthetic series (sines: 2, garch: 1)",
                 "seed": "seed of a synthetic series (default 0)"}
_ACCEPTED = ("window", "stride", "transform", "context", *SYNTH_OPTIONS)


def sines(length: int = 2000, features: int = 2, seed: int = 0) -> np.ndarray:
    """Noisy sine waves (length, features), values in about [-1.2, 1.2]."""
    rng = np.random.default_rng(seed)
    t = np.arange(length)[:, None]
    period, phase = rng.uniform(10, 50, features), rng.uniform(0, 2 * np.pi, features)
    return np.sin(2 * np.pi * t / period + phase) + 0.05 * rng.standard_normal((length, features))


def garch(length: int = 2000, features: int = 1, seed: int = 0, omega: float = 0.05, alpha: float = 0.1,
          beta: float = 0.85, dof: float = 5.0) -> np.ndarray:
    """GARCH(1, 1) returns (length, features) with unit-variance Student-t innovations."""
    rng = np.random.default_rng(seed)
    e = rng.standard_t(dof, (length, features)) * np.sqrt((dof - 2) / dof)
    r = np.zeros((length, features))
    var = np.full(features, omega / (1 - alpha - beta))  # start at the stationary variance
    for t in range(length):
        r[t] = np.sqrt(var) * e[t]
        var = omega + alpha * r[t] ** 2 + beta * var
    return r


def _build(name: str, fn: Any, default_features: int, cfg: Any) -> TensorDataset:
    opts = dict(getattr(cfg, "options", {}) or {})
    unknown = sorted(set(opts) - set(_ACCEPTED))
    if unknown:
        raise GanforgeError(f"data.options {unknown} are not options of {name!r}; accepted: {', '.join(_ACCEPTED)}")
    length, features, seed = int(opts.pop("length", 2000)), int(opts.pop("features", default_features)), \
        int(opts.pop("seed", 0))
    if length < 2 or features < 1:
        raise GanforgeError(f"{name}: length ({length}) must be >= 2 and features ({features}) >= 1")
    if opts.get("transform") == "returns":
        raise GanforgeError(f"{name}: transform 'returns' needs positive levels; use standardize or none")
    values = fn(length, features, seed)
    return series_data.windows_dataset(values, [f"{name}{j}" for j in range(features)], name, limit=getattr(cfg, "limit", None),
                           **opts)


@register_dataset("sines", help="synthetic noisy sine waves (2 columns; options window, length, features, seed)",
                  options={**SYNTH_OPTIONS, "window": "length T of each window (series data; default 64)"})
def build_sines(cfg: Any) -> TensorDataset:
    return _build("sines", sines, 2, cfg)


@register_dataset("garch", help="synthetic GARCH(1,1) heavy-tailed returns (options window, length, features, seed)",
                  options=SYNTH_OPTIONS)
def build_garch(cfg: Any) -> TensorDataset:
    return _build("garch", garch, 1, cfg)
