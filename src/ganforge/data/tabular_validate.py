"""Checks on a table before it is fitted: each problem names the column at fault.

Documented handling (see docs/tabular.md):

- a name in ``discrete_columns`` that is not a column of the frame: error;
- a column whose non-missing values mix types (numbers and strings, ...): error;
- a continuous column (not in ``discrete_columns``) that is not numeric: error, with the hint to
  declare it discrete;
- NaN / None in a used column: error, unless ``nan="drop"``, which drops those rows (and says
  how many) before fitting;
- a single-valued column: kept. A constant continuous column is reproduced exactly; a
  single-category discrete column is a one-hot of width 1.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd

from ..errors import GanforgeError

NAN_POLICIES = ("error", "drop")


def _kind(value: object) -> str:
    """Coarse type of one cell: numbers of any width are one kind, bools and strings others."""
    if isinstance(value, (bool, np.bool_)):
        return "bool"
    if isinstance(value, (int, float, np.integer, np.floating)):
        return "number"
    if isinstance(value, str):
        return "string"
    return type(value).__name__


def check_columns(df: pd.DataFrame, discrete_columns: Sequence[str]) -> None:
    """Raise :class:`GanforgeError` for a missing column or a column of mixed types."""
    if not isinstance(df, pd.DataFrame):
        raise GanforgeError(f"fit expects a pandas DataFrame, got {type(df).__name__}")
    if len(df) == 0 or df.shape[1] == 0:
        raise GanforgeError(f"the table is empty ({df.shape[0]} rows, {df.shape[1]} columns)")
    if isinstance(discrete_columns, str):
        raise GanforgeError(f"discrete_columns must be a list of column names, not the string {discrete_columns!r}")
    names = [str(c) for c in df.columns]
    if len(set(names)) != len(names):
        dup = sorted({n for n in names if names.count(n) > 1})
        raise GanforgeError(f"duplicate column names {dup}: give every column a distinct name")
    missing = [c for c in discrete_columns if c not in df.columns]
    if missing:
        raise GanforgeError(f"discrete_columns names {missing} that are not in the table; "
                            f"its columns are: {', '.join(map(str, df.columns))}")
    for col in df.columns:
        s = df[col]
        if s.dtype == object:
            kinds = {_kind(v) for v in s.dropna().tolist()}
            if len(kinds) > 1:
                raise GanforgeError(f"column {col!r} mixes value types ({', '.join(sorted(kinds))}); "
                                    f"convert it to one type (e.g. df[{col!r}].astype(str)) first")
        if col not in discrete_columns and not (pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s)):
            raise GanforgeError(f"column {col!r} (dtype {s.dtype}) is not numeric, so it cannot be continuous: "
                                f"add it to discrete_columns")


def handle_nan(df: pd.DataFrame, nan: str) -> tuple[pd.DataFrame, int]:
    """Apply the NaN policy. Returns the (possibly reduced) frame and the number of rows dropped."""
    if nan not in NAN_POLICIES:
        raise GanforgeError(f"nan={nan!r}: accepted values are {', '.join(NAN_POLICIES)}")
    counts = df.isna().sum()
    bad = {str(c): int(n) for c, n in counts.items() if n}
    if not bad:
        return df, 0
    if nan == "error":
        desc = ", ".join(f"{c!r} ({n} missing)" for c, n in bad.items())
        raise GanforgeError(f"missing values (NaN/None) in column(s) {desc}: fill them, or pass nan='drop' "
                            f"to drop those rows")
    kept = df.dropna()
    if len(kept) == 0:
        raise GanforgeError(f"nan='drop' removed every row: each row has a missing value in one of {list(bad)}")
    return kept, len(df) - len(kept)
