"""The lineage picture: SVG structure, left-to-right layout, text rendering, optional PNG."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from lakecat.lineage import render as lr
from lakecat.lineage.render import NODE_H, NODE_W, LineageSVG, Node, layout, render_svg, to_text

SVG_NS = "{http://www.w3.org/2000/svg}"
MODULE_FILE = Path(lr.__file__)


# ----------------------------------------------------------------------------- helpers


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def groups(root: ET.Element, cls: str) -> list[ET.Element]:
    """``<g>`` elements whose first class token is ``cls``."""
    return [g for g in root.iter(f"{SVG_NS}g") if g.get("class", "").split()[:1] == [cls]]


def node_groups(root: ET.Element) -> dict[str, ET.Element]:
    return {g.get("data-id"): g for g in groups(root, "node")}


def node_boxes(root: ET.Element) -> dict[str, tuple[float, float]]:
    """Top-left corner of every node box, from its ``translate(x,y)``."""
    boxes = {}
    for node_id, g in node_groups(root).items():
        match = re.fullmatch(r"translate\(([-\d.]+),([-\d.]+)\)", g.get("transform"))
        assert match, g.get("transform")
        boxes[node_id] = (float(match[1]), float(match[2]))
    return boxes


def texts(group: ET.Element) -> list[str]:
    return [t.text or "" for t in group.iter(f"{SVG_NS}text")]


def tooltip(group: ET.Element) -> str:
    return group.find(f"{SVG_NS}title").text


def path_ends(edge: ET.Element) -> tuple[tuple[float, float], tuple[float, float]]:
    numbers = [
        float(v) for v in re.findall(r"-?\d+(?:\.\d+)?", edge.find(f"{SVG_NS}path").get("d"))
    ]
    return (numbers[0], numbers[1]), (numbers[-2], numbers[-1])


def chain(*kinds: str) -> tuple[list[Node], list[tuple[str, str]]]:
    nodes = [Node(f"n{i}", f"{kind} {i}", kind, f"uid{i}") for i, kind in enumerate(kinds)]
    return nodes, [(f"n{i}", f"n{i + 1}") for i in range(len(kinds) - 1)]


@pytest.fixture
def lineage() -> tuple[list[Node], list[tuple[str, str]]]:
    """Two transforms, two runs, a raw input used twice, an intermediate file, a dataset."""
    nodes = [
        Node("T1", "qc.py (v2)", "transform", "T1"),
        Node("R1", "2026-11-28 10:00", "run"),
        Node("F0", "raw.h5ad", "file"),
        Node("F1", "cells.parquet", "file"),
        Node("T2", "merge.ipynb", "transform"),
        Node("R2", "2026-11-29 09:12", "run"),
        Node("D1", "atlas", "dataset", "D1"),
    ]
    edges = [
        ("T1", "R1"),
        ("F0", "R1"),
        ("R1", "F1"),
        ("T2", "R2"),
        ("F1", "R2"),
        ("F0", "R2"),
        ("R2", "D1"),
    ]
    return nodes, edges


# ----------------------------------------------------------------------------- SVG structure


def test_svg_document_has_one_group_per_node_and_edge(lineage):
    nodes, edges = lineage
    svg = render_svg(nodes, edges, title="Lineage of atlas")
    root = parse(svg)
    assert root.tag == f"{SVG_NS}svg"
    assert svg.startswith('<svg xmlns="http://www.w3.org/2000/svg"')
    width, height = (float(v) for v in root.get("viewBox").split()[2:])
    assert width > 4 * NODE_W and height > 3 * NODE_H
    assert set(node_groups(root)) == {n.id for n in nodes}
    assert len(groups(root, "node")) == len(nodes)
    drawn = [(g.get("data-source"), g.get("data-target")) for g in groups(root, "edge")]
    assert sorted(drawn) == sorted(edges)
    for node in nodes:
        assert node_groups(root)[node.id].get("class") == f"node {node.kind}"
    assert [t.text for t in root.iter(f"{SVG_NS}text") if t.get("class") == "title"] == [
        "Lineage of atlas"
    ]


def test_every_edge_has_an_arrowhead_defined_in_the_document(lineage):
    root = parse(render_svg(*lineage))
    (marker,) = [m.get("id") for m in root.iter(f"{SVG_NS}marker")]
    edges = groups(root, "edge")
    assert len(edges) == len(lineage[1])
    for edge in edges:
        assert edge.find(f"{SVG_NS}path").get("marker-end") == f"url(#{marker})"


def test_labels_and_details_appear_and_are_escaped():
    nodes = [
        Node("a&1", 'raw <&> "x"', "file", "id <1>"),
        Node("b", "qc.py (v2)", "transform"),
    ]
    svg = render_svg(nodes, [("a&1", "b")], title="<T> & co")
    assert "&lt;&amp;&gt;" in svg and "<&>" not in svg
    root = parse(svg)
    by_id = node_groups(root)
    assert texts(by_id["a&1"]) == ['raw <&> "x"', "id <1>"]
    assert texts(by_id["b"]) == ["qc.py (v2)"]
    assert groups(root, "edge")[0].get("data-source") == "a&1"
    assert "<T> & co" in [t.text for t in root.iter(f"{SVG_NS}text")]


def test_characters_forbidden_in_xml_do_not_break_the_document():
    svg = render_svg([Node("x", "bell\x07 and nul\x00", "file")], [])
    assert texts(node_groups(parse(svg))["x"]) == ["bell\ufffd and nul\ufffd"]


def test_kinds_get_distinct_shapes_and_colours_and_a_legend():
    nodes, edges = chain("transform", "run", "file", "dataset", "ulabel")
    root = parse(render_svg(nodes, edges))
    fills, shapes = {}, {}
    for g in groups(root, "node"):
        kind = g.get("data-kind")
        first = next(el for el in g if el.tag != f"{SVG_NS}title")
        fills[kind] = first.get("fill")
        shapes[kind] = (first.tag, first.get("rx"), len(g.findall(f"{SVG_NS}ellipse")))
    assert len(set(fills.values())) == 5
    assert len(set(shapes.values())) == 5
    assert shapes["run"][1] == str(int(NODE_H / 2))  # a pill
    legend = [g.get("class") for g in groups(root, "legend-item")]
    assert legend == [f"legend-item {k}" for k in ("transform", "run", "file", "dataset", "ulabel")]


def test_text_is_readable_and_nodes_are_wide_enough(lineage):
    root = parse(render_svg(*lineage))
    sizes = [float(t.get("font-size")) for t in root.iter(f"{SVG_NS}text")]
    assert sizes and min(sizes) >= 11
    assert NODE_W >= 160
    boxes = node_boxes(root)
    assert len({x for x, _ in boxes.values()}) > 1


def test_highlight_marks_exactly_one_node(lineage):
    nodes, edges = lineage
    root = parse(render_svg(nodes, edges, highlight="F1"))
    marked = [g.get("data-id") for g in groups(root, "node") if g.get("data-highlight")]
    assert marked == ["F1"]

    def border(node_id):
        g = node_groups(root)[node_id]
        return float(next(el for el in g if el.get("stroke-width")).get("stroke-width"))

    assert border("F1") > 2 * border("F0")
    plain = parse(render_svg(nodes, edges))
    assert not [g for g in groups(plain, "node") if g.get("data-highlight")]
    with pytest.raises(ValueError, match="highlight 'nope'"):
        render_svg(nodes, edges, highlight="nope")


def test_long_labels_are_truncated_but_kept_in_the_tooltip():
    long = "a_very_long_file_name_from_the_sequencing_core_batch_7.h5ad"
    root = parse(render_svg([Node("f", long, "file", "detail " * 10)], []))
    group = node_groups(root)["f"]
    shown, detail = texts(group)
    assert shown.endswith("\u2026") and len(shown) <= 28
    assert long.startswith(shown[:-1])
    assert len(detail) <= 34 and detail.endswith("\u2026")
    assert long in tooltip(group) and "file: f" in tooltip(group)
    short = node_groups(parse(render_svg([Node("g", "x" * 28, "file")], [])))["g"]
    assert texts(short) == ["x" * 28]


def test_render_svg_returns_a_notebook_displayable_string(tmp_path, lineage):
    svg = render_svg(*lineage)
    assert isinstance(svg, LineageSVG) and isinstance(svg, str)
    assert svg._repr_svg_() == svg
    svg.save(tmp_path / "lineage.svg")
    assert (tmp_path / "lineage.svg").read_text(encoding="utf-8") == svg


def test_empty_graph_renders_a_note():
    root = parse(render_svg([], []))
    assert not groups(root, "node") and not groups(root, "edge")
    assert "(empty lineage graph)" in [t.text for t in root.iter(f"{SVG_NS}text")]
    assert layout([], []) == {}
    assert to_text([], []) == "(empty lineage graph)"


# ----------------------------------------------------------------------------- layout


def test_edges_flow_left_to_right_and_attach_to_the_box_sides(lineage):
    nodes, edges = lineage
    root = parse(render_svg(nodes, edges))
    boxes = node_boxes(root)
    for edge in groups(root, "edge"):
        (sx, sy), (tx, ty) = boxes[edge.get("data-source")], boxes[edge.get("data-target")]
        assert sx < tx
        start, end = path_ends(edge)
        assert start == pytest.approx((sx + NODE_W, sy + NODE_H / 2))
        assert end == pytest.approx((tx, ty + NODE_H / 2))
    pos = layout(nodes, edges)
    assert all(pos[s][0] < pos[t][0] for s, t in edges)


def test_four_hop_chain_takes_five_increasing_layers_on_one_row():
    nodes, edges = chain("transform", "run", "file", "run", "dataset")
    pos = layout(nodes, edges)
    xs = [pos[n.id][0] for n in nodes]
    assert xs == sorted(xs) and len(set(xs)) == 5
    assert len({pos[n.id][1] for n in nodes}) == 1
    boxes = node_boxes(parse(render_svg(nodes, edges)))
    assert [boxes[n.id][0] for n in nodes] == sorted({x for x, _ in boxes.values()})


def test_layer_is_the_longest_path_from_a_source():
    nodes = [Node(i, i, "file") for i in "abcd"]
    pos = layout(nodes, [("a", "b"), ("b", "c"), ("a", "c"), ("c", "d")])
    columns = sorted({x for x, _ in pos.values()})
    assert [columns.index(pos[i][0]) for i in "abcd"] == [0, 1, 2, 3]


def test_nodes_of_one_layer_do_not_overlap():
    sources = [Node(f"in{i}", f"input {i}", "file") for i in range(7)]
    run = Node("run", "merge", "run")
    outputs = [Node(f"out{i}", f"output {i}", "file") for i in range(5)]
    edges = [(s.id, "run") for s in sources] + [("run", o.id) for o in outputs]
    nodes = [*sources, run, *outputs]
    pos = layout(nodes, edges)
    columns: dict[float, list[float]] = {}
    for x, y in pos.values():
        columns.setdefault(x, []).append(y)
    assert sorted(len(ys) for ys in columns.values()) == [1, 5, 7]
    for ys in columns.values():
        ys.sort()
        assert all(b - a >= NODE_H for a, b in zip(ys, ys[1:]))
    boxes = node_boxes(parse(render_svg(nodes, edges)))
    assert min(y for _, y in boxes.values()) >= 0


def test_barycenter_ordering_removes_avoidable_crossings():
    nodes = [Node(i, i, "file") for i in ["a", "b", "c", "x", "y", "z"]]
    edges = [("a", "z"), ("b", "y"), ("c", "x")]  # input order would cross all three
    pos = layout(nodes, edges)
    sources = sorted("abc", key=lambda n: pos[n][1])
    targets = sorted("xyz", key=lambda n: pos[n][1])
    assert [dict(edges)[s] for s in sources] == targets


def test_edges_skipping_layers_route_around_nodes():
    nodes = [Node("a", "a", "file"), Node("r", "r", "run"), Node("b", "b", "file")]
    nodes += [Node("t", "t", "transform"), Node("r2", "r2", "run")]
    edges = [("a", "r"), ("r", "b"), ("b", "r2"), ("t", "r2"), ("a", "r2")]
    root = parse(render_svg(nodes, edges))
    boxes = node_boxes(root)
    long_edge = next(
        g
        for g in groups(root, "edge")
        if g.get("data-target") == "r2" and g.get("data-source") == "a"
    )
    d = long_edge.find(f"{SVG_NS}path").get("d")
    straight = [float(y) for y in re.findall(r"L[-\d.]+,([-\d.]+)", d)]
    assert len(straight) == 2  # one straight run across each column it passes
    for node_id in ("r", "b"):
        top = boxes[node_id][1]
        assert all(y < top or y > top + NODE_H for y in straight)


def test_isolated_nodes_are_laid_out_and_drawn():
    nodes = [Node("a", "a", "file"), Node("b", "b", "run"), Node("lonely", "lonely", "ulabel")]
    pos = layout(nodes, [("a", "b")])
    assert set(pos) == {"a", "b", "lonely"}
    assert pos["lonely"] != pos["a"]
    root = parse(render_svg(nodes, [("a", "b")]))
    assert node_groups(root)["lonely"].get("class") == "node ulabel"


def test_cycles_and_self_loops_do_not_hang_and_are_drawn():
    nodes = [Node(i, f"node {i}", k) for i, k in zip("abcd", ["run", "file", "run", "dataset"])]
    edges = [("a", "b"), ("b", "c"), ("c", "a"), ("c", "d"), ("d", "d")]
    pos = layout(nodes, edges)
    assert pos["a"][0] < pos["b"][0] < pos["c"][0] < pos["d"][0]  # (c, a) reversed
    root = parse(render_svg(nodes, edges, highlight="a"))
    drawn = {(g.get("data-source"), g.get("data-target")): g for g in groups(root, "edge")}
    assert set(drawn) == set(edges)
    dashed = [e for e, g in drawn.items() if g.find(f"{SVG_NS}path").get("stroke-dasharray")]
    assert dashed == [("c", "a")]  # the edge closing the cycle runs backwards, dashed
    assert to_text(nodes, edges, root="d").splitlines() == [
        "[dataset] node d",
        "|-- [run] node c",
        "|   `-- [file] node b",
        "|       `-- [run] node a",
        "|           `-- [run] node c (see above)",
        "`-- [dataset] node d (see above)",
    ]


def test_layout_is_deterministic_whatever_the_hash_seed(lineage):
    nodes, edges = lineage
    assert render_svg(nodes, edges, title="t") == render_svg(nodes, edges, title="t")
    code = (
        "import sys\n"
        "import lakecat.lineage.render as lr\n"
        "N = lr.Node\n"
        f"nodes = [N(*a) for a in {[(n.id, n.label, n.kind, n.detail) for n in nodes]!r}]\n"
        f"edges = {edges!r} + [('D1', 'R1')]\n"
        "sys.stdout.write(lr.render_svg(nodes, edges) + lr.to_text(nodes, edges))\n"
    )
    outputs = set()
    for seed in ("0", "1", "12345"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        done = subprocess.run(
            [sys.executable, "-c", code],
            env=env,
            capture_output=True,
            text=True,
            check=True,
            encoding="utf-8",
        )
        outputs.add(done.stdout)
    assert len(outputs) == 1


def test_invalid_graphs_are_rejected_with_a_clear_message():
    a, b = Node("a", "a", "file"), Node("b", "b", "run")
    with pytest.raises(ValueError, match="duplicate node id 'a'"):
        layout([a, a], [])
    with pytest.raises(ValueError, match="unknown node 'zz'"):
        render_svg([a, b], [("a", "zz")])


def test_duplicate_edges_are_drawn_once():
    nodes, edges = chain("run", "file")
    root = parse(render_svg(nodes, edges * 3))
    assert len(groups(root, "edge")) == 1


# ----------------------------------------------------------------------------- text


def test_to_text_prints_chains_grouped_by_layer(lineage):
    nodes, edges = lineage
    assert to_text(nodes, edges) == "\n".join(
        [
            "layer 0:",
            "  [transform] qc.py (v2) -> [run] 2026-11-28 10:00",
            "  [file] raw.h5ad -> [run] 2026-11-28 10:00",
            "  [file] raw.h5ad -> [run] 2026-11-29 09:12",
            "layer 1:",
            "  [run] 2026-11-28 10:00 -> [file] cells.parquet -> [run] 2026-11-29 09:12",
            "layer 2:",
            "  [transform] merge.ipynb -> [run] 2026-11-29 09:12",
            "layer 3:",
            "  [run] 2026-11-29 09:12 -> [dataset] atlas",
        ]
    )


def test_to_text_covers_every_edge_once_and_lists_lone_nodes():
    nodes, edges = chain("transform", "run", "file", "run", "dataset")
    nodes.append(Node("x", "orphan", "ulabel"))
    text = to_text(nodes, edges)
    assert text == (
        "layer 0:\n"
        "  [transform] transform 0 -> [run] run 1 -> [file] file 2 -> [run] run 3"
        " -> [dataset] dataset 4\n"
        "  [ulabel] orphan"
    )


def test_to_text_upstream_tree_from_root(lineage):
    nodes, edges = lineage
    assert to_text(nodes, edges, root="D1") == "\n".join(
        [
            "[dataset] atlas",
            "`-- [run] 2026-11-29 09:12",
            "    |-- [file] raw.h5ad",
            "    |-- [file] cells.parquet",
            "    |   `-- [run] 2026-11-28 10:00",
            "    |       |-- [transform] qc.py (v2)",
            "    |       `-- [file] raw.h5ad",
            "    `-- [transform] merge.ipynb",
        ]
    )
    assert to_text(nodes, edges, root="T1") == "[transform] qc.py (v2)"
    with pytest.raises(ValueError, match="root 'nope'"):
        to_text(nodes, edges, root="nope")


def test_to_text_disambiguates_equal_labels_and_handles_cycles():
    nodes = [Node("r1", "train", "run"), Node("r2", "train", "run"), Node("f", "m.pt", "file")]
    edges = [("r1", "f"), ("f", "r2"), ("r2", "r1")]
    text = to_text(nodes, edges)
    assert "[run] train #r1" in text and "[run] train #r2" in text
    assert text.count("->") == 3
    tree = to_text(nodes, edges, root="r2")
    assert tree.splitlines()[-1].endswith("[run] train #r2 (see above)")


# ----------------------------------------------------------------------------- PNG + imports


def test_render_png_without_matplotlib_explains_how_to_get_it(monkeypatch, tmp_path, lineage):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # makes `import matplotlib` fail
    with pytest.raises(ImportError, match="pip install matplotlib") as info:
        lr.render_png(*lineage, tmp_path / "x.png")
    assert "render_svg" in str(info.value)
    assert not (tmp_path / "x.png").exists()


def test_render_png_writes_a_png_when_matplotlib_is_installed(tmp_path, lineage):
    pytest.importorskip("matplotlib")
    nodes, edges = lineage
    out = tmp_path / "lineage.png"
    lr.render_png(nodes, edges + [("D1", "R1"), ("D1", "D1")], out, title="t", highlight="D1")
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_module_imports_only_the_standard_library():
    code = (
        "import sys\n"
        "before = set(sys.modules)\n"
        "import lakecat.lineage.render\n"
        "new = {m.split('.')[0] for m in set(sys.modules) - before}\n"
        "ours = ('lakecat', 'catalog_sql')\n"
        "print(sorted(m for m in new if m not in sys.stdlib_module_names and m not in ours))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
