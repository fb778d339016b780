"""Draw a lineage graph (transforms, runs, files, datasets) without Graphviz.

Everything here is pure Python and imports only the standard library, so a plain
``pip install lakecat`` can show lineage offline: :func:`render_svg` returns a standalone SVG
document (shown inline by Jupyter), :func:`to_text` a terminal rendering, and
:func:`render_png` the same picture through matplotlib when that happens to be installed.

The layout is a small Sugiyama-style pipeline: break cycles, assign each node the layer of its
longest path from a source (sources themselves move next to their first consumer), route
edges that skip layers through invisible waypoints, then order each layer by the barycenter
of its neighbours (a few sweeps, keeping the ordering with the fewest crossings). Flow is
left to right. Every step is deterministic.

Example:
    >>> nodes = [
    ...     Node("t1", "qc.py (v2)", "transform"),
    ...     Node("r1", "2026-11-28 10:00", "run"),
    ...     Node("f1", "cells.parquet", "file"),
    ... ]
    >>> edges = [("t1", "r1"), ("r1", "f1")]
    >>> print(to_text(nodes, edges))
    layer 0:
      [transform] qc.py (v2) -> [run] 2026-11-28 10:00 -> [file] cells.parquet
    >>> svg = render_svg(nodes, edges, highlight="f1")
    >>> svg.startswith("<svg") and svg.count('class="node ') == 3
    True
"""

from __future__ import annotations

from .layout import KINDS, NODE_H, NODE_W, Node, layout
from .png import render_png
from .svg import LineageSVG, render_svg
from .text import to_text

__all__ = [
    "KINDS",
    "NODE_H",
    "NODE_W",
    "LineageSVG",
    "Node",
    "layout",
    "render_png",
    "render_svg",
    "to_text",
]
