"""Typed configuration: data, model and training sections, read from and written to YAML."""
from __future__ import annotations

import dataclasses
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
