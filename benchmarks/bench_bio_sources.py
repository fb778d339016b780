"""Ontology sources: first load (conversion to the Parquet cache) and cached load of every
offline source, with its term count.

Run by hand:  python benchmarks/bench_bio_sources.py [--all-versions] [--skip ncbitaxon,…]
Writes the table to benchmarks/RESULTS.md (replacing the "Ontology sources" section).

Each source's first load runs in a fresh process with an empty cache folder, so it pays
what a user pays the first time (the reader's imports, decompression, parsing, Parquet
write); the cached load is the best of five in that same process afterwards.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
from datetime import date
from pathlib import Path

RESULTS = Path(__file__).with_name("RESULTS.md")
TITLE = "Ontology sources (`benchmarks/bench_bio_sources.py`)"

CHILD = """
import json, sys, time
from lakecat.bio import sources
info = sources.SourceInfo(**json.loads(sys.argv[1]))
cache = sys.argv[2]
start = time.perf_counter()
table = sources.load(info, cache_dir=cache, include_deprecated=True)
first = time.perf_counter() - start
cached = []
for _ in range(5):
    start = time.perf_counter()
    live = sources.load(info, cache_dir=cache)
    cached.append(time.perf_counter() - start)
print(json.dumps({"rows": table.num_rows, "live": live.num_rows, "first": first,
                  "cached": min(cached)}))
"""


def measure(info: dict) -> dict:
    """First and cached load of one source, in a fresh process and cache."""
    with tempfile.TemporaryDirectory() as cache:
        out = subprocess.run(
            [sys.executable, "-c", CHILD, json.dumps(info), cache],
            capture_output=True,
            text=True,
            check=True,
        )
    return json.loads(out.stdout.strip().splitlines()[-1])


def row(info: dict, result: dict) -> str:
    first, cached = result["first"], result["cached"] * 1000
    return (
        f"| {info['entity']} | {info['name']} | {info['version']} | {info['organism']} | "
        f"{result['live']:,} ({result['rows']:,}) | {first:.2f} s | {cached:.1f} ms |"
    )


def write_section(lines: list[str]) -> None:
    """Replace (or add, before the Notes) this section of RESULTS.md."""
    header = (
        f"## {TITLE}\n\n"
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}; date {date.today().isoformat()}.\n\n"
        "Terms: what `load()` returns (deprecated terms left out), in brackets every row "
        "of the cache. First load: a fresh process and an empty cache (imports, "
        "decompression, parsing, Parquet write, read back). Cached: `load()` again in that "
        "process, best of five (BLAKE3 of the source file, Parquet read, deprecated rows "
        "filtered).\n\n"
        "| entity | source | version | organism | terms | first load | cached load |\n"
        "|---|---|---|---|---|---|---|\n"
    )
    section = header + "\n".join(lines) + "\n\n"
    text = RESULTS.read_text() if RESULTS.exists() else "# Benchmark results\n"
    start = text.find(f"## {TITLE}")
    if start >= 0:
        end = text.find("\n## ", start + 1)
        text = text[:start] + section + (text[end + 1 :] if end >= 0 else "")
    elif "\n## Notes" in text:
        at = text.index("\n## Notes") + 1
        text = text[:at] + section + text[at:]
    else:
        text = text.rstrip() + "\n\n" + section
    RESULTS.write_text(text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--all-versions", action="store_true", help="every version, not current")
    parser.add_argument("--skip", default="", help="comma-separated source names to leave out")
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args()
    from lakecat.bio import sources

    skip = {s.strip() for s in args.skip.split(",") if s.strip()}
    chosen = [
        s for s in sources.available(current=None if args.all_versions else True)
        if s.name not in skip
    ]  # fmt: skip
    lines = []
    for info in chosen:
        line = row(info.to_dict(), measure(info.to_dict()))
        print(line, flush=True)
        lines.append(line)
    distinct = {(s.entity, s.name, s.organism) for s in chosen}
    lines.append(f"\n{len(distinct)} distinct sources ({len(chosen)} tables measured).")
    if not args.no_write:
        write_section(lines)


if __name__ == "__main__":
    main()
