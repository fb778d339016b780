"""One command for every benchmark: ``python -m benchmarks run [--quick] [--only NAMES]``.

Each workload is one of the ``bench_*.py`` scripts, run in a fresh process (as a user
would run it) with full or ``--quick`` sizes; each rewrites its own section of
``benchmarks/RESULTS.md`` (lakecat, the reference measured in the same run, the ratio,
the target). ``--results PATH`` writes elsewhere (the test suite's smoke run does, so it
never replaces measured numbers). ``--pg URL`` adds the Postgres workloads.

Examples:
    python -m benchmarks list
    python -m benchmarks run --quick                   # every workload, small sizes (~3 min)
    python -m benchmarks run --only core,files         # full sizes
    python -m benchmarks run --pg postgresql://lakecat:lakecat@127.0.0.1:5432/lakecat_test
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

HERE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Workload:
    """A benchmark script with its full and quick arguments (``{pg}``: the Postgres URL)."""

    script: str
    full: tuple[str, ...] = ()
    quick: tuple[str, ...] = ()
    postgres: tuple[str, ...] = field(default=())  # extra arguments when --pg is given
    what: str = ""


#: the quick run loads two small ontology sources (CL, HsapDv) instead of all 23
QUICK_SKIP_SOURCES = (
    "uberon,fbbt,wbbt,zfa,mondo,icd10cm,icd10,hpo,pato,efo,mmusdv,fbdv,wbls,zfs,hancestro,"
    "cellosaurus,chebi,ncbitaxon,gencode,uniprot"
)

WORKLOADS = {
    "core": Workload("bench_core.py", ("--big-rows", "10000000", "--bulk-rows", "1000000"),
                     ("--rows", "3000"),
                     what="bulk save, filters, search, import (1e5 and 1e7 rows)"),
    "files": Workload("bench_files.py", ("--small", "10000", "--big-mb", "200,1024"),
                      ("--small", "100", "--big-mb", "4", "--rows", "20000"),
                      what="ingest of small files, one big file, DataFrame save/load"),
    "datasets": Workload("bench_datasets.py", ("--big-rows", "10000000"), ("--rows", "20000"),
                         what="append, time travel, query in place"),
    "mapped": Workload("bench_mapped.py", (), ("--files", "3", "--cells", "2000", "--genes", "300",
                                              "--single", "300", "--batches", "10"),
                       what="mapped() rows and batches, load(join=) of 10 h5ad files"),
    "mesh": Workload("bench_mesh.py", (), ("--rows", "3000", "--repeat", "3"),
                     what="a join of two instances' file tables (1e5 rows each)"),
    "mesh-pg": Workload("bench_mesh.py", (), ("--rows", "3000", "--repeat", "3"), ("--pg", "{pg}"),
                        what="the same with the second instance on Postgres (needs --pg)"),
    "tracking": Workload("bench_tracking.py", (), ("--repeat", "1"), ("--pg", "{pg}"),
                         what="a tracked no-op script, track(), lakecat ls"),
    "curation": Workload("bench_bio.py", (), ("--rows", "3000", "--values", "500"),
                         what="validate / inspect / standardize, ontology import"),
    "bio-sources": Workload("bench_bio_sources.py", (), ("--skip", QUICK_SKIP_SOURCES),
                            what="every offline ontology source: first and cached load"),
    "serve": Workload("bench_serve.py", (), ("--rows", "1000", "--saves", "5"),
                      ("--postgres", "{pg}"), what="web pages of a 1e6-row registry"),
    "contention": Workload("bench_contention.py", ("--procs", "8", "--saves", "1000",
                                                   "--readers", "1"),
                           ("--procs", "2", "--saves", "40"), what="8 writers x 1,000 saves"),
    "contention-mixed": Workload("bench_contention.py", ("--procs", "8", "--saves", "1000",
                                                         "--mixed"),
                                 ("--procs", "2", "--saves", "40", "--mixed"),
                                 what="8 writers x 1,000 labels, files and appends"),
    "contention-pg": Workload("bench_contention.py", ("--procs", "8", "--saves", "1000"),
                              ("--procs", "2", "--saves", "40"), ("--pg", "{pg}"),
                              what="8 writers x 1,000 saves on Postgres (needs --pg)"),
    "contention-pg16": Workload("bench_contention.py", ("--procs", "16", "--saves", "1000"),
                                ("--procs", "3", "--saves", "30"), ("--pg", "{pg}"),
                                what="16 writers x 1,000 saves on Postgres, checked (needs --pg)"),
    "queries": Workload("bench_queries.py", ("--sizes", "1000,100000,1000000,10000000",
                                             "--pg-sizes", "1000000,10000000"),
                        ("--sizes", "1000", "--repeat", "3", "--pg-sizes", "1000"),
                        ("--pg", "{pg}"),
                        what="every query shape vs the same SQL raw (1e3/1e5/1e7), one save"),
    "scale": Workload("bench_scale.py", (), ("--rows", "20000", "--step", "10000"),
                      what="a registry of 1e8 labels: fill, lookups, search, memory (~25 min)"),
    "roles": Workload("bench_roles.py", (), ("--rows", "3000", "--repeat", "10", "--rounds", "1"),
                      ("--pg", "{pg}"), what="read-role queries vs the owner's (needs --pg)"),
}  # fmt: skip
POSTGRES_ONLY = {"contention-pg", "contention-pg16", "roles", "mesh-pg"}


def arguments(name: str, quick: bool, pg: str) -> list[str] | None:
    """The command line of workload ``name`` (None: it needs Postgres and none is given)."""
    workload = WORKLOADS[name]
    if name in POSTGRES_ONLY and not pg:
        return None
    args = list(workload.quick if quick else workload.full)
    if pg:
        args += [a.replace("{pg}", pg) for a in workload.postgres]
    return [sys.executable, str(HERE / workload.script), *args]


def versions() -> str:
    """The versions that decide the numbers."""
    names = ("lakecat", "duckdb", "deltalake", "pyarrow", "pandas", "sqlglot")
    found = []
    for name in names:
        try:
            found.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            continue
    return ", ".join(found)


def run(names: list[str], quick: bool, pg: str, results: Path | None) -> int:
    """Run the workloads one after another; returns how many failed."""
    env = dict(os.environ)
    env.setdefault("LAKECAT_HOME", tempfile.mkdtemp(prefix="lakecat-bench-home-"))
    if results is not None:
        env["LAKECAT_BENCH_RESULTS"] = str(results.resolve())
    failed = 0
    for name in names:
        command = arguments(name, quick, pg)
        if command is None:
            print(f"- {name}: skipped (needs --pg)", flush=True)
            continue
        start = time.perf_counter()
        done = subprocess.run(command, env=env, cwd=HERE.parent, capture_output=True, text=True)
        seconds = time.perf_counter() - start
        status = "ok" if done.returncode == 0 else f"FAILED (exit {done.returncode})"
        print(f"- {name}: {status} in {seconds:.0f} s", flush=True)
        if done.returncode != 0:
            failed += 1
            print(done.stdout[-2000:], done.stderr[-4000:], sep="\n", file=sys.stderr)
    print(f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
          f"{versions()}")  # fmt: skip
    return failed


def main(argv: list[str] | None = None) -> int:
    raw, doc = argparse.RawDescriptionHelpFormatter, __doc__
    parser = argparse.ArgumentParser("python -m benchmarks", description=doc, formatter_class=raw)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("list", help="the workloads")
    go = sub.add_parser("run", help="run workloads and rewrite their sections of RESULTS.md")
    go.add_argument("--quick", action="store_true", help="small sizes: checks the suite works")
    go.add_argument("--only", default="", help="comma-separated workload names")
    go.add_argument("--pg", default="", help="postgresql:// URL: adds the Postgres workloads")
    go.add_argument("--results", type=Path, default=None, help="write here, not RESULTS.md")
    args = parser.parse_args(argv)
    if args.command == "list":
        for name, workload in WORKLOADS.items():
            print(f"{name:18s} {workload.script:22s} {workload.what}")
        return 0
    names = [n.strip() for n in args.only.split(",") if n.strip()] or list(WORKLOADS)
    unknown = [n for n in names if n not in WORKLOADS]
    if unknown:
        parser.error(f"unknown workload(s) {', '.join(unknown)}; known: {', '.join(WORKLOADS)}")
    return 1 if run(names, args.quick, args.pg, args.results) else 0


if __name__ == "__main__":
    sys.exit(main())
