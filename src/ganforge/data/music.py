"""Multi-track piano rolls in bars: ``bach-chorales`` and ``midi:PATH``.

``bach-chorales``: the four-part chorales of J. S. Bach that ship with ``music21``
(``music21/corpus/bach/*.mxl`` and ``*.xml``), read with music21. Only scores of exactly four
parts (soprano, alto, tenor, bass) in 4/4 throughout are kept; the others (with extra
instrument parts, or in 3/4) are counted in ``info.extra["skipped"]``. Parsing hundreds of
scores takes a minute, so the notes are cached in ``$GANFORGE_CACHE/music/`` (default
``~/.cache/ganforge``) as an ``.npz`` written atomically, keyed by the files' names, sizes and
times and the reader's version.

``midi:PATH``: a folder of MIDI files (``.mid``/``.midi``; also MusicXML/Humdrum scores), or a
single file. Voices are the tracks that hold notes (the channels of a single-track file).
Files whose voice count or bar length differs from the most common one are skipped and named
in ``info.extra["skipped"]``; a file that cannot be read is an error naming it.

Representation (Dong et al. 2018, MuseGAN): ``x`` is float32 (N, V, T, P) in {0, 1}: voice,
time step (``steps_per_beat`` per quarter note: 4 = sixteenths, 2 = eighths), pitch
``lowest + p`` (``info.extra["lowest"]``; P covers the pitches that occur). A sample is a
segment of ``bars`` whole bars (T = bars * steps per bar); segments start every ``hop`` bars,
at bar lines (a pickup bar is not a segment start). With ``transpose: c`` (the default for
the chorales) every piece is moved by at most a tritone to C major or A minor, its key found
by the Krumhansl-Schmuckler method over note durations; the key and the shift of each piece
are in ``info.extra["pieces"]``.

Options (``DataConfig.options``; ``--bars 4`` on the command line): ``steps_per_beat`` (4),
``bars`` (4), ``hop`` (1), ``transpose`` (``c`` or ``none``), ``pieces`` (use only the first N
files, sorted by name: small runs and tests), ``voices`` (midi: the voice count to keep;
default the most common).
"""
from __future__ import annotations

import hashlib
import importlib.util
import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import torch

from ..config import coerce
from ..errors import GanforgeError
from .base import DataInfo, TensorDataset, register_dataset
from .midi import MIDI_SUFFIXES, SCORE_SUFFIXES, Piece, piece_roll, read_midi, read_piece, read_score

READER_VERSION = 1
PITCH_NAMES = ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")
# Krumhansl & Kessler (1982) key profiles, tonic first
MAJOR_PROFILE = np.array([6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88])
MINOR_PROFILE = np.array([6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17])
#: General MIDI programs per chorale voice (choir aahs for the upper voices, a string bass line
#: would drown them: all four sing)
CHORALE_PROGRAMS = (52, 52, 52, 52)


@dataclass(frozen=True)
class MusicOptions:
    steps_per_beat: int = 4
    bars: int = 4
    hop: int = 1
    transpose: str = "c"
    pieces: int | None = None
    voices: int | None = None


OPTION_HELP = {
    "steps_per_beat": "time steps per quarter note: 4 = sixteenths, 2 = eighths (music data; default 4)",
    "bars": "bars per sample segment (music data; default 4)",
    "hop": "bars between segment starts (music data; default 1)",
    "transpose": "c: move each piece to C major / A minor; none (music data; default c)",
    "pieces": "use only the first N music files, sorted by name (music data; default all)",
    "voices": "voices (tracks) to keep; files with another count are skipped (midi data; default the most common)",
}


def music_options(cfg: Any, transpose_default: str = "c") -> MusicOptions:
    opts = dict(getattr(cfg, "options", {}) or {})
    names = [f for f in MusicOptions.__dataclass_fields__]
    unknown = sorted(set(opts) - set(names))
    if unknown:
        raise GanforgeError(f"data.options {unknown} are not music options; accepted: {', '.join(names)}")
    hints = {"steps_per_beat": int, "bars": int, "hop": int, "transpose": str, "pieces": int | None,
             "voices": int | None}
    values = {k: coerce(v, hints[k], f"data option {k}") for k, v in opts.items()}
    o = MusicOptions(**{"transpose": transpose_default, **values})
    if o.steps_per_beat < 1 or o.bars < 1 or o.hop < 1:
        raise GanforgeError(f"data options steps_per_beat ({o.steps_per_beat}), bars ({o.bars}) and hop ({o.hop}) "
                            f"must be at least 1")
    if o.transpose not in ("c", "none"):
        raise GanforgeError(f"data option transpose={o.transpose!r}: accepted c, none")
    if o.pieces is not None and o.pieces < 1:
        raise GanforgeError(f"data option pieces={o.pieces}: must be at least 1")
    return o


