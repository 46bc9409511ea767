"""Family-specific options (``cfg.options``, ``--option KEY=VALUE``), validated against a dataclass.

A family declares its options as a frozen dataclass whose fields have defaults and type hints;
:func:`parse_options` builds it from ``cfg.options``, converting strings from the command line
to the declared types. An unknown name is an error that lists the accepted ones, so a typo
never passes silently. A dataclass may also define ``check(self, family)``, which raises
:class:`GanforgeError` for values of the right type that the family does not accept; the
loop parses (and so checks) a family's options before any data is read (:func:`check_options`).
"""
from __future__ import annotations

import dataclasses
import typing
from typing import Any, TypeVar

from ..config import coerce
from ..errors import GanforgeError

T = TypeVar("T")


@dataclasses.dataclass(frozen=True)
class NoOptions:
    """A family without options of its own."""


def _coerce_list(value: Any, item: Any, where: str) -> list[Any]:
    """A list of ``item`` values from a list, a single value or a comma/space separated string."""
    if isinstance(value, str):
        value = [v for v in value.replace(",", " ").split() if v]
    elif not isinstance(value, (list, tuple)):
        value = [value]
    return [coerce(v, item, where) for v in value]


def _coerce_option(value: Any, hint: Any, where: str) -> Any:
    """:func:`coerce`, plus lists (``list[int]``, ``list[str]``, optionally ``| None``)."""
    args = [a for a in typing.get_args(hint) if a is not type(None)]
    if typing.get_origin(hint) is not list and len(args) == 1 and typing.get_origin(args[0]) is list:
        if value is None or (isinstance(value, str) and value.lower() in ("none", "null", "")):
            return None  # an optional list left unset
        hint = args[0]
    if typing.get_origin(hint) is list:
        return _coerce_list(value, (typing.get_args(hint) or (str,))[0], where)
    return coerce(value, hint, where)


def parse_options(options: dict[str, Any], cls: type[T], family: str) -> T:
    """``cls(**options)`` with each value converted to its field's type.

    Raises :class:`GanforgeError` naming the option and listing the accepted names (with their
    defaults) when a name is unknown or a value has the wrong type.
    """
    fields = {f.name: f for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    hints = typing.get_type_hints(cls)
    unknown = sorted(set(options) - set(fields))
    if unknown:
        accepted = ", ".join(f"{n}={_default(f)!r}" for n, f in fields.items()) or "none"
        raise GanforgeError(f"unknown option(s) {', '.join(unknown)} for family {family!r}; "
                            f"accepted (with defaults): {accepted}")
    values = {}
    for name, v in options.items():
        values[name] = _coerce_option(v, hints[name], f"--option {name} (family {family!r})")
    opts = cls(**values)
    if hasattr(opts, "check"):
        opts.check(family)
    return opts


def check_options(family_cls: type, options: dict[str, Any], family: str) -> None:
    """Parse ``options`` for a family class that declares ``options_cls`` (names, types and the
    class's own ``check``), so that a bad ``--option`` is named before the data is read."""
    cls = getattr(family_cls, "options_cls", None)
    if cls is not None:
        parse_options(options, cls, family)


def _default(f: dataclasses.Field) -> Any:
    if f.default is not dataclasses.MISSING:
        return f.default
    if f.default_factory is not dataclasses.MISSING:  # type: ignore[misc]
        return f.default_factory()  # type: ignore[misc]
    return None


def resolve_conditional(requested: bool | None, num_classes: int, family: str, dataset: str) -> int:
    """Number of classes to condition on: ``requested`` None means "when the data has labels"."""
    if requested is None:
        return num_classes
    if requested and not num_classes:
        raise GanforgeError(f"--option conditional=true for family {family!r}, but dataset {dataset!r} has no "
                            f"class labels")
    return num_classes if requested else 0
