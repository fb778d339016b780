"""The lineage graph as text for a terminal (``lakecat lineage UID``)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from .layout import Node, _Plan, _plan

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
