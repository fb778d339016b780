"""Curation benchmarks: validate / inspect / standardize 10k values against a 100k-row
registry, importing UBERON, CL's public table in a fresh process; lakecat vs raw DuckDB.

Run by hand:  python benchmarks/bench_bio.py [--rows 100000] [--values 10000]
Writes the "Curation" section of benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from results import machine_line, replace_section, target

SECTION = "## Curation (`benchmarks/bench_bio.py`)"


def median_ms(fn, repeat: int = 7) -> float:
    """Median milliseconds of ``repeat`` calls (after one warm-up call)."""
    fn()
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return 1000 * statistics.median(samples)


def registry(rows: int):
    """An embedded instance with ``rows`` CellType records, each with two synonyms."""
    import lakecat as lc

    lc.settings.verbosity = "error"
    root = Path(tempfile.mkdtemp(prefix="lakecat-bench-bio-")) / "inst"
    instance = lc.init(storage=str(root), modules=["bio"])
    import lakecat.bio as bt

    lc.save([bt.CellType(name=f"cell type {i}", synonyms=f"ct{i}|kind {i}") for i in range(rows)])
    return instance, bt


def value_mix(rows: int, n: int) -> list[str]:
    """Half names, a fifth synonyms, a tenth case variants, a fifth unknown."""
    rng = random.Random(7)
    pick = lambda: rng.randrange(rows)  # noqa: E731
    values = [f"cell type {pick()}" for _ in range(n // 2)]
    values += [f"ct{pick()}" for _ in range(n // 5)]
    values += [f"Cell Type {pick()}" for _ in range(n // 10)]
    values += [f"unknown {i}" for i in range(n - len(values))]
    rng.shuffle(values)
    return values


def raw_validate_ms(instance, values: list[str]) -> float:
    """The same membership test in raw DuckDB on the same file and connection."""
    import pyarrow as pa

    backend = instance.backend
    batch = pa.table({"v": pa.array(sorted(set(values)))})
    sql = "SELECT v FROM batch WHERE v IN (SELECT name FROM cell_type)"

    def run():
        with backend.session() as con:
            con.register("batch", batch)
            con.execute(sql).fetchall()
            con.unregister("batch")

    return median_ms(run)


def fresh_process_public_s() -> float:
    """``bt.CellType.public()`` in a new process (sources cached), median of 3."""
    code = (
        "import time, lakecat.bio.sources as s; t = time.perf_counter(); "
        "s.load(s.get('CellType')); print(time.perf_counter() - t)"
    )
    times = []
    for _ in range(3):
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
        times.append(float(out.stdout.strip().splitlines()[-1]))
    return statistics.median(times)


def uberon_import_s() -> tuple[float, int]:
    import lakecat as lc

    lc.init(storage=str(Path(tempfile.mkdtemp()) / "uberon"), modules=["bio"])
    import lakecat.bio as bt

    bt.Tissue.public()  # the source is loaded (cached) before timing the import itself
    start = time.perf_counter()
    source = bt.Tissue.import_source()
    return time.perf_counter() - start, source.n_terms


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--values", type=int, default=10_000)
    args = parser.parse_args()
    instance, bt = registry(args.rows)
    values = value_mix(args.rows, args.values)
    timings = {
        "validate": median_ms(lambda: bt.CellType.validate(values, mute=True)),
        "inspect": median_ms(lambda: bt.CellType.inspect(values, mute=True)),
        "standardize": median_ms(lambda: bt.CellType.standardize(values, mute=True)),
    }
    raw = raw_validate_ms(instance, values)
    import lakecat as lc

    lc.disconnect()
    uberon, n_terms = uberon_import_s()
    public = fresh_process_public_s()
    rows = [
        (
            f"`validate`, {args.values:,} values, {args.rows:,} rows",
            f"{timings['validate']:.1f} ms",
            f"raw DuckDB IN (same batch) {raw:.1f} ms",
            f"{timings['validate'] / raw:.2f}×",
            target(timings["validate"], 15, "≤ 15 ms (LaminDB 71 ms)"),
        ),
        (
            f"`inspect`, {args.values:,} values",
            f"{timings['inspect']:.1f} ms",
            "",
            "",
            target(timings["inspect"], 50, "≤ 50 ms (LaminDB 1,132 ms)"),
        ),
        (
            f"`standardize`, {args.values:,} values",
            f"{timings['standardize']:.1f} ms",
            "",
            "",
            target(timings["standardize"], 50, "≤ 50 ms"),
        ),
        (
            f"`Tissue.import_source()` (UBERON, {n_terms:,} terms + parents)",
            f"{uberon:.2f} s",
            "",
            "",
            target(uberon, 3, "≤ 3 s"),
        ),
        (
            "CL's public table in a new process (cached)",
            f"{public:.2f} s",
            "",
            "",
            target(public, 0.5, "≤ 0.5 s"),
        ),
    ]
    write(rows)


def write(rows: list[tuple]) -> None:
    lines = [
        SECTION,
        "",
        machine_line(),
        "",
        "| workload | lakecat | baseline | ratio | target |",
        "|---|---|---|---|---|",
    ]
    lines += [f"| {' | '.join(row)} |" for row in rows]
    text = "\n".join(lines) + "\n"
    print(text)
    replace_section(SECTION.removeprefix("## "), text)


if __name__ == "__main__":
    main()
