"""Tracking benchmarks: a tracked no-op script end to end, and track() itself.

Run by hand:  python benchmarks/bench_tracking.py [--pg URL]
Wall times are medians of fresh processes (the script, ``lakecat ls``); ``--pg`` adds the
tracked script against an instance on Postgres. Writes its section of benchmarks/RESULTS.md.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_core import write_section
from results import target

NOOP = "import lakecat as lc\nlc.track()\nlc.finish()\n"


def wall(cmd: list[str], env: dict, repeat: int) -> float:
    """Median wall time of ``repeat`` fresh processes of a command (seconds), after one
    warm-up."""
    subprocess.run(cmd, check=True, env=env, capture_output=True)
    times = []
    for _ in range(max(1, repeat)):
        start = time.perf_counter()
        subprocess.run(cmd, check=True, env=env, capture_output=True)
        times.append(time.perf_counter() - start)
    return sorted(times)[len(times) // 2]


def postgres_script(work: Path, env: dict, url: str, repeat: int) -> float:
    """The tracked no-op script against an instance whose catalog is on Postgres."""
    home = {**env, "LAKECAT_HOME": str(work / "pg-home")}
    init = (f"import lakecat as lc; lc.init(storage={str(work / 'pg')!r}, db={url!r}, "
            f"name='track_{os.getpid()}')")  # fmt: skip
    subprocess.run([sys.executable, "-c", init], check=True, env=home, capture_output=True)
    try:
        return wall([sys.executable, str(work / "noop.py")], home, repeat)
    finally:  # the run's schema: nothing to keep
        from catalog_sql.backends.postgres import PostgresBackend

        PostgresBackend(url).native(f'DROP SCHEMA IF EXISTS "track_{os.getpid()}" CASCADE')


def main() -> None:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pg", default=None)
    parser.add_argument("--repeat", type=int, default=7, help="fresh processes per median")
    args = parser.parse_args()
    repeat = args.repeat
    work = Path(tempfile.mkdtemp(prefix="lakecat-track-"))
    env = {**os.environ, "LAKECAT_HOME": str(work / "home")}
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # measure with .pyc caching, as users run it
    init = f"import lakecat as lc; lc.init(storage={str(work / 's')!r})"
    subprocess.run([sys.executable, "-c", init], check=True, env=env)
    script = work / "noop.py"
    script.write_text(NOOP)
    t_python = wall([sys.executable, "-c", "pass"], env, repeat)
    t_imports = wall([sys.executable, "-c", "import duckdb, sqlglot"], env, repeat)
    t_script = wall([sys.executable, str(script)], env, repeat)
    cli = Path(sys.executable).with_name("lakecat")
    t_ls = wall([str(cli), "ls"], env, repeat) if cli.exists() else None
    t_pg = postgres_script(work, env, args.pg, repeat) if args.pg else None
    os.environ.update(env)
    logging.getLogger("lakecat").setLevel(logging.ERROR)
    import __main__
    import lakecat as lc

    sys.argv = [str(script)]
    __main__.__file__ = str(script)
    lc.connect(str(work / "s"))
    start = time.perf_counter()
    lc.track()
    t_first = time.perf_counter() - start
    lc.finish()
    warm = []
    for _ in range(20):
        start = time.perf_counter()
        lc.track()
        warm.append(time.perf_counter() - start)
        lc.finish()
    t_warm = sorted(warm)[len(warm) // 2]
    lines = [
        f"| tracked no-op script (import + track + finish), wall, median of fresh processes "
        f"| {t_script:.2f} s | `python -c pass` {t_python:.2f} s; `import duckdb, sqlglot` "
        f"{t_imports:.2f} s | | {target(t_script, 0.3, '≤ 0.3 s')} |",
        f"| `track()` first call in a process | {t_first * 1e3:.0f} ms | | | "
        f"{target(t_first, 0.05, '≤ 50 ms')} |",
        f"| `track()` warm (median of 20) | {t_warm * 1e3:.1f} ms | | | "
        f"{target(t_warm, 0.05, '≤ 50 ms')} |",
    ]
    if t_ls is not None:
        lines.append(f"| `lakecat ls`, small instance, wall | {t_ls:.2f} s | | | "
                     f"{target(t_ls, 0.35, '≤ 0.35 s')} |")  # fmt: skip
    if t_pg is not None:
        lines.append(f"| the tracked no-op script, catalog on Postgres | {t_pg:.2f} s | | | "
                     f"{target(t_pg, 0.3, '≤ 0.3 s')} |")  # fmt: skip
    write_section("Tracking (`benchmarks/bench_tracking.py`)", lines)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
