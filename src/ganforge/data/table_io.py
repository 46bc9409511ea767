"""Reading and writing tables by file extension: CSV (.csv, .csv.gz, .tsv) and Parquet (.parquet)."""
from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pandas is imported where tables are read: `import ganforge` stays light
    import pandas as pd

from ..errors import GanforgeError

FORMATS = ".csv, .csv.gz, .tsv, .parquet"


def _kind(path: Path) -> str:
    name = path.name.lower()
    for ext, kind in ((".csv", "csv"), (".csv.gz", "csv"), (".tsv", "tsv"), (".parquet", "parquet"), (".pq", "parquet")):
        if name.endswith(ext):
            return kind
    raise GanforgeError(f"{path}: unknown table format; accepted extensions: {FORMATS}")


def read_table(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read a CSV / TSV / Parquet file into a DataFrame (Parquet needs the pyarrow package)."""
    import pandas as pd

    p = Path(path)
    kind = _kind(p)
    if not p.is_file():
        raise GanforgeError(f"{p}: no such table file")
    if kind == "parquet":
        try:
            return pd.read_parquet(p)
        except ImportError as e:
            raise GanforgeError(f"{p}: reading Parquet needs pyarrow (`pip install pyarrow`): {e}") from None
    return pd.read_csv(p, sep="\t" if kind == "tsv" else ",")


def write_table(df: pd.DataFrame, path: str | os.PathLike[str]) -> Path:
    """Write ``df`` by extension (no index column)."""
    p = Path(path)
    kind = _kind(p)
    p.parent.mkdir(parents=True, exist_ok=True)
    if kind == "parquet":
        df.to_parquet(p, index=False)
    else:
        df.to_csv(p, index=False, sep="\t" if kind == "tsv" else ",")
    return p
