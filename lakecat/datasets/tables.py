"""Table I/O for datasets: Delta (deltalake) and Parquet snapshots, read and queried in
place with DuckDB (offline extensions from the pinned wheels)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from catalog_sql.errors import ValidationError
from catalog_sql.scans import create_view_sql, scan, select_all, with_self


# -- storage options ---------------------------------------------------------------------
def delta_options(url: str, options: dict) -> dict[str, str] | None:
    """deltalake storage options for an ``s3://`` URL (None for local paths)."""
    if not url.startswith("s3://"):
        return None
    from ..files.s3 import S3Options

    return S3Options.resolve(options).deltalake()


def _fs(url: str, options: dict):
    import fsspec

    protocol = url.split("://")[0] if "://" in url else "file"
    return fsspec.filesystem(protocol, **(options if protocol != "file" else {}))


# -- one Delta log read per write turn -------------------------------------------------------
#: url → the DeltaTable at its head, while a write turn shares one (see :func:`one_head`)
_HEADS: ContextVar[dict[str, Any] | None] = ContextVar("lakecat_delta_heads", default=None)


@contextmanager
def one_head() -> Iterator[None]:
    """Within the block, a Delta table's head is read from its log once: checking for
    unregistered versions, reading the schema of the registered one and writing the next
    all use that handle, which the write brings up to date (each log read costs ~2.5 ms;
    an append read it four times). Use it inside the dataset's write turn only, where no
    other lakecat writer can move the head."""
    token = _HEADS.set({})
    try:
        yield
    finally:
        _HEADS.reset(token)


def _shared_head(url: str):
    """The handle :func:`one_head` keeps for ``url``, if one was opened in the block."""
    heads = _HEADS.get()
    return heads.get(url) if heads is not None else None


def _delta_head(url: str, options: dict):
    """The DeltaTable at ``url``'s head: the block's shared handle inside :func:`one_head`."""
    from deltalake import DeltaTable

    table = _shared_head(url)
    if table is None:
        table = DeltaTable(url, storage_options=delta_options(url, options))
        heads = _HEADS.get()
        if heads is not None:
            heads[url] = table
    return table


def _forget_head(url: str) -> None:
    heads = _HEADS.get()
    if heads is not None:
        heads.pop(url, None)


# -- writing -----------------------------------------------------------------------------
def write(url: str, table, fmt: str, *, version: int, mode: str, options: dict,
          schema_mode: str | None = None) -> int:  # fmt: skip
    """Write ``table`` as the next version; returns the version written."""
    if fmt == "delta":
        from deltalake import write_deltalake

        if version > 0 and _HEADS.get() is not None:  # the shared handle, which the write
            head = _delta_head(url, options)  # brings up to date
            write_deltalake(head, table, mode=mode, schema_mode=schema_mode)
            return head.version()
        storage = delta_options(url, options)
        write_deltalake(url, table, mode=mode, schema_mode=schema_mode, storage_options=storage)
        return _delta_head(url, options).version()
    return _write_parquet_snapshot(url, table, version, mode, schema_mode, options)


def _write_parquet_snapshot(url, table, version, mode, schema_mode, options) -> int:
    import pyarrow as pa
    import pyarrow.parquet as pq

    fs = _fs(url, options)
    target = f"{url}/v{version}"
    if fs.exists(target):
        raise ValidationError(f"Snapshot {target} exists already; versions are immutable.")
    if mode == "append" and version > 0:
        previous = read(f"{url}/v{version - 1}", "parquet", version - 1, options)
        if schema_mode == "merge":
            table = pa.concat_tables([previous, table], promote_options="permissive")
        else:  # checked compatible: align string/large_string, timestamp units, order
            table = table.select(previous.schema.names).cast(previous.schema)
            table = pa.concat_tables([previous, table])
    fs.makedirs(target, exist_ok=True)
    with fs.open(f"{target}/part-0.parquet", "wb") as fh:
        pq.write_table(table, fh)
    return version


def remove(url: str, options: dict) -> None:
    """Remove a whole table (after a failed first write)."""
    fs = _fs(url, options)
    if fs.exists(url):
        fs.rm(url, recursive=True)


def undo_write(url: str, fmt: str, written: int, previous: int, options: dict) -> None:
    """The catalog refused a new version: make the table read as ``previous`` again.

    Parquet snapshots are removed; Delta cannot drop a commit, so it gets a RESTORE commit
    back to ``previous`` (readers of the table's head then see the registered data).
    """
    if fmt == "parquet":
        remove_version(url, written, options)
        return
    from deltalake import DeltaTable

    _forget_head(url)
    DeltaTable(url, storage_options=delta_options(url, options)).restore(previous)


def head_version(url: str, fmt: str, options: dict) -> int | None:
    """The newest version written to the table (registered or not), or None."""
    if fmt == "delta":
        return _delta_head(url, options).version()
    fs = _fs(url, options)
    if not fs.exists(url):
        return None
    names = [entry.rstrip("/").rsplit("/", 1)[-1] for entry in fs.ls(url, detail=False)]
    numbers = [int(n[1:]) for n in names if n.startswith("v") and n[1:].isdigit()]
    return max(numbers, default=None)


