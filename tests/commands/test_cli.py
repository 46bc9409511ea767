"""The command line end to end (in-process for speed, plus one real subprocess)."""
from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from ganforge.cli import main

QUICK = ["--no-progress", "--no-tensorboard", "--sample-every", "0"]


@pytest.fixture(scope="module")
def dc_run(tmp_path_factory) -> str:
    out = tmp_path_factory.mktemp("runs") / "dc"
    assert main(["train", "dcgan", "--data", "digits", "--resolution", "28", "--limit", "64", "--batch-size", "16",
                 "--width", "8", "--steps", "3", "--out", str(out), *QUICK]) == 0
    return str(out)


def test_list(capsys) -> None:
    assert main(["list"]) == 0
    text = capsys.readouterr().out
    for name in ("dcgan", "wgan-gp", "mnist", "ring8", "folder:", "minimax", "hinge", "dcgan_g"):
        assert name in text


def test_sample_formats(dc_run: str, tmp_path) -> None:
    assert main(["sample", dc_run, "--n", "9", "--seed", "0", "--out", str(tmp_path / "g.png")]) == 0
    im = Image.open(tmp_path / "g.png")
    assert im.size[0] > 28 * 3
    assert main(["sample", dc_run, "--n", "5", "--out", str(tmp_path / "s.npy")]) == 0
    arr = np.load(tmp_path / "s.npy")
    assert arr.shape == (5, 1, 28, 28) and arr.min() >= -1 and arr.max() <= 1
    assert main(["sample", dc_run, "--n", "3", "--format", "folder", "--out", str(tmp_path / "f")]) == 0
    assert sorted(p.name for p in (tmp_path / "f").iterdir()) == ["00000.png", "00001.png", "00002.png"]
    # the same seed gives the same samples
    assert main(["sample", dc_run, "--n", "5", "--out", str(tmp_path / "t.npy")]) == 0
    assert np.array_equal(arr, np.load(tmp_path / "t.npy"))


def test_interpolate_and_traverse(dc_run: str, tmp_path) -> None:
    assert main(["interpolate", dc_run, "--seed", "0", "--seed", "1", "--steps", "6",
                 "--out", str(tmp_path / "i.npy")]) == 0
    strip = np.load(tmp_path / "i.npy")
    assert strip.shape == (6, 1, 28, 28)
    ends = np.load(tmp_path / "i.npy")[[0, -1]]
    assert main(["sample", dc_run, "--n", "1", "--seed", "0", "--out", str(tmp_path / "a.npy")]) == 0
    np.testing.assert_allclose(ends[0], np.load(tmp_path / "a.npy")[0], atol=1e-5)  # starts at seed 0's sample
    assert main(["traverse", dc_run, "--dim", "5", "--range", "-3", "3", "--steps", "4", "--n", "2",
                 "--out", str(tmp_path / "t.npy")]) == 0
    trav = np.load(tmp_path / "t.npy")
    assert trav.shape == (8, 1, 28, 28)
    assert not np.allclose(trav[0], trav[3])  # moving the dimension changes the image
    assert main(["traverse", dc_run, "--dim", "100", "--out", str(tmp_path / "x.png")]) == 2


def test_conditional_sample_with_class(tmp_path) -> None:
    out = tmp_path / "c"
    assert main(["train", "cgan", "--data", "digits", "--resolution", "28", "--limit", "64", "--batch-size", "16",
                 "--width", "8", "--steps", "2", "--out", str(out), *QUICK]) == 0
    assert main(["sample", str(out), "--n", "4", "--class", "3", "--out", str(tmp_path / "c.png")]) == 0
    assert main(["sample", str(out), "--n", "4", "--class", "12", "--out", str(tmp_path / "c.png")]) == 2


def test_train_from_yaml_with_flag_override(tmp_path) -> None:
    cfg = tmp_path / "run.yaml"
    cfg.write_text(f"""family: gan
data: {{name: ring8, limit: 256, batch_size: 32}}
train: {{steps: 5, loss: minimax, d_steps: 2, out: {tmp_path / 'y'}}}
""")
    assert main(["train", str(cfg), "--steps", "3", *QUICK]) == 0
    saved = (tmp_path / "y" / "config.yaml").read_text()
    assert "loss: minimax" in saved and "steps: 3" in saved and "d_steps: 2" in saved


def test_bad_input_names_the_problem(tmp_path, capsys) -> None:
    assert main(["train", "dcgann", "--steps", "1", "--out", str(tmp_path / "x")]) == 2
    assert "Did you mean 'dcgan'" in capsys.readouterr().err
    assert main(["train", "gan", "--data", "ring8", "--loss", "hing", "--out", str(tmp_path / "x"), *QUICK]) == 2
    assert "unknown loss 'hing'" in capsys.readouterr().err
    assert main(["train", "gan", "--data", "ring8", "--batch-size", "0", "--out", str(tmp_path / "x"), *QUICK]) == 2
    assert "data.batch_size must be positive" in capsys.readouterr().err
    assert main(["train", "gan", "--data", "ring8", "--precision", "fp8", "--out", str(tmp_path / "x")]) == 2
    assert "accepted values are fp32, bf16, fp16" in capsys.readouterr().err
    assert main(["train", "gan", "--set", "train.lrg=1", "--out", str(tmp_path / "x")]) == 2
    assert "unknown field train.lrg" in capsys.readouterr().err
    assert main(["sample", str(tmp_path / "missing")]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_console_script_runs_as_a_real_process(tmp_path) -> None:
    proc = subprocess.run([sys.executable, "-m", "ganforge.cli", "train", "gan", "--data", "ring8", "--loss",
                           "minimax", "--steps", "4", "--out", str(tmp_path / "g"), *QUICK],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "run folder" in proc.stdout and (tmp_path / "g" / "generator" / "model.safetensors").exists()
