"""Notes in and out of MIDI and MusicXML files, and piano rolls to and from notes.

A piece is read as a :class:`Piece`: its notes as parallel arrays (voice, start and end in
quarter notes from the first bar line, MIDI pitch), the bar length in quarter notes and the
voice names. MIDI files are read with ``mido`` (voices are the tracks that hold notes, or the
channels of a single-track file); MusicXML/Humdrum files with ``music21`` (voices are the
parts). A file that cannot be read is a :class:`~ganforge.errors.GanforgeError` naming it.

A piano roll is a binary array (V, T, P): voice, time step, pitch ``lowest + p``. A note is a
run of ones in one voice and pitch; two notes of the same pitch that touch merge into one (as
in MuseGAN's piano rolls, which have no onset channel). :func:`roll_to_midi` writes a roll as
a type-1 MIDI file, one track per voice.
"""
from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from ..errors import GanforgeError

MIDI_SUFFIXES = (".mid", ".midi")
SCORE_SUFFIXES = (".mxl", ".xml", ".musicxml", ".krn")
TICKS_PER_BEAT = 480


@dataclass
class Piece:
    """The notes of one piece. ``start`` / ``end`` are in quarter notes, 0 at the first full bar
    line's position minus any pickup (a pickup of p quarters starts at ``bar - p``)."""

    name: str
    voice: np.ndarray  # (K,) int
    start: np.ndarray  # (K,) float quarters
    end: np.ndarray  # (K,) float quarters
    pitch: np.ndarray  # (K,) int MIDI pitch
    bar: float = 4.0  # quarters per bar
    voices: list[str] = field(default_factory=list)
    time_signature: str = "4/4"

    @property
    def length(self) -> float:
        return float(self.end.max()) if len(self.end) else 0.0


def _notes_piece(name: str, notes: list[tuple[int, float, float, int]], bar: float, voices: list[str],
                 ts: str) -> Piece:
    arr = np.array(notes, dtype=np.float64).reshape(-1, 4)
    return Piece(name, arr[:, 0].astype(np.int64), arr[:, 1], arr[:, 2], arr[:, 3].astype(np.int64), bar, voices, ts)


def read_midi(path: str | Path) -> Piece:
    """A MIDI file's notes (quarters from its start); errors name the file."""
    import mido

    p = Path(path)
    try:
        mf = mido.MidiFile(str(p))
    except (OSError, EOFError, ValueError, KeyError, IndexError, TypeError) as e:
        raise GanforgeError(f"{p}: cannot read it as a MIDI file ({type(e).__name__}: {e})") from None
    tpb = mf.ticks_per_beat or TICKS_PER_BEAT
    ts, bar = "4/4", 4.0
    raw: list[tuple[Any, int, int, int, int]] = []  # (track key, channel, start tick, end tick, pitch)
    names: dict[Any, str] = {}
    found_ts = False
    for ti, track in enumerate(mf.tracks):
        tick = 0
        open_notes: dict[tuple[int, int], list[int]] = {}
        for msg in track:
            tick += msg.time
            if msg.type == "time_signature" and not found_ts:
                ts, bar, found_ts = f"{msg.numerator}/{msg.denominator}", msg.numerator * 4.0 / msg.denominator, True
            elif msg.type == "track_name":
                names.setdefault(ti, msg.name)
            elif msg.type == "note_on" and msg.velocity > 0:
                open_notes.setdefault((msg.channel, msg.note), []).append(tick)
            elif msg.type in ("note_off", "note_on"):
                starts = open_notes.get((msg.channel, msg.note))
                if starts:
                    raw.append((ti, msg.channel, starts.pop(0), tick, msg.note))
    if not raw:
        raise GanforgeError(f"{p}: the MIDI file holds no notes")
    tracks = sorted({r[0] for r in raw})
    # one track holding several channels (a type-0 file): the channels are the voices
    by_channel = len(tracks) == 1 and len({r[1] for r in raw}) > 1
    keys = sorted({r[1] for r in raw}) if by_channel else tracks
    index = {k: i for i, k in enumerate(keys)}
    voices = [f"channel {k + 1}" for k in keys] if by_channel else [names.get(k) or f"track {k}" for k in keys]
    notes = [(index[r[1] if by_channel else r[0]], r[2] / tpb, r[3] / tpb, r[4]) for r in raw if r[3] > r[2]]
    return _notes_piece(p.name, notes, bar, voices, ts)


def read_score(path: str | Path) -> Piece:
    """A MusicXML (.mxl/.xml) or Humdrum (.krn) file's notes with music21, parts as voices.

    Times are shifted so that bar lines fall on multiples of the bar length: a pickup measure
    of p quarters starts at ``bar - p``. Errors name the file."""
    import music21

    p = Path(path)
    try:
        score = music21.converter.parse(str(p))
    except Exception as e:  # music21 raises many kinds (its own, zipfile, XML parse errors)
        raise GanforgeError(f"{p}: cannot read it as a score with music21 ({type(e).__name__}: {e})") from None
    parts = list(getattr(score, "parts", []) or [])
    if not parts:
        raise GanforgeError(f"{p}: the score has no parts")
    sigs = {t.ratioString for t in score.recurse().getElementsByClass("TimeSignature")} or {"4/4"}
    first_ts = score.recurse().getElementsByClass("TimeSignature").first()
    ts = first_ts.ratioString if first_ts is not None else "4/4"
    bar = float(first_ts.barDuration.quarterLength) if first_ts is not None else 4.0
    if len(sigs) > 1:
        ts = ",".join(sorted(sigs))
    first = parts[0].getElementsByClass("Measure").first()
    shift = 0.0
    if first is not None and float(first.duration.quarterLength) < bar:  # a pickup
        shift = bar - float(first.duration.quarterLength)
    notes: list[tuple[int, float, float, int]] = []
    for v, part in enumerate(parts):
        for n in part.flatten().notes:
            start = float(n.offset) + shift
            end = start + float(n.quarterLength)
            if end <= start:  # grace notes
                continue
            for pitch in n.pitches:
                notes.append((v, start, end, int(pitch.midi)))
    names = [str(part.partName or f"part {i}") for i, part in enumerate(parts)]
    if not notes:
        raise GanforgeError(f"{p}: the score holds no notes")
    return _notes_piece(p.name, notes, bar, names, ts)


