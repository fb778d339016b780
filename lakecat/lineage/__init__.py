"""Lineage: ``tracking`` records runs of scripts, notebooks, pipelines and functions;
``graph`` walks the upstream graph of a record; ``render`` draws it (SVG, text, PNG).

``lakecat.lineage.as_text(record)``, ``upstream`` and ``view`` are the graph functions.
"""

from __future__ import annotations

from typing import Any

_GRAPH = ("as_text", "upstream", "view")


def __getattr__(name: str) -> Any:
    if name in _GRAPH:
        from . import graph

        return getattr(graph, name)
    raise AttributeError(f"module 'lakecat.lineage' has no attribute {name!r}")
