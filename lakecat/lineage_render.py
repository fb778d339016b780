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

import hashlib
import re
from bisect import bisect_right, insort
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from os import PathLike
from xml.sax.saxutils import escape

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

NODE_W = 210.0  # node box width in px (fits a 28-character label at 13 px)
NODE_H = 50.0  # node box height in px (label plus detail line)
LAYER_GAP = 90.0  # horizontal room between columns for the edge curves
ROW_GAP = 26.0  # vertical room between nodes of one column
WAYPOINT_H = 10.0  # vertical slot reserved for an edge passing through a column
MARGIN = 24.0
TITLE_H = 34.0
LEGEND_H = 38.0
LABEL_MAX = 28  # characters shown before truncation with an ellipsis
DETAIL_MAX = 34
SWEEPS = 4  # barycenter down+up sweeps
MIN_FONT = 11.0  # px; long labels shrink down to this size
_TEXT_ROOM = NODE_W - 16  # px available for a line of text inside a node
_BOLD_EM, _PLAIN_EM = 0.62, 0.56  # rough average glyph widths (fraction of the font size)

KINDS = ("transform", "run", "file", "dataset")
_COLOURS = {  # kind -> (fill, stroke)
    "transform": ("#dbeafe", "#1d4ed8"),
    "run": ("#fef3c7", "#b45309"),
    "file": ("#dcfce7", "#15803d"),
    "dataset": ("#ede9fe", "#6d28d9"),
}
_NEUTRAL = ("#f3f4f6", "#4b5563")
_FONT = "system-ui, -apple-system, 'Segoe UI', Helvetica, Arial, sans-serif"
_EDGE_COLOUR = "#6b7280"
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")

Point = tuple[float, float]
Segment = tuple[str, tuple[Point, ...]]  # ("M" | "L" | "C", points)


@dataclass(frozen=True)
class Node:
    """One box of the lineage picture.

    Attributes:
        id: Unique identifier, e.g. a record uid; edges refer to it.
        label: Text shown in the box, e.g. ``"qc.py (v2)"`` or ``"cells.parquet"``.
        kind: ``"transform"``, ``"run"``, ``"file"`` or ``"dataset"``; other kinds are
            allowed and drawn in a neutral style.
        detail: Optional second, smaller line (e.g. the uid or a timestamp).
    """

    id: str
    label: str
    kind: str
    detail: str = ""


class LineageSVG(str):
    """An SVG document string that Jupyter displays inline as a picture."""

    def _repr_svg_(self) -> str:
        """Return the SVG markup itself (IPython's rich-display hook)."""
        return self

    def save(self, path: str | PathLike[str]) -> None:
        """Write the document to ``path`` as UTF-8.

        Args:
            path: Destination file, conventionally ending in ``.svg``.
        """
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(self)


@dataclass
class _Plan:
    """Everything computed from one (nodes, edges) input; shared by all renderers."""

    nodes: dict[str, Node]  # input order
    edges: list[tuple[str, str]]  # input edges without duplicates, self-loops kept
    dag: dict[tuple[str, str], None]  # edges used for layering (back edges reversed)
    layer: dict[str, int]  # includes waypoints
    orders: list[list[str]]  # per layer, top to bottom, includes waypoints
    pos: dict[str, Point]  # centres, includes waypoints
    routes: dict[tuple[str, str], list[str]]  # dag edge -> ids along the way


# --------------------------------------------------------------------------- graph + layout


def _validate(
    nodes: Iterable[Node], edges: Iterable[tuple[str, str]]
) -> tuple[dict[str, Node], list[tuple[str, str]]]:
    """Index nodes by id and drop duplicate edges; reject unknown or repeated ids."""
    by_id: dict[str, Node] = {}
    for node in nodes:
        if node.id in by_id:
            raise ValueError(f"duplicate node id {node.id!r}")
        by_id[node.id] = node
    unique: dict[tuple[str, str], None] = {}
    for source, target in edges:
        for end in (source, target):
            if end not in by_id:
                raise ValueError(f"edge ({source!r}, {target!r}) refers to unknown node {end!r}")
        unique[(source, target)] = None
    return by_id, list(unique)


def _successors(ids: Iterable[str], edges: Iterable[tuple[str, str]]) -> dict[str, list[str]]:
    """Adjacency lists in edge order."""
    succ: dict[str, list[str]] = {i: [] for i in ids}
    for source, target in edges:
        succ[source].append(target)
    return succ


def _back_edges(ids: list[str], edges: list[tuple[str, str]]) -> dict[tuple[str, str], None]:
    """Edges closing a cycle in an iterative DFS that starts from sources, in input order."""
    succ = _successors(ids, edges)
    has_pred = {target for _, target in edges}
    starts = [i for i in ids if i not in has_pred] + [i for i in ids if i in has_pred]
    state = dict.fromkeys(ids, 0)  # 0 unseen, 1 on the DFS stack, 2 finished
    back: dict[tuple[str, str], None] = {}
    for start in starts:
        if state[start]:
            continue
        state[start] = 1
        stack = [(start, iter(succ[start]))]
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                state[node] = 2
                stack.pop()
            elif state[child] == 1:
                back[(node, child)] = None
            elif state[child] == 0:
                state[child] = 1
                stack.append((child, iter(succ[child])))
    return back


