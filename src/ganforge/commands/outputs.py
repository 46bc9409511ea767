"""How `ganforge sample` writes generator outputs of kinds other than images and points,
chosen by the data kind saved in the generator's meta (no branching on family names)."""
from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any, Callable

from ..errors import GanforgeError
from ..fileio import save_npy, write_text
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
    by_suffix = "npy" if out.suffix == ".npy" else "png" if out.suffix == ".png" else "table"
    fmt = args.format or by_suffix
    if out.suffix and fmt != by_suffix:
        raise GanforgeError(f"--out {out} has the suffix {out.suffix!r} but --format {fmt} was asked; for series "
                            f"give .csv/.tsv/.parquet (table), .npy or .png, or change --format")
    if fmt == "png":
        plot_series(x, out, info, title=f"{len(x)} generated windows" if len(x) <= 8 else "8 generated windows")
        return f"plotted {min(len(x), 8)} of {len(x)} generated windows to {out}"
    paths = to_original_units(x, info)
    if fmt == "npy":
        save_npy(paths, out, "the generated series")
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
        save_npy(x.long().numpy(), args.out, "the token ids")
        return f"wrote {len(x)} token sequences (ids) to {args.out}"
    lines = decode(x, info_from_meta(getattr(G, "meta", {})))
    if args.out:
        write_text(args.out, "\n".join(lines) + "\n", "the generated text")
        return f"wrote {len(lines)} sequences to {args.out}"
    return "\n".join(lines)


@register_sample_writer("pianoroll", help="music: per sample a MIDI file, a piano-roll PNG and (with fluidsynth) a "
                                          "WAV in the --out folder; --out FILE.png: one picture; FILE.npy: the rolls")
def write_pianoroll(x: Any, G: Any, args: argparse.Namespace) -> str:
    from ..plots import info_from_meta
    from ..plots.music import plot_pianoroll, write_rolls

    info = info_from_meta(getattr(G, "meta", {}))
    out = Path(args.out or "samples")
    fmt = args.format or {".npy": "npy", ".png": "png"}.get(out.suffix, "midi")
    if fmt == "npy":
        save_npy(x.numpy(), out, "the generated piano rolls")
        return f"wrote {len(x)} piano rolls {tuple(x.shape[1:])} (voices, steps, pitches) to {out}"
    if fmt == "png":
        plot_pianoroll(x, out, info, title=f"{min(len(x), 8)} generated samples")
        return f"plotted {min(len(x), 8)} of {len(x)} generated piano rolls to {out}"
    if fmt != "midi" or out.suffix:
        raise GanforgeError(f"--out {out} (--format {fmt}) for music: give a folder (MIDI, PNG and WAV per sample), "
                            f"FILE.png or FILE.npy")
    paths, note = write_rolls(x, out, info)
    kinds = "MIDI, PNG" + (" and WAV" if not note else "")
    return f"wrote {len(x)} samples ({kinds}) to {out}/" + (f"; {note}" if note else "")
