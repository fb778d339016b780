"""Upstream lineage of a File or Dataset: the graph, its picture and its text."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from ..errors import MissingDependencyError
from .tracking import current_run

MAX_NODES = 500
logger = logging.getLogger("lakecat")


class LineageMixin:
    """``view_lineage()`` for the registries that take part in lineage (File, Dataset,
    Transform, Run)."""

    def view_lineage(self, *, depth: int = 10, path: str | None = None) -> Any:
        """Picture of the upstream lineage (transforms, runs, files, datasets) as SVG.

        Shown inline in Jupyter; ``path`` also writes it (``.svg``, or ``.png`` with
        matplotlib installed: ``pip install 'lakecat[plot]'``).
        """
        svg = view(self, depth=depth)
        if path is not None and str(path).lower().endswith(".png"):
            try:
                from .render import render_png

                render_png(*upstream(self, depth=depth), path, highlight=self.uid)
                return svg
            except MissingDependencyError as err:
                if current_run() is None:
                    raise
                # an optional picture must never fail a tracked run: say so, write SVG
                path = str(Path(path).with_suffix(".svg"))
                logger.warning("%s; wrote %s instead", err, path)
        if path is not None:
            with open(path, "w", encoding="utf-8") as fh:
                fh.write(str(svg))
        return svg


def _node_for(record: Any):
    from ..core.catalog import registry_class
    from .render import Node

    Dataset, File, Run, Transform = (
        registry_class("Dataset"),
        registry_class("File"),
        registry_class("Run"),
        registry_class("Transform"),
    )

    if isinstance(record, File):
        label, kind = record.key or record.description or record.uid, "file"
        detail = f"{record.uid[:8]} v{record.version or 1}"
    elif isinstance(record, Dataset):
        label, kind = f"{record.name} v{record.version}", "dataset"
        detail = record.uid[:8]
    elif isinstance(record, Run):
        label, kind = f"run {record.uid[:8]}", "run"
        stamp = record.started_at or record.created_at
        detail = f"{record.status or ''} {stamp:%Y-%m-%d %H:%M}" if stamp else record.status or ""
    elif isinstance(record, Transform):
        label, kind = f"{record.name} (v{record.version or 1})", "transform"
        detail = record.type or ""
    else:
        label, kind, detail = record.uid, type(record).__name__.lower(), ""
    return Node(id=record.uid, label=label, kind=kind, detail=detail)


def upstream(record: Any, *, depth: int = 10) -> tuple[list, list[tuple[str, str]]]:
    """Nodes and (source, target) edges upstream of ``record``, ``depth`` runs deep."""
    nodes: dict[str, Any] = {}
    edges: set[tuple[str, str]] = set()
    frontier = [(record, 0)]
    while frontier and len(nodes) < MAX_NODES:
        current, level = frontier.pop()
        if current.uid in nodes:
            continue
        nodes[current.uid] = _node_for(current)
        for parent in _parents(current) if level < depth else []:
            edges.add((parent.uid, current.uid))
            frontier.append((parent, level + 1))
    kept = {uid for uid in nodes}
    return list(nodes.values()), sorted(e for e in edges if e[0] in kept and e[1] in kept)


def _parents(record: Any) -> list:
    from ..core.catalog import registry_class

    Dataset, File, Run = registry_class("Dataset"), registry_class("File"), registry_class("Run")

    if isinstance(record, (File, Dataset)):
        return [record.run] if record.run_id else []
    if isinstance(record, Run):
        parents = [record.transform] if record.transform_id else []
        return parents + record.input_files.list() + record.input_datasets.list()
    return []


def view(record: Any, *, depth: int = 10):
    """The upstream picture as SVG (shown inline in Jupyter)."""
    from .render import render_svg

    nodes, edges = upstream(record, depth=depth)
    return render_svg(nodes, edges, title=f"lineage of {record.uid}", highlight=record.uid)


def as_text(record: Any, *, depth: int = 10) -> str:
    """The upstream graph as an indented tree."""
    from .render import to_text

    nodes, edges = upstream(record, depth=depth)
    return to_text(nodes, edges, root=record.uid)