def _acyclic(ids: list[str], edges: list[tuple[str, str]]) -> dict[tuple[str, str], None]:
    """The edges with self-loops dropped and cycle-closing edges reversed."""
    proper = [(s, t) for s, t in edges if s != t]
    back = _back_edges(ids, proper)
    return {((t, s) if (s, t) in back else (s, t)): None for s, t in proper}


def _longest_path_layers(ids: list[str], dag: Iterable[tuple[str, str]]) -> dict[str, int]:
    """Layer of each node = length of the longest path reaching it from a source (Kahn)."""
    succ = _successors(ids, dag)
    indegree = dict.fromkeys(ids, 0)
    for targets in succ.values():
        for target in targets:
            indegree[target] += 1
    layer = dict.fromkeys(ids, 0)
    queue = deque(i for i in ids if indegree[i] == 0)
    while queue:
        node = queue.popleft()
        for target in succ[node]:
            layer[target] = max(layer[target], layer[node] + 1)
            indegree[target] -= 1
            if indegree[target] == 0:
                queue.append(target)
    return layer


def _tuck_sources(layer: dict[str, int], dag: Iterable[tuple[str, str]]) -> None:
    """Move each source (in place) to just before its earliest successor.

    Inputs such as a transform or a raw file then sit next to the run that uses them instead
    of at the far left with a long edge; the layers of all other nodes are unchanged.
    """
    earliest: dict[str, int] = {}
    has_pred: dict[str, None] = {}
    for source, target in dag:
        earliest[source] = min(earliest.get(source, layer[target]), layer[target])
        has_pred[target] = None
    for node, first_use in earliest.items():
        if node not in has_pred:
            layer[node] = first_use - 1


def _add_waypoints(
    layer: dict[str, int], dag: Iterable[tuple[str, str]]
) -> dict[tuple[str, str], list[str]]:
    """Split edges that skip layers with waypoint ids (added to ``layer`` in place)."""
    routes: dict[tuple[str, str], list[str]] = {}
    count = 0
    for source, target in dag:
        route = [source]
        for level in range(layer[source] + 1, layer[target]):
            waypoint = f"\x00waypoint{count}"
            while waypoint in layer:
                waypoint += "_"
            count += 1
            layer[waypoint] = level
            route.append(waypoint)
        routes[(source, target)] = route + [target]
    return routes


def _neighbours(
    routes: dict[tuple[str, str], list[str]],
) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """Predecessors and successors over route segments (each spans exactly one layer)."""
    preds: dict[str, list[str]] = {}
    succs: dict[str, list[str]] = {}
    for route in routes.values():
        for a, b in zip(route, route[1:]):
            succs.setdefault(a, []).append(b)
            preds.setdefault(b, []).append(a)
    return preds, succs


def _barycenter_sort(column: list[str], adjacent: list[str], links: dict[str, list[str]]):
    """Order ``column`` by the mean position of each node's links in the ``adjacent`` column.

    Nodes without links keep their current position as their key.
    """
    ref = {n: i for i, n in enumerate(adjacent)}
    here = {n: i for i, n in enumerate(column)}

    def key(node: str) -> tuple[float, int]:
        positions = [ref[m] for m in links.get(node, ()) if m in ref]
        centre = sum(positions) / len(positions) if positions else float(here[node])
        return centre, here[node]

    return sorted(column, key=key)


def _crossings(orders: list[list[str]], succs: dict[str, list[str]]) -> int:
    """Number of edge crossings between adjacent layers (inversion count per layer pair)."""
    total = 0
    for upper, lower in zip(orders, orders[1:]):
        pos = {n: i for i, n in enumerate(lower)}
        seen: list[int] = []
        for node in upper:
            targets = sorted(pos[t] for t in succs.get(node, ()) if t in pos)
            total += sum(len(seen) - bisect_right(seen, t) for t in targets)
            for t in targets:
                insort(seen, t)
    return total


def _order_layers(layer: dict[str, int], routes: dict[tuple[str, str], list[str]]):
    """Top-to-bottom order of every layer with few crossings (barycenter sweeps)."""
    orders: list[list[str]] = [[] for _ in range(max(layer.values(), default=-1) + 1)]
    for node, level in layer.items():
        orders[level].append(node)
    preds, succs = _neighbours(routes)
    best, best_crossings = [list(c) for c in orders], _crossings(orders, succs)
    for _ in range(SWEEPS):
        for i in range(1, len(orders)):
            orders[i] = _barycenter_sort(orders[i], orders[i - 1], preds)
        for i in range(len(orders) - 2, -1, -1):
            orders[i] = _barycenter_sort(orders[i], orders[i + 1], succs)
        crossings = _crossings(orders, succs)
        if crossings < best_crossings:
            best, best_crossings = [list(c) for c in orders], crossings
    return best


