"""Upstream lineage of a File or Dataset: the graph, its picture and its text."""

from __future__ import annotations

from typing import Any

from catalog_sql.errors import ValidationError

MAX_NODES = 500


class MissingDependencyError(ValidationError, ImportError):
    """An optional package this call needs is not installed (the message names the fix).

    Both a lakecat error (the CLI prints one line) and an ImportError.
    """


def _node_for(record: Any):
    from .lineage_render import Node
    from .registries import Dataset, File, Run, Transform

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
    from .registries import Dataset, File, Run

    if isinstance(record, (File, Dataset)):
        return [record.run] if record.run_id else []
    if isinstance(record, Run):
        parents = [record.transform] if record.transform_id else []
        return parents + record.input_files.list() + record.input_datasets.list()
    return []


def view(record: Any, *, depth: int = 10):
    """The upstream picture as SVG (shown inline in Jupyter)."""
    from .lineage_render import render_svg

    nodes, edges = upstream(record, depth=depth)
    return render_svg(nodes, edges, title=f"lineage of {record.uid}", highlight=record.uid)


def as_text(record: Any, *, depth: int = 10) -> str:
    """The upstream graph as an indented tree."""
    from .lineage_render import to_text

    nodes, edges = upstream(record, depth=depth)
    return to_text(nodes, edges, root=record.uid)
