"""A registry of 1e8 labels on the embedded back end (#13 "Scale").

Run by hand:  python benchmarks/bench_scale.py [--rows 100000000] [--keep PATH]
Fills ``ulabel`` in steps through DuckDB SQL (ids, uids and names as a bulk save makes
them, with the registry's unique indexes maintained as rows arrive), checkpoints, closes,
then opens the instance in a fresh process as a user would and times: exact lookup by
name and by uid, prefix (and case-insensitive prefix and equality) filters returning ≤ 100
rows through the registry's prefix index (``build_search_index(prefix_only=True)``, built
in its own process and timed), count, search top-20 (five kinds of query). Peak memory
is the largest resident set of the three processes. ``--keep PATH`` keeps (or reuses)
the instance so the queries can be rerun without filling again.
Writes the section "Scale" of RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_core import WORDS
from results import machine_line, replace_section, target

TITLE = "Scale: 1e8 registry entries (`benchmarks/bench_scale.py`)"

QUERIES = r"""
import json, resource, statistics, sys, time
sys.path.insert(0, sys.argv[3])
import lakecat as lc
from bench_core import label_name, search_queries
lc.settings.verbosity = "error"
n = int(sys.argv[2])
start = time.perf_counter()
lc.connect(sys.argv[1])
lc.ULabel.filter(name="warm-up").count()
out = {"connect_s": time.perf_counter() - start}
backend = lc.instance.current().backend

def paired(build, k, check=None):
    # lakecat's call and the SQL it compiles run raw on the same connection, alternating
    # (each on a different random key, so neither warms the other's pages)
    ta, tb = [], []
    with backend.session() as con:
        for i in range(k):
            qs = build(2 * i)
            t = time.perf_counter(); rows = qs.list(); ta.append(time.perf_counter() - t)
            if check: check(rows)
            qs = build(2 * i + 1)
            with qs._scope():
                sql = qs._compile("records").inline()
            t = time.perf_counter(); con.execute(sql).fetchall(); tb.append(time.perf_counter() - t)
    return 1e3 * statistics.median(ta), 1e3 * statistics.median(tb)

def median_ms(fn, k):
    fn()
    times = []
    for i in range(k):
        t = time.perf_counter(); fn(); times.append(time.perf_counter() - t)
    return 1e3 * statistics.median(times)

probe = [(i * 7_777_777 + 12345) % n for i in range(600)]
def head(i):
    name = label_name(probe[i])
    return name.rsplit(" ", 1)[0] + " " + str(probe[i])[: max(1, len(str(probe[i])) - 2)]
def few(rows):
    assert 1 <= len(rows) <= 100, len(rows)
out["exact_name"] = paired(lambda i: lc.ULabel.filter(name=label_name(probe[i])), 30, few)
def uid(i):
    return "u" + str(probe[400 + i]).zfill(11)
out["exact_uid"] = paired(lambda i: lc.ULabel.filter(uid=uid(i)), 30, few)
# a long-lived process (a notebook): the index pages it has touched stay loaded
for i in range(60, 260):
    lc.ULabel.filter(name=label_name(probe[i])).one()
def later(i):
    return label_name(probe[260 + i])
out["exact_name_warm"] = paired(lambda i: lc.ULabel.filter(name=later(i)), 60, few)
# through the prefix index (built before this process); raw: the same SQL scanning
out["prefix"] = paired(lambda i: lc.ULabel.filter(name__startswith=head(i)), 5, few)
out["iprefix"] = paired(lambda i: lc.ULabel.filter(name__istartswith=head(i + 20).upper()), 5, few)
out["iexact"] = paired(lambda i: lc.ULabel.filter(name__iexact=later(i + 100).upper()), 5, few)
out["count_ms"] = median_ms(lambda: lc.ULabel.filter().count(), 10)
out["count_value"] = lc.ULabel.filter().count()
out["search_ms"] = {kind: median_ms(lambda q=q: lc.ULabel.search(q), 3)
                    for kind, q in search_queries(n).items()}
