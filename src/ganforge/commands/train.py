"""`ganforge train FAMILY|CONFIG.yaml [options]`: every config field is also a flag."""
from __future__ import annotations

import argparse
import typing
from typing import Any

from ..errors import GanforgeError
from . import register_command

# flag names that differ from "--<field>"; every other field of data/model/train is --field-name
RENAMED = {"data.name": "data", "data.options": "data-option"}
SKIP = {"data.options"}


def _flags() -> list[tuple[str, str, Any]]:
    from ..config import SECTIONS, _field_types

    out = []
    for sec, cls in SECTIONS.items():
        for name, hint in _field_types(cls).items():
            key = f"{sec}.{name}"
            if key in SKIP:
                continue
            out.append((RENAMED.get(key, name.replace("_", "-")), key, hint))
    return out


def add_arguments(p: argparse.ArgumentParser) -> None:
    from ..data.base import DATA_OPTIONS
    from .runkinds import RUN_KINDS

    p.add_argument("target", help="a family name (see `ganforge list families`) or a YAML config file")
    p.add_argument("--resume", action="store_true", help="continue the run in --out exactly where it stopped, with "
                   "its own settings (RUN/config.yaml); flags change only what they name (e.g. --steps)")
    p.add_argument("--overwrite", action="store_true", help="start again in an --out that already holds a run")
    p.add_argument("--option", action="append", default=[], metavar="KEY=VALUE",
                   help="a family-specific option (repeatable)")
    p.add_argument("--data-option", action="append", default=[], metavar="KEY=VALUE",
                   help="a dataset-specific option (repeatable)")
    p.add_argument("--set", action="append", default=[], metavar="SECTION.FIELD=VALUE",
                   help="set any config field (repeatable)")
    groups = {s: p.add_argument_group(f"{s} options") for s in ("data", "model", "train")}
    taken = {flag for flag, _, _ in _flags()}
    data_opts = p.add_argument_group("dataset options (set data.options.NAME; see each dataset's help)")
    for name, text in sorted(DATA_OPTIONS.items()):
        if name.replace("_", "-") not in taken:
            data_opts.add_argument(f"--{name.replace('_', '-')}", dest=f"data.options.{name}",
                                   metavar="VALUE", default=argparse.SUPPRESS, help=text)
    for entry in RUN_KINDS.items():
        entry.obj.add_train_arguments(p.add_argument_group(f"{entry.name} options"))
    for flag, key, hint in _flags():
        sec = key.split(".")[0]
        help_text = f"{key}"
        if hint is bool or (typing.get_args(hint) and bool in typing.get_args(hint)):
            groups[sec].add_argument(f"--{flag}", dest=key, action=argparse.BooleanOptionalAction,
                                     default=argparse.SUPPRESS, help=help_text)
        elif typing.get_origin(hint) is tuple or tuple in [typing.get_origin(a) for a in typing.get_args(hint)]:
            groups[sec].add_argument(f"--{flag}", dest=key, nargs="+", default=argparse.SUPPRESS, help=help_text)
        else:
            groups[sec].add_argument(f"--{flag}", dest=key, default=argparse.SUPPRESS, help=help_text)


def resume_target(target: str, overrides: dict[str, Any]) -> str:
    """With --resume and a family name, the run's own config.yaml (in --out, default
    runs/FAMILY) when it holds that family: a run resumes with its settings, and the flags given
    change only what they name (--steps ...); any other difference is refused by the loop."""
    from pathlib import Path

    from ..config import load_yaml

    if target.endswith((".yaml", ".yml")):
        return target
    saved = Path(str(overrides.get("train.out") or f"runs/{target}")) / "config.yaml"
    if saved.is_file():
        try:
            family = load_yaml(saved).get("family")
        except GanforgeError:  # a damaged config.yaml: the loop's own check reports it
            return target
        if family == target:
            print(f"resuming with the settings of {saved}")
            return str(saved)
    return target


def run(args: argparse.Namespace) -> int:
    import ganforge

    from ..config import parse_kv, parse_scalar

    data_options = {k[len("data.options."):]: parse_scalar(v) for k, v in vars(args).items()
                    if k.startswith("data.options.")}
    overrides: dict[str, Any] = {k: v for k, v in vars(args).items() if "." in k and not k.startswith("data.options.")}
    for k, v in list(overrides.items()):
        if isinstance(v, list):
            overrides[k] = v
        elif k.endswith("_kwargs"):
            overrides[k] = parse_kv([s for s in str(v).split(",") if s], f"--{k.split('.')[1].replace('_', '-')}")
        elif isinstance(v, str):
            overrides[k] = parse_scalar(v)
    for item in args.set:
        overrides.update({k: v for k, v in parse_kv([item], "--set").items()})
    if args.option:
        overrides["options"] = parse_kv(args.option, "--option")
    target = resume_target(args.target, overrides) if args.resume else args.target
    cfg = ganforge.make_config(target, **overrides)
    cfg.data.options.update(data_options)
    if args.data_option:
        cfg.data.options.update(parse_kv(args.data_option, "--data-option"))
    result = ganforge.train(cfg, resume=args.resume, overwrite=args.overwrite)
    print(f"run folder: {result.out}  (step {result.step})")
    return 0


register_command("train", add_arguments, run, "train a GAN family on a dataset (or from a YAML config)")
