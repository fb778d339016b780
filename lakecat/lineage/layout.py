"""Lineage graph layout: nodes in layers left to right (Sugiyama-style), and the
geometry of the edges between them. Pure Python, standard library only."""

from __future__ import annotations

import re
from bisect import bisect_right, insort
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

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
