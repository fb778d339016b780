"""The lineage picture as PNG through matplotlib (``pip install 'lakecat[plot]'``):
the same layout and shapes as the SVG."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from os import PathLike

from .layout import (
    _BOLD_EM,
    _COLOURS,
    _EDGE_COLOUR,
    _NEUTRAL,
    _PLAIN_EM,
    DETAIL_MAX,
    LABEL_MAX,
    MARGIN,
    NODE_H,
    NODE_W,
    Node,
    Point,
    _edge_segments,
    _Plan,
)
from .svg import _checked_plan, _font_size, _frame, _legend_kinds, _shift, _truncate

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
            ``lakecat.errors.MissingDependencyError``, also a lakecat ValidationError.
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

    A ``lakecat.errors.MissingDependencyError`` (a lakecat error, so the CLI prints one
    line); a plain ImportError when this module is used on its own, without lakecat.
    """
    message = (
        "PNG output needs matplotlib: pip install 'lakecat[plot]' (or pip install matplotlib); "
        "or write .svg instead (render_svg and to_text work without it)."
    )
    try:
        from ..errors import MissingDependencyError
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
