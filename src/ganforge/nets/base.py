"""The network contract, the net registry, and save/load without pickle.

Contract (see docs/architecture.md):

- A generator is ``G(z, c=None) -> x`` with attributes ``z_dim``, ``num_classes`` (0 when
  unconditional) and ``out_shape`` (the shape of one sample, e.g. ``(1, 28, 28)``). It may
  define ``sample_latent(n, generator=None, device=None)``; the default draws N(0, I).
- A discriminator is ``D(x, c=None) -> logits`` of shape ``(N,)``: raw logits, never a sigmoid.
- Every net is a :class:`Net`: its constructor's keyword arguments are recorded in
  ``net.init_kwargs`` so that a saved model is rebuilt from ``config.json`` (those arguments)
  and ``model.safetensors`` (the weights) alone.
- Every registered net gives examples for the net tester (tests/nets/test_nets.py):
  ``example_args()`` (tiny constructor arguments) and ``example_inputs(n, generator)`` (a valid
  forward input for a batch of n), and names in ``forward_unused_parameters()`` any trainable
  parameter its forward does not reach.
"""
from __future__ import annotations

import inspect
import json
import os
from pathlib import Path
from typing import Any

import torch
from torch import nn

from ..errors import GanforgeError
from ..registry import Registry

NETS: Registry[type["Net"]] = Registry("network")

CONFIG_NAME = "config.json"
WEIGHTS_NAME = "model.safetensors"


def _jsonable(value: Any, where: str) -> Any:
    if isinstance(value, (tuple, list)):
        return [_jsonable(v, where) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v, where) for k, v in value.items()}
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    raise TypeError(f"{where}: constructor argument of type {type(value).__name__} is not JSON-serialisable")


class Net(nn.Module):
    """Base class for every registered network: records its constructor's keyword arguments."""

    net_name: str = ""

    def __init_subclass__(cls, **kw: Any) -> None:
        super().__init_subclass__(**kw)
        init = cls.__dict__.get("__init__")
        if init is None:
            return
        sig = inspect.signature(init)

        def wrapped(self: "Net", *args: Any, __init=init, __sig=sig, __cls=cls, **kwargs: Any) -> None:
            if not hasattr(self, "init_kwargs") or type(self) is __cls:
                bound = __sig.bind(self, *args, **kwargs)
                bound.apply_defaults()
                params = dict(bound.arguments)
                params.pop("self")
                for name, p in __sig.parameters.items():
                    if p.kind is inspect.Parameter.VAR_KEYWORD:
                        params.update(params.pop(name, {}))
                object.__setattr__(self, "init_kwargs", _jsonable(params, __cls.__name__))
            __init(self, *args, **kwargs)

        wrapped.__doc__ = init.__doc__
        wrapped.__signature__ = sig  # type: ignore[attr-defined]
        cls.__init__ = wrapped  # type: ignore[method-assign]

    # ---- examples for the net tester (tests/nets/test_nets.py runs the same checks on every net) ----
    @classmethod
    def example_args(cls) -> dict[str, Any]:
        """Tiny constructor keyword arguments (a net built in milliseconds that still takes every
        branch worth testing, e.g. class conditioning). Every registered net defines it."""
        raise NotImplementedError(f"{cls.__name__} must define the classmethod example_args() "
                                  "(tiny constructor keyword arguments for the net tester)")

    def example_inputs(self, n: int, generator: torch.Generator | None = None) -> tuple[Any, ...]:
        """Positional arguments of a valid forward for a batch of ``n``, drawn from ``generator``:
        ``self(*self.example_inputs(n, g))`` runs. Generators: the latent and, when conditional,
        labels; discriminators: data in their value range and, when conditional, labels; other
        nets whatever their forward takes. The same seed gives the same inputs. Every registered
        net defines it."""
        raise NotImplementedError(f"{type(self).__name__} must define example_inputs(n, generator) "
                                  "(forward arguments for a batch of n, for the net tester)")

    def forward_unused_parameters(self) -> set[str]:
        """Names (as in ``named_parameters``) of the trainable parameters that ``forward`` does
        not reach in the net's current state: an auxiliary head used by another method, the
        layers of other growth levels, a forward that samples without gradients. The net tester
        checks that a backward from the output reaches exactly the other parameters."""
        return set()


