"""A damaged saved model (config.json + model.safetensors) is a named error for the file at
fault, never a traceback from safetensors, json or torch (issue 18)."""
from __future__ import annotations

import json
import pickle
from pathlib import Path
from typing import Callable

import pytest

from ganforge.errors import GanforgeError
from ganforge.nets import build_net, load_model, save_model


@pytest.fixture()
def model_dir(tmp_path: Path) -> Path:
    net = build_net("mlp_g", z_dim=2, out_shape=[2], width=16)
    return save_model(net, tmp_path / "generator", meta={"kind": "points"})


def _edit_config(fn: Callable[[dict], None]) -> Callable[[Path], None]:
    def apply(d: Path) -> None:
        cfg = json.loads((d / "config.json").read_text())
        fn(cfg)
        (d / "config.json").write_text(json.dumps(cfg))

    return apply


def _truncate(name: str, keep: float) -> Callable[[Path], None]:
    def apply(d: Path) -> None:
        data = (d / name).read_bytes()
        (d / name).write_bytes(data[:int(len(data) * keep)])

    return apply


def _write(name: str, data: bytes) -> Callable[[Path], None]:
    return lambda d: (d / name).write_bytes(data)


# (case, damage, file named in the error, words the error must contain)
DAMAGE = [
    ("config missing", lambda d: (d / "config.json").unlink(), "config.json", "no saved model"),
    ("config zero bytes", _write("config.json", b""), "config.json", "empty"),
    ("config truncated", _truncate("config.json", 0.5), "config.json", "not valid JSON"),
    ("config garbage", _write("config.json", b"\x00\xff\xfe garbage"), "config.json", "config"),
    ("config a list", _write("config.json", b"[1, 2]"), "config.json", "JSON object"),
    ("config without net", _edit_config(lambda c: c.pop("net")), "config.json", "'net'"),
    ("net unknown", _edit_config(lambda c: c.update(net="no_such_net")), "config.json", "no_such_net"),
    ("net not a string", _edit_config(lambda c: c.update(net=[1])), "config.json", "network name"),
    ("kwargs a list", _edit_config(lambda c: c.update(kwargs=[1, 2])), "config.json", "'kwargs'"),
    ("kwargs wrong type", _edit_config(lambda c: c["kwargs"].update(width="wide")), "config.json", "kwargs"),
    ("meta not a mapping", _edit_config(lambda c: c.update(meta="oops")), "config.json", "'meta'"),
    ("width changed", _edit_config(lambda c: c["kwargs"].update(width=32)), "model.safetensors", "do not fit"),
    ("weights missing", lambda d: (d / "model.safetensors").unlink(), "model.safetensors", "missing"),
    ("weights zero bytes", _write("model.safetensors", b""), "model.safetensors", "empty"),
    ("weights truncated", _truncate("model.safetensors", 0.6), "model.safetensors", "safetensors"),
    ("weights garbage", _write("model.safetensors", b"\x13\x37" * 500), "model.safetensors", "safetensors"),
    ("weights a pickle", _write("model.safetensors", pickle.dumps({"w": [1.0, 2.0]})), "model.safetensors",
     "safetensors"),
]


@pytest.mark.parametrize("case,damage,file,words", DAMAGE, ids=[c[0] for c in DAMAGE])
def test_damaged_model_is_a_named_error(model_dir: Path, case: str, damage: Callable[[Path], None], file: str,
                                         words: str) -> None:
    damage(model_dir)
    with pytest.raises(GanforgeError) as info:
        load_model(model_dir)
    msg = str(info.value)
    assert str(model_dir / file) in msg, msg
    assert words in msg, msg


def test_undamaged_model_loads(model_dir: Path) -> None:
    net = load_model(model_dir)
    assert net.meta == {"kind": "points"} and net.init_kwargs["width"] == 16


def test_network_too_large_for_memory_is_refused_before_allocation(monkeypatch: pytest.MonkeyPatch) -> None:
    from ganforge.nets import base

    monkeypatch.setattr(base, "available_memory", lambda: 10_000)
    with pytest.raises(GanforgeError, match=r"network 'dcgan_g' \(width=8, z_dim=8, out_shape=\[1, 28, 28\]\) "
                                            r"would have ~.* GB of weights, more than the 1e-05 GB"):
        build_net("dcgan_g", z_dim=8, out_shape=[1, 28, 28], width=8)
    assert build_net("mlp_g", z_dim=2, out_shape=[2], width=8) is not None  # ~1 kB: fits