def read_piece(path: str | Path) -> Piece:
    """A MIDI or score file by suffix; other suffixes are named errors."""
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix in MIDI_SUFFIXES:
        return read_midi(p)
    if suffix in SCORE_SUFFIXES:
        return read_score(p)
    raise GanforgeError(f"{p}: not a music file; accepted suffixes: {', '.join(MIDI_SUFFIXES + SCORE_SUFFIXES)}")


# ---- piano rolls ---------------------------------------------------------------------------

def piece_roll(piece: Piece, steps_per_beat: int, transpose: int = 0, monophonic: bool = False) -> np.ndarray:
    """The piece as a bool roll (V, T, 128) at ``steps_per_beat`` steps per quarter note, its
    pitches moved by ``transpose`` semitones. Notes shorter than a step after quantising
    (start and end rounded to the nearest step) are dropped. ``monophonic``: one pitch per voice
    and step, that of the note that began last (a quantised sixteenth cannot overlap its
    neighbour)."""
    voices = len(piece.voices) or (int(piece.voice.max()) + 1 if len(piece.voice) else 0)
    start = np.round(piece.start * steps_per_beat).astype(np.int64)
    end = np.round(piece.end * steps_per_beat).astype(np.int64)
    total = int(end.max()) if len(end) else 0
    roll = np.zeros((voices, total, 128), dtype=bool)
    pitch = piece.pitch + transpose
    keep = (end > start) & (pitch >= 0) & (pitch < 128)
    order = np.lexsort((pitch, start))
    if monophonic:
        current = np.full((voices, total), -1, dtype=np.int64)
        for i in order:
            if keep[i]:
                current[piece.voice[i], start[i]:end[i]] = pitch[i]
        v, t = np.nonzero(current >= 0)
        roll[v, t, current[v, t]] = True
    else:
        for i in order:
            if keep[i]:
                roll[piece.voice[i], start[i]:end[i], pitch[i]] = True
    return roll


def roll_notes(roll: np.ndarray) -> list[tuple[int, int, int, int]]:
    """A binary roll (V, T, P) -> notes (voice, start step, end step, pitch index), each a maximal
    run of ones, sorted by voice, start, pitch."""
    r = np.asarray(roll) > 0.5
    padded = np.zeros((r.shape[0], r.shape[1] + 2, r.shape[2]), dtype=np.int8)
    padded[:, 1:-1] = r
    diff = np.diff(padded, axis=1)
    v_on, t_on, p_on = np.nonzero(diff == 1)
    v_off, t_off, p_off = np.nonzero(diff == -1)
    ons = sorted(zip(v_on.tolist(), p_on.tolist(), t_on.tolist()))
    offs = sorted(zip(v_off.tolist(), p_off.tolist(), t_off.tolist()))
    notes = [(v, s, e[2], p) for (v, p, s), e in zip(ons, offs)]
    return sorted(notes, key=lambda n: (n[0], n[1], n[3]))


def roll_to_midi(roll: np.ndarray, lowest: int, steps_per_beat: int, tempo_bpm: float = 90.0,
                 programs: Sequence[int] | None = None, names: Sequence[str] | None = None,
                 time_signature: str = "4/4") -> bytes:
    """A binary roll (V, T, P) (pitch index p is MIDI pitch ``lowest + p``) as the bytes of a
    type-1 MIDI file: a tempo track, then one track per voice on its own channel."""
    import mido

    r = np.asarray(roll)
    if r.ndim != 3:
        raise GanforgeError(f"a piano roll is (voices, steps, pitches); got shape {r.shape}")
    tick = TICKS_PER_BEAT // steps_per_beat
    mf = mido.MidiFile(type=1, ticks_per_beat=TICKS_PER_BEAT)
    meta = mido.MidiTrack()
    num, _, den = time_signature.partition("/")
    meta.append(mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(tempo_bpm), time=0))
    if num.isdigit() and den.isdigit():
        meta.append(mido.MetaMessage("time_signature", numerator=int(num), denominator=int(den), time=0))
    mf.tracks.append(meta)
    notes = roll_notes(r)
    for v in range(r.shape[0]):
        ch = v if v < 9 else v + 1  # channel 10 (index 9) is percussion in General MIDI
        track = mido.MidiTrack()
        if names is not None and v < len(names):
            track.append(mido.MetaMessage("track_name", name=str(names[v]), time=0))
        prog = int(programs[v]) if programs is not None and v < len(programs) else 0
        track.append(mido.Message("program_change", channel=ch % 16, program=prog, time=0))
        events = []
        for vv, s, e, p in notes:
            if vv == v:
                events.append((s * tick, 1, lowest + p))  # note-offs (0) before note-ons (1) at a tick
                events.append((e * tick, 0, lowest + p))
        events.sort()
        now = 0
        for t, on, pitch in events:
            kind = "note_on" if on else "note_off"
            track.append(mido.Message(kind, channel=ch % 16, note=int(pitch), velocity=80 if on else 0, time=t - now))
            now = t
        mf.tracks.append(track)
    buf = io.BytesIO()
    mf.save(file=buf)
    return buf.getvalue()