def _coordinates(orders: list[list[str]], real: dict[str, Node]) -> dict[str, Point]:
    """Centre of every node and waypoint; each column is centred vertically."""
    heights = [[NODE_H if n in real else WAYPOINT_H for n in column] for column in orders]
    totals = [sum(h) + ROW_GAP * (len(h) - 1) for h in heights]
    tallest = max(totals, default=0.0)
    pos: dict[str, Point] = {}
    for level, column in enumerate(orders):
        x = level * (NODE_W + LAYER_GAP) + NODE_W / 2
        y = (tallest - totals[level]) / 2
        for node, height in zip(column, heights[level]):
            pos[node] = (x, y + height / 2)
            y += height + ROW_GAP
    return pos


def _plan(nodes: Iterable[Node], edges: Iterable[tuple[str, str]]) -> _Plan:
    """Validate the input and compute the complete layout."""
    by_id, unique = _validate(nodes, edges)
    ids = list(by_id)
    dag = _acyclic(ids, unique)
    layer = _longest_path_layers(ids, dag)
    _tuck_sources(layer, dag)
    routes = _add_waypoints(layer, dag)
    orders = _order_layers(layer, routes)
    pos = _coordinates(orders, by_id)
    return _Plan(by_id, unique, dag, layer, orders, pos, routes)


def layout(nodes: Sequence[Node], edges: Iterable[tuple[str, str]]) -> dict[str, Point]:
    """Place a lineage graph in left-to-right layers.

    A node's layer is the length of the longest path reaching it from a source, except that
    a source is placed just before its earliest successor (so a transform sits next to its
    run); within a layer nodes are ordered by the barycenter of their neighbours to reduce
    crossings, and edges that skip layers reserve a slot in each layer they cross.
    Cycles are broken deterministically (a cycle-closing edge is reversed for layering),
    self-loops are ignored for layering and isolated nodes sit in the first layer.

    Args:
        nodes: The nodes; ids must be unique.
        edges: ``(source_id, target_id)`` pairs; duplicates are ignored.

    Returns:
        The centre ``(x, y)`` of every node in pixels, origin at the top left of the drawing
        area; x grows with the layer. Nodes are ``NODE_W`` x ``NODE_H`` boxes.

    Raises:
        ValueError: A node id is repeated or an edge names an unknown node.

    Example:
        >>> pos = layout([Node("a", "raw.csv", "file"), Node("b", "clean", "run")], [("a", "b")])
        >>> pos["a"][0] < pos["b"][0], pos["a"][1] == pos["b"][1]
        (True, True)
    """
    plan = _plan(nodes, edges)
    return {node_id: plan.pos[node_id] for node_id in plan.nodes}


# --------------------------------------------------------------------------- edge geometry


Anchor = tuple[Point, Point]  # a point on an edge and the edge's direction there


def _anchors(plan: _Plan, source: str, target: str) -> list[Anchor]:
    """Points an input edge passes through, each with the edge's direction at that point.

    Forward edges leave the source's right side and enter the target's left side. Reversed
    (cycle-closing) edges run right to left from the source's bottom into the target's
    bottom, so they are not mistaken for forward edges. Waypoints contribute a straight run
    across their column, so an edge never cuts through a node.
    """
    forward = (source, target) in plan.dag
    ids = plan.routes[(source, target)] if forward else plan.routes[(target, source)][::-1]
    (x0, y0), (x1, y1) = plan.pos[source], plan.pos[target]
    side = NODE_W / 2 if forward else -NODE_W / 2
    along = (1.0 if forward else -1.0, 0.0)
    below = (0.0, 1.0)
    anchors = [((x0 + side, y0), along) if forward else ((x0, y0 + NODE_H / 2), below)]
    for waypoint in ids[1:-1]:
        x, y = plan.pos[waypoint]
        anchors += [((x - side, y), along), ((x + side, y), along)]
    end = ((x1 - side, y1), along) if forward else ((x1, y1 + NODE_H / 2), (0.0, -1.0))
    return anchors + [end]


def _edge_segments(plan: _Plan, source: str, target: str) -> list[Segment]:
    """Path segments of one edge: smooth curves between columns, straight across waypoints."""
    if source == target:
        return _self_loop(plan.pos[source])
    anchors = _anchors(plan, source, target)
    segments: list[Segment] = [("M", (anchors[0][0],))]
    for i, (a, b) in enumerate(zip(anchors, anchors[1:])):
        if i % 2:  # odd steps cross a waypoint column
            segments.append(("L", (b[0],)))
        else:
            segments.append(("C", _controls(a, b) + (b[0],)))
    return segments


def _controls(a: Anchor, b: Anchor) -> tuple[Point, Point]:
    """Bezier control points leaving ``a`` and entering ``b`` along their directions."""
    (xa, ya), (dxa, dya) = a
    (xb, yb), (dxb, dyb) = b
    reach = max(abs(xb - xa) / 2, 20.0)
    ka = reach if dxa else 40.0
    kb = reach if dxb else 40.0
    return (xa + dxa * ka, ya + dya * ka), (xb - dxb * kb, yb - dyb * kb)


def _self_loop(centre: Point) -> list[Segment]:
    """A loop from the node's right side over its top-right corner back into its top."""
    x, y = centre
    right, top = x + NODE_W / 2, y - NODE_H / 2
    end = (right - 30, top)
    return [("M", ((right, y),)), ("C", ((right + 45, y), (right - 30, top - 45), end))]


# --------------------------------------------------------------------------- SVG


