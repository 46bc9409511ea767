"""Typed configuration: data, model and training sections, read from and written to YAML."""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, get_type_hints

import yaml

from .errors import GanforgeError


@dataclass
class DataConfig:
    """Which data to train on and how to read it."""

    name: str = "mnist"                 # a registered dataset, or prefix:PATH (folder:, text:, table:, series:)
    root: str | None = None             # a local folder with the dataset's files (searched first)
    split: str = "train"                # train | test | all
    resolution: int | None = None       # resize images to this square size (None: native)
    channels: int | None = None         # 1 (gray) or 3 (RGB); None: the dataset's own
    limit: int | None = None            # use only the first N samples (quick runs, tests)
    batch_size: int = 64
    options: dict[str, Any] = field(default_factory=dict)  # dataset-specific options


@dataclass
class ModelConfig:
    """Which networks to build. Empty fields take the family's defaults."""

    g_net: str | None = None            # a registered network name (see `ganforge list`)
    d_net: str | None = None
    z_dim: int | None = None            # latent size
    width: int | None = None            # base channels (conv nets) or hidden units (MLPs) of G and D
    g_kwargs: dict[str, Any] = field(default_factory=dict)  # extra constructor arguments of G
    d_kwargs: dict[str, Any] = field(default_factory=dict)  # extra constructor arguments of D


@dataclass
class TrainConfig:
    """How to train. Empty fields take the family's defaults."""

    steps: int = 2000                   # generator updates
    loss: str | None = None             # adversarial loss (see `ganforge list`)
    d_steps: int | None = None          # discriminator (critic) updates per generator update (k, n_critic)
    optimizer: str | None = None        # adam | rmsprop | sgd
    lr_g: float | None = None
    lr_d: float | None = None
    betas: tuple[float, float] | None = None   # Adam betas
    gp_weight: float | None = None      # WGAN-GP lambda (0: off)
    r1_gamma: float | None = None       # R1 gamma (0: off)
    r1_interval: int | None = None      # lazy R1: the penalty on every k-th iteration only, weighted by k
                                        # (StyleGAN2); None: every iteration (stylegan: --option r1_interval)
    clip: float | None = None           # WGAN weight clipping (None: off)
    pack: int = 1                       # PacGAN: samples packed into one D input
    augment: str | None = None          # DiffAugment policy for every D input, e.g. "color,translation,cutout"
    ema: float | None = None            # EMA decay of generator weights (e.g. 0.999; None or 0: off)
    ema_start: int = 0                  # step from which the EMA tracks G
    precision: str = "auto"             # auto | fp32 | bf16 | fp16 (autocast); auto: bf16 where the hardware
                                        # computes it natively, else fp32; config.yaml holds the resolved value
    threads: int | None = None          # torch CPU threads (None: torch's default)
    seed: int = 0
    device: str = "auto"                # auto | cpu | cuda | cuda:N
    log_every: int = 50                 # steps between log lines (JSONL, TensorBoard, progress)
    sample_every: int = 500             # steps between sample grids (0: off)
    ckpt_every: int = 1000              # steps between checkpoints (0: only at the end / on Ctrl-C)
    grid: int = 64                      # samples in each grid
    tensorboard: bool = True
    progress: bool = True
    max_loss: float = 1e6               # |loss| above this stops the run as exploding
    eval_every: int = 0                 # steps between evaluations during training (0: off)
    eval_metrics: str = "fid"           # comma list: fid, kid, is, pr, dc (images); toy data: mode metrics
    eval_extractor: str = "mnist"       # feature extractor(s) for image metrics: mnist, inception
    eval_n: int = 2000                  # samples per evaluation
    eval_precision: str = "fp32"        # Inception features during training: fp32 (exact) or bf16 (~2x faster)
    eval_reference: str | None = None   # reference data (default: the dataset's test split)
    best_metric: str | None = None      # keep RUN/best/ and checkpoint-best.pt by this key (e.g. fid/mnist);
                                        # None: the evaluation's first FID (else KID); "off": keep no best
    early_stop: int = 0                 # stop after this many evaluations without improvement (0: off)
    health: bool = True                 # watch for vanishing gradients, mode collapse, instability
    health_every: int = 0               # steps between diversity checks (0: 5 x log_every)
    cpu_budget: float | None = None     # stop after this many CPU seconds of training (all threads of the
                                        # process; counted across --resume); None: no limit
    wall_budget: float | None = None    # stop after this many wall-clock seconds of training (across --resume)
    out: str | None = None              # run folder (default runs/<family>)


