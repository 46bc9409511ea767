"""``--precision auto`` (resolved per device and family, printed once, saved resolved, kept on
resume), ``--threads`` on train and eval, and in-memory datasets kept on a CUDA device."""
from __future__ import annotations

from pathlib import Path

import pytest
import torch
import yaml

import ganforge
from ganforge.cli import main
from ganforge.config import RunConfig, TrainConfig, validate
from ganforge.data.base import DataInfo, TensorDataset
from ganforge.errors import GanforgeError
from ganforge.families import FAMILIES
from ganforge.families import base as family_base
from ganforge.families.base import native_bf16, resolve_precision

CPU = torch.device("cpu")
TINY = {"data.name": "digits", "data.limit": 32, "data.batch_size": 8, "model.width": 8, "train.steps": 2,
        "train.progress": False, "train.tensorboard": False, "train.sample_every": 0, "train.health": False}


@pytest.fixture
def cpu_bf16(monkeypatch: pytest.MonkeyPatch):
    """Pretend this CPU does (True) or does not (False) compute bf16 natively."""
    def set_native(flag: bool) -> None:
        monkeypatch.setattr(torch.cpu, "_is_avx512_bf16_supported", lambda: flag)
        monkeypatch.setattr(torch.cpu, "_is_amx_tile_supported", lambda: False)
    return set_native


def test_auto_is_the_default_and_every_choice_is_validated() -> None:
    assert TrainConfig().precision == "auto" and TrainConfig().threads is None
    with pytest.raises(GanforgeError, match=r"train.precision = 'fp8'.*fp32, bf16, fp16, auto"):
        validate(RunConfig(train=TrainConfig(precision="fp8")))
    with pytest.raises(GanforgeError, match="train.threads must be positive"):
        validate(RunConfig(train=TrainConfig(threads=0)))


def test_auto_resolves_by_hardware_and_by_the_family_declaration(cpu_bf16) -> None:
    dcgan, seqgan = FAMILIES.get("dcgan").cls, FAMILIES.get("seqgan").cls
    cpu_bf16(True)
    assert native_bf16(CPU) == "this CPU has AVX512-BF16"
    assert resolve_precision("auto", CPU, dcgan) == ("bf16", "auto: this CPU has AVX512-BF16")
    precision, why = resolve_precision("auto", CPU, seqgan)  # CPU LSTMs: the family keeps fp32
    assert precision == "fp32" and "LSTM" in why and "cpu" in why
    assert resolve_precision("fp16", CPU, dcgan) == ("fp16", "")  # an explicit choice is kept
    cpu_bf16(False)
    assert native_bf16(CPU) is None
    assert resolve_precision("auto", CPU, dcgan) == ("fp32", "auto: no native bf16 on cpu")
    assert resolve_precision("bf16", CPU, dcgan) == ("bf16", "")
    assert resolve_precision("auto", torch.device("mps"), dcgan)[0] == "fp32"


def test_a_family_built_directly_resolves_auto(cpu_bf16) -> None:
    from gf_family import build_family

    cpu_bf16(True)
    fam, _ = build_family("dcgan")
    assert fam.precision == "bf16" and fam.amp_dtype is torch.bfloat16 and fam.scaler is None
    cpu_bf16(False)
    fam, _ = build_family("dcgan")
    assert fam.precision == "fp32" and fam.amp_dtype is None


def test_resolved_precision_is_printed_saved_and_kept_on_resume(tmp_path: Path, cpu_bf16, capsys) -> None:
    out = tmp_path / "run"
    cpu_bf16(True)
    ganforge.train("dcgan", **TINY, **{"train.out": str(out)})
    lines = [ln for ln in capsys.readouterr().out.splitlines() if ln.startswith("precision:")]
    assert lines == ["precision: bf16 (auto: this CPU has AVX512-BF16)"]
    assert yaml.safe_load((out / "config.yaml").read_text())["train"]["precision"] == "bf16"
    cpu_bf16(False)  # "another machine": auto would give fp32 here, the run keeps bf16
    ganforge.train("dcgan", resume=True, **{**TINY, "train.steps": 3, "train.out": str(out)})
    assert "precision: bf16 (auto: as the run was started)" in capsys.readouterr().out
    ckpt = torch.load(out / "checkpoint.pt", weights_only=True)
    assert ckpt["step"] == 3 and ckpt["config"]["train"]["precision"] == "bf16"
    with pytest.raises(GanforgeError, match=r"train.precision: checkpoint 'bf16' vs now 'fp32'"):
        ganforge.train("dcgan", resume=True, **{**TINY, "train.steps": 4, "train.out": str(out),
                                                "train.precision": "fp32"})


def test_threads_apply_during_the_run_and_are_restored(tmp_path: Path) -> None:
    seen: list[int] = []

    class Threads:
        def on_log(self, ctx, step, record) -> None:
            seen.append(torch.get_num_threads())

    before = torch.get_num_threads()
    want = 2 if before == 1 else 1
    ganforge.train("dcgan", hooks=[Threads()], **{**TINY, "train.out": str(tmp_path / "t"), "train.log_every": 1,
                                                  "train.threads": want})
    assert seen == [want, want] and torch.get_num_threads() == before
    assert yaml.safe_load((tmp_path / "t" / "config.yaml").read_text())["train"]["threads"] == want


def test_eval_threads_flag_is_checked(capsys) -> None:
    assert main(["eval", "no-such-run", "--threads", "0"]) == 2
    assert "--threads 0: must be at least 1" in capsys.readouterr().err


def _dataset() -> TensorDataset:
    return TensorDataset({"x": torch.randn(16, 1, 4, 4), "y": torch.arange(16)},
                         DataInfo("t", "image", (1, 4, 4), num_classes=16))


def test_keep_on_is_a_no_op_on_the_cpu() -> None:
    ds = _dataset()
    x = ds.x
    assert ds.keep_on(CPU) is False and ds.x is x


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_keep_on_moves_data_that_fits_and_batches_are_unchanged(monkeypatch: pytest.MonkeyPatch) -> None:
    cuda = torch.device("cuda")
    ds, idx = _dataset(), torch.tensor([3, 1, 7])
    expected = ds.get_batch(idx)
    monkeypatch.setattr(torch.cuda, "mem_get_info", lambda device=None: (100, 10**9))  # too little free memory
    assert ds.keep_on(cuda) is False and ds.x.device.type == "cpu"
    monkeypatch.undo()
    assert ds.keep_on(cuda) is True and ds.x.device.type == "cuda"
    got = ds.get_batch(idx)
    assert all(torch.equal(got[k].cpu(), expected[k]) for k in expected)