def example_labels(n: int, num_classes: int, generator: torch.Generator | None = None) -> torch.Tensor:
    """n class labels (n,) int64, uniform over 0..num_classes-1."""
    return torch.randint(num_classes, (n,), generator=generator)


def generator_example_inputs(G: Net, n: int, generator: torch.Generator | None = None) -> tuple[torch.Tensor, ...]:
    """``(z,)`` or ``(z, labels)`` for a generator ``G(z, c)``: z from ``G.sample_latent``, labels
    when ``G.num_classes`` > 0."""
    z = G.sample_latent(n, generator=generator)  # type: ignore[operator]
    return (z, example_labels(n, G.num_classes, generator)) if G.num_classes else (z,)


def discriminator_example_inputs(D: Net, n: int, generator: torch.Generator | None = None) -> tuple[torch.Tensor, ...]:
    """``(x,)`` or ``(x, labels)`` for a discriminator ``D(x, c)``: x (n, *D.in_shape) uniform in
    [-1, 1] (the range of images and of generator outputs), labels when ``D.num_classes`` > 0."""
    x = torch.rand(n, *D.in_shape, generator=generator) * 2 - 1  # type: ignore[misc]
    return (x, example_labels(n, D.num_classes, generator)) if D.num_classes else (x,)


def register_net(name: str, help: str = ""):
    """Class decorator: register a :class:`Net` subclass under ``name``."""

    def deco(cls: type[Net]) -> type[Net]:
        if not issubclass(cls, Net):
            raise TypeError(f"{cls.__name__} must subclass ganforge.nets.Net")
        cls.net_name = name
        NETS.register(name, cls, help=help or (cls.__doc__ or "").strip().splitlines()[0])
        return cls

    return deco


