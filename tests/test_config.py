"""Every config field's range is checked in one place (config.validate) before anything is
built, and the CLI, a YAML file and the Python API give the same named error (issue 18)."""
from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest

import ganforge
from ganforge.cli import main
from ganforge.config import config_from_dict, validate
from ganforge.errors import GanforgeError

NAN, INF = float("nan"), float("inf")

# (dotted field, bad value, words the error must contain besides the field's name)
BAD = [
    ("train.lr_g", NAN, "finite learning rate"),
    ("train.lr_g", 0.0, "finite learning rate"),
    ("train.lr_g", -1e-4, "finite learning rate"),
    ("train.lr_d", INF, "finite learning rate"),
    ("train.betas", [1.5, 0.999], "[0, 1)"),
    ("train.betas", [0.5, 1.0], "[0, 1)"),
    ("train.betas", [-0.1, 0.9], "[0, 1)"),
    ("train.betas", [NAN, 0.9], "[0, 1)"),
    ("data.resolution", 0, "positive"),
    ("data.resolution", -8, "positive"),
    ("data.resolution", 100000, "at most 4096"),
    ("data.channels", 2, "1 (gray) or 3"),
    ("data.batch_size", 0, "positive"),
    ("data.limit", 0, "positive"),
    ("model.z_dim", 1_000_000_000, "at most 65536"),
    ("model.z_dim", 0, "positive"),
    ("model.width", 100000, "at most 8192"),
    ("model.width", -1, "positive"),
    ("train.max_loss", NAN, "divergence guard"),
    ("train.max_loss", INF, "divergence guard"),
    ("train.max_loss", 0.0, "> 0"),
    ("train.gp_weight", -10.0, ">= 0"),
    ("train.gp_weight", NAN, ">= 0"),
    ("train.r1_gamma", NAN, ">= 0"),
    ("train.r1_gamma", -1.0, ">= 0"),
    ("train.clip", -0.01, ">= 0"),
    ("train.clip", INF, ">= 0"),
    ("train.ema", NAN, "[0, 1)"),
    ("train.ema", 1.0, "[0, 1)"),
    ("train.grid", 0, "positive"),
    ("train.grid", 100000, "at most 4096"),
    ("train.steps", 0, "positive"),
    ("train.d_steps", 0, "positive"),
    ("train.eval_n", 0, "positive"),
    ("train.log_every", -1, ">= 0"),
    ("train.pack", 0, "positive"),
    ("train.optimizer", "adamw", "adam, rmsprop, sgd"),
    ("train.device", "tpu", "cuda:N"),
    ("options.lambda_l1", NAN, "give a number"),
    ("model.g_kwargs", {"dropout": NAN}, "give a number"),
]


@pytest.mark.parametrize("key,value,words", BAD, ids=[f"{k}={v}" for k, v, _ in BAD])
def test_bad_value_is_named(key: str, value: Any, words: str) -> None:
    cfg = config_from_dict({key: value}, "test")
    with pytest.raises(GanforgeError) as info:
        validate(cfg)
    msg = str(info.value)
    assert key.split("[")[0] in msg and words in msg, msg


@pytest.mark.parametrize("key,value", [("train.steps", "inf"), ("train.steps", "nan"), ("model.z_dim", 1.5),
                                       ("train.lr_g", "fast")])
def test_values_of_the_wrong_type_are_named(key: str, value: Any) -> None:
    with pytest.raises(GanforgeError, match=f"{key}: expected"):
        config_from_dict({key: value}, "test")


@pytest.mark.parametrize("key,value", [("train.lr_g", 2e-4), ("train.betas", [0.0, 0.99]), ("train.clip", 0.0),
                                       ("train.gp_weight", 0.0), ("data.resolution", 4096), ("train.ema", 0.999)])
def test_edge_values_are_accepted(key: str, value: Any) -> None:
    validate(config_from_dict({key: value}, "test"))


def _no_data(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail the test if training gets as far as reading data: the check must come first."""
    def refuse(*_: Any) -> None:
        raise AssertionError("data was read before the config was validated")

    monkeypatch.setattr("ganforge.training.loop.build_dataset", refuse)


@pytest.mark.parametrize("flag,value,field", [("--lr-g", "nan", "train.lr_g"), ("--resolution", "0", "data.resolution"),
                                              ("--max-loss", "nan", "train.max_loss"),
                                              ("--z-dim", "1000000000", "model.z_dim")])
def test_cli_yaml_and_api_give_the_same_error(flag: str, value: str, field: str, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> None:
    _no_data(monkeypatch)
    out = str(tmp_path / "run")
    assert main(["train", "dcgan", "--data", "digits", flag, value, "--out", out]) == 2
    cli_msg = capsys.readouterr().err
    assert "Traceback" not in cli_msg and field in cli_msg

    sec, _, name = field.partition(".")
    yaml_file = tmp_path / "cfg.yaml"
    yaml_file.write_text(f"family: dcgan\ndata:\n  name: digits\n{sec}:\n  {name}: {value}\n"
                         if sec != "data" else f"family: dcgan\ndata:\n  name: digits\n  {name}: {value}\n")
    with pytest.raises(GanforgeError) as from_yaml:
        ganforge.train(str(yaml_file), out=out)
    number = float(value)
    with pytest.raises(GanforgeError) as from_api:
        ganforge.train("dcgan", data="digits", out=out, **{name: int(number) if number.is_integer() and
                                                            not math.isnan(number) else number})
    assert str(from_yaml.value) == str(from_api.value)
    assert str(from_api.value) in cli_msg
