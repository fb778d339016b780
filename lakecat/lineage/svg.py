"""The lineage picture as a standalone SVG document (shown inline by Jupyter)."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from html import escape
from os import PathLike

from .layout import (
    _BOLD_EM,
    _COLOURS,
    _EDGE_COLOUR,
    _FONT,
    _NEUTRAL,
    _PLAIN_EM,
    _TEXT_ROOM,
    _XML_INVALID,
    DETAIL_MAX,
    KINDS,
    LABEL_MAX,
    LAYER_GAP,
    LEGEND_H,
    MARGIN,
    MIN_FONT,
    NODE_H,
    NODE_W,
    TITLE_H,
    WAYPOINT_H,
    Node,
    Point,
    Segment,
    _edge_segments,
    _Plan,
    _plan,
)


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


# --------------------------------------------------------------------------- SVG


def _num(value: float) -> str:
    """Compact fixed-point number for SVG attributes (no exponent, no trailing zeros)."""
    text = f"{value:.1f}".rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


def _esc(text: str) -> str:
    """Escape text for XML content and attribute values; replace characters XML forbids."""
    return escape(_XML_INVALID.sub("\ufffd", text), quote=True)


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