def available_memory() -> int | None:
    """Bytes of memory the OS says are available now (Linux /proc/meminfo), None elsewhere."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def _weight_bytes(cls: type[Net], kwargs: dict[str, Any]) -> int | None:
    """Bytes of parameters and buffers of ``cls(**kwargs)``, counted by building it on the meta
    device (shapes only: no memory, no random numbers drawn); None when that is not possible."""
    try:
        with torch.device("meta"):
            net = cls(**kwargs)
    except Exception:  # any failure is reported by the real build below
        return None
    tensors = [*net.parameters(), *net.buffers()]
    return sum(t.numel() * t.element_size() for t in tensors)


def build_net(name: str, **kwargs: Any) -> Net:
    """Build the registered network ``name`` from keyword arguments.

    A network whose weights alone would not fit in the memory available is refused before any
    allocation, with the estimate (an oversized width or latent would otherwise end in an
    allocation failure, or the kernel's out-of-memory killer, deep inside the constructor)."""
    cls = NETS.get(name)
    need, free = _weight_bytes(cls, kwargs), available_memory()
    if need is not None and free is not None and need > free:
        sizes = ", ".join(f"{k}={kwargs[k]}" for k in ("width", "z_dim", "out_shape", "in_shape", "hidden")
                          if k in kwargs)
        raise GanforgeError(f"network {name!r} ({sizes}) would have ~{need / 1e9:.3g} GB of weights, more than the "
                            f"{free / 1e9:.3g} GB of memory available (training needs about 4x the weights); "
                            f"lower model.width, model.z_dim or data.resolution")
    try:
        return cls(**kwargs)
    except TypeError as e:
        params = [p for p in inspect.signature(cls.__init__).parameters if p != "self"]
        raise GanforgeError(f"network {name!r}: {e}. Accepted arguments: {', '.join(params)}") from None


def save_model(net: nn.Module, directory: str | os.PathLike[str], meta: dict[str, Any] | None = None) -> Path:
    """Write ``config.json`` (net name, constructor kwargs, metadata) and ``model.safetensors``.

    Both files are written atomically (temporary file + rename), so an interrupted save never
    leaves a half-written model behind.
    """
    from ..fileio import ensure_dir, save_safetensors, write_text

    if not isinstance(net, Net) or not net.net_name:
        raise TypeError(f"save_model needs a registered ganforge Net, got {type(net).__name__}")
    d = ensure_dir(directory, f"the saved {net.net_name} model")
    state = {k: v.detach().cpu().contiguous().clone() for k, v in net.state_dict().items()}
    save_safetensors(state, d / WEIGHTS_NAME, f"the {net.net_name} model weights")
    config = {"net": net.net_name, "kwargs": net.init_kwargs, "meta": _jsonable(meta or {}, "meta")}
    write_text(d / CONFIG_NAME, json.dumps(config, indent=2, sort_keys=True), f"the {net.net_name} model config")
    return d


def read_model_config(directory: str | os.PathLike[str]) -> dict[str, Any]:
    """``config.json`` of a saved model, checked: a mapping with ``net`` (a name), ``kwargs``
    (a mapping) and optionally ``meta`` (a mapping). Any problem is a GanforgeError naming the file."""
    d = Path(directory)
    cfg_path = d / CONFIG_NAME
    if not cfg_path.is_file():
        raise GanforgeError(f"{cfg_path}: no saved model here (expected {CONFIG_NAME} next to {WEIGHTS_NAME})")
    try:
        text = cfg_path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise GanforgeError(f"{cfg_path}: cannot read the model config ({type(e).__name__}: {e})") from None
    if not text.strip():
        raise GanforgeError(f"{cfg_path}: the model config is empty (an interrupted copy?); save the model again")
    try:
        cfg = json.loads(text)
    except json.JSONDecodeError as e:
        raise GanforgeError(f"{cfg_path}: not valid JSON ({e})") from None
    if not isinstance(cfg, dict):
        raise GanforgeError(f"{cfg_path}: expected a JSON object with net, kwargs and meta, got {type(cfg).__name__}")
    for key in ("net", "kwargs"):
        if key not in cfg:
            raise GanforgeError(f"{cfg_path}: missing field {key!r}")
    if not isinstance(cfg["net"], str):
        raise GanforgeError(f"{cfg_path}: 'net' must be a network name (a string), got {cfg['net']!r}")
    for key in ("kwargs", "meta"):
        if key in cfg and not isinstance(cfg[key], dict):
            raise GanforgeError(f"{cfg_path}: {key!r} must be a JSON object (a mapping), got "
                                f"{type(cfg[key]).__name__} {str(cfg[key])[:60]}")
    return cfg


def load_model(directory: str | os.PathLike[str], map_location: str | torch.device = "cpu") -> Net:
    """Rebuild a net from ``config.json`` + ``model.safetensors``. Never unpickles anything.

    Every problem with either file (missing, empty, truncated, not safetensors, arguments of the
    wrong type, weights of other shapes) raises a GanforgeError that names the file."""
    from safetensors.torch import load_file

    d = Path(directory)
    cfg = read_model_config(d)
    cfg_path, wpath = d / CONFIG_NAME, d / WEIGHTS_NAME
    try:
        net = build_net(cfg["net"], **cfg["kwargs"])
    except (GanforgeError, TypeError, ValueError, RuntimeError, IndexError, KeyError, MemoryError) as e:
        # unknown net names, wrong argument types and impossible sizes all come from config.json
        raise GanforgeError(f"{cfg_path}: cannot build network {cfg['net']!r} from its kwargs "
                            f"({type(e).__name__}: {_short(e)})") from None
    if not wpath.is_file():
        raise GanforgeError(f"{wpath}: weights file missing")
    if wpath.stat().st_size == 0:
        raise GanforgeError(f"{wpath}: the weights file is empty (an interrupted copy?); save the model again")
    try:
        state = load_file(str(wpath), device=str(map_location))
    except Exception as e:  # SafetensorError (truncated, garbage, a pickle), OSError
        raise GanforgeError(f"{wpath}: not a readable safetensors file, truncated or damaged "
                            f"({type(e).__name__}: {_short(e)})") from None
    try:
        missing, unexpected = net.load_state_dict(state, strict=False)
    except RuntimeError as e:  # size mismatch: config.json and the weights disagree
        raise GanforgeError(f"{wpath}: the weights do not fit network {cfg['net']!r} as {CONFIG_NAME} describes it "
                            f"(was {CONFIG_NAME} edited?): {_short(e)}") from None
    if missing or unexpected:
        raise GanforgeError(f"{wpath}: weights do not match network {cfg['net']!r}: "
                            f"missing {sorted(missing)[:5]}, unexpected {sorted(unexpected)[:5]}")
    net.meta = cfg.get("meta", {})  # type: ignore[assignment]
    return net.to(map_location).eval()


def _short(e: BaseException, limit: int = 300) -> str:
    """The first lines of an exception's message, at most ``limit`` characters."""
    text = " ".join(str(e).split())
    return text if len(text) <= limit else text[:limit] + " ..."