SECTIONS = {"data": DataConfig, "model": ModelConfig, "train": TrainConfig}
# Fields that may change when resuming a run; any other difference is an error.
RESUMABLE = {"train.steps", "train.log_every", "train.sample_every", "train.ckpt_every", "train.progress",
             "train.tensorboard", "train.device", "train.out", "train.max_loss", "train.health", "train.health_every", "train.eval_every", "train.eval_metrics",
             "train.eval_extractor", "train.eval_n", "train.eval_precision", "train.eval_reference", "train.best_metric",
             "train.early_stop", "train.threads", "train.cpu_budget", "train.wall_budget"}
CHOICES = {"train.optimizer": ("adam", "rmsprop", "sgd"), "train.precision": ("fp32", "bf16", "fp16", "auto"),
           "train.eval_precision": ("fp32", "bf16"),
           "data.split": ("train", "test", "all")}


@dataclass
class RunConfig:
    """Everything that defines a training run."""

    family: str = "dcgan"
    data: DataConfig = field(default_factory=DataConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    options: dict[str, Any] = field(default_factory=dict)  # family-specific options

    def to_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        if d["train"]["betas"] is not None:
            d["train"]["betas"] = list(d["train"]["betas"])
        return d

    def to_yaml(self) -> str:
        return yaml.safe_dump(self.to_dict(), sort_keys=False)

    def flat(self) -> dict[str, Any]:
        out: dict[str, Any] = {"family": self.family}
        for sec in SECTIONS:
            for k, v in dataclasses.asdict(getattr(self, sec)).items():
                out[f"{sec}.{k}"] = list(v) if isinstance(v, tuple) else v
        for k, v in self.options.items():
            out[f"options.{k}"] = v
        return out

    def diff(self, other: "RunConfig") -> dict[str, tuple[Any, Any]]:
        a, b = self.flat(), other.flat()
        return {k: (a.get(k), b.get(k)) for k in sorted(set(a) | set(b)) if a.get(k) != b.get(k)}


def _field_types(cls: type) -> dict[str, Any]:
    return get_type_hints(cls)


def coerce(value: Any, hint: Any, where: str) -> Any:
    """Convert ``value`` (from YAML or a command-line string) to the type ``hint``; error names ``where``."""
    import types
    import typing

    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        if value is None or (isinstance(value, str) and value.lower() in ("none", "null", "")):
            if type(None) in args:
                return None
        last: Exception | None = None
        for a in args:
            if a is type(None):
                continue
            try:
                return coerce(value, a, where)
            except GanforgeError as e:
                last = e
        raise last or GanforgeError(f"{where}: cannot use {value!r}")
    if hint is bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "yes", "1", "on", "false", "no", "0", "off"):
            return value.lower() in ("true", "yes", "1", "on")
        raise GanforgeError(f"{where}: expected true or false, got {value!r}")
    if hint is int:
        if isinstance(value, bool):
            raise GanforgeError(f"{where}: expected an integer, got {value!r}")
        try:
            f = float(value)
            if f != int(f):
                raise ValueError
            return int(f)
        except (TypeError, ValueError, OverflowError):  # OverflowError: int(inf)
            raise GanforgeError(f"{where}: expected an integer, got {value!r}") from None
    if hint is float:
        try:
            if isinstance(value, bool):
                raise ValueError
            return float(value)
        except (TypeError, ValueError):
            raise GanforgeError(f"{where}: expected a number, got {value!r}") from None
    if hint is str:
        if isinstance(value, (dict, list)):
            raise GanforgeError(f"{where}: expected a string, got {value!r}")
        return str(value)
    if origin is tuple:
        if isinstance(value, str):
            value = [v for v in value.replace(",", " ").split() if v]
        if not isinstance(value, (list, tuple)) or len(value) != len(args):
            raise GanforgeError(f"{where}: expected {len(args)} values, got {value!r}")
        return tuple(coerce(v, a, where) for v, a in zip(value, args))
    if origin is dict:
        if isinstance(value, str):
            return parse_kv(value.split(","), where) if value else {}
        if not isinstance(value, dict):
            raise GanforgeError(f"{where}: expected a mapping, got {value!r}")
        return dict(value)
    return value


def parse_scalar(text: str) -> Any:
    """A command-line value as YAML would read it: 3 -> int, 1e-4 -> float, true -> bool, [1,2] -> list."""
    try:
        v = yaml.safe_load(text)
    except yaml.YAMLError:
        return text
    if isinstance(v, str) and v != text.strip():
        return text
    return v


