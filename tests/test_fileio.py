"""Output that cannot be written is a named error; nothing that existed before is lost and no
temporary file is left behind (issue 18). Full and read-only disks are simulated by making
the OS calls fail: the tests run as root, for whom permissions do not stop a write."""
from __future__ import annotations

import errno
import os
from pathlib import Path
from typing import Any, Iterator

import pytest
import torch

from ganforge import fileio
from ganforge.errors import GanforgeError
from ganforge.imageio import save_grid
from ganforge.nets import build_net, load_model, save_model
from ganforge.training.checkpoint import atomic_save


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if ".tmp" in p.name)


class _FullDisk:
    """A file whose writes fail with ENOSPC after ``room`` bytes, as on a full file system."""

    def __init__(self, f: Any, room: int) -> None:
        self._f, self._room = f, room

    def write(self, data: bytes) -> int:
        if len(data) > self._room:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        self._room -= len(data)
        return self._f.write(data)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._f, name)

    def __enter__(self) -> "_FullDisk":
        return self

    def __exit__(self, *exc: Any) -> None:
        self._f.close()


def _full_disk(monkeypatch: pytest.MonkeyPatch, room: int = 100) -> None:
    real_open = open
    monkeypatch.setattr(fileio, "open", lambda *a, **k: _FullDisk(real_open(*a, **k), room), raising=False)


