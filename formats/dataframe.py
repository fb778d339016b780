"""DataFrames: pandas and polars DataFrames as parquet; CSV/TSV read as pandas.

Writing goes through pyarrow (``Table.from_pandas`` + ``pyarrow.parquet.write_table``) for
pandas, so values, dtypes (categoricals, nullable integers, time zones) and the index
round-trip through the pandas metadata pyarrow stores in the file; polars frames are
written by polars itself. Loading always returns a pandas DataFrame.

Examples:
    >>> import pandas as pd
    >>> df = pd.DataFrame({"n": [1, 2]}, index=pd.Index(["a", "b"], name="id"))
    >>> PARQUET.write(df, "example.parquet")
    >>> PARQUET.load("example.parquet").equals(df)
    True
"""

from __future__ import annotations

from typing import Any

from formats._io import define, filesystem, is_url
from formats.base import FormatError, instance_of, require

_CSV_SUFFIXES = (".csv", ".tsv", ".csv.gz", ".tsv.gz")


def _write_pandas(df: Any, path: str) -> None:
    pa = require("pyarrow", "pandas")
    parquet = require("pyarrow.parquet", "pandas")
    parquet.write_table(pa.Table.from_pandas(df, preserve_index=None), path)


def _write_polars(df: Any, path: str) -> None:
    df.write_parquet(path)


def _sink_polars(frame: Any, path: str) -> None:
    frame.sink_parquet(path)


#: Writers by the dotted name of the type they take (checked in order).
WRITERS = {
    "pandas.DataFrame": _write_pandas,
    "polars.DataFrame": _write_polars,
    "polars.LazyFrame": _sink_polars,
}


def write_parquet(obj: Any, path: str) -> None:
    """Write a pandas DataFrame, polars DataFrame or polars LazyFrame to parquet."""
    for dotted, writer in WRITERS.items():
        if instance_of(obj, dotted):
            return writer(obj, path)
    raise FormatError(f"Cannot write {type(obj).__name__} as parquet; expected a DataFrame")


def load_parquet(path: str) -> Any:
    """Load a parquet file (or folder of parquet files) as a pandas DataFrame."""
    require("pandas", "pandas")
    return require("pyarrow.parquet", "pandas").read_table(path).to_pandas()


def open_dataset(path: str, storage_options: dict, *, file_format: Any = "parquet") -> Any:
    """A ``pyarrow.dataset.Dataset`` over a local path or fsspec URL (nothing is read)."""
    dataset = require("pyarrow.dataset", "pandas")
    if not is_url(path):
        return dataset.dataset(path, format=file_format)
    fs, inner = filesystem(path, storage_options)
    return dataset.dataset(inner, format=file_format, filesystem=fs)


def _sep(path: str) -> str:
    return "\t" if path.lower().endswith((".tsv", ".tsv.gz")) else ","


def write_csv(obj: Any, path: str) -> None:
    """CSV is read-only: it would lose dtypes and the index, so DataFrames go to parquet."""
    raise FormatError("CSV/TSV files are read-only here; save DataFrames as parquet instead")


def load_csv(path: str) -> Any:
    """Load a CSV or TSV file (optionally gzip-compressed) as a pandas DataFrame."""
    return require("pandas", "pandas").read_csv(path, sep=_sep(path))


def open_csv_dataset(path: str, storage_options: dict) -> Any:
    """A ``pyarrow.dataset.Dataset`` over a CSV or TSV file."""
    require("pyarrow.dataset", "pandas")
    csv = require("pyarrow.csv", "pandas")
    options = csv.ParseOptions(delimiter=_sep(path))
    file_format = require("pyarrow.dataset", "pandas").CsvFileFormat(parse_options=options)
    return open_dataset(path, storage_options, file_format=file_format)


PARQUET = define(
    "parquet",
    "DataFrame",
    (".parquet",),
    accepts=lambda obj: instance_of(obj, *WRITERS),
    write=write_parquet,
    load=load_parquet,
    backed=open_dataset,
    extra="pandas",
    types=tuple(WRITERS),
)

CSV = define(
    "csv",
    "DataFrame",
    _CSV_SUFFIXES,
    accepts=lambda obj: False,
    write=write_csv,
    load=load_csv,
    backed=open_csv_dataset,
    extra="pandas",
)