def _num(value: float) -> str:
    """Compact fixed-point number for SVG attributes (no exponent, no trailing zeros)."""
    text = f"{value:.1f}".rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


def _esc(text: str) -> str:
    """Escape text for XML content and attribute values; replace characters XML forbids."""
    return escape(_XML_INVALID.sub("\ufffd", text), {'"': "&quot;"})


def _truncate(text: str, limit: int) -> str:
    """One-line ``text``, cut to ``limit`` characters with an ellipsis when longer."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "\u2026"


def _path_data(segments: list[Segment], dx: float = 0.0, dy: float = 0.0) -> str:
    """SVG ``d`` attribute for ``segments`` shifted by ``(dx, dy)``."""
    parts = []
    for command, points in segments:
        coords = " ".join(f"{_num(x + dx)},{_num(y + dy)}" for x, y in points)
        parts.append(f"{command}{coords}")
    return " ".join(parts)


def _shape(kind: str, w: float, h: float, fill: str, stroke: str, width: float) -> str:
    """SVG shape(s) of a ``w`` x ``h`` node of ``kind`` with its top left at the origin."""
    paint = f'fill="{fill}" stroke="{stroke}" stroke-width="{_num(width)}"'
    if kind == "transform":
        return f'<rect width="{_num(w)}" height="{_num(h)}" rx="{_num(h / 5)}" {paint}/>'
    if kind == "run":
        return f'<rect width="{_num(w)}" height="{_num(h)}" rx="{_num(h / 2)}" {paint}/>'
    if kind == "file":
        return _folded_rect(w, h, paint)
    if kind == "dataset":
        return _cylinder(w, h, paint)
    return f'<rect width="{_num(w)}" height="{_num(h)}" {paint}/>'


def _folded_rect(w: float, h: float, paint: str) -> str:
    """A sheet of paper: rectangle with a folded top-right corner."""
    f = min(14.0, h / 3)
    body = f"M0,0 H{_num(w - f)} L{_num(w)},{_num(f)} V{_num(h)} H0 Z"
    fold = f"M{_num(w - f)},0 V{_num(f)} H{_num(w)}"
    return f'<path d="{body}" {paint}/><path d="{fold}" {paint} fill-opacity="0.5"/>'


def _cylinder(w: float, h: float, paint: str) -> str:
    """A database cylinder: body with elliptic caps, then the visible top face."""
    rx, ry = w / 2, min(8.0, h / 5)
    body = (
        f"M0,{_num(ry)} V{_num(h - ry)} A{_num(rx)},{_num(ry)} 0 0 0 {_num(w)},{_num(h - ry)} "
        f"V{_num(ry)} A{_num(rx)},{_num(ry)} 0 0 0 0,{_num(ry)} Z"
    )
    top = f'<ellipse cx="{_num(rx)}" cy="{_num(ry)}" rx="{_num(rx)}" ry="{_num(ry)}" {paint}/>'
    return f'<path d="{body}" {paint}/>{top}'


def _class_token(kind: str) -> str:
    """``kind`` reduced to a safe CSS class name."""
    return re.sub(r"[^A-Za-z0-9_-]+", "-", kind).strip("-") or "other"


def _node_tooltip(node: Node) -> str:
    """Full text of a node for its ``<title>`` tooltip."""
    lines = [node.label, node.detail, f"{node.kind}: {node.id}"]
    return "\n".join(line for line in lines if line)


def _node_texts(node: Node) -> list[str]:
    """Label (and detail) ``<text>`` elements, centred in the node box."""
    shift = 5.0 if node.kind == "dataset" else 0.0  # below the cylinder's top face
    middle = f'x="{_num(NODE_W / 2)}" text-anchor="middle"'
    label = _truncate(node.label, LABEL_MAX)
    bold = f'{_fit(label, 13, _BOLD_EM)} font-weight="600"'
    if not node.detail:
        y = NODE_H / 2 + 4.5 + shift
        return [f'<text {middle} y="{_num(y)}" {bold}>{_esc(label)}</text>']
    detail = _truncate(node.detail, DETAIL_MAX)
    small = f'{_fit(detail, 11, _PLAIN_EM)} fill="#4b5563"'
    return [
        f'<text {middle} y="{_num(NODE_H / 2 - 3 + shift)}" {bold}>{_esc(label)}</text>',
        f'<text {middle} y="{_num(NODE_H / 2 + 13 + shift)}" {small}>{_esc(detail)}</text>',
    ]


def _font_size(text: str, size: float, em: float) -> float:
    """``size`` shrunk (down to 11 px) so ``text`` of average glyph width ``em`` fits a node."""
    needed = len(text) * size * em
    return size if needed <= _TEXT_ROOM else max(MIN_FONT, size * _TEXT_ROOM / needed)


def _fit(text: str, size: float, em: float) -> str:
    """Font-size attribute fitting ``text`` into a node, squeezed with ``textLength`` if needed."""
    fitted = _font_size(text, size, em)
    attrs = f'font-size="{_num(fitted)}"'
    if len(text) * fitted * em > _TEXT_ROOM:
        attrs += f' textLength="{_num(_TEXT_ROOM)}" lengthAdjust="spacingAndGlyphs"'
    return attrs


def _svg_node(node: Node, centre: Point, highlighted: bool) -> str:
    """One ``<g class="node KIND">`` group, translated to the node's top-left corner."""
    fill, stroke = _COLOURS.get(node.kind, _NEUTRAL)
    x, y = centre[0] - NODE_W / 2, centre[1] - NODE_H / 2
    attrs = (
        f'class="node {_class_token(node.kind)}" data-id="{_esc(node.id)}" '
        f'data-kind="{_esc(node.kind)}" transform="translate({_num(x)},{_num(y)})"'
    )
    if highlighted:
        attrs += ' data-highlight="true"'
    shape = _shape(node.kind, NODE_W, NODE_H, fill, stroke, 3.5 if highlighted else 1.5)
    body = "".join([f"<title>{_esc(_node_tooltip(node))}</title>", shape, *_node_texts(node)])
    return f"<g {attrs}>{body}</g>"


