"""A demo-like catalog for the web page tests, and a crawler over its pages."""

from __future__ import annotations

import html
import re
from collections import deque
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pandas as pd

import lakecat as lc

CELLS = pd.DataFrame(
    {"cell_type": ["T cell", "B cell", "T cell"], "n_genes": [1200, 950, 1430]},
    index=["c1", "c2", "c3"],
)


@dataclass
class Demo:
    """The records a demo-like catalog holds, for tests to look up pages by uid."""

    v1: Any
    v2: Any
    report: Any
    run: Any
    failed: Any
    transform: Any
    function_run: Any
    dataset: Any
    dataset_v0: Any
    script: Any
    scripted: Any
    adata: Any | None
    text_file: Any


def _anndata():
    try:
        import anndata as ad
        import numpy as np
    except ImportError:
        return None
    return ad.AnnData(
        X=np.array([[1, 0], [0, 2], [3, 0]], dtype="float32"),
        obs=pd.DataFrame({"cell_type": ["T", "B", "T"]}, index=["c1", "c2", "c3"]),
        var=pd.DataFrame({"symbol": ["CD8A", "CD4"]}, index=["g1", "g2"]),
    )


def populate(tmp_path) -> Demo:
    """Labels, a pipeline run, a File in two versions with features and labels, a tracked
    function reading it, a failed run, a Delta dataset with two versions, a script
    transform with its source, an AnnData and a plain text file."""
    names = ["experiment", "experiment 2", "T cell", "B cell", "CD8+ T cell", "liver"]
    labels = lc.save([lc.ULabel(name=n, description=f"demo {n}") for n in names])
    lc.save([lc.ULabel(name=f"sample {i:03d}") for i in range(60)])
    transform = lc.Transform(name="demo pipeline", type="pipeline").save()
    run = lc.Run(transform=transform, status="completed", params={"threshold": 0.5}).save()
    v1 = lc.File.from_df(CELLS, key="results/cells.parquet", run=run).save()
    more = pd.concat([CELLS, CELLS.assign(n_genes=CELLS.n_genes + 1)])
    v2 = lc.File.from_df(more, key="results/cells.parquet", run=run).save()
    v2.ulabels.add(labels[2], labels[4])

    @lc.tracked(name="summarise cells")
    def summarise(key: str, top: int = 2):
        cells = lc.File.get(key=key).load()
        counts = cells["cell_type"].value_counts().head(top).rename_axis("cell_type")
        return lc.File(counts.reset_index(), key="reports/top-cell-types.parquet").save()

    report = summarise("results/cells.parquet")
    failed = lc.Run(transform=transform, status="failed",
                    error="ValueError: <boom> & more\n  at step 3").save()  # fmt: skip
    qc = CELLS.reset_index(drop=True)
    dataset_v0 = lc.Dataset(qc, name="cell-qc", description="QC per cell").save()
    dataset = dataset_v0.append(pd.DataFrame({"cell_type": ["NK cell"], "n_genes": [800]}))
    source = tmp_path / "make_cells.py"
    source.write_text("import lakecat as lc\nprint('<make cells>')\n")
    script = lc.File(str(source), description="source of make_cells.py").save()
    scripted = lc.Transform(name="make_cells.py", type="script", source_code=script).save()
    adata = _anndata()
    adata_file = lc.File(adata, key="sc/pbmc.h5ad").save() if adata is not None else None
    notes = tmp_path / "notes.txt"
    notes.write_text("free text, no preview\n")
    text_file = lc.File(str(notes), key="docs/notes.txt").save()
    return Demo(v1, v2, report, run, failed, transform, report.run, dataset, dataset_v0,
                script, scripted, adata_file, text_file)  # fmt: skip


_LINK = re.compile(r'(?:href|src)="([^"]+)"')


def links(page: str) -> list[str]:
    """Same-site addresses a page links to (fragments dropped)."""
    found = [html.unescape(m).split("#")[0] for m in _LINK.findall(page)]
    return [u for u in found if u.startswith("/") and not u.startswith("//")]


def crawl(get, start: str = "/", max_offset: int = 100, limit: int = 3000) -> dict[str, int]:
    """Status of every page reachable from ``start`` (``get(url)`` returns a response).

    Pagination links past ``max_offset`` are not followed (a registry of 1,000 labels has
    20 pages, each with the same kinds of links).
    """
    seen: dict[str, int] = {}
    queue = deque([start])
    while queue and len(seen) < limit:
        url = queue.popleft()
        if url in seen:
            continue
        response = get(url)
        seen[url] = response.status_code
        kind = response.headers.get("content-type", "")
        if response.status_code == 200 and kind.startswith("text/html"):
            queue.extend(u for u in links(response.text) if _follow(u, max_offset))
    return seen


def _follow(url: str, max_offset: int) -> bool:
    """Every sort, every page and every filter is visited, not every combination of them
    (a sorted second page renders like a sorted first page and an unsorted second page)."""
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    steering = [k for k in query if k in ("_sort", "_offset", "_limit")]
    download = parts.path.endswith((".csv", ".json", ".parquet"))
    if download and steering:  # sorted downloads: tests/test_serve.py::test_downloads_*
        return False
    return int(query.get("_offset", ["0"])[0]) <= max_offset and len(steering) <= 1