def test_full_disk_keeps_the_previous_checkpoint(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "checkpoint.pt"
    atomic_save({"step": 1, "w": torch.ones(3)}, path)
    _full_disk(monkeypatch)
    with pytest.raises(GanforgeError) as info:
        atomic_save({"step": 2, "w": torch.zeros(10000)}, path)
    msg = str(info.value)
    # torch reports this as "inline_container.cc ... unexpected pos"; the user sees the real cause
    assert "no space left" in msg and str(path) in msg and "training checkpoint" in msg, msg
    assert _leftovers(tmp_path) == []
    assert torch.load(path, weights_only=True)["step"] == 1


@pytest.mark.parametrize("code,words", [(errno.EROFS, "read-only"), (errno.EACCES, "permission denied"),
                                        (errno.ENOSPC, "no space left")])
def test_failed_fsync_or_rename_is_named_and_cleaned(code: int, words: str, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "a.txt"
    fileio.write_text(path, "old", "a note")

    def fail(*_: Any) -> None:
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(GanforgeError, match=words) as info:
        fileio.write_text(path, "new", "a note")
    assert "a note" in str(info.value) and str(path) in str(info.value)
    assert path.read_text() == "old" and _leftovers(tmp_path) == []


def test_read_only_file_system_on_open(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def read_only(*_: Any, **__: Any) -> None:
        raise OSError(errno.EROFS, os.strerror(errno.EROFS))

    monkeypatch.setattr(fileio, "open", read_only, raising=False)
    with pytest.raises(GanforgeError, match="read-only; choose a writable location"):
        save_grid(torch.zeros(4, 1, 8, 8), tmp_path / "grid.png")


def test_out_under_a_regular_file_names_the_file(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    net = build_net("mlp_g", z_dim=2, out_shape=[2], width=8)
    with pytest.raises(GanforgeError) as info:
        save_model(net, blocker / "sub" / "generator")
    assert f"{blocker} is a file, not a folder" in str(info.value)
    with pytest.raises(GanforgeError, match="is a file, not a folder"):
        fileio.ensure_dir(blocker, "the run folder")
    assert blocker.read_text() == "x"


def test_target_that_is_a_folder(tmp_path: Path) -> None:
    (tmp_path / "x.png").mkdir()
    with pytest.raises(GanforgeError, match="a folder of that name exists"):
        save_grid(torch.zeros(1, 1, 8, 8), tmp_path / "x.png")
    assert _leftovers(tmp_path) == []


def test_model_save_on_full_disk_keeps_the_earlier_model(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    save_model(build_net("mlp_g", z_dim=2, out_shape=[2], width=8), tmp_path / "g")
    _full_disk(monkeypatch, room=10)
    with pytest.raises(GanforgeError, match="no space left"):
        save_model(build_net("mlp_g", z_dim=2, out_shape=[2], width=16), tmp_path / "g")
    monkeypatch.undo()
    assert load_model(tmp_path / "g").init_kwargs["width"] == 8
    assert _leftovers(tmp_path / "g") == []


def test_other_errors_propagate_and_clean_up(tmp_path: Path) -> None:
    def boom(f: Any) -> None:
        f.write(b"partial")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        fileio.atomic_write(tmp_path / "y.bin", boom, "a test file")
    assert list(tmp_path.iterdir()) == []


def test_train_full_disk_at_checkpoint_then_resume(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture) -> None:
    """A run whose disk fills up stops with a named error, keeps its last checkpoint, and
    resumes from it once there is room again; a resume into a read-only folder is named too."""
    from ganforge.cli import main

    out = tmp_path / "run"
    quick = ["train", "gan", "--data", "ring8", "--no-progress", "--no-tensorboard", "--sample-every", "0",
             "--out", str(out)]
    assert main([*quick, "--steps", "2"]) == 0
    before = (out / "checkpoint.pt").read_bytes()
    real_save = fileio.save_torch

    def full(obj: Any, path: Any, what: str) -> Path:
        _full_disk(monkeypatch, room=100)
        return real_save(obj, path, what)

    monkeypatch.setattr("ganforge.training.checkpoint.save_torch", full)
    assert main([*quick, "--steps", "4", "--resume"]) == 2
    err = capsys.readouterr().err
    assert "cannot write the training checkpoint" in err and "no space left" in err, err
    monkeypatch.undo()
    assert (out / "checkpoint.pt").read_bytes() == before and _leftovers(out) == []

    def read_only(*_: Any, **__: Any) -> None:
        raise OSError(errno.EROFS, os.strerror(errno.EROFS))

    monkeypatch.setattr(fileio, "open", read_only, raising=False)
    assert main([*quick, "--steps", "4", "--resume"]) == 2
    assert "read-only" in capsys.readouterr().err
    monkeypatch.undo()
    assert main([*quick, "--steps", "4", "--resume"]) == 0
    assert torch.load(out / "checkpoint.pt", weights_only=True)["step"] == 4


def test_stale_temporary_of_a_dead_process_is_removed(tmp_path: Path) -> None:
    import subprocess
    import sys

    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    stale = tmp_path / f".checkpoint.pt.tmp{int(dead.stdout)}"
    stale.write_bytes(b"half a checkpoint")
    alive = tmp_path / f".checkpoint.pt.tmp{os.getppid()}"  # a live process: may be writing, kept
    alive.write_bytes(b"in progress")
    atomic_save({"step": 1}, tmp_path / "checkpoint.pt")
    assert not stale.exists() and alive.exists()


def test_metrics_log_on_a_full_disk_is_named(tmp_path: Path) -> None:
    from ganforge.training.logging import RunLogger

    logger = RunLogger(tmp_path, tensorboard=False, fresh=True)

    class Full:
        def write(self, _: str) -> int:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

        def close(self) -> None:
            pass

    logger._file = Full()
    with pytest.raises(GanforgeError, match="cannot write the metrics log to .*metrics.jsonl: no space left"):
        logger.log({"step": 1, "d_loss": 0.5})


@pytest.fixture()
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A real 512 kB tmpfs (root on Linux); skipped where mounting is not allowed."""
    import subprocess

    mnt = tmp_path / "small"
    mnt.mkdir()
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=512k", "tmpfs", str(mnt)], capture_output=True)
    if r.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here ({r.stderr.decode().strip()[:80]}); ENOSPC is simulated above")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", str(mnt)], check=False)


def test_real_full_and_read_only_file_system(small_disk: Path) -> None:
    import subprocess

    path = small_disk / "checkpoint.pt"
    atomic_save({"step": 1, "w": torch.ones(1000)}, path)
    with pytest.raises(GanforgeError, match="no space left on the device"):
        atomic_save({"step": 2, "w": torch.ones(300_000)}, path)  # 1.2 MB on a 512 kB disk
    assert torch.load(path, weights_only=True)["step"] == 1 and _leftovers(small_disk) == []
    subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], check=True)
    with pytest.raises(GanforgeError, match="read-only"):
        atomic_save({"step": 3}, path)
    assert torch.load(path, weights_only=True)["step"] == 1
