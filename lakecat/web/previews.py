"""A look inside a File without loading it: the first rows of a table, an AnnData's shape
with its obs / var columns and first rows. Formats without one say so."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..errors import LakecatError
from .format import Cell, frame_rows

logger = logging.getLogger("lakecat")
ROWS = 10


@dataclass
class Preview:
    """What the File page shows under "Preview"."""

    kind: str = "none"
    note: str = ""
    facts: dict[str, str] = field(default_factory=dict)
    tables: list[tuple[str, list[str], list[list[Cell]]]] = field(default_factory=list)


def preview(file: Any) -> Preview:
    """The preview of ``file`` (never raises: a failure becomes the note)."""
    maker = _MAKERS.get(file.accessor or "")
    if maker is None:
        what = file.suffix or "suffix-less"
        return Preview(note=f"No preview for {what} files; download the blob to look inside.")
    try:
        return maker(file)
    except LakecatError as err:
        return Preview(note=f"No preview: {err}")
    except Exception as err:  # noqa: BLE001 - a preview is optional; say why it is missing
        logger.warning("preview of File %s failed: %s", file.uid, err)
        return Preview(note=f"No preview: {type(err).__name__}: {err}")


def _table(file: Any) -> Preview:
    """Parquet / CSV: schema, row count and first rows, read through a pyarrow dataset."""
    dataset = file.backed()
    frame = dataset.head(ROWS).to_pandas()
    if frame.index.name is not None or not _is_default_index(frame.index):
        frame = frame.reset_index()  # a DataFrame's own index (cell ids) is worth seeing
    columns, rows = frame_rows(frame)
    facts = {"columns": str(len(dataset.schema))}
    if (file.suffix or "") == ".parquet":  # from the footers; a CSV would be read whole
        facts["rows"] = f"{dataset.count_rows():,}"
    schema = [[Cell(f.name), Cell(str(f.type))] for f in dataset.schema]
    tables = [(f"first {len(rows)} rows", columns, rows), ("schema", ["column", "type"], schema)]
    return Preview("table", facts=facts, tables=tables)


def _is_default_index(index: Any) -> bool:
    """Whether ``index`` is 0, 1, 2, … (pandas' default, not worth a column)."""
    import pandas as pd

    return isinstance(index, pd.RangeIndex) and index.start == 0 and index.step == 1


def _anndata(file: Any) -> Preview:
    """h5ad: opened backed (X stays on disk): shape, obs and var columns and first rows."""
    if (file.suffix or "") != ".h5ad":
        return _anndata_zarr(file)
    adata = file.backed()
    try:
        return _anndata_preview(adata.n_obs, adata.n_vars, adata.obs, adata.var)
    finally:
        handle = getattr(adata, "file", None)
        if handle is not None:
            handle.close()


def _anndata_zarr(file: Any) -> Preview:
    """zarr AnnData: only obs and var are read from the store."""
    from anndata.io import read_elem

    group = file.backed()
    obs, var = read_elem(group["obs"]), read_elem(group["var"])
    return _anndata_preview(len(obs), len(var), obs, var)


def _anndata_preview(n_obs: int, n_vars: int, obs: Any, var: Any) -> Preview:
    facts = {
        "shape": f"{n_obs:,} obs × {n_vars:,} vars",
        "obs columns": ", ".join(map(str, obs.columns)) or "(none)",
        "var columns": ", ".join(map(str, var.columns)) or "(none)",
    }
    tables = []
    for name, frame in (("obs", obs), ("var", var)):
        shown = frame.head(ROWS).reset_index(names=f"{name}_names")
        tables.append((f"{name}, first rows", *frame_rows(shown)))
    return Preview("anndata", facts=facts, tables=tables)


_MAKERS: dict[str, Callable[[Any], Preview]] = {
    "DataFrame": _table,
    "Table": _table,
    "AnnData": _anndata,
}