def unregistered_versions(url: str, fmt: str, registered: int, options: dict) -> range:
    """The table versions after ``registered`` that no catalog row owns and that change
    what the table's head reads (empty when the table is clean).

    A Delta head that is a RESTORE back to ``registered`` (how lakecat undoes a write)
    reads as the registered version: those commits are not counted.
    """
    head = head_version(url, fmt, options)
    if head is None or head <= registered:
        return range(0)
    if fmt == "delta" and _restored_to(url, options) == registered:
        return range(0)
    return range(registered + 1, head + 1)


def _restored_to(url: str, options: dict) -> int | None:
    """The version the newest Delta commit restored, if it is a RESTORE."""
    (last,) = _delta_head(url, options).history(1)
    if last.get("operation") != "RESTORE":
        return None
    version = str((last.get("operationParameters") or {}).get("version", ""))
    return int(version) if version.isdigit() else None


def discard_unregistered(url: str, fmt: str, registered: int, options: dict) -> int:
    """Make the table read as its newest *registered* version again after a writer died
    between writing a version and registering it; returns how many versions it found.

    Delta: one RESTORE commit back to ``registered``; Parquet: the snapshots after it
    (lakecat wrote them, no catalog row points at them) are removed.
    """
    found = unregistered_versions(url, fmt, registered, options)
    if not found:
        return 0
    head = found[-1]
    if fmt == "parquet":
        for version in range(registered + 1, head + 1):
            remove_version(url, version, options)
    else:
        undo_write(url, fmt, head, registered, options)
    return head - registered


def remove_version(url: str, version: int, options: dict) -> None:
    """Remove one Parquet snapshot (after a failed catalog write)."""
    remove(f"{url}/v{version}", options)


# -- reading -----------------------------------------------------------------------------
def location(url: str, fmt: str, version: int) -> str:
    """What readers open: the Delta table, or the Parquet snapshot folder."""
    return url if fmt == "delta" else f"{url}/v{version}"


def row_count(where: Any, kind: str, version: int, options: dict) -> int:
    """How many rows a version has, from metadata (Delta add actions, Parquet footers)
    without reading the data."""
    if kind == "delta":
        from deltalake import DeltaTable

        table = DeltaTable(where, version=version, storage_options=delta_options(where, options))
        actions = table.get_add_actions(flatten=True)
        return int(sum(actions.column("num_records").to_pylist()))
    import pyarrow.dataset as ds

    first = where[0] if isinstance(where, list) else where
    if "://" not in first:
        return ds.dataset(where, format="parquet").count_rows()
    return _read_remote_parquet(where, options).num_rows


def read(where: Any, kind: str, version: int, options: dict):
    """The table as a pyarrow Table."""
    if kind == "delta":
        from deltalake import DeltaTable

        table = DeltaTable(where, version=version, storage_options=delta_options(where, options))
        return table.to_pyarrow_table()
    import pyarrow.dataset as ds

    first = where[0] if isinstance(where, list) else where
    if "://" not in first:
        return ds.dataset(where, format="parquet").to_table()
    return _read_remote_parquet(where, options)


