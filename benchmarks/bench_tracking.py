"""Tracking benchmarks: a tracked no-op script end to end, and track() itself.

Run by hand:  python benchmarks/bench_tracking.py
Writes its section of benchmarks/RESULTS.md.
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

NOOP = "import lakecat as lc\nlc.track()\nlc.finish()\n"


def wall(cmd: list[str], env: dict, repeat: int = 5) -> float:
    """Best wall time of a command (seconds)."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(cmd, check=True, env=env, capture_output=True)
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="lakecat-track-"))
    env = {**os.environ, "LAKECAT_HOME": str(work / "home")}
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # measure with .pyc caching, as users run it
    init = f"import lakecat as lc; lc.init(storage={str(work / 's')!r})"
    subprocess.run([sys.executable, "-c", init], check=True, env=env)
    script = work / "noop.py"
    script.write_text(NOOP)
    t_python = wall([sys.executable, "-c", "pass"], env)
    t_imports = wall([sys.executable, "-c", "import duckdb, sqlglot"], env)
    t_script = wall([sys.executable, str(script)], env)
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
        f"| tracked no-op script (import + track + finish), wall | {t_script:.2f} s | "
        f"`python -c pass` {t_python:.2f} s; `import duckdb, sqlglot` {t_imports:.2f} s "
        "| | ≤ 0.3 s |",
        f"| `track()` first call in a process | {t_first * 1e3:.0f} ms | | | ≤ 50 ms |",
        f"| `track()` warm (median of 20) | {t_warm * 1e3:.1f} ms | | | ≤ 50 ms |",
    ]
    write_section("Tracking (`benchmarks/bench_tracking.py`)", lines)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
