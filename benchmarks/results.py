"""Where benchmark results go, and how a script replaces its section of them.

``benchmarks/RESULTS.md`` by default; ``LAKECAT_BENCH_RESULTS`` points elsewhere (the
``--quick`` smoke run of ``python -m benchmarks run`` writes to a scratch file, so a test
never overwrites the measured numbers).
"""

from __future__ import annotations

import os
import platform
from datetime import date
from pathlib import Path


def results_path() -> Path:
    """The results file this run writes."""
    return Path(os.environ.get("LAKECAT_BENCH_RESULTS") or Path(__file__).with_name("RESULTS.md"))


def machine_line() -> str:
    """One line naming the machine, Python and the date, written above every table."""
    return (f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python "
            f"{platform.python_version()}; date {date.today().isoformat()}.")  # fmt: skip


def target(value: float, bound: float, spelled: str, *, at_least: bool = False) -> str:
    """A table's target cell: the target as spelled, and whether ``value`` meets ``bound``
    (at most it, or with ``at_least`` at least it), in the units both are given in.

    Examples:
        >>> target(12.1, 10, "≤ 10 ms")
        '≤ 10 ms: not met'
        >>> target(1249, 1000, "≥ 1,000 files/s", at_least=True)
        '≥ 1,000 files/s: met'
    """
    met = value >= bound if at_least else value <= bound
    return f"{spelled}: {'met' if met else 'not met'}"


def replace_section(title: str, block: str) -> None:
    """Put ``block`` (text starting with ``## title``) in place of that section, or add it
    before the Notes (or at the end)."""
    path = results_path()
    text = path.read_text() if path.exists() else "# Benchmark results\n"
    block = block.rstrip("\n") + "\n\n"
    start = text.find(f"## {title}")
    if start >= 0:
        end = text.find("\n## ", start + 1)
        text = text[:start] + block + (text[end + 1 :] if end >= 0 else "")
    elif "\n## Notes" in text:
        at = text.index("\n## Notes") + 1
        text = text[:at] + block + text[at:]
    else:
        text = text.rstrip() + "\n\n" + block
    path.write_text(text)
