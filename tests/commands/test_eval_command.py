"""`ganforge eval` on arrays and toy runs: --metrics modes accepts .npy points as its help says,
and a --n that cannot be honoured is an error or a stated count, never a silent change (issue 18)."""
from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from ganforge.cli import main
from ganforge.metrics import TOY_MODES
from ganforge.nets import build_net, save_model


@pytest.fixture()
def ring_points(tmp_path: Path) -> Path:
    """300 points exactly on the ring8 mode centres (every mode, all high quality)."""
    centres = np.asarray(TOY_MODES["ring8"][0], dtype=np.float32)
    path = tmp_path / "points.npy"
    np.save(path, np.repeat(centres, 300 // len(centres) + 1, axis=0)[:300])
    return path


def test_modes_of_an_array(ring_points: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["eval", str(ring_points), "--metrics", "modes", "--reference", "ring8"]) == 0
    out = capsys.readouterr().out
    assert "evaluating 300 of the 300 samples" in out
    assert "modes_captured  8" in out and "high_quality    1" in out


@pytest.mark.parametrize("argv,words", [
    (["--metrics", "modes"], "give --reference ring8 or grid25"),
    (["--metrics", "modes", "--reference", "ring8", "--n", "1000"], "holds only 300 samples"),
    (["--metrics", "modes", "--reference", "ring8", "--n", "0"], "--n must be positive"),
])
def test_array_requests_that_cannot_be_honoured(ring_points: Path, capsys: pytest.CaptureFixture, argv: list[str],
                                                words: str) -> None:
    assert main(["eval", str(ring_points), *argv]) == 2
    err = capsys.readouterr().err
    assert words in err and "Traceback" not in err, err


def test_toy_generator_honours_n_and_states_the_default(tmp_path: Path, capsys: pytest.CaptureFixture,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    from ganforge.metrics import toy

    asked: list[int] = []
    real = toy.evaluate_toy
    monkeypatch.setattr(toy, "evaluate_toy", lambda G, name, n, seed: asked.append(n) or real(G, name, n, seed))
    g = save_model(build_net("mlp_g", z_dim=2, out_shape=[2], width=8), tmp_path / "g", meta={"kind": "points"})
    assert main(["eval", str(g), "--metrics", "modes", "--reference", "ring8"]) == 0
    assert "evaluating 2500 samples (the toy protocol's default" in capsys.readouterr().out
    assert main(["eval", str(g), "--metrics", "modes", "--reference", "ring8", "--n", "10000",
                 "--out", str(tmp_path / "r.json")]) == 0
    assert asked == [2500, 10000]
    assert math.isfinite(json.loads((tmp_path / "r.json").read_text())["reverse_kl"])


@pytest.mark.parametrize("name,data", [("missing.npy", None), ("garbage.npy", b"not numpy"),
                                       ("broken.npz", b"PK\x03\x04 not a zip")])
def test_unreadable_arrays_are_named(tmp_path: Path, capsys: pytest.CaptureFixture, name: str,
                                     data: bytes | None) -> None:
    path = tmp_path / name
    if data is not None:
        path.write_bytes(data)
    assert main(["eval", str(path), "--metrics", "modes", "--reference", "ring8"]) == 2
    assert f"{path}: cannot read a numpy array" in capsys.readouterr().err