def _read_remote_parquet(where: Any, options: dict):
    """Read remote parquet file by file through fsspec, in this thread.

    (Handing an fsspec filesystem to pyarrow's threaded dataset reader can wedge fsspec's
    event loop; reading sequentially cannot.)
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    first = where[0] if isinstance(where, list) else where
    fs = _fs(first, options)
    if isinstance(where, list):
        paths = list(where)
    else:
        paths = sorted(p for p in fs.find(where) if p.endswith(".parquet"))
    tables = []
    for path in paths:
        with fs.open(path, "rb") as fh:
            tables.append(pq.read_table(fh))
    return pa.concat_tables(tables) if len(tables) > 1 else tables[0]


def schema(url: str, fmt: str, version: int, options: dict):
    """The pyarrow schema of a version."""
    if fmt == "delta":
        import pyarrow as pa
        from deltalake import DeltaTable

        head = _shared_head(url)
        if head is not None and head.version() == version:  # read in this write turn
            return pa.schema(head.schema().to_arrow())
        table = DeltaTable(url, version=version, storage_options=delta_options(url, options))
        return pa.schema(table.schema().to_arrow())
    return read(location(url, fmt, version), fmt, version, options).schema


def count(url: str, fmt: str, version: int, options: dict) -> int:
    """Rows in a version (from Delta's metadata when possible)."""
    if fmt == "delta":
        from deltalake import DeltaTable

        table = DeltaTable(url, version=version, storage_options=delta_options(url, options))
        return int(table.count())
    return read(location(url, fmt, version), fmt, version, options).num_rows


# -- DuckDB --------------------------------------------------------------------------------
_CONNECTIONS: dict[tuple, Any] = {}
MAX_CONNECTIONS = 32


def connection(where: Any, kind: str, options: dict):
    """An in-memory DuckDB connection that can read ``where`` and nothing else.

    ``Dataset.query`` runs user SQL here, so the connection is locked down: external access
    is off except for the dataset's own folder (or files), and the configuration is locked
    (no ``SET``, ``ATTACH``, ``INSTALL``; no ``read_text('/etc/passwd')``, no other catalog).
    Connections are kept per dataset location for the process: loading the extensions
    costs ~0.1 s, a query over a small table a few milliseconds.
    """
    import duckdb

    from catalog_sql.extensions import NO_DOWNLOADS, load_extension

    paths = tuple(where) if isinstance(where, list) else (where,)
    remote = "://" in paths[0]
    key = (kind, paths, repr(sorted(options.items())) if remote else "")
    con = _CONNECTIONS.get(key)
    if con is None:
        if len(_CONNECTIONS) >= MAX_CONNECTIONS:
            _CONNECTIONS.pop(next(iter(_CONNECTIONS))).close()
        con = duckdb.connect(config=dict(NO_DOWNLOADS))
        if kind == "delta":
            load_extension(con, "delta")
        if remote:
            load_extension(con, "httpfs")
            _s3_secret(con, options)
        _lock_down(con, paths, kind)
        _CONNECTIONS[key] = con
    return con


def _lock_down(con, paths: tuple[str, ...], kind: str) -> None:
    """Only ``paths`` (folders for tables, files for a dataset of files) stay readable."""
    from catalog_sql.literals import render_literal

    def listed(items) -> str:
        return "[" + ", ".join(render_literal(i, "duckdb") for i in items) + "]"

    if kind == "files":
        con.execute(f"SET allowed_paths = {listed(paths)}")
    else:
        con.execute(f"SET allowed_directories = {listed(p.rstrip('/') + '/' for p in paths)}")
    con.execute("SET enable_external_access = false")
    con.execute("SET lock_configuration = true")


def _s3_secret(con, options: dict) -> None:
    from ..files.s3 import S3Options

    con.execute(S3Options.resolve(options).duckdb_secret())


def check_select(sql: str) -> None:
    """Refuse anything but one read-only SELECT (DuckDB's own parser decides).

    Examples:
        >>> check_select("WITH a AS (SELECT 1) SELECT * FROM a")
        >>> check_select("SELECT 1; DROP TABLE ulabel")
        Traceback (most recent call last):
        ...
        lakecat.errors.ReadOnlyQueryError: query() runs one read-only SELECT over the dataset (named `self`); got SELECT, DROP. Use lakecat sql for catalog statements.
    """  # noqa: E501
    import duckdb

    from catalog_sql.mesh import is_unicode

    from ..errors import ReadOnlyQueryError

    if not isinstance(sql, str):
        raise ReadOnlyQueryError(f"query() takes SQL text, got {type(sql).__name__}.")
    if not is_unicode(sql):
        raise ReadOnlyQueryError("query() takes SQL text in valid Unicode (it has a lone "
                                 "surrogate character).")  # fmt: skip
    try:
        kinds = [st.type.name for st in duckdb.extract_statements(sql)]
    except duckdb.Error as err:
        raise ReadOnlyQueryError(f"Cannot parse the query: {' '.join(str(err).split())}") from None
    if kinds != ["SELECT"]:
        raise ReadOnlyQueryError(
            "query() runs one read-only SELECT over the dataset (named `self`); "
            f"got {', '.join(kinds) or 'nothing'}. Use lakecat sql for catalog statements."
        )


def query(sql: str, where: Any, kind: str, version: int, options: dict):
    """Run a SELECT with the dataset bound to the name ``self``; returns pandas."""
    import duckdb

    from ..errors import ReadOnlyQueryError

    con = _cursor(connection(where, kind, options))
    try:
        result = con.execute(with_self(sql, scan(where, kind, version))).to_arrow_table()
    except duckdb.Error as err:
        raise ReadOnlyQueryError(f"The query failed: {' '.join(str(err).split())}") from None
    return result.to_pandas()


_LOCAL = threading.local()


def _cursor(con):
    """One cursor per thread and connection (a DuckDB connection is not thread-safe)."""
    cursors = _LOCAL.__dict__.setdefault("cursors", {})
    cursor = cursors.get(id(con))
    if cursor is None:
        cursor = cursors[id(con)] = con.cursor()
    return cursor


def relation(where: Any, kind: str, version: int, options: dict):
    """A lazy DuckDB relation over the dataset version."""
    con = connection(where, kind, options)
    return con.sql(select_all(scan(where, kind, version)))


def create_view(backend, name: str, where: Any, kind: str, version: int | None = None) -> None:
    """``CREATE OR REPLACE VIEW name`` in the catalog, reading ``version`` (Delta) or the
    snapshot ``where`` (Parquet)."""
    from catalog_sql.extensions import load_extension

    def create(con) -> None:
        if kind == "delta":
            load_extension(con, "delta")
        con.execute(create_view_sql(name, scan(where, kind, version)))

    backend.write(create)  # in a transaction: views of two processes take turns
