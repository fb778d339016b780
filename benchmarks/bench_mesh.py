"""A query across two instances: the join of their ``file`` tables on ``hash``.

Two embedded instances get ``--rows`` File rows each (half the hashes shared), written
straight into their catalogs (the workload is the query, not the saves). lakecat runs
the join through ``lc.attach`` (catalogs attached once, several statements) and through a
one-shot ``lc.sql`` (attaching included); the reference is plain DuckDB with the same
two catalog files attached read-only, in the same run. With ``--pg URL`` the second
instance is on Postgres and the reference attaches that schema the same way.

Run by hand:  python benchmarks/bench_mesh.py [--rows 100000] [--pg URL]
Writes its section of benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import tempfile
import time
from pathlib import Path

from bench_core import write_section
from results import target

JOIN = (
    "SELECT count(*) AS n, sum(a.size + b.size) AS s FROM {a}.file a "
    "JOIN {b}.file b USING (hash) WHERE a.key LIKE 'k%'"
)


def fill(con, table: str, rows: int, offset: int) -> None:
    """``rows`` File rows; hashes ``offset..offset+rows`` (so two fills overlap)."""
    con.execute(
        f"INSERT INTO {table} (uid, key, suffix, size, hash, hash_type, version, is_latest, "
        f"created_at) SELECT 'u' || lpad(i::VARCHAR, 18, '0'), 'k' || i || '.parquet', "
        f"'.parquet', i, md5((i + {offset})::VARCHAR), 'md5', '1', true, now() "
        f"FROM range({rows}) t(i)"
    )


def median_ms(fn, repeat: int) -> float:
    fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1e3


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--pg", default="")
    args = parser.parse_args()
    import duckdb

    logging.getLogger("lakecat").setLevel(logging.ERROR)
    work = Path(tempfile.mkdtemp(prefix="lakecat-mesh-"))
    os.environ.setdefault("LAKECAT_HOME", str(work / "home"))
    import lakecat as lc
    from catalog_sql.extensions import NO_DOWNLOADS, load_extension

    lab_b = lc.init(storage=str(work / "lab_b"), db=args.pg or None,
                    name=f"bench_b_{os.getpid()}")  # fmt: skip
    b_name = lab_b.name
    lc.disconnect()
    lab_a = lc.init(storage=str(work / "lab_a"), name="bench_a")
    lc.disconnect()
    with duckdb.connect(str(lab_a.path / "catalog.duckdb")) as con:
        fill(con, "file", args.rows, 0)
    if args.pg:
        pg = duckdb.connect(config=dict(NO_DOWNLOADS))
        load_extension(pg, "postgres")
        pg.execute(f"ATTACH '{args.pg}' AS pg (TYPE postgres)")
        fill(pg, f'pg."{b_name}".file', args.rows, args.rows // 2)
        pg.close()
    else:
        with duckdb.connect(str(lab_b.path / "catalog.duckdb")) as con:
            fill(con, "file", args.rows, args.rows // 2)

    raw = duckdb.connect(config=dict(NO_DOWNLOADS))
    raw.execute(f"ATTACH '{lab_a.path / 'catalog.duckdb'}' AS bench_a (READ_ONLY)")
    if args.pg:
        load_extension(raw, "postgres")
        raw.execute(f"ATTACH '{args.pg}' AS raw_pg (TYPE postgres, READ_ONLY, SCHEMA '{b_name}')")
        other = f'raw_pg."{b_name}"'
    else:
        raw.execute(f"ATTACH '{lab_b.path / 'catalog.duckdb'}' AS \"{b_name}\" (READ_ONLY)")
        other = f'"{b_name}"'
    raw_sql = JOIN.format(a="bench_a", b=other)
    expected = raw.execute(raw_sql).fetchall()
    t_raw = median_ms(lambda: raw.execute(raw_sql).to_arrow_table(), args.repeat)
    raw.close()

    lc.connect(str(work / "lab_a"))
    statement = JOIN.format(a="bench_a", b=f'"{b_name}"')
    with lc.attach(b_name) as mesh:
        assert mesh.sql(statement).to_pylist() == [{"n": expected[0][0], "s": expected[0][1]}]
        t_mesh = median_ms(lambda: mesh.sql(statement), args.repeat)
    t_once = median_ms(lambda: lc.sql(statement), max(args.repeat // 3, 3))
    where = "Postgres" if args.pg else "embedded"
    lines = [
        f"| join of two instances' `file` tables ({args.rows:,} rows each, {where} second), "
        f"`lc.attach` | {t_mesh:.1f} ms | DuckDB with both catalogs attached {t_raw:.1f} ms | "
        f"{t_mesh / t_raw:.2f}x | {target(t_mesh / t_raw, 1.5, '≤ 1.5x')} |",
        f"| the same as one `lc.sql(...)` call (attaching included) | {t_once:.1f} ms | | "
        f"{t_once / t_raw:.2f}x | |",
    ]
    title = "Mesh: SQL across instances (`benchmarks/bench_mesh.py`)"
    if args.pg:
        title = "Mesh on Postgres: SQL across instances (`benchmarks/bench_mesh.py --pg`)"
    write_section(title, lines)
    print("\n".join(lines))
    lc.disconnect()
    if args.pg:
        from catalog_sql.backends import PostgresBackend

        PostgresBackend(args.pg).native(f'DROP SCHEMA IF EXISTS "{b_name}" CASCADE')


if __name__ == "__main__":
    main()