def _svg_edge(plan: _Plan, source: str, target: str, offset: Point, marker: str) -> str:
    """One ``<g class="edge">`` group with a curved path ending in an arrowhead."""
    forward = source != target and (source, target) in plan.dag
    dash = "" if forward or source == target else ' stroke-dasharray="5 4"'
    d = _path_data(_edge_segments(plan, source, target), *offset)
    tip = f"{plan.nodes[source].label} -> {plan.nodes[target].label}"
    return (
        f'<g class="edge" data-source="{_esc(source)}" data-target="{_esc(target)}">'
        f"<title>{_esc(tip)}</title>"
        f'<path d="{d}" fill="none" stroke="{_EDGE_COLOUR}" stroke-width="1.4"{dash} '
        f'marker-end="url(#{marker})"/></g>'
    )


def _legend_kinds(nodes: Iterable[Node]) -> list[str]:
    """Kinds present, the standard ones first in their usual order, then others sorted."""
    present = {node.kind for node in nodes}
    return [k for k in KINDS if k in present] + sorted(present.difference(KINDS))


def _svg_legend(kinds: list[str], x: float, y: float) -> tuple[str, float]:
    """A one-row legend of small shapes; returns the markup and its width."""
    items, cursor = [], 0.0
    for kind in kinds:
        fill, stroke = _COLOURS.get(kind, _NEUTRAL)
        shape = _shape(kind, 30, 18, fill, stroke, 1.2)
        text = f'<text x="38" y="13.5" font-size="12" fill="#374151">{_esc(kind)}</text>'
        items.append(
            f'<g class="legend-item {_class_token(kind)}" '
            f'transform="translate({_num(cursor)},0)">{shape}{text}</g>'
        )
        cursor += 38 + 7.2 * len(kind) + 22
    markup = f'<g class="legend" transform="translate({_num(x)},{_num(y)})">{"".join(items)}</g>'
    return markup, cursor


def _marker(marker_id: str) -> str:
    """The arrowhead definition shared by all edges."""
    return (
        f'<defs><marker id="{marker_id}" viewBox="0 0 10 10" refX="9" refY="5" '
        f'markerWidth="8" markerHeight="8" orient="auto">'
        f'<path d="M0,0 L10,5 L0,10 z" fill="{_EDGE_COLOUR}"/></marker></defs>'
    )


def _marker_id(plan: _Plan, title: str | None, highlight: str | None) -> str:
    """A stable id unique to this picture, so several SVGs can share one HTML page."""
    key = repr((list(plan.nodes.values()), plan.edges, title, highlight))
    return "lc-arrow-" + hashlib.sha1(key.encode("utf-8", "replace")).hexdigest()[:10]


def _graph_size(plan: _Plan) -> Point:
    """Width and height of the drawing area holding nodes and waypoints."""
    if not plan.pos:
        return 180.0, 24.0  # room for the "(empty lineage graph)" note
    width = len(plan.orders) * (NODE_W + LAYER_GAP) - LAYER_GAP
    half = {n: (NODE_H if n in plan.nodes else WAYPOINT_H) / 2 for n in plan.pos}
    return width, max(y + half[n] for n, (_, y) in plan.pos.items())


@dataclass(frozen=True)
class _Frame:
    """Where the parts of a picture go, in pixels."""

    origin: Point  # top left of the graph area (layout coordinates start here)
    legend_y: float
    width: float
    height: float


def _frame(plan: _Plan, title: str | None, legend_w: float) -> _Frame:
    """Size the picture: title, graph (with room for loops and back edges), legend."""
    loops_above = any(s == t for s, t in plan.edges)
    arcs_below = any(s != t and (s, t) not in plan.dag for s, t in plan.edges)
    top = MARGIN + (TITLE_H if title else 0.0) + (34.0 if loops_above else 0.0)
    graph_w, graph_h = _graph_size(plan)
    legend_y = top + graph_h + (34.0 if arcs_below else 18.0)
    width = 2 * MARGIN + max(
        graph_w + (24.0 if loops_above else 0.0), legend_w, 9.0 * len(title or "")
    )
    return _Frame((MARGIN, top), legend_y, width, legend_y + LEGEND_H)


