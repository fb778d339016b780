"""Dataset benchmarks: lakecat vs DuckDB / deltalake alone on the same Delta table, one run.

Run by hand:  python benchmarks/bench_datasets.py [--rows 1000000]
Writes its section of benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import tempfile
import time
from pathlib import Path

from bench_core import write_section
from results import target

QUERY = "SELECT cell_type, avg(n_genes) AS g, count(*) AS n FROM {t} GROUP BY 1 ORDER BY 1"


def frame(rows: int, seed: int):
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    kinds = np.array(["T cell", "B cell", "NK cell", "monocyte", "DC"])
    return pd.DataFrame({
        "cell_type": kinds[rng.integers(0, len(kinds), rows)],
        "n_genes": rng.integers(200, 5000, rows),
        "pct_mito": rng.random(rows),
    })  # fmt: skip


def interleaved(a, b, repeat: int = 7) -> tuple[float, float]:
    """Best times of two callables run alternately (same machine state for both)."""
    ta, tb = [], []
    for i in range(repeat):
        for fn, sink in ((a, ta), (b, tb)) if i % 2 else ((b, tb), (a, ta)):
            start = time.perf_counter()
            fn()
            sink.append(time.perf_counter() - start)
    return min(ta), min(tb)


def query_only(rows: int) -> str:
    """The query row at a second, larger size."""
    import duckdb

    import lakecat as lc
    from catalog_sql.extensions import load_extension

    work = Path(tempfile.mkdtemp(prefix="lakecat-ds-big-"))
    try:
        lc.init(storage=str(work / "store"))
        ds = lc.Dataset(frame(rows, 0), name="cells").save()
        raw = duckdb.connect()
        load_extension(raw, "delta")
        pinned_sql = QUERY.format(t=f"delta_scan('{ds.path}', version => 0)")
        ds.query(QUERY.format(t="self"))
        raw.execute(pinned_sql).to_arrow_table()
        t_query, t_pinned = interleaved(
            lambda: ds.query(QUERY.format(t="self")),
            lambda: raw.execute(pinned_sql).to_arrow_table().to_pandas(),
            repeat=15,
        )
    finally:
        lc.disconnect()
        shutil.rmtree(work, ignore_errors=True)
    return (
        f"| `ds.query(group-by)`, {rows:,} rows | {t_query * 1e3:.1f} ms | DuckDB, same pinned "
        f"delta_scan {t_pinned * 1e3:.1f} ms | {t_query / t_pinned:.2f}× | "
        f"{target(t_query / t_pinned, 1.05, '≤ 1.05×')} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--big-rows", type=int, default=0, help="also time query() here")
    args = parser.parse_args()
    os.environ.setdefault("LAKECAT_HOME", tempfile.mkdtemp())
    logging.getLogger("lakecat").setLevel(logging.ERROR)
    import duckdb
    from deltalake import DeltaTable, write_deltalake

    import lakecat as lc
    from catalog_sql.extensions import load_extension

    work = Path(tempfile.mkdtemp(prefix="lakecat-ds-"))
    try:
        lc.init(storage=str(work / "store"))
        ds = lc.Dataset(frame(args.rows, 0), name="cells").save()
        path = ds.path
        raw = duckdb.connect()
        load_extension(raw, "delta")
        raw_sql = QUERY.format(t=f"delta_scan('{path}')")
        pinned_sql = QUERY.format(t=f"delta_scan('{path}', version => 0)")
        ds.query(QUERY.format(t="self"))  # warm-up all three
        raw.execute(raw_sql).to_arrow_table()
        raw.execute(pinned_sql).to_arrow_table()
        t_query, t_raw_query = interleaved(
            lambda: ds.query(QUERY.format(t="self")),
            lambda: raw.execute(raw_sql).to_arrow_table().to_pandas(),
            repeat=31,
        )
        _, t_pinned = interleaved(
            lambda: ds.query(QUERY.format(t="self")),
            lambda: raw.execute(pinned_sql).to_arrow_table().to_pandas(),
            repeat=31,
        )
        batches = [frame(args.rows, seed) for seed in range(1, 9)]
        raw_path = str(work / "raw-delta")
        write_deltalake(raw_path, frame(args.rows, 0))
        os.sync()
        it = iter(batches)
        t_append, t_raw_append = interleaved(
            lambda: ds.append(next(it)),
            lambda: write_deltalake(raw_path, batches[0], mode="append"),
            repeat=4,
        )
        t_load, t_raw_load = interleaved(
            lambda: ds.load(version=1),
            lambda: DeltaTable(path, version=1).to_pandas(),
        )
    finally:
        lc.disconnect()
        shutil.rmtree(work, ignore_errors=True)
    rows = f"{args.rows:,}"
    lines = [
        f"| `ds.query(group-by)`, {rows} rows | {t_query * 1e3:.1f} ms | "
        f"DuckDB delta_scan {t_raw_query * 1e3:.1f} ms; with the version pinned as lakecat "
        f"does {t_pinned * 1e3:.1f} ms | {t_query / t_raw_query:.2f}× "
        f"({t_query / t_pinned:.2f}× of pinned) | "
        f"{target(t_query / t_raw_query, 1.05, '≤ 1.05×')} |",
        f"| `ds.append`, {rows} rows | {t_append * 1e3:.0f} ms | write_deltalake "
        f"{t_raw_append * 1e3:.0f} ms | {t_append / t_raw_append:.2f}× | "
        f"{target(t_append / t_raw_append, 1.2, '≤ 1.2×')} |",
        f"| `ds.load(version=1)`, {rows}+ rows | {t_load * 1e3:.0f} ms | DeltaTable(version=1)"
        f".to_pandas() {t_raw_load * 1e3:.0f} ms | {t_load / t_raw_load:.2f}× | "
        f"{target(t_load / t_raw_load, 1.1, '≤ 1.1×')} |",
    ]
    if args.big_rows:
        lines.insert(1, query_only(args.big_rows))
    write_section("Datasets (`benchmarks/bench_datasets.py`)", lines)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