# ---- keys ----------------------------------------------------------------------------------

def find_key(piece: Piece) -> tuple[int, str]:
    """(tonic pitch class, 'major' or 'minor') by the Krumhansl-Schmuckler method: the key
    profile best correlated with the piece's pitch-class durations."""
    hist = np.zeros(12)
    np.add.at(hist, piece.pitch % 12, piece.end - piece.start)
    best = (-2.0, 0, "major")
    for mode, profile in (("major", MAJOR_PROFILE), ("minor", MINOR_PROFILE)):
        for tonic in range(12):
            r = float(np.corrcoef(hist, np.roll(profile, tonic))[0, 1]) if hist.std() > 0 else 0.0
            if r > best[0]:
                best = (r, tonic, mode)
    return best[1], best[2]


def key_shift(tonic: int, mode: str) -> int:
    """Semitones (-6..5) that move ``tonic`` to C (major) or A (minor)."""
    target = 0 if mode == "major" else 9
    return (target - tonic + 6) % 12 - 6


def key_name(tonic: int, mode: str) -> str:
    return f"{PITCH_NAMES[tonic]} {mode}"


# ---- reading with a cache ------------------------------------------------------------------

def cache_dir() -> Path:
    from .idx import cache_dir as root

    return root() / "music"


def _files_key(files: Sequence[Path]) -> str:
    h = hashlib.sha256(f"v{READER_VERSION}".encode())
    try:
        import music21

        h.update(str(music21.__version__).encode())
    except ImportError:
        pass
    for f in files:
        st = f.stat()
        h.update(f"{f.resolve()}|{st.st_size}|{st.st_mtime_ns}\n".encode())
    return h.hexdigest()[:20]


def _save_pieces(path: Path, pieces: list[Piece]) -> None:
    from ..fileio import atomic_write

    counts = np.array([len(p.pitch) for p in pieces], dtype=np.int64)
    meta = json.dumps([{"name": p.name, "bar": p.bar, "voices": p.voices, "ts": p.time_signature} for p in pieces])
    arrays = {"counts": counts, "meta": np.array(meta),
              "voice": np.concatenate([p.voice for p in pieces]) if pieces else np.zeros(0, np.int64),
              "start": np.concatenate([p.start for p in pieces]) if pieces else np.zeros(0),
              "end": np.concatenate([p.end for p in pieces]) if pieces else np.zeros(0),
              "pitch": np.concatenate([p.pitch for p in pieces]) if pieces else np.zeros(0, np.int64)}
    atomic_write(path, lambda f: np.savez_compressed(f, **arrays), "the parsed music cache")


def _load_pieces(path: Path) -> list[Piece] | None:
    try:
        with np.load(path, allow_pickle=False) as z:
            meta = json.loads(str(z["meta"]))
            cuts = np.cumsum(z["counts"])[:-1]
            parts = [np.split(z[k], cuts) for k in ("voice", "start", "end", "pitch")]
    except (OSError, ValueError, KeyError, json.JSONDecodeError, EOFError):
        return None  # a damaged cache is read again from the files
    return [Piece(m["name"], v, s, e, p, float(m["bar"]), list(m["voices"]), m["ts"])
            for m, v, s, e, p in zip(meta, *parts)]


def read_pieces(files: Sequence[Path], tag: str, cache: bool = True, progress: bool = True) -> list[Piece]:
    """Every file read (cached under :func:`cache_dir` as ``TAG-KEY.npz``)."""
    path = cache_dir() / f"{tag}-{_files_key(files)}.npz"
    if cache and path.is_file():
        got = _load_pieces(path)
        if got is not None:
            return got
    if progress and len(files) > 20:
        print(f"reading {len(files)} music files (once; cached in {path.parent})", flush=True)
    pieces = [read_piece(f) for f in files]
    if cache:
        _save_pieces(path, pieces)
    return pieces


def bach_chorale_files() -> list[Path]:
    """The Bach chorales inside the installed music21 (``music21/corpus/bach``), sorted by name."""
    spec = importlib.util.find_spec("music21")
    if spec is None or not spec.submodule_search_locations:
        raise GanforgeError("bach-chorales needs the music21 package (`pip install music21`), which ships the "
                            "chorales in its corpus")
    folder = Path(list(spec.submodule_search_locations)[0]) / "corpus" / "bach"
    files = sorted(f for f in folder.iterdir() if f.suffix in (".mxl", ".xml")) if folder.is_dir() else []
    if not files:
        raise GanforgeError(f"no chorales found in {folder}: is music21 installed with its corpus?")
    return files


