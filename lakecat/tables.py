"""Table I/O for datasets: Delta (deltalake) and Parquet snapshots, read and queried in
place with DuckDB (offline extensions from the pinned wheels)."""

from __future__ import annotations

import os
import threading
from typing import Any

from catalog_sql.errors import ValidationError


# -- storage options ---------------------------------------------------------------------
def _endpoint(options: dict) -> str | None:
    return options.get("endpoint_url") or os.environ.get("AWS_ENDPOINT_URL")


def delta_options(url: str, options: dict) -> dict[str, str] | None:
    """deltalake storage options for an ``s3://`` URL (None for local paths)."""
    if not url.startswith("s3://"):
        return None
    out = {
        "AWS_ACCESS_KEY_ID": options.get("key") or os.environ.get("AWS_ACCESS_KEY_ID", ""),
        "AWS_SECRET_ACCESS_KEY": options.get("secret")
        or os.environ.get("AWS_SECRET_ACCESS_KEY", ""),
        "AWS_REGION": os.environ.get("AWS_DEFAULT_REGION", "us-east-1"),
        "AWS_S3_ALLOW_UNSAFE_RENAME": "true",
    }
    endpoint = _endpoint(options)
    if endpoint:
        out["AWS_ENDPOINT_URL"] = endpoint
        out["AWS_ALLOW_HTTP"] = "true" if endpoint.startswith("http://") else "false"
    return out


def _fs(url: str, options: dict):
    import fsspec

    protocol = url.split("://")[0] if "://" in url else "file"
    return fsspec.filesystem(protocol, **(options if protocol != "file" else {}))


# -- writing -----------------------------------------------------------------------------
def write(url: str, table, fmt: str, *, version: int, mode: str, options: dict,
          schema_mode: str | None = None) -> int:  # fmt: skip
    """Write ``table`` as the next version; returns the version written."""
    if fmt == "delta":
        from deltalake import DeltaTable, write_deltalake

        storage = delta_options(url, options)
        write_deltalake(url, table, mode=mode, schema_mode=schema_mode, storage_options=storage)
        return DeltaTable(url, storage_options=storage).version()
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

    DeltaTable(url, storage_options=delta_options(url, options)).restore(previous)


def remove_version(url: str, version: int, options: dict) -> None:
    """Remove one Parquet snapshot (after a failed catalog write)."""
    remove(f"{url}/v{version}", options)


# -- reading -----------------------------------------------------------------------------
def location(url: str, fmt: str, version: int) -> str:
    """What readers open: the Delta table, or the Parquet snapshot folder."""
    return url if fmt == "delta" else f"{url}/v{version}"


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
def scan(where: Any, kind: str, version: int | None = None) -> str:
    """The DuckDB table expression reading a dataset version in place.

    Examples:
        >>> scan("/data/t", "delta", 2)
        "delta_scan('/data/t', version => 2)"
        >>> scan(["/a.parquet", "/b.parquet"], "files")
        "read_parquet(['/a.parquet', '/b.parquet'])"
    """
    from catalog_sql.literals import render_literal

    def lit(text: str) -> str:
        return render_literal(text, "duckdb")

    if kind == "delta":
        return (
            f"delta_scan({lit(where)}"
            + ("" if version is None else f", version => {int(version)}")
            + ")"
        )
    if kind == "files":
        return f"read_parquet([{', '.join(lit(p) for p in where)}])"
    return f"read_parquet({lit(where.rstrip('/') + '/*.parquet')})"


_CONNECTIONS: dict[tuple, Any] = {}


def connection(where: Any, kind: str, options: dict):
    """An in-memory DuckDB connection able to read ``where`` (delta / httpfs loaded).

    Connections are kept per (needs delta, remote, options) for the process: loading the
    extensions costs ~0.1 s, a query over a small table a few milliseconds.
    """
    import duckdb

    from catalog_sql.extensions import NO_DOWNLOADS, load_extension

    first = where[0] if isinstance(where, list) else where
    remote = "://" in first
    key = (kind == "delta", remote, repr(sorted(options.items())) if remote else "")
    con = _CONNECTIONS.get(key)
    if con is None:
        con = duckdb.connect(config=dict(NO_DOWNLOADS))
        if kind == "delta":
            load_extension(con, "delta")
        if remote:
            load_extension(con, "httpfs")
            _s3_secret(con, options)
        _CONNECTIONS[key] = con
    return con


def _s3_secret(con, options: dict) -> None:
    from sqlglot import exp

    def lit(value: str) -> str:
        return exp.Literal.string(value).sql("duckdb")

    key = options.get("key") or os.environ.get("AWS_ACCESS_KEY_ID", "")
    secret = options.get("secret") or os.environ.get("AWS_SECRET_ACCESS_KEY", "")
    parts = [f"KEY_ID {lit(key)}", f"SECRET {lit(secret)}",
             f"REGION {lit(os.environ.get('AWS_DEFAULT_REGION', 'us-east-1'))}"]  # fmt: skip
    endpoint = _endpoint(options)
    if endpoint:
        host = endpoint.split("://", 1)[-1].rstrip("/")
        parts += [f"ENDPOINT {lit(host)}", "URL_STYLE 'path'",
                  f"USE_SSL {'true' if endpoint.startswith('https') else 'false'}"]  # fmt: skip
    con.execute(f"CREATE OR REPLACE SECRET lakecat_s3 (TYPE s3, {', '.join(parts)})")


def check_select(sql: str) -> None:
    """Refuse anything but one read-only SELECT (DuckDB's own parser decides).

    Examples:
        >>> check_select("WITH a AS (SELECT 1) SELECT * FROM a")
        >>> check_select("SELECT 1; DROP TABLE ulabel")
        Traceback (most recent call last):
        ...
        lakecat.datasets.ReadOnlyQueryError: query() runs one read-only SELECT over the dataset (named `self`); got SELECT, DROP. Use lakecat sql for catalog statements.
    """  # noqa: E501
    import duckdb

    from .datasets import ReadOnlyQueryError

    if not isinstance(sql, str):
        raise ReadOnlyQueryError(f"query() takes SQL text, got {type(sql).__name__}.")
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

    from .datasets import ReadOnlyQueryError

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


def with_self(sql: str, source: str) -> str:
    """Bind the name ``self`` to ``source``; the user's statement becomes a subquery.

    A CTE costs nothing at run time (a view made per call would read the Delta log twice);
    wrapping keeps the user's own comments, CTEs and even a CTE named ``self`` valid.

    Examples:
        >>> print(with_self("SELECT count(*) FROM self;", "t"))
        WITH self AS (SELECT * FROM t) SELECT * FROM (SELECT count(*) FROM self
        ) AS q
    """
    body = sql.strip().rstrip(";").rstrip()
    return f"WITH self AS (SELECT * FROM {source}) SELECT * FROM ({body}\n) AS q"


def relation(where: Any, kind: str, version: int, options: dict):
    """A lazy DuckDB relation over the dataset version."""
    con = connection(where, kind, options)
    return con.sql(f"SELECT * FROM {scan(where, kind, version)}")


def create_view(backend, name: str, where: Any, kind: str) -> None:
    """``CREATE OR REPLACE VIEW name`` in the catalog, reading the latest version."""
    from catalog_sql.extensions import load_extension

    with backend.session() as con:
        if kind == "delta":
            load_extension(con, "delta")
        con.execute(f'CREATE OR REPLACE VIEW "{name}" AS SELECT * FROM {scan(where, kind)}')