out["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps(out))
"""


def fill(path: Path, n: int, step: int) -> dict:
    """Create the instance and fill it; returns seconds and peak memory."""
    import lakecat as lc

    lc.init(storage=str(path))
    backend = lc.instance.current().backend
    start = time.perf_counter()
    with backend.session() as con:
        for a in range(0, n, step):
            con.execute(
                "INSERT INTO ulabel (id, uid, name, description, created_at, updated_at, "
                "created_by_id) SELECT i + 1, 'u' || lpad(i::VARCHAR, 11, '0'), "
                "$w[((i * 7919) % $k) + 1] || ' ' || $w[((i * 104729) % $k) + 1] || ' ' || i, "
                "'bulk', now(), now(), 1 FROM range($a, $b) t(i)",
                {"w": WORDS, "k": len(WORDS), "a": a, "b": min(n, a + step)},
            )
            rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            print(f"{min(n, a + step):,} rows, {time.perf_counter() - start:.0f} s, "
                  f"peak {rss:,.0f} MB", flush=True)  # fmt: skip
        con.execute(f"SELECT max(nextval('ulabel_id_seq')) FROM range({n})").fetchall()
        con.execute("CHECKPOINT")
    seconds = time.perf_counter() - start
    lc.disconnect()
    size = sum(f.stat().st_size for f in (path / ".lakecat").glob("catalog.duckdb*"))
    return {
        "fill_s": seconds,
        "fill_peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "file_gb": size / 1e9,
    }


INDEX = r"""
import json, resource, sys, time
import lakecat as lc
lc.settings.verbosity = "error"
lc.connect(sys.argv[1])
start = time.perf_counter()
keys = lc.ULabel.build_search_index(prefix_only=True, memory_limit=sys.argv[2])
print(json.dumps({"index_s": time.perf_counter() - start, "keys": keys,
                  "index_peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


#: DuckDB's memory_limit for the prefix index's sort (with DuckDB's default, 80% of RAM,
#: the build of 1e8 keys peaked at 10.3 GB)
INDEX_MEMORY = "5GB"


def prefix_index(path: Path) -> dict:
    """Build the registry's prefix index in a fresh process: seconds, keys, peak memory."""
    out = subprocess.run([sys.executable, "-c", INDEX, str(path), INDEX_MEMORY], check=True,
                         capture_output=True, text=True)  # fmt: skip
    return json.loads(out.stdout.strip().splitlines()[-1])


def queries(path: Path, n: int) -> dict:
    here = str(Path(__file__).resolve().parent)
    out = subprocess.run(
        [sys.executable, "-c", QUERIES, str(path), str(n), here],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=100_000_000)
    parser.add_argument("--step", type=int, default=10_000_000)
    parser.add_argument("--keep", default=None, help="keep (or reuse) the instance here")
    args = parser.parse_args()
    os.environ.setdefault("LAKECAT_HOME", tempfile.mkdtemp())
    import lakecat as lc

    lc.settings.verbosity = "error"
    path = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="lakecat-scale-")) / "i"
    filled = None
    if not (path / ".lakecat").exists():
        filled = fill(path, args.rows, args.step)
        (path / "fill.json").write_text(json.dumps(filled))
    elif (path / "fill.json").exists():
        filled = json.loads((path / "fill.json").read_text())
    built = path / "index.json"
    if not built.exists():
        built.write_text(json.dumps(prefix_index(path)))
    indexed = json.loads(built.read_text())
    q = queries(path, args.rows)
    if q["count_value"] != args.rows:
        raise SystemExit(f"count() says {q['count_value']:,}, expected {args.rows:,}")
    n = f"{args.rows:,}"
    search = max(q["search_ms"].values())
    detail = ", ".join(f"{k} {v:,.0f}" for k, v in q["search_ms"].items())
    peak = max(q["peak_mb"], filled["fill_peak_mb"] if filled else 0, indexed["index_peak_mb"])
    lines = []
    if filled:
        lines.append(
            f"| fill {n} labels through DuckDB SQL (unique indexes on id, uid, name kept), "
            f"checkpointed | {filled['fill_s'] / 60:.1f} min | catalog file "
            f"{filled['file_gb']:.1f} GB | | {target(filled['fill_s'], 900, '≤ 15 min')} |"
        )

    def pair(key: str, what: str, limit: float) -> str:
        ours, raw = q[key]
        return (f"| {what}, {n} rows | {ours:,.2f} ms | the same SQL raw {raw:,.2f} ms | "
                f"{ours / raw:.2f}× | {target(ours, limit, f'≤ {limit:g} ms')} |")  # fmt: skip

    lines += [
        f"| connect + first query, new process | {q['connect_s'] * 1e3:.0f} ms | | | |",
        pair("exact_name", "`filter(name=…).list()`, new process, random names", 2),
        pair("exact_uid", "`filter(uid=…).list()`, new process, random uids", 2),
        pair("exact_name_warm", "`filter(name=…).list()` after 200 lookups (a notebook)", 2),
        f"| `ULabel.build_search_index(prefix_only=True, memory_limit={INDEX_MEMORY!r})`: "
        f"{indexed['keys']:,} value-start keys, new process | {indexed['index_s'] / 60:.1f} "
        f"min | peak "
        f"{indexed['index_peak_mb'] / 1024:.1f} GB | | |",
        pair(
            "prefix",
            "`filter(name__startswith=…)` ≤ 100 rows, through the prefix index "
            "(baseline: the same SQL scanning)",
            50,
        ),  # fmt: skip
        pair("iprefix", "`filter(name__istartswith=…)` ≤ 100 rows, through the prefix index", 50),
        pair("iexact", "`filter(name__iexact=…)`, through the prefix index", 50),
        f"| `count()`, {n} rows | {q['count_ms']:.1f} ms | | | "
        f"{target(q['count_ms'], 100, '≤ 100 ms')} |",
        f"| search top-20, {n} rows (max of: {detail} ms) | {search:,.0f} ms | | | "
        f"{target(search, 1000, '≤ 1 s')} |",
        f"| peak memory (fill, prefix index or queries) | {peak / 1024:.1f} GB | | | "
        f"{target(peak, 8192, '≤ 8 GB')} |",
    ]
    table = "| workload | lakecat | baseline | ratio | target |\n|---|---|---|---|---|\n"
    replace_section(TITLE, f"## {TITLE}\n\n{machine_line()}\n\n{table}" + "\n".join(lines))
    print("\n".join(lines))
    if not args.keep:
        shutil.rmtree(path.parent, ignore_errors=True)


if __name__ == "__main__":
    main()
