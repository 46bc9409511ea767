"""Errors raised at ganforge's boundaries.

Every error names the field, file or option at fault and what would be accepted.
"""
from __future__ import annotations


class GanforgeError(ValueError):
    """Bad input from the user: a config field, file, option or name."""


class TrainingDiverged(RuntimeError):
    """A loss became NaN/inf or exploded; the last good checkpoint is kept."""