def parse_kv(items: list[str], where: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for item in items:
        if "=" not in item:
            raise GanforgeError(f"{where}: expected key=value, got {item!r}")
        k, _, v = item.partition("=")
        out[k.strip()] = parse_scalar(v.strip())
    return out


def apply_overrides(cfg: RunConfig, overrides: dict[str, Any], source: str = "config") -> RunConfig:
    """Set fields from a nested mapping {section: {field: value}} (as in a YAML file) or from
    dotted keys {"train.lr_g": 1e-4}. Unknown sections or fields list the valid ones."""
    for key, value in overrides.items():
        if key == "family":
            cfg.family = str(value)
            continue
        if key == "options":
            if not isinstance(value, dict):
                raise GanforgeError(f"{source}: 'options' must be a mapping, got {value!r}")
            cfg.options.update(value)
            continue
        if "." in key:
            sec, _, name = key.partition(".")
            apply_overrides(cfg, {sec: {name: value}}, source)
            continue
        if key not in SECTIONS:
            raise GanforgeError(f"{source}: unknown section {key!r}; valid: family, {', '.join(SECTIONS)}, options")
        if not isinstance(value, dict):
            raise GanforgeError(f"{source}: section {key!r} must be a mapping of fields, got {value!r}")
        section = getattr(cfg, key)
        hints = _field_types(type(section))
        for name, v in value.items():
            if key == "options":
                continue
            if name not in hints:
                raise GanforgeError(f"{source}: unknown field {key}.{name}; valid fields of {key}: {', '.join(hints)}")
            setattr(section, name, coerce(v, hints[name], f"{source}: {key}.{name}"))
    return cfg


def merge_defaults(cfg: RunConfig, defaults: dict[str, Any]) -> RunConfig:
    """Fill fields that are still None (or empty dicts) from a family's defaults."""
    for sec, values in defaults.items():
        if sec == "options":
            for k, v in values.items():
                cfg.options.setdefault(k, v)
            continue
        section = getattr(cfg, sec)
        for name, v in values.items():
            cur = getattr(section, name)
            if isinstance(cur, dict) and isinstance(v, dict):
                setattr(section, name, {**v, **cur})
            elif cur is None:
                setattr(section, name, coerce(v, _field_types(type(section))[name], f"defaults: {sec}.{name}"))
    return cfg


# Upper limits of sizes: far above any GAN in the literature (BigGAN: 512 px, width 128 x 16
# channels; StyleGAN: 1024 px, 512-d latents), low enough that a typo (an extra zero or three)
# is named here instead of failing later as an allocation error deep inside a network.
LIMITS = {"data.resolution": 4096, "model.z_dim": 65536, "model.width": 8192, "train.grid": 4096}


def _check_number(key: str, v: float | None, low: float, *, strict: bool, high: float | None = None,
                  high_open: bool = False, accepted: str = "") -> None:
    """Raise a GanforgeError naming ``key`` unless ``v`` is None or a finite number in range.

    Written as ``not (low < v)`` rather than ``v <= low`` so that NaN, which every comparison
    answers False, fails the check instead of slipping through."""
    if v is None:
        return
    ok = math.isfinite(v) and (low < v if strict else low <= v)
    if ok and high is not None:
        ok = v < high if high_open else v <= high
    if not ok:
        if not accepted:
            accepted = f"a finite number {'>' if strict else '>='} {low:g}"
            if high is not None:
                accepted += f" and {'<' if high_open else '<='} {high:g}"
        raise GanforgeError(f"{key} = {v!r}: accepted values are {accepted}")


def validate(cfg: RunConfig) -> RunConfig:
    """Check every field's range and choices before anything is built (the CLI, YAML files and the
    Python API all come through here); every error names the field and what is accepted."""
    for key, choices in CHOICES.items():
        sec, _, name = key.partition(".")
        v = getattr(getattr(cfg, sec), name)
        if v is not None and v not in choices:
            raise GanforgeError(f"{key} = {v!r}: accepted values are {', '.join(choices)}")
    d, m, t = cfg.data, cfg.model, cfg.train
    positive = {"train.steps": t.steps, "data.batch_size": d.batch_size, "train.pack": t.pack,
                "train.grid": t.grid, "train.d_steps": t.d_steps, "model.z_dim": m.z_dim,
                "model.width": m.width, "data.resolution": d.resolution, "data.limit": d.limit,
                "train.eval_n": t.eval_n, "train.threads": t.threads}
    for key, v in positive.items():
        if v is not None and v <= 0:  # integers (coerce made them so): no NaN to worry about
            raise GanforgeError(f"{key} must be positive, got {v}")
    for key, limit in LIMITS.items():
        sec, _, name = key.partition(".")
        v = getattr(getattr(cfg, sec), name)
        if v is not None and v > limit:
            raise GanforgeError(f"{key} = {v}: at most {limit} is accepted (a larger value would not fit in memory)")
    if d.channels is not None and d.channels not in (1, 3):
        raise GanforgeError(f"data.channels = {d.channels}: accepted values are 1 (gray) or 3 (RGB)")
    for key in ("log_every", "sample_every", "ckpt_every", "ema_start", "health_every", "eval_every", "early_stop"):
        if getattr(t, key) < 0:
            raise GanforgeError(f"train.{key} = {getattr(t, key)}: accepted values are integers >= 0 (0: off)")
    _check_number("train.lr_g", t.lr_g, 0.0, strict=True, accepted="a finite learning rate > 0 (e.g. 2e-4)")
    _check_number("train.lr_d", t.lr_d, 0.0, strict=True, accepted="a finite learning rate > 0 (e.g. 2e-4)")
    if t.betas is not None:
        for i, b in enumerate(t.betas):
            _check_number(f"train.betas[{i}]", b, 0.0, strict=False, high=1.0, high_open=True,
                          accepted="Adam betas in [0, 1), e.g. 0.5 0.999")
    _check_number("train.gp_weight", t.gp_weight, 0.0, strict=False, accepted="a finite number >= 0 (0: off)")
    _check_number("train.r1_gamma", t.r1_gamma, 0.0, strict=False, accepted="a finite number >= 0 (0: off)")
    if t.r1_interval is not None and (isinstance(t.r1_interval, bool) or not isinstance(t.r1_interval, int)
                                      or t.r1_interval < 1):
        raise GanforgeError(f"train.r1_interval = {t.r1_interval!r}: accepted values are integers >= 1 "
                            f"(1: R1 on every iteration; 16: StyleGAN2's lazy R1)")
    _check_number("train.clip", t.clip, 0.0, strict=False, accepted="a finite number >= 0 (0 or none: off)")
    for key in ("cpu_budget", "wall_budget"):
        _check_number(f"train.{key}", getattr(t, key), 0.0, strict=True,
                      accepted="seconds > 0 (e.g. 780), or none for no limit")
        if getattr(t, key) is not None and not t.log_every:
            raise GanforgeError(f"train.{key} is checked at log steps, but train.log_every = 0 (off); "
                                "give --log-every N (e.g. 50)")
    _check_number("train.max_loss", t.max_loss, 0.0, strict=True,
                  accepted="a finite number > 0 (NaN or inf would switch the divergence guard off)")
    _check_number("train.ema", t.ema, 0.0, strict=False, high=1.0, high_open=True,
                  accepted="a decay in [0, 1), e.g. 0.999 (0: off, for families whose default has an EMA)")
    for prefix, opts in (("options", cfg.options), ("data.options", d.options), ("model.g_kwargs", m.g_kwargs),
                         ("model.d_kwargs", m.d_kwargs)):
        for k, v in opts.items():  # checked by their families and nets; NaN is never meaningful there
            if isinstance(v, float) and math.isnan(v):
                raise GanforgeError(f"{prefix}.{k} = nan: give a number")
    if d.batch_size % t.pack:
        raise GanforgeError(f"data.batch_size ({d.batch_size}) must be a multiple of train.pack ({t.pack})")
    if t.augment:
        from .layers.diffaugment import parse_policy

        try:
            parse_policy(t.augment)
        except GanforgeError as e:
            raise GanforgeError(f"train.augment: {e}") from None
    dev = t.device
    if not (dev in ("auto", "cpu", "cuda", "mps") or dev.startswith("cuda:")):
        raise GanforgeError(f"train.device = {dev!r}: accepted values are auto, cpu, cuda, cuda:N, mps")
    return cfg


def load_yaml(path: str | Path) -> dict[str, Any]:
    p = Path(path)
    if not p.is_file():
        raise GanforgeError(f"config file {p} does not exist")
    try:
        data = yaml.safe_load(p.read_text())
    except yaml.YAMLError as e:
        raise GanforgeError(f"{p}: not valid YAML ({e})") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise GanforgeError(f"{p}: expected a mapping with family, data, model, train, options")
    return data


def config_from_dict(data: dict[str, Any], source: str = "config") -> RunConfig:
    return apply_overrides(RunConfig(), data, source)