def music_files(path: str) -> list[Path]:
    p = Path(path)
    if p.is_file():
        return [p]
    if not p.is_dir():
        raise GanforgeError(f"midi:{path}: no such file or folder (give a folder of .mid files)")
    files = sorted(f for f in p.rglob("*") if f.is_file() and f.suffix.lower() in MIDI_SUFFIXES + SCORE_SUFFIXES)
    if not files:
        raise GanforgeError(f"midi:{path}: the folder holds no MIDI files (.mid, .midi) or scores "
                            f"({', '.join(SCORE_SUFFIXES)})")
    return files


# ---- segments ------------------------------------------------------------------------------

def pieces_dataset(pieces: list[Piece], name: str, opts: MusicOptions, monophonic: bool,
                   skipped: list[str], limit: int | None = None, programs: Sequence[int] | None = None,
                   tempo_bpm: float = 90.0) -> TensorDataset:
    """Cut pieces (same voice count and bar length) into segments of ``opts.bars`` bars."""
    if not pieces:
        raise GanforgeError(f"dataset {name!r}: no usable piece (skipped: {'; '.join(skipped[:5]) or 'none'})")
    voices, bar = len(pieces[0].voices), pieces[0].bar
    bar_steps = bar * opts.steps_per_beat
    if abs(bar_steps - round(bar_steps)) > 1e-9:
        raise GanforgeError(f"dataset {name!r}: a bar of {bar} quarters is not a whole number of steps at "
                            f"steps_per_beat={opts.steps_per_beat}")
    bar_steps = int(round(bar_steps))
    seg = opts.bars * bar_steps
    rolls, info_pieces, owner = [], [], []
    for i, piece in enumerate(pieces):
        tonic, mode = find_key(piece)
        shift = key_shift(tonic, mode) if opts.transpose == "c" else 0
        roll = piece_roll(piece, opts.steps_per_beat, shift, monophonic)
        pickup = 1 if len(piece.start) and piece.start.min() > 1e-9 and piece.start.min() < bar else 0
        starts = range(pickup * bar_steps, roll.shape[1] - seg + 1, opts.hop * bar_steps)
        info_pieces.append({"file": piece.name, "key": key_name(tonic, mode), "shift": shift})
        for s in starts:
            cut = roll[:, s:s + seg]
            if cut.any():
                rolls.append(cut)
                owner.append(i)
    if not rolls:
        raise GanforgeError(f"dataset {name!r}: the pieces are shorter than {opts.bars} bars; lower --bars")
    allr = np.stack(rolls)  # (N, V, T, 128)
    used = np.nonzero(allr.any(axis=(0, 1, 2)))[0]
    lowest, highest = int(used.min()), int(used.max())
    x = torch.from_numpy(allr[..., lowest:highest + 1].astype(np.float32))
    if limit:
        x = x[:limit]
    extra: dict[str, Any] = {
        "lowest": lowest, "steps_per_beat": opts.steps_per_beat, "bar_steps": bar_steps, "bars": opts.bars,
        "beats_per_bar": bar, "time_signature": pieces[0].time_signature, "voices": list(pieces[0].voices),
        "monophonic": monophonic, "transpose": opts.transpose, "pieces": info_pieces, "skipped": skipped,
        "programs": list(programs) if programs is not None else [0] * voices, "tempo_bpm": tempo_bpm,
        "segment_piece": owner[:len(x)]}
    if monophonic:
        extra["voice_transitions"] = voice_transitions(x).tolist()
        extra["pair_transitions"] = pair_transitions(x).tolist()
    info = DataInfo(name=name, kind="pianoroll", shape=tuple(x.shape[1:]), extra=extra)
    return TensorDataset({"x": x}, info)


def _choices(x: torch.Tensor) -> torch.Tensor:
    """(N, V, T) choice indices of monophonic rolls x (N, V, T, P): the pitch, or P for a rest."""
    sounding = x.amax(dim=3) > 0.5
    return torch.where(sounding, x.argmax(dim=3), torch.full_like(sounding, x.shape[3], dtype=torch.long))


def voice_transitions(x: torch.Tensor) -> np.ndarray:
    """(V, P + 1, P + 1) counts of step-to-step choices per voice of monophonic rolls x (N, V, T, P):
    row = the choice at step t - 1, column = at step t, the last index a rest. What ``musegan``'s
    ``markov`` head can start from (``--option markov_init=data``)."""
    n, v, t, p = x.shape
    choice = _choices(x)
    k = p + 1
    cell = (torch.arange(v).view(1, v, 1) * k + choice[:, :, :-1]) * k + choice[:, :, 1:]  # (N, V, T - 1)
    return torch.bincount(cell.reshape(-1), minlength=v * k * k).view(v, k, k).numpy().astype(np.int64)


