"""The package's import layers: a module never imports from a floor above its own.

The floors are read from the ``layers`` block of docs/architecture.md, so the documentation
and this test cannot drift apart. Every import counts, a lazy one inside a function too.
"""
from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "ganforge"
DOC = ROOT / "docs" / "architecture.md"


def read_floors() -> dict[str, int]:
    """{top-level entry ("cli.py", "data/", "__init__.py"): floor}, floor 0 the ground.

    The ``layers`` block lists the floors from the top, one a line: ``name: entry entry ...``."""
    m = re.search(r"```layers\n(.*?)```", DOC.read_text(), re.S)
    assert m, f"{DOC} has no ```layers block"
    lines = [ln for ln in m.group(1).splitlines() if ln.strip()]
    floors: dict[str, int] = {}
    for i, line in enumerate(lines):
        _, sep, entries = line.partition(":")
        assert sep, f"{DOC}: layers line {line!r} is not 'name: entries'"
        for entry in entries.split():
            assert entry not in floors, f"{DOC}: {entry} is on two floors"
            floors[entry] = len(lines) - 1 - i
    return floors


def module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {module_name(p): p for p in sorted(SRC.rglob("*.py"))}


def entry_of(module: str) -> str:
    """The top-level entry of the package a module belongs to: "data/", "api.py" or "__init__.py"."""
    parts = module.split(".")
    if len(parts) == 1:
        return "__init__.py"
    return f"{parts[1]}/" if (SRC / parts[1]).is_dir() else f"{parts[1]}.py"


def imported_modules(path: Path) -> list[tuple[int, str]]:
    """(line, module) for every import of a ganforge module in ``path``, lazy ones included."""
    me = module_name(path)
    package = me if path.name == "__init__.py" else me.rpartition(".")[0]
    out: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            out += [(node.lineno, a.name) for a in node.names if a.name.split(".")[0] == "ganforge"]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[:len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            elif (node.module or "").split(".")[0] == "ganforge":
                target = node.module or ""
            else:
                continue
            # `from pkg import mod` imports the module pkg.mod; `from mod import name` imports mod
            for a in node.names:
                sub = f"{target}.{a.name}"
                out.append((node.lineno, sub if sub in MODULES else target))
    return out


def test_every_entry_of_the_package_has_a_floor() -> None:
    floors = read_floors()
    missing = sorted({entry_of(m) for m in MODULES} - set(floors))
    assert not missing, f"add these to the layers block of {DOC}: {missing}"


def test_no_module_imports_from_a_floor_above_its_own() -> None:
    floors = read_floors()
    bad = []
    for module, path in MODULES.items():
        mine = entry_of(module)
        for line, target in imported_modules(path):
            theirs = entry_of(target)
            if target not in MODULES:
                bad.append(f"{path.relative_to(ROOT)}:{line}: imports {target}, which is no module of ganforge")
            elif floors[theirs] > floors[mine]:
                bad.append(f"{path.relative_to(ROOT)}:{line}: {mine} (floor {floors[mine]}) imports {target} "
                           f"({theirs}, floor {floors[theirs]})")
    assert not bad, "imports from a higher floor:\n" + "\n".join(bad)


def test_the_checker_sees_relative_lazy_and_absolute_imports() -> None:
    targets = {t for _, t in imported_modules(SRC / "data" / "base.py")}
    assert {"ganforge.errors", "ganforge.registry"} <= targets  # `from ..errors import ...`
    targets = {t for _, t in imported_modules(SRC / "api.py")}
    assert "ganforge.training.loop" in targets  # imported inside train()
    assert "ganforge.plots.series" in {t for _, t in imported_modules(SRC / "plots" / "__init__.py")}  # `from . import`
    targets = {t for _, t in imported_modules(SRC / "commands" / "listing.py")}
    assert "ganforge" in targets  # `import ganforge`: the package's __init__.py


HEAVY = ("sklearn", "scipy", "matplotlib", "pandas", "tensorboard", "torch.utils.tensorboard", "fastapi", "uvicorn")


@pytest.mark.parametrize("code", [
    "import ganforge",
    "from ganforge.cli import build_parser; build_parser()",
    "import contextlib, io\nfrom ganforge.cli import main\nwith contextlib.redirect_stdout(io.StringIO()): main(['list'])",
])
def test_start_up_does_not_import_heavy_optional_packages(code: str) -> None:
    probe = code + f"\nimport sys\nprint(sorted(m for m in {HEAVY!r} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True,
                         env={**os.environ, "PYTHONPATH": str(SRC.parent)})
    assert out.stdout.strip().splitlines()[-1] == "[]", out.stdout
