"""Every file ganforge writes goes through here: atomically (a temporary file in the same folder,
fsync, rename over the target), and with operating-system failures turned into a
:class:`~ganforge.errors.GanforgeError` that says what was being written, where, and what to do.

On failure the temporary file is removed and the previous file at the target (an older
checkpoint, an earlier model) is left exactly as it was: a rename is the only step that
touches it, and it happens after the new content is safely on disk.
"""
from __future__ import annotations

import errno
import os
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any, Callable, Iterator

from .errors import GanforgeError

# errno -> (what went wrong, what to do). EDQUOT (disk quota) reads like a full disk to a user.
_REASONS: dict[int, tuple[str, str]] = {
    errno.ENOSPC: ("no space left on the device", "free some space or write to another disk"),
    errno.EDQUOT: ("the disk quota is used up", "free some space or write to another disk"),
    errno.EROFS: ("the file system is read-only", "choose a writable location (e.g. with --out)"),
    errno.EACCES: ("permission denied", "choose a folder you may write to (e.g. with --out)"),
    errno.EPERM: ("operation not permitted", "choose a folder you may write to (e.g. with --out)"),
    errno.EISDIR: ("a folder of that name exists", "give a file name, or remove the folder"),
    errno.ENAMETOOLONG: ("the name is too long", "choose a shorter path"),
}


def _blocking_file(path: Path) -> Path | None:
    """The first existing component of ``path``'s folders that is not a folder, if any."""
    for parent in reversed(path.parents):
        if parent.exists() and not parent.is_dir():
            return parent
    return None


def os_error(e: OSError, what: str, path: Path, atomic: bool = True) -> GanforgeError:
    """A GanforgeError for ``e``, raised while writing ``what`` to ``path`` (``atomic``: through a
    temporary file, so whatever was at ``path`` before is unchanged)."""
    head = f"cannot write {what} to {path}"
    if e.errno in (errno.ENOTDIR, errno.EEXIST):
        # EEXIST comes from mkdir, where ``path`` itself may be the file in the way
        blocker = _blocking_file(path / "_" if e.errno == errno.EEXIST else path)
        where = blocker if blocker is not None else Path(e.filename or path)
        return GanforgeError(f"{head}: {where} is a file, not a folder; choose another location or remove that file")
    reason, todo = _REASONS.get(e.errno or 0, (e.strerror or str(e), "check the location and try again"))
    kept = "Any earlier file there is unchanged" if atomic else "What was written before is kept"
    return GanforgeError(f"{head}: {reason}; {todo}. {kept}")


def ensure_dir(path: str | os.PathLike[str], what: str) -> Path:
    """Create folder ``path`` (and its parents) for ``what``; OS errors become named errors."""
    p = Path(path)
    try:
        p.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise os_error(e, what, p) from None
    return p


@contextmanager
def named_os_errors(what: str, path: str | os.PathLike[str]) -> Iterator[None]:
    """Turn an OSError inside the block into the GanforgeError of :func:`os_error`: for writes
    that cannot be atomic (appending to a log as training goes)."""
    try:
        yield
    except OSError as e:
        raise os_error(e, what, Path(path), atomic=False) from None


class _Recorder:
    """A binary file wrapper that remembers the OSError of a failed write.

    torch.save reports a failed write (e.g. ENOSPC) as a RuntimeError from its C++ zip writer
    ("inline_container.cc ... unexpected pos"); the recorded OSError lets us name the real cause.
    """

    def __init__(self, f: IO[bytes]) -> None:
        self._f = f
        self.error: OSError | None = None

    def write(self, data: bytes) -> int:
        try:
            return self._f.write(data)
        except OSError as e:
            self.error = e
            raise

    def flush(self) -> None:
        try:
            self._f.flush()
        except OSError as e:
            self.error = e
            raise

    def __getattr__(self, name: str) -> Any:
        # seek, tell, read...: zip writers (np.savez) need a full binary file
        return getattr(self._f, name)


def _remove_stale_temporaries(path: Path) -> None:
    """Delete ``.NAME.tmpPID`` files next to ``path`` left by processes that no longer exist
    (killed with SIGKILL mid-write, or a power cut): no one else will ever clean them up."""
    prefix = f".{path.name}.tmp"
    try:
        candidates = [q for q in path.parent.iterdir() if q.name.startswith(prefix)]
    except OSError:
        return
    for q in candidates:
        pid = q.name[len(prefix):]
        if not pid.isdigit() or int(pid) == os.getpid():
            continue
        try:
            os.kill(int(pid), 0)  # signal 0: only asks whether the process exists
            continue  # alive (or another user's): it may be writing right now
        except ProcessLookupError:
            pass
        except OSError:
            continue
        try:
            q.unlink()
        except OSError:
            pass


def atomic_write(path: str | os.PathLike[str], write: Callable[[Any], None], what: str) -> Path:
    """Write ``path`` atomically: ``write(f)`` fills a temporary file ``.NAME.tmpPID`` in the same
    folder (``f`` is a binary file object), which is fsynced and renamed over ``path``.

    Any failure removes the temporary file and leaves an earlier ``path`` intact; an OSError
    (also one hidden inside a library's own exception) becomes a GanforgeError naming ``what``
    and ``path``. The parent folder is created when missing.
    """
    p = Path(path)
    try:
        p.parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise os_error(e, what, p) from None
    _remove_stale_temporaries(p)
    tmp = p.with_name(f".{p.name}.tmp{os.getpid()}")
    rec: _Recorder | None = None
    try:
        with open(tmp, "wb") as f:
            rec = _Recorder(f)
            write(rec)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, p)
    except BaseException as e:
        try:
            tmp.unlink()
        except OSError:
            pass  # never created, or already gone
        cause = rec.error if rec is not None and rec.error is not None else e
        if isinstance(cause, OSError):
            raise os_error(cause, what, p) from None
        raise
    return p


def write_bytes(path: str | os.PathLike[str], data: bytes, what: str) -> Path:
    """Atomically write ``data`` to ``path`` (see :func:`atomic_write`)."""
    return atomic_write(path, lambda f: f.write(data), what)


def write_text(path: str | os.PathLike[str], text: str, what: str) -> Path:
    """Atomically write UTF-8 ``text`` to ``path`` (see :func:`atomic_write`)."""
    return write_bytes(path, text.encode("utf-8"), what)


def save_torch(obj: Any, path: str | os.PathLike[str], what: str) -> Path:
    """Atomically ``torch.save`` ``obj`` (tensors and plain containers) to ``path``."""
    import torch

    return atomic_write(path, lambda f: torch.save(obj, f), what)


def save_safetensors(tensors: dict[str, Any], path: str | os.PathLike[str], what: str) -> Path:
    """Atomically write a dict of tensors as safetensors to ``path``."""
    from safetensors.torch import save as st_save

    return write_bytes(path, st_save(tensors), what)


def save_npy(array: Any, path: str | os.PathLike[str], what: str) -> Path:
    """Atomically write a numpy array to ``path`` in .npy format (no suffix is added)."""
    import numpy as np

    return atomic_write(path, lambda f: np.save(f, array, allow_pickle=False), what)


def save_pil(image: Any, path: str | os.PathLike[str], what: str, format: str = "PNG") -> Path:
    """Atomically write a PIL image to ``path`` in ``format`` (PNG unless said otherwise)."""
    return atomic_write(path, lambda f: image.save(f, format=format), what)
