"""`ganforge sample` writes exactly the file it reports, in the format asked; bad sizes and
unwritable outputs are named errors (issue 18)."""
from __future__ import annotations

import errno
import os
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

import ganforge
from ganforge import fileio
from ganforge.cli import main
from ganforge.commands import sampling
from ganforge.nets import build_net, save_model


@pytest.fixture(scope="module")
def gen_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    net = build_net("dcgan_g", z_dim=8, out_shape=[1, 28, 28], width=8)
    return save_model(net, tmp_path_factory.mktemp("model") / "generator", meta={"kind": "image"})


def _run(capsys: pytest.CaptureFixture, *argv: str) -> tuple[int, str, str]:
    rc = main(["sample", *argv])
    cap = capsys.readouterr()
    return rc, cap.out, cap.err


@pytest.mark.parametrize("fmt,out,check", [
    ("png", "grid", lambda p: Image.open(p).format == "PNG"),
    ("npy", "arr", lambda p: np.load(p).shape == (6, 1, 28, 28)),
    (None, "g.jpg", lambda p: Image.open(p).format == "JPEG"),
    (None, "s.npy", lambda p: np.load(p).shape == (6, 1, 28, 28)),
    ("folder", "imgs", lambda p: len(list(p.iterdir())) == 6),
])
def test_writes_exactly_what_it_reports(gen_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture, fmt: str | None,
                                        out: str, check: Any) -> None:
    target = tmp_path / out
    args = ["--n", "6", "--out", str(target)] + (["--format", fmt] if fmt else [])
    rc, stdout, _ = _run(capsys, str(gen_dir), *args)
    assert rc == 0 and stdout.strip() == f"wrote 6 samples to {target}"
    assert [p.name for p in tmp_path.iterdir()] == [out] and check(target)


@pytest.mark.parametrize("argv,words", [
    (["--format", "png", "--out", "g.jpg"], "suffix '.jpg' but --format png"),
    (["--format", "npy", "--out", "g.png"], "suffix '.png' but --format npy"),
    (["--format", "folder", "--out", "g.npy"], "suffix '.npy' but --format folder"),
    (["--out", "g.txt"], "cannot tell the format"),
    (["--nrow", "0"], "--nrow 0"),
    (["--nrow", "-2"], "--nrow -2"),
    (["--n", "0"], "--n must be positive"),
    (["--n", "100000000"], "would be 600004 x 600004 pixels"),
])
def test_bad_sample_requests_are_named(gen_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture,
                                       argv: list[str], words: str) -> None:
    argv = [a if not a.startswith("g.") else str(tmp_path / a) for a in argv]
    rc, _, err = _run(capsys, str(gen_dir), *argv)
    assert rc == 2 and words in err and "Traceback" not in err, err
    assert list(tmp_path.iterdir()) == []


def test_traverse_n_zero(gen_dir: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["traverse", str(gen_dir), "--dim", "0", "--n", "0"]) == 2
    assert "--n 0: must be positive" in capsys.readouterr().err


def test_npy_is_streamed_in_chunks_and_matches_the_api(gen_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sampling, "CHUNK", 4)
    out = tmp_path / "s.npy"
    assert _run(capsys, str(gen_dir), "--n", "10", "--seed", "3", "--out", str(out))[0] == 0
    arr = np.load(out)
    first = ganforge.sample(ganforge.load(gen_dir), 4, seed=3).numpy()  # the first chunk is the API's draw
    assert arr.shape == (10, 1, 28, 28) and np.allclose(arr[:4], first, atol=1e-6)
    assert not np.allclose(arr[4:8], arr[:4])  # later chunks continue the stream, they do not repeat it


@pytest.mark.parametrize("fmt,out", [("npy", "s.npy"), ("folder", "imgs"), ("png", "s.png")])
def test_full_disk_is_named_and_leaves_nothing(gen_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture,
                                               monkeypatch: pytest.MonkeyPatch, fmt: str, out: str) -> None:
    def full(*_: Any, **__: Any) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", full)
    rc, _, err = _run(capsys, str(gen_dir), "--n", "3", "--format", fmt, "--out", str(tmp_path / out))
    assert rc == 2 and "no space left on the device" in err and str(tmp_path / out) in err, err
    assert not any(".tmp" in p.name for p in tmp_path.rglob("*"))


def test_disk_too_small_for_npy_is_refused_with_the_estimate(gen_dir: Path, tmp_path: Path,
                                                             capsys: pytest.CaptureFixture,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    import shutil

    monkeypatch.setattr(shutil, "disk_usage", lambda _: shutil._ntuple_diskusage(10**9, 10**9, 1000))
    rc, _, err = _run(capsys, str(gen_dir), "--n", "1000000", "--out", str(tmp_path / "big.npy"))
    assert rc == 2 and "would take ~3.14 GB" in err, err
    assert list(tmp_path.iterdir()) == []


def test_fileio_open_is_the_one_write_path(gen_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """A read-only file system reported at open time reaches the user as a named error too."""
    def read_only(*_: Any, **__: Any) -> None:
        raise OSError(errno.EROFS, os.strerror(errno.EROFS))

    monkeypatch.setattr(fileio, "open", read_only, raising=False)
    rc, _, err = _run(capsys, str(gen_dir), "--n", "2", "--out", str(tmp_path / "s.png"))
    assert rc == 2 and "read-only" in err


@pytest.mark.parametrize("argv,words", [
    (["interpolate", "--seed", "0", "--seed", "1", "--steps", "100000000"], "would be 6000000004 x 64 pixels"),
    (["interpolate", "--seed", "0", "--seed", "1", "--steps", "100000000", "--format", "npy", "--out", "i.npy"],
     "would take ~314 GB in memory"),
    (["traverse", "--dim", "0", "--range", "nan", "1"], "give two finite numbers"),
    (["traverse", "--dim", "0", "--steps", "0"], "--steps 0: must be positive"),
])
def test_other_sampling_commands_check_sizes_first(gen_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture,
                                                   monkeypatch: pytest.MonkeyPatch, argv: list[str],
                                                   words: str) -> None:
    monkeypatch.chdir(tmp_path)
    assert main([argv[0], str(gen_dir), *argv[1:]]) == 2
    err = capsys.readouterr().err
    assert words in err, err
    assert list(tmp_path.iterdir()) == []
