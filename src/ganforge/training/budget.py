"""Stopping a run at a time budget: ``train.cpu_budget`` (CPU seconds) and ``train.wall_budget``
(wall-clock seconds).

The budgets count the *training* of the run: from just before the first step of this process to
the current log step, plus what earlier processes of the same run used (kept in the checkpoint,
so ``--resume`` continues the count; raise the budget to train further). CPU time is the
process's (``time.process_time``: all its threads, so two threads for an hour is 7,200 s), the
measure the benchmarks in docs/ state their budgets in. The check runs at log steps
(``train.log_every``), on the main process; the loop shares the decision with the other
processes there, so a distributed run stops at the same step everywhere. Every run counts (the
checkpoint keeps the count even when no budget is set, so one given at ``--resume`` includes
the earlier training); the log records carry ``cpu_s`` and ``wall_s`` when a budget is set. A
budget stop is an ordinary end: checkpoint, exported generator and final samples are written.
"""
from __future__ import annotations

import time
from typing import Any


class Budget:
    """A loop hook that sets ``ctx.stop_reason`` once the run has used its CPU or wall-clock budget."""

    name = "budget"

    def __init__(self, cpu_seconds: float | None = None, wall_seconds: float | None = None) -> None:
        self.cpu_seconds, self.wall_seconds = cpu_seconds, wall_seconds
        self.cpu_before = self.wall_before = 0.0  # used by earlier processes of this run
        self.start()

    def start(self) -> None:
        """Begin counting this process's share now (the loop calls it just before the first step)."""
        self._cpu0, self._wall0 = time.process_time(), time.perf_counter()

    def used(self) -> tuple[float, float]:
        """(CPU seconds, wall-clock seconds) of training so far, earlier processes included."""
        return (self.cpu_before + time.process_time() - self._cpu0,
                self.wall_before + time.perf_counter() - self._wall0)

    def on_log(self, ctx: Any, step: int, record: dict[str, Any]) -> dict[str, Any]:
        cpu, wall = self.used()
        if self.cpu_seconds is not None and cpu >= self.cpu_seconds:
            ctx.stop_reason = (f"CPU budget of {self.cpu_seconds:g} s reached at step {step} "
                               f"({cpu:.1f} CPU s, {wall:.1f} s wall clock)")
        elif self.wall_seconds is not None and wall >= self.wall_seconds:
            ctx.stop_reason = (f"wall-clock budget of {self.wall_seconds:g} s reached at step {step} "
                               f"({wall:.1f} s, {cpu:.1f} CPU s)")
        if self.cpu_seconds is None and self.wall_seconds is None:
            return {}  # counting only (a budget given at --resume counts from the run's start)
        return {"cpu_s": cpu, "wall_s": wall}

    def state_dict(self) -> dict[str, float]:
        cpu, wall = self.used()
        return {"cpu_s": cpu, "wall_s": wall}

    def load_state_dict(self, state: dict[str, float]) -> None:
        self.cpu_before, self.wall_before = float(state["cpu_s"]), float(state["wall_s"])
        self.start()
