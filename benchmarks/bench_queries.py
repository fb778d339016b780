"""Every query shape against raw DuckDB on the same rows, at several registry sizes (#13).

Run by hand:  python benchmarks/bench_queries.py [--sizes 1000,100000,1000000,10000000]
              [--pg URL] [--pg-sizes 1000000,10000000] [--pg-reuse FOLDER]
For each size a fresh instance is filled through SQL (labels, users, files and a
files x labels link table with as many links as labels), then each query shape runs as a
lakecat call returning records (``.list()``) and as the SQL lakecat compiles for it run
on the same connection with ``fetchall()`` (Python tuples: "raw DuckDB returning the same
rows as Python objects"). Calls alternate lakecat / raw (which goes first alternates too),
the median of each is kept. Also: a single ``save()`` against a raw autocommit INSERT of
the same row. With ``--pg`` the same shapes run on the Postgres back end, compared with the
embedded back end's time for the same shape and size (target ≤ 2×).
Writes the section "Query shapes" of RESULTS.md.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

from bench_core import WORDS, label_name, search_queries
from results import machine_line, replace_section, target

TITLE = "Query shapes (`benchmarks/bench_queries.py`)"


def fill_duckdb(con, n: int) -> None:
    """n labels, n // 100 users (at least 1), n // 10 files, n links (10 labels a file)."""
    users, files = max(1, min(1000, n // 100)), max(1, n // 10)
    con.execute(
        'INSERT INTO "user" (id, uid, handle, name, created_at, updated_at) '
        "SELECT i + 100, 'usr' || lpad(i::VARCHAR, 5, '0'), 'user' || i, 'User ' || i, "
        "now(), now() FROM range($u) t(i)",
        {"u": users},
    )
    con.execute(
        "INSERT INTO ulabel (id, uid, name, description, created_at, updated_at, created_by_id) "
        "SELECT i + 1, 'u' || lpad(i::VARCHAR, 11, '0'), "
        "$w[((i * 7919) % $k) + 1] || ' ' || $w[((i * 104729) % $k) + 1] || ' ' || i, "
        "'bulk', now(), now(), 100 + i % $u FROM range($n) t(i)",
        {"w": WORDS, "k": len(WORDS), "n": n, "u": users},
    )
    con.execute(
        "INSERT INTO file (id, uid, storage_id, key, suffix, size, hash, hash_type, "
        "is_latest, visibility, created_at, updated_at, created_by_id, version) "
        "SELECT i + 1, 'f' || lpad(i::VARCHAR, 15, '0'), 1, 'data/' || i || '.txt', '.txt', 10, "
        "'h' || i, 'blake3', true, 1, now(), now(), 1, NULL FROM range($f) t(i)",
        {"f": files},
    )
    con.execute(
        "INSERT INTO file_ulabel (file_id, ulabel_id) "
        "SELECT (i // 10) % $f + 1, (i * 7919) % $n + 1 FROM range($n) t(i)",
        {"f": files, "n": n},
    )
    for table, last in (("user", users + 100), ("ulabel", n), ("file", files)):
        # the ids were given above: move the sequence past them, as saves would have
        con.execute(f"SELECT max(nextval('{table}_id_seq')) FROM range({last})").fetchall()


def fill_postgres(backend, n: int) -> None:
    """The same rows on Postgres, generated there (one statement each)."""
    users, files = max(1, min(1000, n // 100)), max(1, n // 10)
    words = "ARRAY[" + ",".join(f"'{w}'" for w in WORDS) + "]"
    k = len(WORDS)
    statements = [
        f'INSERT INTO "user" (id, uid, handle, name, created_at, updated_at) SELECT i + 100, '
        f"'usr' || lpad(i::text, 5, '0'), 'user' || i, 'User ' || i, now(), now() "
        f"FROM generate_series(0, {users - 1}) i",
        f"INSERT INTO ulabel (id, uid, name, description, created_at, updated_at, created_by_id) "
        f"SELECT i + 1, 'u' || lpad(i::text, 11, '0'), ({words})[((i::bigint * 7919) % {k}) + 1] "
        f"|| ' ' || ({words})[((i::bigint * 104729) % {k}) + 1] || ' ' || i, 'bulk', now(), "
        f"now(), 100 + i % {users} FROM generate_series(0, {n - 1}) i",
        f"INSERT INTO file (id, uid, storage_id, key, suffix, size, hash, hash_type, is_latest, "
        f"visibility, created_at, updated_at, created_by_id) SELECT i + 1, "
        f"'f' || lpad(i::text, 15, '0'), 1, 'data/' || i || '.txt', '.txt', 10, 'h' || i, "
        f"'blake3', true, 1, now(), now(), 1 FROM generate_series(0, {files - 1}) i",
        f"INSERT INTO file_ulabel (file_id, ulabel_id) SELECT (i / 10) % {files} + 1, "
        f"(i::bigint * 7919) % {n} + 1 FROM generate_series(0, {n - 1}) i",
        'ANALYZE "user", ulabel, file, file_ulabel',  # this schema's, not the database's
        f"SELECT setval('user_id_seq', {users + 100})",
        f"SELECT setval('ulabel_id_seq', {n})",
        f"SELECT setval('file_id_seq', {files})",
    ]
    backend.run_script(statements)


def shapes(n: int) -> dict:
    """Name → a function building the query set (so each call compiles afresh, as users do)."""
    import lakecat as lc

    i = (n * 2) // 3
    name = label_name(i)
    head = name.rsplit(" ", 1)[0] + " " + str(i)[: max(1, len(str(i)) - 1)]
    tail = name.split()[1] + " " + str(i)
    names = [label_name((i + j * 7) % n) for j in range(50)]
    users = max(1, min(1000, n // 100))
    linked = label_name((5 * 7919) % n)
    return {
        "exact `name=`": lambda: lc.ULabel.filter(name=name),
        "uid `uid=`": lambda: lc.ULabel.filter(uid="u" + str(i).zfill(11)),
        "prefix `name__startswith`": lambda: lc.ULabel.filter(name__startswith=head),
        "prefix, any case `name__istartswith`": lambda: lc.ULabel.filter(
            name__istartswith=head.upper()
        ),
        "contains `name__icontains`": lambda: lc.ULabel.filter(name__icontains=tail),
        "`name__in` (50 names)": lambda: lc.ULabel.filter(name__in=names),
        f"relation `created_by__handle` ({max(1, n // users):,} rows)": lambda: lc.ULabel.filter(
            created_by__handle=f"user{users // 2}"
        ),
        "many-to-many `File.filter(ulabels__name=)`": lambda: lc.File.filter(ulabels__name=linked),
        **({"all rows": lambda: lc.ULabel.filter()} if n <= 100_000 else {}),
    }


def interleaved(lakecat_call, raw_call, repeat: int) -> tuple[float, float, int, int]:
    """Median seconds of each, alternating which goes first; and the row counts."""
    a = len(lakecat_call())  # warm-up both (plans, pages)
    b = len(raw_call())
    ta, tb = [], []
    for r in range(repeat):
        order = (0, 1) if r % 2 else (1, 0)
        for which in order:
            start = time.perf_counter()
            (lakecat_call if which == 0 else raw_call)()
            (ta if which == 0 else tb).append(time.perf_counter() - start)
    return statistics.median(ta), statistics.median(tb), a, b


#: the shapes a search index can answer (from FILTER_INDEX_FROM labels), run again after
#: the build; their baseline stays the SQL a user would run, which scans
TEXT_SHAPES = ("prefix `name__startswith`", "prefix, any case `name__istartswith`",
               "contains `name__icontains`")  # fmt: skip


def run_shapes(n: int, repeat: int, raw_fetch, raw_df=None, only=None) -> list[dict]:
    """Each shape (of ``only``, if given): lakecat .list() against the compiled SQL run raw
    (and for all rows, ``.df()`` against DuckDB's own ``.df()`` of the same SQL)."""
    out = []
    for label, build in shapes(n).items():
        if only is not None and label not in only:
            continue
        qs = build()
        with qs._scope():
            compiled, plain = qs._compile("records"), qs._compile()
        calls = [("list", lambda b=build: b().list(), lambda c=compiled: raw_fetch(c))]
        if label == "all rows" and raw_df is not None:
            calls.append(("df", lambda b=build: b().df(), lambda c=plain: raw_df(c)))
            # records are filled from their rows when first read: what reading each costs
            at = _position(compiled.sql, "name")
            calls.append(("read", lambda b=build: [r.name for r in b().list()],
                          lambda c=compiled, at=at: [row[at] for row in raw_fetch(c)]))  # fmt: skip
        for call, ours, raw in calls:
            t_lc, t_raw, rows, raw_rows = interleaved(ours, raw, repeat)
            if rows != raw_rows:
                raise SystemExit(f"{label}: lakecat returned {rows} rows, raw {raw_rows}")
            out.append({"shape": label, "n": n, "rows": rows, "lakecat": t_lc, "raw": t_raw,
                        "call": call})  # fmt: skip
    return out


def _position(sql: str, column: str) -> int:
    """Where ``column`` is among the columns a records-mode SELECT lists."""
    listed = sql.split(" FROM ")[0].removeprefix("SELECT ").split(", ")
    return [c.rsplit(".", 1)[-1].split(" AS ")[-1].strip('"') for c in listed].index(column)


def search_times(n: int) -> dict:
    """Search top-20 for each kind of query (median of 3 after a warm-up), with the top hit,
    so both back ends can be compared on ranking as well as time."""
    import lakecat as lc

    out = {}
    for kind, query in search_queries(n).items():
        lc.ULabel.search(query)
        times = []
        for _ in range(3):
            start = time.perf_counter()
            hits = lc.ULabel.search(query)
            times.append(time.perf_counter() - start)
        out[kind] = (statistics.median(times), [h.name for h in hits])
    return out


def single_save(n: int, repeat: int, con, offset: int = 0) -> dict:
    """One ULabel(...).save() against a raw autocommit INSERT of such a row (``offset``:
    a second round on the same instance saves other names)."""
    import lakecat as lc

    def save(j: int) -> None:
        lc.ULabel(name=f"single save {n} {offset + j}").save()

    lc.settings.verbosity = "error"

    def raw(j: int) -> None:
        k = offset + j
        con.execute(
            "INSERT INTO ulabel (id, uid, name, created_at, updated_at, created_by_id) "
            f"VALUES ({10 * n + 1000 + k}, 'r{k:011d}', 'raw insert {k}', now(), now(), 1)"
        )

    def plain(j: int) -> None:
        lc.ULabel(name=f"plain save {n} {offset + j}").save()

    def unwarned(j: int) -> None:  # the near-duplicate warning off: exact lookup only
        lc.settings.search_names = False
        try:
            plain(j)
        finally:
            lc.settings.search_names = True

    calls = [save, raw, unwarned]
    for call in calls:
        call(0)
    times: list[list[float]] = [[], [], []]
    for j in range(1, repeat + 1):
        for which in range(3) if j % 2 else reversed(range(3)):
            start = time.perf_counter()
            calls[which](j)
            times[which].append(time.perf_counter() - start)
    lakecat, raw_s, off = (statistics.median(t) for t in times)
    return {"n": n, "lakecat": lakecat, "raw": raw_s, "unwarned": off}


def duckdb_round(n: int, repeat: int, work: Path) -> tuple[list[dict], dict]:
    import lakecat as lc

    lc.init(storage=str(work / f"q{n}"))
    backend = lc.instance.current().backend
    with backend.session() as con:
        start = time.perf_counter()
        fill_duckdb(con, n)
        print(f"filled {n:,} in {time.perf_counter() - start:.1f} s", flush=True)
        rows = run_shapes(n, repeat, lambda c: con.execute(c.inline()).fetchall(),
                          lambda c: con.execute(c.inline()).df())  # fmt: skip
        save = single_save(n, max(20, repeat), con)
    save["search"] = search_times(n)
    start = time.perf_counter()
    keys = lc.ULabel.build_search_index()
    built = time.perf_counter() - start
    lc.disconnect()  # searched later, as a user would: the build's memory is given back
    lc.connect(str(work / f"q{n}"))
    save["index"] = {"build": built, "keys": keys, "search": search_times(n)}
    with lc.instance.current().backend.session() as con:  # the near check reads the index
        save["index"]["filters"] = run_shapes(n, repeat, lambda c: con.execute(c.inline())
                                              .fetchall(), only=TEXT_SHAPES)  # fmt: skip
        save["index"]["save"] = single_save(n, max(20, repeat), con, offset=100_000)
    lc.disconnect()
    return rows, save


#: Postgres instances of this many labels or more stay for ``--pg-reuse`` (a 1e7 fill
#: takes ~12 min); smaller ones are dropped after the run
KEEP_FROM = 1_000_000


def postgres_round(n: int, repeat: int, work: Path, url: str, reuse: Path | None) -> list[dict]:
    """The shapes on Postgres (lakecat only; compared with the embedded time). ``reuse``:
    a folder of an earlier run whose ``pg<n>`` instance is filled already (a 1e7 fill
    takes ~12 min: the trigram indexes)."""
    import lakecat as lc

    kept = reuse / f"pg{n}" if reuse else None
    if kept is not None and (kept / ".lakecat").exists():
        lc.connect(str(kept))
        backend = lc.instance.current().backend
    else:
        name = f"qshape_{os.getpid()}_{n}"
        lc.init(storage=str(work / f"pg{n}"), db=url, name=name)
        backend = lc.instance.current().backend
        start = time.perf_counter()
        fill_postgres(backend, n)
        print(f"filled Postgres {n:,} in {time.perf_counter() - start:.1f} s", flush=True)
    rows = run_shapes(n, repeat, lambda c: backend.fetch(c)[1])
    save = []
    for j in range(max(20, repeat)):
        start = time.perf_counter()
        lc.ULabel(name=f"pg single save {os.getpid()} {j}").save()
        save.append(time.perf_counter() - start)
    found = search_times(n)
    if kept is None and n < KEEP_FROM:  # small: quick to refill, not worth keeping
        backend.native(f'DROP SCHEMA IF EXISTS "{backend.schema}" CASCADE')
    lc.disconnect()
    return rows, {"n": n, "lakecat": statistics.median(save), "search": found}


def ms(seconds: float) -> str:
    return f"{seconds * 1e3:.2f} ms" if seconds < 0.1 else f"{seconds * 1e3:.0f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="1000,100000,1000000,10000000")
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--pg", default=None)
    parser.add_argument("--pg-sizes", default="1000000,10000000")
    parser.add_argument("--pg-reuse", default=None, help="folder of an earlier run (pg<n>)")
    args = parser.parse_args()
    os.environ.setdefault("LAKECAT_HOME", tempfile.mkdtemp())
    import logging

    logging.getLogger("lakecat").setLevel(logging.ERROR)
    work = Path(tempfile.mkdtemp(prefix="lakecat-shapes-"))
    sizes = [int(s) for s in args.sizes.split(",")]
    lines, saves, embedded = [], [], {}
    raw_call = {"list": "fetchall", "df": "DuckDB's .df()",
                "read": "fetchall, each row's name"}  # fmt: skip
    for n in sizes:
        rows, save = duckdb_round(n, args.repeat if n < 10**7 else max(5, args.repeat // 3), work)
        saves.append(save)
        for r in rows:
            if r["call"] == "list":
                embedded[(r["shape"], n)] = r["lakecat"]
            ratio = r["lakecat"] / r["raw"]
            read = r["call"] == "read"  # no target: what filling each record costs
            call = "`[r.name for r in .list()]`" if read else f"`.{r['call']}()`"
            mark = "(reading each record; no target)" if read else target(ratio, 1.5, "≤ 1.5×")
            lines.append(
                f"| {r['shape']}, {n:,} labels ({r['rows']:,} rows) {call} | "
                f"{ms(r['lakecat'])} | {ms(r['raw'])} (same SQL, {raw_call[r['call']]}) | "
                f"{ratio:.2f}× | {mark} |"
            )
    searched = {}
    for s in saves:
        searched[s["n"]] = s["search"]
        worst = max(s["search"].items(), key=lambda kv: kv[1][0])
        limit = 0.010 if s["n"] <= 100_000 else 0.100
        lines.append(
            f"| search top-20, {s['n']:,} labels (slowest kind: {worst[0]}) | "
            f"{ms(worst[1][0])} | | | {target(worst[1][0], limit, f'≤ {limit * 1e3:g} ms')} |"
        )
    for s in saves:
        indexed, scan = s["index"]["search"], s["search"]
        worst = max(indexed.items(), key=lambda kv: kv[1][0])
        same = all(indexed[k][1] == scan[k][1] for k in scan)
        limit = 0.010 if s["n"] <= 100_000 else 0.100
        lines.append(
            f"| search top-20 with `ULabel.build_search_index()`, {s['n']:,} labels (slowest "
            f"kind: {worst[0]}) | {ms(worst[1][0])} | scan {ms(scan[worst[0]][0])}; the same "
            f"20 hits in the same order for every kind: {'yes' if same else 'NO'} | "
            f"{worst[1][0] / scan[worst[0]][0]:.2f}× | "
            f"{target(worst[1][0], limit, f'≤ {limit * 1e3:g} ms')} |"
        )
        for r in s["index"]["filters"]:
            ratio = r["lakecat"] / r["raw"]
            lines.append(
                f"| {r['shape']} once `ULabel.build_search_index()` ran, {s['n']:,} labels "
                f"({r['rows']:,} rows) `.list()` | {ms(r['lakecat'])} | {ms(r['raw'])} (same "
                f"SQL, fetchall: a scan) | {ratio:.2f}× | {target(ratio, 1.5, '≤ 1.5×')} |"
            )
        kinds = ", ".join(f"{k} {ms(v[0])}" for k, v in indexed.items())
        lines.append(
            f"| building the search index, {s['n']:,} labels ({s['index']['keys']:,} keys; "
            f"then search: {kinds}) | {s['index']['build']:.1f} s | | | |"
        )
    for s in saves:
        indexed = s["index"]["save"]
        for label, t, raw in (
            ("", s["lakecat"], s["raw"]),
            (" with `settings.search_names = False`", s["unwarned"], s["raw"]),
            (" once `ULabel.build_search_index()` ran", indexed["lakecat"], indexed["raw"]),
        ):
            ratio = t / raw
            lines.append(
                f"| one `ULabel(...).save()`{label}, {s['n']:,} labels | {ms(t)} | "
                f"{ms(raw)} (autocommit INSERT) | {ratio:.2f}× | {target(ratio, 3, '≤ 3×')} |"
            )
    if args.pg:
        for n in [int(s) for s in args.pg_sizes.split(",")]:
            reuse = Path(args.pg_reuse) if args.pg_reuse else None
            rows, save = postgres_round(n, args.repeat, work, args.pg, reuse)
            for r in rows:
                ref = embedded.get((r["shape"], n))
                ratio = f"{r['lakecat'] / ref:.2f}×" if ref else ""
                bound = "≤ 2× embedded"
                mark = f"{bound}: (no embedded run)"
                if ref:
                    mark = target(r["lakecat"], 2 * ref, bound)
                lines.append(
                    f"| Postgres: {r['shape']}, {n:,} labels ({r['rows']:,} rows) | "
                    f"{ms(r['lakecat'])} | embedded {ms(ref) if ref else '–'}; the same SQL "
                    f"through postgres_query {ms(r['raw'])} | {ratio} | {mark} |"
                )
            mine, ref = save["search"], searched.get(n)
            kind = max(mine, key=lambda k: mine[k][0])
            same = ref is not None and all(mine[k][1] == ref[k][1] for k in mine)
            embedded_ms = ms(ref[kind][0]) if ref else "–"
            lines.append(
                f"| Postgres: search top-20, {n:,} labels (slowest kind: {kind}) | "
                f"{ms(mine[kind][0])} | embedded {embedded_ms}; the same 20 hits in the same "
                f"order for every kind: {'yes' if same else 'NO'} | | "
                f"{target(mine[kind][0], 0.1, '≤ 100 ms')} |"
            )
            lines.append(
                f"| Postgres: one `ULabel(...).save()`, {n:,} labels | {ms(save['lakecat'])} | | | "
                f"{target(save['lakecat'], 0.010, '≤ 10 ms')} |"
            )
    table = "| workload | lakecat | baseline | ratio | target |\n|---|---|---|---|---|\n"
    replace_section(TITLE, f"## {TITLE}\n\n{machine_line()}\n\n{table}" + "\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
