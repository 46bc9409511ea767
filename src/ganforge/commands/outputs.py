"""How `ganforge sample` writes generator outputs of kinds other than images and points,
chosen by the data kind saved in the generator's meta (no branching on family names)."""
from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any, Callable

import numpy as np

from ..errors import GanforgeError
from ..registry import Registry

#: kind -> write(x (N, ...) CPU tensor, G, args) -> message for the user
SampleWriter = Callable[[Any, Any, argparse.Namespace], str]
SAMPLE_WRITERS: Registry[SampleWriter] = Registry("sample writer")


def register_sample_writer(kind: str, help: str = "") -> Callable[[SampleWriter], SampleWriter]:
    def deco(fn: SampleWriter) -> SampleWriter:
        SAMPLE_WRITERS.register(kind, fn, help=help)
        return fn

    return deco


@register_sample_writer("series", help="series in original units: .csv/.tsv/.parquet (long: path, t, columns), "
                                       ".npy (N, T, F) or .png (a plot)")
def write_series(x: Any, G: Any, args: argparse.Namespace) -> str:
    from ..plots import info_from_meta
    from ..data.table_io import write_table
    from ..plots.series import columns_of, paths_frame, plot_series, to_original_units

    info = info_from_meta(getattr(G, "meta", {}))
    out = Path(args.out or "samples.csv")
    fmt = args.format or ("npy" if out.suffix == ".npy" else "png" if out.suffix == ".png" else "table")
    if fmt == "png":
        plot_series(x, out, info, title=f"{len(x)} generated windows" if len(x) <= 8 else "8 generated windows")
        return f"plotted {min(len(x), 8)} of {len(x)} generated windows to {out}"
    paths = to_original_units(x, info)
    if fmt == "npy":
        out.parent.mkdir(parents=True, exist_ok=True)
        np.save(out, paths)
    elif fmt == "table":
        write_table(paths_frame(paths, columns_of(info, paths.shape[2])), out)
    else:
        raise GanforgeError(f"--format {fmt!r} for series: give --out FILE.csv, .parquet, .npy or .png")
    return f"wrote {len(paths)} windows of {paths.shape[1]} steps x {paths.shape[2]} features (original units) to {out}"


@register_sample_writer("tokens", help="decoded text, one sequence per line: printed, and written to --out FILE.txt "
                                       "if given (.npy: the token ids)")
def write_tokens(x: Any, G: Any, args: argparse.Namespace) -> str:
    from ..plots import info_from_meta
    from ..plots.text import decode

    if args.out and Path(args.out).suffix == ".npy":
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        np.save(args.out, x.long().numpy())
        return f"wrote {len(x)} token sequences (ids) to {args.out}"
    lines = decode(x, info_from_meta(getattr(G, "meta", {})))
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text("\n".join(lines) + "\n")
        return f"wrote {len(lines)} sequences to {args.out}"
    return "\n".join(lines)
