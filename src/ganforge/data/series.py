"""Windows of a multivariate series from a CSV file: the ``series:PATH`` dataset.

``series:PATH.csv`` (or ``.csv.gz``; or ``series:arch:NAME`` for a series shipped in the
``arch`` package, e.g. ``arch:sp500``). Columns are features; a date column (named date /
time / timestamp, any case, or given as ``date_column``) orders the rows and is not a feature.

Options (``DataConfig.options``):

- ``window`` (64): length T of each window; ``stride`` (1): step between window starts;
- ``columns``: feature columns (list or comma-separated string; default: every numeric column);
- ``transform``: ``standardize`` (default; (x - mean) / std per column), ``returns`` (log returns
  ``log(p_t / p_{t-1})``, then standardised; needs positive values) or ``none``;
- ``context`` (0): when > 0, each sample also holds the ``context`` steps before its window as
  the field ``context`` (N, context, F), for generators conditioned on the past;
- ``nan``: ``error`` (default) or ``drop`` (drop rows with a missing value).

The dataset holds ``x``: float32 (N, T, F) in the scaled units. ``info.extra["scaler"]`` is the
JSON-able :class:`SeriesScaler` state, so samples go back to the original units with
``SeriesScaler.from_dict(...).inverse(x)`` (log returns for ``returns``; :meth:`SeriesScaler.to_levels`
turns those into price paths).
"""
from __future__ import annotations

import importlib.util
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence

import numpy as np
import torch

if TYPE_CHECKING:  # pandas is imported where tables are read: `import ganforge` stays light
    import pandas as pd

from .base import DataInfo, TensorDataset, register_dataset
from ..errors import GanforgeError

TRANSFORMS = ("standardize", "returns", "none")
DATE_NAMES = ("date", "time", "timestamp", "datetime")


def arch_series_path(name: str) -> Path:
    """Path of ``arch/data/NAME/NAME.csv.gz`` inside the installed ``arch`` package (not imported)."""
    spec = importlib.util.find_spec("arch")
    if spec is None or not spec.submodule_search_locations:
        raise GanforgeError("series 'arch:...' needs the arch package (`pip install arch`), which ships "
                            "sp500, nasdaq, vix, wti and others")
    folder = Path(spec.submodule_search_locations[0]) / "data"
    path = folder / name / f"{name}.csv.gz"
    if not path.is_file():
        names = sorted(p.parent.name for p in folder.glob("*/*.csv.gz"))
        raise GanforgeError(f"arch has no series {name!r}; available: {', '.join(names)}")
    return path


def resolve_series_path(path: str) -> Path:
    if path.startswith("arch:"):
        return arch_series_path(path[len("arch:"):])
    p = Path(path)
    if not p.is_file():
        raise GanforgeError(f"series file {p} does not exist (give a CSV path, or arch:NAME)")
    return p


def read_series(path: str, columns: Sequence[str] | str | None = None, date_column: str | None = None,
                nan: str = "error") -> tuple[np.ndarray, list[str], pd.Series | None]:
    """Read a CSV series -> (values float64 (T, F), feature names, dates or None), in time order."""
    import pandas as pd

    p = resolve_series_path(path)
    df = pd.read_csv(p)
    if date_column is None:
        date_column = next((c for c in df.columns if str(c).lower() in DATE_NAMES), None)
    elif date_column not in df.columns:
        raise GanforgeError(f"{p}: date_column {date_column!r} is not a column; columns: {', '.join(map(str, df.columns))}")
    dates = None
    if date_column is not None:
        dates = pd.to_datetime(df[date_column], format="mixed")
        order = np.argsort(dates.to_numpy(), kind="stable")
        df, dates = df.iloc[order].reset_index(drop=True), dates.iloc[order].reset_index(drop=True)
    if isinstance(columns, str):
        columns = [c.strip() for c in columns.split(",") if c.strip()]
    if columns:
        missing = [c for c in columns if c not in df.columns]
        if missing:
            raise GanforgeError(f"{p}: columns {missing} not found; columns: {', '.join(map(str, df.columns))}")
        bad = [c for c in columns if not pd.api.types.is_numeric_dtype(df[c])]
        if bad:
            raise GanforgeError(f"{p}: columns {bad} are not numeric")
    else:
        columns = [c for c in df.columns if c != date_column and pd.api.types.is_numeric_dtype(df[c])]
        if not columns:
            raise GanforgeError(f"{p}: no numeric column to use as a feature")
    values = df[list(columns)]
    na = values.isna().sum()
    if na.any():
        if nan == "error":
            raise GanforgeError(f"{p}: missing values in {({str(k): int(v) for k, v in na.items() if v})}; "
                                f"clean the file or set option nan: drop")
        if nan != "drop":
            raise GanforgeError(f"option nan={nan!r}: accepted 'error' or 'drop'")
        keep = ~values.isna().any(axis=1)
        values = values[keep]
        dates = None if dates is None else dates[keep].reset_index(drop=True)
    return values.to_numpy(dtype=np.float64), [str(c) for c in columns], dates


