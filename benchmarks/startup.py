"""Start-up cost of the command line: CPU time of `ganforge --help` and `ganforge list` against
`python -c "import torch"` (the floor every command pays).

    OMP_NUM_THREADS=1 nice python benchmarks/startup.py --repeats 7

Each command runs in a fresh interpreter; its CPU time (user + system) is the difference of
``resource.getrusage(RUSAGE_CHILDREN)`` around it, so a busy machine slows the wall clock but
hardly the CPU count. The commands are interleaved (torch, --help, list, torch, ...) so drifts in
the machine's load hit them alike; the table gives medians over the repeats and each command's
ratio to `import torch` (target: at most 1.2x). Prints a Markdown table; ``--out`` writes JSON.

Bytecode: an installed package runs from compiled ``.pyc`` files, so the children get a
private ``PYTHONPYCACHEPREFIX`` (torch's and ganforge's bytecode alike are written there by
the warm-up run) even where PYTHONDONTWRITEBYTECODE is set; otherwise every run would also
time the compilation of every module it imports.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"
COMMANDS = {
    "python -c 'import torch'": ["-c", "import torch"],
    "python -c 'import ganforge'": ["-c", "import ganforge"],
    "ganforge --help": ["-m", "ganforge.cli", "--help"],
    "ganforge list": ["-m", "ganforge.cli", "list"],
}


def child_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def measure(args: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(CPU seconds, wall seconds) of one run of ``python ARGS`` in a fresh interpreter."""
    c0, t0 = child_cpu(), time.perf_counter()
    subprocess.run([sys.executable, *args], env=env, check=True, stdout=subprocess.DEVNULL)
    return child_cpu() - c0, time.perf_counter() - t0


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--repeats", type=int, default=7, help="runs of each command (default 7)")
    p.add_argument("--out", type=Path, default=None, help="write the medians and every run as JSON")
    p.add_argument("--src", type=Path, default=SRC, help="the src/ folder whose ganforge to time (default: this "
                                                         "checkout's; another checkout's for a before/after)")
    args = p.parse_args()
    if args.repeats < 1:
        p.error("--repeats must be at least 1")
    pyc = tempfile.mkdtemp(prefix="ganforge-startup-pyc-")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env.update(PYTHONPYCACHEPREFIX=pyc,
               PYTHONPATH=os.pathsep.join([str(args.src.resolve()), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep))
    runs: dict[str, list[tuple[float, float]]] = {name: [] for name in COMMANDS}
    try:
        for argv in COMMANDS.values():  # compile and warm the file cache once, so every repeat is alike
            measure(argv, env)
        for _ in range(args.repeats):
            for name, argv in COMMANDS.items():
                runs[name].append(measure(argv, env))
    finally:
        shutil.rmtree(pyc, ignore_errors=True)
    base = statistics.median(c for c, _ in runs["python -c 'import torch'"])
    rows = {name: {"cpu_s": statistics.median(c for c, _ in r), "wall_s": statistics.median(w for _, w in r),
                   "ratio": statistics.median(c for c, _ in r) / base, "runs": r} for name, r in runs.items()}
    print(f"| command | CPU s (median of {args.repeats}) | wall s | CPU / import torch |")
    print("|---|---|---|---|")
    for name, row in rows.items():
        print(f"| `{name}` | {row['cpu_s']:.2f} | {row['wall_s']:.2f} | {row['ratio']:.2f}x |")
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps({"repeats": args.repeats, "python": sys.version.split()[0], "src": str(args.src),
                                        **rows}, indent=2))


if __name__ == "__main__":
    main()
