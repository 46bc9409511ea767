"""One small registry: name -> builder, with a helpful error on unknown names."""
from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any, Callable, Generic, Iterator, TypeVar

from .errors import GanforgeError

T = TypeVar("T")


@dataclass(frozen=True)
class Entry(Generic[T]):
    name: str
    obj: T
    help: str


class Registry(Generic[T]):
    """A mapping from names to objects (classes, functions, specs) with one-line help.

    >>> LOSSES = Registry("loss")
    >>> @LOSSES.register("hinge", help="hinge loss")
    ... def hinge(): ...
    """

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._entries: dict[str, Entry[T]] = {}

    def register(self, name: str, obj: T | None = None, *, help: str = "") -> Any:
        def add(o: T) -> T:
            if name in self._entries:
                raise KeyError(f"{self.kind} {name!r} is already registered")
            doc = help or ((getattr(o, "__doc__", None) or "").strip().splitlines() or [""])[0]
            self._entries[name] = Entry(name, o, doc)
            return o

        if obj is not None:
            return add(obj)
        return add

    def get(self, name: str) -> T:
        try:
            return self._entries[name].obj
        except KeyError:
            raise GanforgeError(self.unknown_message(name)) from None

    def unknown_message(self, name: str) -> str:
        names = sorted(self._entries)
        close = difflib.get_close_matches(str(name), names, n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        return f"unknown {self.kind} {name!r}.{hint} Valid {self.kind} names: {', '.join(names)}"

    def __contains__(self, name: object) -> bool:
        return name in self._entries

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self._entries))

    def __len__(self) -> int:
        return len(self._entries)

    def items(self) -> list[Entry[T]]:
        return [self._entries[n] for n in sorted(self._entries)]

    def help(self, name: str) -> str:
        self.get(name)
        return self._entries[name].help


def describe(registry: Registry[Any]) -> str:
    """Lines 'name  help' for `ganforge list`."""
    width = max((len(n) for n in registry), default=0)
    return "\n".join(f"  {e.name.ljust(width)}  {e.help}" for e in registry.items())


Builder = Callable[..., Any]