@dataclass
class SeriesScaler:
    """Invertible scaling of a (T, F) series. ``returns`` maps T levels to T - 1 log returns."""

    transform: str = "standardize"
    mean: list[float] = field(default_factory=list)
    std: list[float] = field(default_factory=list)
    first: list[float] = field(default_factory=list)  # first level, to rebuild paths from returns

    def __post_init__(self) -> None:
        if self.transform not in TRANSFORMS:
            raise GanforgeError(f"transform {self.transform!r}: accepted {', '.join(TRANSFORMS)}")

    def _pre(self, values: np.ndarray, names: Sequence[str] = ()) -> np.ndarray:
        if self.transform != "returns":
            return values
        if (values <= 0).any():
            cols = [names[j] if j < len(names) else j for j in np.flatnonzero((values <= 0).any(axis=0))]
            raise GanforgeError(f"transform 'returns' needs positive values; column(s) {cols} have values <= 0 "
                                f"(use transform: standardize)")
        return np.diff(np.log(values), axis=0)

    def fit_transform(self, values: np.ndarray, names: Sequence[str] = ()) -> np.ndarray:
        """(T, F) levels -> scaled float64 (T or T - 1, F)."""
        self.first = values[0].tolist()
        pre = self._pre(values, names)
        if self.transform == "none":
            self.mean, self.std = [0.0] * pre.shape[1], [1.0] * pre.shape[1]
        else:
            sd = pre.std(axis=0)
            self.mean, self.std = pre.mean(axis=0).tolist(), np.where(sd > 0, sd, 1.0).tolist()
        return (pre - np.array(self.mean)) / np.array(self.std)

    def inverse(self, x: np.ndarray | torch.Tensor) -> np.ndarray:
        """Scaled (..., F) -> original units (..., F): levels, or log returns for ``returns``."""
        a = x.detach().cpu().numpy() if isinstance(x, torch.Tensor) else np.asarray(x)
        return a.astype(np.float64) * np.array(self.std) + np.array(self.mean)

    def to_levels(self, log_returns: np.ndarray, start: Sequence[float] | float | None = None) -> np.ndarray:
        """Log returns (..., T, F) -> level paths (..., T + 1, F) starting at ``start`` (default: first level)."""
        start_arr = np.broadcast_to(np.asarray(self.first if start is None else start, dtype=np.float64),
                                    log_returns.shape[:-2] + (1, log_returns.shape[-1]))
        cum = np.concatenate([np.zeros_like(start_arr), np.cumsum(log_returns, axis=-2)], axis=-2)
        return start_arr * np.exp(cum)

    def to_dict(self) -> dict[str, Any]:
        return {"transform": self.transform, "mean": self.mean, "std": self.std, "first": self.first}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "SeriesScaler":
        return cls(**d)


def make_windows(values: np.ndarray, window: int, stride: int = 1) -> np.ndarray:
    """(T, F) -> (N, window, F) windows starting every ``stride`` steps (N = (T - window) // stride + 1)."""
    if window < 2 or stride < 1:
        raise GanforgeError(f"window ({window}) must be >= 2 and stride ({stride}) >= 1")
    t = values.shape[0]
    if t < window:
        raise GanforgeError(f"series of {t} steps is shorter than window={window}")
    starts = np.arange(0, t - window + 1, stride)
    return np.stack([values[s: s + window] for s in starts])


def series_dataset(path: str, window: int = 64, stride: int = 1, columns: Sequence[str] | str | None = None,
                   transform: str = "standardize", context: int = 0, date_column: str | None = None,
                   nan: str = "error", limit: int | None = None) -> TensorDataset:
    """The ``series:`` dataset as a function (see the module docstring for the options)."""
    values, names, dates = read_series(path, columns, date_column, nan)
    return windows_dataset(values, names, f"series:{path}", window, stride, transform, context, limit,
                           dates=dates, path=path)


def windows_dataset(values: np.ndarray, names: Sequence[str], name: str, window: int = 64, stride: int = 1,
                    transform: str = "standardize", context: int = 0, limit: int | None = None,
                    dates: pd.Series | None = None, path: str | None = None) -> TensorDataset:
    """Scale a (T, F) series and cut it into windows: the dataset ``name`` of kind ``series``."""
    scaler = SeriesScaler(transform)
    scaled = scaler.fit_transform(values, names)
    full = make_windows(scaled, window + context, stride)
    fields = {"x": torch.from_numpy(full[:, context:]).float()}
    if context:
        fields["context"] = torch.from_numpy(full[:, :context]).float()
    if limit:
        fields = {k: v[:limit] for k, v in fields.items()}
    extra: dict[str, Any] = {"columns": list(names), "scaler": scaler.to_dict(), "window": window, "stride": stride,
                             "context": context, "path": path, "steps": int(scaled.shape[0])}
    if dates is not None and len(dates):
        extra["dates"] = [str(dates.iloc[0].date()), str(dates.iloc[-1].date())]
    info = DataInfo(name=name, kind="series", shape=(window, len(names)), extra=extra)
    return TensorDataset(fields, info)


OPTION_NAMES = ("window", "stride", "columns", "transform", "context", "date_column", "nan")


OPTION_HELP = {
    "window": "length T of each window (series data; default 64)",
    "stride": "steps between window starts (series data; default 1)",
    "columns": "feature columns, comma-separated (series data; default: every numeric column)",
    "transform": "standardize | returns | none (series data; default standardize)",
    "context": "past steps given to conditional nets as the field 'context' (series data; default 0)",
    "date_column": "the column that orders the rows (series data; default: one named date/time/timestamp)",
    "nan": "error | drop rows with a missing value (series data; default error)",
}


@register_dataset("series:", help="windows of a CSV time series (series:PATH.csv or series:arch:sp500)",
                  options=OPTION_HELP)
def build_series(cfg: Any, path: str) -> TensorDataset:
    opts = dict(getattr(cfg, "options", {}) or {})
    unknown = sorted(set(opts) - set(OPTION_NAMES))
    if unknown:
        raise GanforgeError(f"data.options {unknown} are not series options; accepted: {', '.join(OPTION_NAMES)}")
    return series_dataset(path, limit=getattr(cfg, "limit", None), **opts)
