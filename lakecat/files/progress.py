"""A tiny progress bar for large transfers, shown only on an interactive terminal."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable

THRESHOLD = 64 * 1024 * 1024  # bytes: smaller transfers finish before a bar is useful


def transfer_bar(total: int, label: str, *, stream=None) -> Callable[[int], None] | None:
    """A callback advancing a bar by n bytes, or None when not interactive or small.

    Examples:
        >>> transfer_bar(10, "upload") is None
        True
    """
    stream = stream or sys.stderr
    if total < THRESHOLD or not getattr(stream, "isatty", lambda: False)():
        return None
    state = {"done": 0, "shown": 0.0, "start": time.monotonic()}

    def advance(n: int) -> None:
        state["done"] += n
        now = time.monotonic()
        if now - state["shown"] < 0.1 and state["done"] < total:
            return
        state["shown"] = now
        fraction = min(state["done"] / total, 1.0)
        rate = state["done"] / max(now - state["start"], 1e-6) / 1e6
        bar = "#" * int(fraction * 30)
        stream.write(f"\r{label} [{bar:<30}] {fraction:6.1%} {rate:8.1f} MB/s")
        if state["done"] >= total:
            stream.write("\n")
        stream.flush()

    return advance
