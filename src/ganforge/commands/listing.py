"""`ganforge list`: families, datasets, losses and networks with one line each."""
from __future__ import annotations

from typing import Any

from . import register_command

KINDS = ("families", "datasets", "losses", "networks")


def add_arguments(p: Any) -> None:
    p.add_argument("what", nargs="?", choices=KINDS, help="list only this kind (default: all)")


def run(args: Any) -> int:
    import ganforge

    tables = {"families": ganforge.list_families, "datasets": ganforge.list_datasets,
              "losses": ganforge.list_losses, "networks": ganforge.list_networks}
    for kind in [args.what] if args.what else KINDS:
        rows = tables[kind]()
        print(f"{kind}:")
        width = max(len(k) for k in rows)
        for name, help in rows.items():
            print(f"  {name.ljust(width)}  {help}")
        print()
    return 0


register_command("list", add_arguments, run, "list families, datasets, losses and networks")