def _checked_plan(
    nodes: Iterable[Node], edges: Iterable[tuple[str, str]], highlight: str | None
) -> _Plan:
    """:func:`_plan`, also rejecting a ``highlight`` that is not a node id."""
    plan = _plan(nodes, edges)
    if highlight is not None and highlight not in plan.nodes:
        raise ValueError(f"highlight {highlight!r} is not a node id")
    return plan


def _svg_document(width: float, height: float, body: list[str]) -> LineageSVG:
    """Wrap ``body`` in the ``<svg>`` root element with a white background."""
    size = f'width="{_num(width)}" height="{_num(height)}"'
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" {size} '
        f'viewBox="0 0 {_num(width)} {_num(height)}" font-family="{_FONT}" fill="#111827">'
        f'<rect class="background" {size} fill="#ffffff"/>'
    )
    return LineageSVG("\n".join([head, *body, "</svg>"]) + "\n")


def render_svg(
    nodes: Sequence[Node],
    edges: Iterable[tuple[str, str]],
    *,
    title: str | None = None,
    highlight: str | None = None,
) -> LineageSVG:
    """Draw the lineage graph as a standalone SVG document, flowing left to right.

    Node groups carry ``class="node KIND"`` and ``data-id``; edge groups ``class="edge"``,
    ``data-source`` and ``data-target``. Labels longer than 28 characters are truncated with
    an ellipsis; the full text is in each node's ``<title>`` tooltip. An edge that closes a
    cycle is drawn dashed, from the bottom of its source back into the bottom of its target.

    Args:
        nodes: The nodes; ids must be unique.
        edges: ``(source_id, target_id)`` pairs.
        title: Optional heading drawn above the graph.
        highlight: Id of the node the picture is about; drawn with a thick border.

    Returns:
        The SVG markup as a :class:`LineageSVG` string (displayed inline by Jupyter).

    Raises:
        ValueError: Duplicate node ids, an edge to an unknown node, or an unknown ``highlight``.
    """
    plan = _checked_plan(nodes, edges, highlight)
    kinds = _legend_kinds(plan.nodes.values())
    legend_w = _svg_legend(kinds, 0.0, 0.0)[1]
    frame = _frame(plan, title, legend_w)
    marker = _marker_id(plan, title, highlight)
    body = [_marker(marker)]
    if title:
        body.append(_svg_title(title))
    if not plan.nodes:
        x, y = frame.origin
        note = "(empty lineage graph)"
        body.append(f'<text x="{_num(x)}" y="{_num(y + 16)}" font-size="13">{note}</text>')
    body += _svg_graph(plan, frame.origin, marker, highlight)
    body.append(_svg_legend(kinds, MARGIN, frame.legend_y)[0])
    return _svg_document(frame.width, frame.height, body)


def _svg_graph(plan: _Plan, origin: Point, marker: str, highlight: str | None) -> list[str]:
    """The edge group (drawn first, underneath) and the node group."""
    edges = [_svg_edge(plan, s, t, origin, marker) for s, t in plan.edges]
    nodes = [
        _svg_node(node, _shift(plan.pos[node.id], *origin), node.id == highlight)
        for node in plan.nodes.values()
    ]
    return [f'<g class="edges">{"".join(edges)}</g>', f'<g class="nodes">{"".join(nodes)}</g>']


def _shift(point: Point, dx: float, dy: float) -> Point:
    """``point`` moved by ``(dx, dy)``."""
    return point[0] + dx, point[1] + dy


def _svg_title(title: str) -> str:
    """The heading above the graph."""
    return (
        f'<text class="title" x="{_num(MARGIN)}" y="{_num(MARGIN + 16)}" font-size="16" '
        f'font-weight="700">{_esc(" ".join(title.split()))}</text>'
    )


# --------------------------------------------------------------------------- PNG (matplotlib)


def render_png(
    nodes: Sequence[Node],
    edges: Iterable[tuple[str, str]],
    path: str | PathLike[str],
    *,
    title: str | None = None,
    highlight: str | None = None,
    dpi: int = 150,
) -> None:
    """Draw the same picture as :func:`render_svg` into a PNG file with matplotlib.

    matplotlib is optional and imported only here; it is not needed for SVG or text output.

    Args:
        nodes: The nodes; ids must be unique.
        edges: ``(source_id, target_id)`` pairs.
        path: Destination PNG file.
        title: Optional heading drawn above the graph.
        highlight: Id of the node drawn with a thick border.
        dpi: Output resolution; 100 gives one pixel per SVG pixel.

    Raises:
        ImportError: matplotlib is not installed; inside lakecat this is
            ``lakecat.lineage.MissingDependencyError``, also a lakecat ValidationError.
        ValueError: Invalid graph or unknown ``highlight`` (as for :func:`render_svg`).
    """
    try:
        import matplotlib  # noqa: F401
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError as exc:
        raise _missing_matplotlib() from exc
    plan = _checked_plan(nodes, edges, highlight)
    frame = _frame(plan, title, 120.0 * len(_legend_kinds(plan.nodes.values())))
    width, height = frame.width, frame.height
    fig = Figure(figsize=(width / 100, height / 100), dpi=100, facecolor="white")
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, width)
    ax.set_ylim(height, 0)
    ax.axis("off")
    _mpl_draw(ax, plan, frame.origin, title, highlight)
    FigureCanvasAgg(fig)
    fig.savefig(path, format="png", dpi=dpi, facecolor="white")


