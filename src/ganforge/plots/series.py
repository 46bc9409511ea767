"""Pictures and files of series samples in the series' original units."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch

from . import register_sample_plot, register_sample_tiles
from ..data.series import SeriesScaler


def to_original_units(x: torch.Tensor | np.ndarray, info: Any) -> np.ndarray:
    """Scaled windows (N, T, F) -> float64 (N, T, F) in the series' units (log returns when the
    dataset's transform is ``returns``), using the scaler saved in ``info.extra['scaler']``."""
    state = info.extra.get("scaler")
    arr = x.detach().cpu().numpy() if isinstance(x, torch.Tensor) else np.asarray(x)
    return SeriesScaler.from_dict(state).inverse(arr) if state else arr.astype(np.float64)


def columns_of(info: Any, features: int) -> list[str]:
    names = list(info.extra.get("columns") or [])
    return names if len(names) == features else [f"x{j}" for j in range(features)]


def paths_frame(paths: np.ndarray, columns: list[str]) -> pd.DataFrame:
    """(N, T, F) -> a long table with columns path, t, <feature names> (one row per step)."""
    n, t, f = paths.shape
    df = pd.DataFrame(paths.reshape(n * t, f), columns=columns)
    df.insert(0, "t", np.tile(np.arange(t), n))
    df.insert(0, "path", np.repeat(np.arange(n), t))
    return df


@register_sample_plot("series", help="real vs generated windows, one panel per feature (at most 4)")
def plot_series(samples: torch.Tensor, path: str | Path, info: Any, real: torch.Tensor | None = None,
                title: str = "", n_paths: int = 8) -> Path:
    """Up to ``n_paths`` generated windows (and as many real ones, if given), original units."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fake = to_original_units(samples[:n_paths], info)
    ref = to_original_units(real[:n_paths], info) if real is not None else None
    names = columns_of(info, fake.shape[2])
    shown = min(fake.shape[2], 4)
    fig, axes = plt.subplots(shown, 1, figsize=(8, 2.4 * shown), squeeze=False)
    unit = "log return" if (info.extra.get("scaler") or {}).get("transform") == "returns" else "value"
    for j in range(shown):
        ax = axes[j, 0]
        if ref is not None:
            for i, p in enumerate(ref):
                ax.plot(p[:, j], color="tab:blue", alpha=0.6, lw=1, label="real" if i == 0 else None)
        for i, p in enumerate(fake):
            ax.plot(p[:, j], color="tab:orange", alpha=0.7, lw=1, label="generated" if i == 0 else None)
        ax.set_ylabel(f"{names[j]} ({unit})")
        ax.legend(loc="upper right", fontsize=8)
    axes[-1, 0].set_xlabel("time step in window")
    if title:
        axes[0, 0].set_title(title)
    fig.tight_layout()
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=80)
    plt.close(fig)
    return out


@register_sample_tiles("series", help="each window as a small line chart (original units, up to 4 features)")
def series_tiles(samples: torch.Tensor, info: Any, width: int = 192, height: int = 72) -> list[dict[str, Any]]:
    """One PNG per generated window: each of its first 4 features as a line scaled to the tile
    (features share the tile; their colours follow matplotlib's first four)."""
    import io

    from PIL import Image, ImageDraw

    colours = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728"]
    paths = to_original_units(samples, info)
    names = columns_of(info, paths.shape[2])
    tiles = []
    for p in paths:
        img = Image.new("RGB", (width, height), "white")
        draw = ImageDraw.Draw(img)
        for j in range(min(p.shape[1], 4)):
            v = np.asarray(p[:, j], dtype=np.float64)
            lo, hi = float(np.nanmin(v)), float(np.nanmax(v))
            span = hi - lo if hi > lo else 1.0
            xs = np.linspace(2, width - 3, len(v))
            ys = height - 3 - (v - lo) / span * (height - 6)
            draw.line(list(zip(xs.tolist(), np.nan_to_num(ys, nan=height / 2).tolist())), fill=colours[j], width=1)
        buf = io.BytesIO()
        img.save(buf, format="PNG")
        tiles.append({"image": buf.getvalue(),
                      "caption": ", ".join(f"{n} {float(np.nanmin(p[:, j])):.3g}…{float(np.nanmax(p[:, j])):.3g}"
                                           for j, n in enumerate(names[:4]))})
    return tiles