def pair_transitions(x: torch.Tensor) -> np.ndarray:
    """(pairs, 14, 28) counts of step-to-step interval states of every pair of voices (u above v,
    in ``itertools.combinations`` order) of monophonic rolls x (N, V, T, P): row = the state at
    step t - 1, column = the state at step t (``ganforge.nets.music.interval_state``), plus 14
    when either voice changed its choice. What ``musegan``'s ``harmony`` table can start from."""
    from itertools import combinations

    from ..nets.music import N_INTERVAL, interval_state

    n, v, t, p = x.shape
    choice = _choices(x)
    pairs = list(combinations(range(v), 2))
    up, low = choice[:, [a for a, _ in pairs]], choice[:, [b for _, b in pairs]]  # (N, pairs, T)
    state = interval_state(up, low, p)
    moved = (up[..., 1:] != up[..., :-1]) | (low[..., 1:] != low[..., :-1])
    col = state[..., 1:] + N_INTERVAL * moved.long()
    cell = (torch.arange(len(pairs)).view(1, -1, 1) * N_INTERVAL + state[..., :-1]) * 2 * N_INTERVAL + col
    return (torch.bincount(cell.reshape(-1), minlength=len(pairs) * N_INTERVAL * 2 * N_INTERVAL)
            .view(len(pairs), N_INTERVAL, 2 * N_INTERVAL).numpy().astype(np.int64))


def bach_chorales(opts: MusicOptions | None = None, limit: int | None = None) -> TensorDataset:
    """The ``bach-chorales`` dataset (see the module docstring)."""
    opts = opts or MusicOptions()
    files = bach_chorale_files()
    if opts.pieces:
        files = files[:opts.pieces]
    pieces = read_pieces(files, "bach")
    keep, skipped = [], []
    for p in pieces:
        if len(p.voices) != 4:
            skipped.append(f"{p.name}: {len(p.voices)} parts")
        elif p.time_signature != "4/4":
            skipped.append(f"{p.name}: time signature {p.time_signature}")
        else:
            keep.append(p)
    for p in keep:  # the part names vary (Soprano / S. / Choral); the order is always S, A, T, B
        p.voices = ["soprano", "alto", "tenor", "bass"]
    return pieces_dataset(keep, "bach-chorales", opts, monophonic=True, skipped=skipped, limit=limit,
                          programs=CHORALE_PROGRAMS, tempo_bpm=96.0)


def midi_dataset(path: str, opts: MusicOptions | None = None, limit: int | None = None) -> TensorDataset:
    """The ``midi:PATH`` dataset (see the module docstring)."""
    opts = opts or MusicOptions(transpose="none")
    files = music_files(path)
    if opts.pieces:
        files = files[:opts.pieces]
    pieces = read_pieces(files, "midi")
    voices = opts.voices or Counter(len(p.voices) for p in pieces).most_common(1)[0][0]
    bar = Counter(p.bar for p in pieces if len(p.voices) == voices).most_common(1)
    bar_len = bar[0][0] if bar else 4.0
    keep, skipped = [], []
    for p in pieces:
        if len(p.voices) != voices:
            skipped.append(f"{p.name}: {len(p.voices)} voices, not {voices}")
        elif p.bar != bar_len:
            skipped.append(f"{p.name}: time signature {p.time_signature}")
        else:
            keep.append(p)
    if skipped:
        print(f"midi:{path}: skipped {len(skipped)} of {len(pieces)} files: {'; '.join(skipped[:5])}"
              + (" ..." if len(skipped) > 5 else ""))
    mono = all(not (piece_roll(p, opts.steps_per_beat).sum(axis=2) > 1).any() for p in keep)
    return pieces_dataset(keep, f"midi:{path}", opts, monophonic=mono, skipped=skipped, limit=limit)


@register_dataset("bach-chorales", help="Bach's four-part chorales from music21's corpus as piano rolls "
                                        "(voices x steps x pitches) in bars", options=OPTION_HELP)
def build_bach(cfg: Any) -> TensorDataset:
    return bach_chorales(music_options(cfg), limit=getattr(cfg, "limit", None))


@register_dataset("midi:", help="a folder of MIDI files (midi:PATH) as multi-track piano rolls in bars",
                  options=OPTION_HELP)
def build_midi(cfg: Any, path: str) -> TensorDataset:
    return midi_dataset(path, music_options(cfg, transpose_default="none"), limit=getattr(cfg, "limit", None))


__all__ = ["MusicOptions", "bach_chorales", "midi_dataset", "find_key", "key_shift", "read_midi", "read_score"]
