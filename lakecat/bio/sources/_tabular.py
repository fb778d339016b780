"""User tables: CSV or TSV (optionally gzipped) with the entity's standard columns.

List columns (``synonyms``, ``parents``, ``ncbi_gene_ids``) hold ``|``-separated items.
Every cell is read as text; ``""``, ``NA``, ``NaN``, ``None``, ``null`` count as missing.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from ...errors import SourceError
from ._tables import conform

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

_LINE = re.compile(r"line (\d+)")


def _frame(path: Path, separator: str) -> pd.DataFrame:
    import pandas as pd

    try:
        frame = pd.read_csv(path, sep=separator, dtype=str, skip_blank_lines=False)
    except pd.errors.EmptyDataError:
        raise SourceError(f"{path}: the file is empty (no header line).", path=str(path)) from None
    except pd.errors.ParserError as exc:
        line = _LINE.search(str(exc))
        number = int(line.group(1)) if line else None
        where = f", line {number}" if number else ""
        raise SourceError(
            f"{path}{where}: not a valid {'TSV' if separator == chr(9) else 'CSV'} table: "
            f"{str(exc).strip()}",
            path=str(path),
            line=number,
        ) from None
    except (UnicodeDecodeError, OSError, EOFError) as exc:
        raise SourceError(
            f"{path}: cannot be read as a text table: {exc}.", path=str(path)
        ) from None
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame


def _read(path: Path, entity: str, separator: str) -> pa.Table:
    import pyarrow as pa

    frame = _frame(path, separator)
    frame = frame.astype(object).where(frame.notna(), None)
    table = pa.table({c: pa.array(frame[c].tolist(), pa.string()) for c in frame.columns})
    return conform(table, entity, origin=str(path))


def read_csv(path: Path, only: str | None, entity: str) -> pa.Table:
    """A comma-separated table in ``entity``'s schema."""
    return _read(path, entity, ",")


def read_tsv(path: Path, only: str | None, entity: str) -> pa.Table:
    """A tab-separated table in ``entity``'s schema."""
    return _read(path, entity, "\t")