def _missing_matplotlib() -> ImportError:
    """The error for PNG output without matplotlib, naming the fix.

    A ``lakecat.lineage.MissingDependencyError`` (a lakecat error, so the CLI prints one
    line); a plain ImportError when this module is used on its own, without lakecat.
    """
    message = (
        "PNG output needs matplotlib: pip install 'lakecat[plot]' (or pip install matplotlib); "
        "or write .svg instead (render_svg and to_text work without it)."
    )
    try:
        from lakecat.lineage import MissingDependencyError
    except ImportError:
        return ImportError(message)
    return MissingDependencyError(message)


_PT = 0.72  # font size in points per SVG pixel (1 px = 1/100 inch in render_png)


def _mpl_draw(ax, plan: _Plan, offset: Point, title: str | None, highlight: str | None):
    """Draw title, edges, nodes and legend of ``plan`` on axes measured in SVG pixels."""
    if title:
        ax.text(MARGIN, MARGIN + 16, " ".join(title.split()), fontsize=16 * _PT, weight="bold")
    if not plan.nodes:
        ax.text(offset[0], offset[1] + 16, "(empty lineage graph)", fontsize=13 * _PT)
    for source, target in plan.edges:
        _mpl_edge(ax, plan, source, target, offset)
    for node in plan.nodes.values():
        centre = _shift(plan.pos[node.id], *offset)
        _mpl_box(ax, node.kind, centre, node.id == highlight)
        _mpl_labels(ax, node, centre)
    _mpl_legend(ax, _legend_kinds(plan.nodes.values()))


def _mpl_edge(ax, plan: _Plan, source: str, target: str, offset: Point) -> None:
    """One edge as a matplotlib arrow following the same curve as the SVG path."""
    from matplotlib.patches import FancyArrowPatch
    from matplotlib.path import Path

    codes_for = {"M": [Path.MOVETO], "L": [Path.LINETO], "C": [Path.CURVE4] * 3}
    verts, codes = [], []
    for command, points in _edge_segments(plan, source, target):
        verts += [_shift(p, *offset) for p in points]
        codes += codes_for[command]
    backward = source != target and (source, target) not in plan.dag
    style = {"color": _EDGE_COLOUR, "linewidth": 1.2, "linestyle": "--" if backward else "-"}
    ax.add_patch(
        FancyArrowPatch(
            path=Path(verts, codes),
            arrowstyle="-|>",
            mutation_scale=12,
            shrinkA=0,
            shrinkB=0,
            **style,
        )
    )


def _mpl_box(ax, kind: str, centre: Point, highlighted: bool) -> None:
    """A node box: rounded (transform), pill (run), double border (dataset) or plain."""
    from matplotlib.patches import FancyBboxPatch

    fill, stroke = _COLOURS.get(kind, _NEUTRAL)
    x, y = centre[0] - NODE_W / 2, centre[1] - NODE_H / 2
    radius = {"transform": NODE_H / 5, "run": NODE_H / 2}.get(kind, 0.0)
    style = f"round,pad=0,rounding_size={radius}" if radius else "square,pad=0"
    paint = {"boxstyle": style, "edgecolor": stroke}
    width = 2.5 if highlighted else 1.0
    ax.add_patch(FancyBboxPatch((x, y), NODE_W, NODE_H, facecolor=fill, lw=width, **paint))
    if kind == "dataset":
        inner = (x + 3, y + 3), NODE_W - 6, NODE_H - 6
        ax.add_patch(FancyBboxPatch(*inner, facecolor="none", lw=0.8, **paint))


def _mpl_labels(ax, node: Node, centre: Point) -> None:
    """The node's (possibly truncated and shrunk) label and detail line."""
    label = _truncate(node.label, LABEL_MAX)
    size = _font_size(label, 13, _BOLD_EM) * _PT
    label_y = centre[1] - (7 if node.detail else 0)
    ax.text(centre[0], label_y, label, ha="center", va="center", fontsize=size, weight="bold")
    if node.detail:
        detail = _truncate(node.detail, DETAIL_MAX)
        size = _font_size(detail, 11, _PLAIN_EM) * _PT
        ax.text(
            centre[0],
            centre[1] + 10,
            detail,
            ha="center",
            va="center",
            fontsize=size,
            color="#4b5563",
        )


def _mpl_legend(ax, kinds: list[str]) -> None:
    """A one-row legend of kinds below the graph."""
    from matplotlib.patches import Patch

    colours = [_COLOURS.get(kind, _NEUTRAL) for kind in kinds]
    handles = [Patch(facecolor=f, edgecolor=e, label=k) for k, (f, e) in zip(kinds, colours)]
    if handles:
        anchor = (MARGIN / ax.get_xlim()[1] - 0.01, 0.0)
        ax.legend(
            handles=handles,
            loc="lower left",
            bbox_to_anchor=anchor,
            ncol=len(handles),
            frameon=False,
            fontsize=12 * _PT,
        )


# --------------------------------------------------------------------------- text


