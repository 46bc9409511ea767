"""`ganforge train FAMILY --resume --out RUN` resumes with the run's own settings (RUN/config.yaml):
flags change only what they name; a flag that changes a fixed setting is still refused by name."""
from __future__ import annotations

import torch

import ganforge
from ganforge.cli import main

QUIET = ["--no-progress", "--no-tensorboard", "--sample-every", "0", "--log-every", "1"]


def test_resume_takes_the_runs_own_settings(tmp_path, capsys) -> None:
    run = tmp_path / "dc"
    base = ["train", "dcgan", "--data", "digits", "--resolution", "28", "--limit", "64", "--batch-size", "16",
            "--width", "8", "--lr-g", "0.0005", "--out", str(run), *QUIET]
    assert main([*base, "--steps", "2"]) == 0
    capsys.readouterr()
    # only --steps and --out: width, lr, data and batch size come from RUN/config.yaml
    assert main(["train", "dcgan", "--resume", "--steps", "4", "--out", str(run), *QUIET]) == 0
    out = capsys.readouterr().out
    assert f"resuming with the settings of {run / 'config.yaml'}" in out and "(step 4)" in out
    one_go = tmp_path / "one"
    assert main([*base[:-len(QUIET) - 2], "--out", str(one_go), *QUIET, "--steps", "4"]) == 0
    a, b = ganforge.load(run), ganforge.load(one_go)
    assert all(torch.equal(p, q) for p, q in zip(a.state_dict().values(), b.state_dict().values()))
    # a fixed setting given on the command line still differs from the checkpoint: refused by name
    assert main(["train", "dcgan", "--resume", "--steps", "6", "--width", "16", "--out", str(run), *QUIET]) != 0
    assert "model.width: checkpoint 8 vs now 16" in capsys.readouterr().err
