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


def _smiles_out(smiles: list[str], out: Path | None, note: str = "") -> str:
    """Generated molecules as SMILES: printed, written one a line to ``out``, or (``.png``) an
    RDKit grid of the first 16; ``note`` is added to the message of a written file."""
    from ..fileio import save_pil
    from ..plots.molecules import grid_image

    if out is not None and out.suffix == ".png":
        save_pil(grid_image(smiles[:16], title=f"{min(16, len(smiles))} generated molecules"), out, "the molecule grid")
        return f"drew {min(16, len(smiles))} of {len(smiles)} generated molecules to {out}"
    if out is not None:
        write_text(out, "\n".join(smiles) + "\n", "the generated SMILES")
        return f"wrote {len(smiles)} SMILES to {out}" + note
    return "\n".join(smiles)


@register_sample_writer("smiles", help="SMILES, one molecule per line: printed, or written to --out FILE.smi/.txt "
                                       "(.png: an RDKit grid of the first 16; .npy: the token ids)")
def write_smiles(x: Any, G: Any, args: argparse.Namespace) -> str:
    from ..plots import info_from_meta
    from ..plots.molecules import decode_smiles

    out = Path(args.out) if args.out else None
    if out is not None and out.suffix == ".npy":
        save_npy(x.long().numpy(), out, "the token ids")
        return f"wrote {len(x)} token sequences (ids) to {out}"
    return _smiles_out(decode_smiles(x, info_from_meta(getattr(G, "meta", {}))), out)


@register_sample_writer("audio", help="a folder (--out, default sounds/) of 16 kHz WAV files (sample_000_CLASS.wav) "
                                      "and spectrograms.png; --out FILE.png: the spectrogram grid only; .npy: the "
                                      "waveforms (N, 1, 16384)")
def write_audio(x: Any, G: Any, args: argparse.Namespace) -> str:
    from ..data.audio_io import SAMPLE_RATE, write_wav
    from ..fileio import ensure_dir
    from ..plots import info_from_meta
    from ..plots.audio import plot_audio

    meta = getattr(G, "meta", {}) or {}
    info = info_from_meta(meta)
    rate = int((meta.get("data_extra") or {}).get("sample_rate", SAMPLE_RATE))
    out = Path(args.out or "sounds")
    fmt = args.format or (out.suffix.lstrip(".") if out.suffix else "folder")
    k = int(getattr(G, "num_classes", 0) or 0)
    names = list(meta.get("class_names") or [])
    labels = [args.label if args.label is not None else i % k for i in range(len(x))] if k else None
    label_names = [str(names[c]) if c < len(names) else str(c) for c in labels] if labels else None
    if fmt == "png":
        plot_audio(x, out, info, labels=label_names)
        return f"plotted the spectrograms of {min(len(x), 32)} of {len(x)} generated clips to {out}"
    if fmt == "npy":
        save_npy(x.float().numpy(), out, "the generated waveforms")
        return f"wrote {len(x)} waveforms {tuple(x.shape[1:])} to {out}"
    if fmt != "folder" or out.suffix:
        raise GanforgeError(f"--out {out} (--format {fmt}): audio samples go to a folder (WAV files and "
                            f"spectrograms.png), a .png (the grid) or a .npy (the waveforms)")
    ensure_dir(out, "the sample folder")
    for i, wave in enumerate(x.float().numpy()):
        tag = "_" + "".join(ch if ch.isalnum() else "-" for ch in label_names[i]) if label_names else ""
        write_wav(out / f"sample_{i:03d}{tag}.wav", wave.reshape(-1), rate, what="a generated clip")
    plot_audio(x, out / "spectrograms.png", info, labels=label_names)
    return f"wrote {len(x)} WAV files ({rate} Hz, {x.shape[-1]} samples) and spectrograms.png to {out}/"


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


@register_sample_writer("molgraph", help="molecule graphs as SMILES, one a line (`invalid` for a graph that is not a "
                                         "molecule): printed, or --out FILE.smi/.txt; .png: an RDKit grid of the first "
                                         "16; .npy: the graphs (N, atoms, atom types + atoms x bond types)")
def write_molgraphs(x: Any, G: Any, args: argparse.Namespace) -> str:
    from ..data.molgraphs import INVALID, graphs_to_smiles

    out = Path(args.out) if args.out else None
    if out is not None and out.suffix == ".npy":
        save_npy(x.float().numpy(), out, "the generated graphs")
        return f"wrote {len(x)} graphs {tuple(x.shape[1:])} to {out}"
    smiles = graphs_to_smiles(x, (getattr(G, "meta", {}) or {}).get("data_extra") or {})
    bad = sum(s == INVALID for s in smiles)
    return _smiles_out(smiles, out, f" ({bad} graphs are not valid molecules: written as {INVALID!r})")