def _text_names(nodes: dict[str, Node]) -> dict[str, str]:
    """``[kind] label`` per node; ``#id`` is appended where that text is ambiguous."""
    plain = {i: f"[{n.kind}] {' '.join(n.label.split())}" for i, n in nodes.items()}
    counts: dict[str, int] = {}
    for text in plain.values():
        counts[text] = counts.get(text, 0) + 1
    return {i: text if counts[text] == 1 else f"{text} #{i}" for i, text in plain.items()}


def _ordered_links(plan: _Plan, upstream: bool) -> dict[str, list[str]]:
    """Predecessors (``upstream``) or successors of each node, sorted top-down by layout."""
    rank = {n: (level, i) for level, column in enumerate(plan.orders) for i, n in enumerate(column)}
    links: dict[str, list[str]] = {i: [] for i in plan.nodes}
    for source, target in plan.edges:
        if upstream:
            links[target].append(source)
        else:
            links[source].append(target)
    return {i: sorted(others, key=rank.__getitem__) for i, others in links.items()}


def _chains(plan: _Plan) -> list[list[str]]:
    """Cover every edge once with maximal chains through nodes of in- and out-degree one."""
    succ = _ordered_links(plan, upstream=False)
    indegree = {i: 0 for i in plan.nodes}
    for _, target in plan.edges:
        indegree[target] += 1
    inner = {i for i in plan.nodes if indegree[i] == 1 and len(succ[i]) == 1}
    starts = [n for column in plan.orders for n in column if n in plan.nodes]
    used: set[tuple[str, str]] = set()
    chains = []
    for only_chain_ends in (True, False):  # the second pass picks up pure cycles
        for node in starts:
            if only_chain_ends and node in inner:
                continue
            for target in succ[node]:
                if (node, target) not in used:
                    chains.append(_walk(node, target, succ, inner, used))
    return chains


def _walk(
    source: str, target: str, succ: dict[str, list[str]], inner: set[str], used: set
) -> list[str]:
    """Follow edges from ``source -> target`` while the chain continues unambiguously."""
    chain = [source, target]
    used.add((source, target))
    while target in inner and (target, succ[target][0]) not in used:
        source, target = target, succ[target][0]
        used.add((source, target))
        chain.append(target)
    return chain


def _layered_text(plan: _Plan, names: dict[str, str]) -> str:
    """Chains of edges (and lone nodes), grouped under the layer where each chain starts."""
    lines: dict[int, list[str]] = {}
    for chain in _chains(plan):
        lines.setdefault(plan.layer[chain[0]], []).append(" -> ".join(names[n] for n in chain))
    linked = {n for edge in plan.edges for n in edge}
    for node in (n for column in plan.orders for n in column):
        if node in plan.nodes and node not in linked:
            lines.setdefault(plan.layer[node], []).append(names[node])
    out = []
    for level in sorted(lines):
        out.append(f"layer {level}:")
        out.extend(f"  {line}" for line in lines[level])
    return "\n".join(out)


def _upstream_tree(plan: _Plan, names: dict[str, str], root: str) -> str:
    """Indented tree of everything ``root`` derives from; repeats are not expanded again."""
    preds = _ordered_links(plan, upstream=True)
    lines, seen = [names[root]], {root}
    stack = [(p, "", i == len(preds[root]) - 1) for i, p in enumerate(preds[root])][::-1]
    while stack:
        node, prefix, last = stack.pop()
        repeat = node in seen
        note = " (see above)" if repeat and preds[node] else ""
        lines.append(f"{prefix}{'`-- ' if last else '|-- '}{names[node]}{note}")
        if repeat:
            continue
        seen.add(node)
        child_prefix = prefix + ("    " if last else "|   ")
        kids = preds[node]
        stack += [(k, child_prefix, i == len(kids) - 1) for i, k in enumerate(kids)][::-1]
    return "\n".join(lines)


def to_text(
    nodes: Sequence[Node], edges: Iterable[tuple[str, str]], *, root: str | None = None
) -> str:
    """Render the lineage graph as plain text for a terminal.

    Without ``root``, every edge is printed once, as part of a chain
    ``[kind] label -> [kind] label -> ...`` that runs through nodes with one input and one
    output; chains are grouped by the layer they start in and nodes without edges are listed
    alone. With ``root``, an indented tree of everything upstream of that node is printed.
    A ``#id`` suffix tells apart nodes with the same kind and label.

    Args:
        nodes: The nodes; ids must be unique.
        edges: ``(source_id, target_id)`` pairs.
        root: Optional node id whose upstream lineage is shown as a tree.

    Returns:
        The text, lines joined by ``"\\n"`` without a trailing newline.

    Raises:
        ValueError: Invalid graph or unknown ``root``.

    Example:
        >>> nodes = [Node("f", "raw.fastq", "file"), Node("r", "align", "run"),
        ...          Node("d", "counts", "dataset")]
        >>> print(to_text(nodes, [("f", "r"), ("r", "d")], root="d"))
        [dataset] counts
        `-- [run] align
            `-- [file] raw.fastq
    """
    plan = _plan(nodes, edges)
    if not plan.nodes:
        return "(empty lineage graph)"
    names = _text_names(plan.nodes)
    if root is None:
        return _layered_text(plan, names)
    if root not in plan.nodes:
        raise ValueError(f"root {root!r} is not a node id")
    return _upstream_tree(plan, names, root)
