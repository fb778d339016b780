"""Lineage: scripts, notebooks, pipelines and functions tracked end to end."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import xml.etree.ElementTree as ET

import pandas as pd
import pytest

import lakecat as lc
from lakecat.errors import TrackingError

SCRIPT = """
import sys, lakecat as lc
import pandas as pd
lc.connect(sys.argv[1])
lc.track(params={{"min_genes": 200}})
raw = lc.File.get(key="raw/counts.parquet").load()
lc.File(raw.assign(qc=True), key="qc/cells.parquet").save()
{extra}
"""


def run_script(path, root, extra: str = "") -> subprocess.CompletedProcess:
    path.write_text(SCRIPT.format(extra=extra))
    env = {**os.environ}
    return subprocess.run([sys.executable, str(path), str(root)], capture_output=True,
                          text=True, env=env, timeout=120)  # fmt: skip


@pytest.fixture
def shared(instance, make_instance):
    """An instance another process can open, with one raw input file."""
    lc.File(pd.DataFrame({"gene": ["a", "b"]}), key="raw/counts.parquet").save()
    root = make_instance.root(instance)
    lc.disconnect()
    yield root
    lc.connect(root)


def test_script_is_tracked_with_inputs_and_outputs(shared, tmp_path):
    out = run_script(tmp_path / "qc.py", shared)
    assert out.returncode == 0, out.stderr
    lc.connect(shared)
    output = lc.File.get(key="qc/cells.parquet")
    run = output.run
    assert (run.status, run.params) == ("completed", {"min_genes": 200})
    assert run.finished_at >= run.started_at
    assert run.transform.name == "qc.py" and run.transform.type == "script"
    assert [f.key for f in run.input_files] == ["raw/counts.parquet"]
    assert run.environment["python"] == sys.version.split()[0]
    assert lc.File.filter(run__transform__name="qc.py").one() == output
    source = run.transform.source_code
    assert source.stage().read_text() == (tmp_path / "qc.py").read_text()  # the exact script
    assert source.suffix == ".py" and source.description == "source of qc.py (script)"
    with pytest.raises(lc.ValidationError, match=r"cannot load \.py files; use \.stage\(\)"):
        source.load()


def test_changed_script_becomes_a_new_version_and_failures_are_recorded(shared, tmp_path):
    assert run_script(tmp_path / "qc.py", shared).returncode == 0
    failed = run_script(tmp_path / "qc.py", shared, extra="raise ValueError('bad cells')")
    assert failed.returncode == 1 and "ValueError: bad cells" in failed.stderr
    lc.connect(shared)
    versions = lc.Transform.filter(name="qc.py").order_by("id").list()
    assert [t.version for t in versions] == ["1", "2"]
    assert [t.is_latest for t in versions] == [False, True]
    assert versions[1].initial_version_id == versions[0].id
    last = lc.Run.filter(transform=versions[1]).one()
    assert last.status == "failed" and last.error == "ValueError: bad cells"


def test_pipeline_and_function_runs(instance):
    pipeline = lc.Transform(name="nightly ingest", type="pipeline")
    run = lc.track(transform=pipeline, params={"date": "2026-11-28"})
    assert run.transform.type == "pipeline" and lc.lineage.tracking.current_run() == run
    f = lc.File(pd.DataFrame({"x": [1]}), key="nightly.parquet").save()
    assert f.run == run and f.transform_id == run.transform_id

    @lc.tracked()
    def qc(path: str, min_genes: int = 200):
        return lc.File.get(key=path).load().shape[0]

    assert qc("nightly.parquet") == 1
    inner = lc.Run.filter(transform__type="function").one()
    assert inner.params == {"path": "nightly.parquet", "min_genes": 200}
    assert [x.key for x in inner.input_files] == ["nightly.parquet"]
    assert lc.lineage.tracking.current_run() == run  # the decorated call restored the outer run

    @lc.tracked(name="boom")
    def boom():
        raise RuntimeError("no")

    with pytest.raises(RuntimeError):
        boom()
    assert lc.Run.filter(transform__name="boom").one().status == "failed"
    lc.finish()
    assert lc.Run.get(run.uid).status == "completed"
    with pytest.raises(TrackingError, match="finish\\(\\) without track\\(\\)"):
        lc.finish()


def test_track_without_a_file_says_how_to_name_it(make_instance):
    make_instance()
    code = "import lakecat as lc\ntry:\n    lc.track()\nexcept lc.TrackingError as e:\n    print(e)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=60)  # fmt: skip
    assert "lc.track(transform=lc.Transform(name=" in out.stdout, out.stderr


def test_notebook_is_tracked(instance, make_instance, tmp_path):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    root = make_instance.root(instance)
    lc.File(pd.DataFrame({"gene": ["a"]}), key="raw/counts.parquet").save()
    lc.disconnect()
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell(f"import lakecat as lc\nlc.connect({str(root)!r})"),
        nbformat.v4.new_code_cell(
            "run = lc.track()\ndf = lc.File.get(key='raw/counts.parquet').load()"
        ),
        nbformat.v4.new_code_cell(
            "lc.File(df.assign(seen=True), key='nb/out.parquet').save()\nlc.finish()"
        ),
    ]
    path = tmp_path / "analysis.ipynb"
    nbformat.write(nb, path)
    os.environ["LAKECAT_NOTEBOOK"] = str(path)
    try:
        nbclient.NotebookClient(
            nb, timeout=120, resources={"metadata": {"path": str(tmp_path)}}
        ).execute()
    finally:
        del os.environ["LAKECAT_NOTEBOOK"]
    lc.connect(root)
    run = lc.File.get(key="nb/out.parquet").run
    assert run.transform.name == "analysis.ipynb" and run.transform.type == "notebook"
    assert run.status == "completed"
    assert [f.key for f in run.input_files] == ["raw/counts.parquet"]


def test_lineage_picture_and_text(instance, tmp_path):
    raw = lc.File(pd.DataFrame({"a": [1]}), key="raw.parquet").save()
    lc.track(transform=lc.Transform(name="step one", type="pipeline"))
    lc.File.get(raw.uid).load()
    mid = lc.File(pd.DataFrame({"a": [2]}), key="mid.parquet").save()
    lc.finish()
    lc.track(transform=lc.Transform(name="step two", type="pipeline"))
    mid.load()
    ds = lc.Dataset(pd.DataFrame({"a": [3]}), name="final").save()
    lc.finish()
    svg = ds.view_lineage(path=str(tmp_path / "lineage.svg"))
    root = ET.fromstring(str(svg))
    ns = {"s": "http://www.w3.org/2000/svg"}
    kinds = sorted(g.get("class").split()[1] for g in root.iterfind(".//s:g[@data-id]", ns))
    assert kinds == ["dataset", "file", "file", "run", "run", "transform", "transform"]
    edges = {
        (g.get("data-source"), g.get("data-target"))
        for g in root.iterfind(".//s:g[@class='edge']", ns)
    }
    run_two = ds.run
    assert (run_two.uid, ds.uid) in edges and (mid.uid, run_two.uid) in edges
    assert (mid.run.uid, mid.uid) in edges and (raw.uid, mid.run.uid) in edges  # 4 hops up
    assert (tmp_path / "lineage.svg").read_text().startswith("<svg")
    text = lc.lineage.as_text(ds)
    assert "step one" in text and "raw.parquet" in text


def test_two_processes_tracking_get_their_own_runs(shared, tmp_path):
    scripts = []
    for i in range(2):
        path = tmp_path / f"p{i}.py"
        path.write_text(
            textwrap.dedent(f"""
            import sys, lakecat as lc
            lc.connect(sys.argv[1])
            run = lc.track()
            import pathlib
            data = pathlib.Path(__file__).with_suffix(".txt")
            data.write_text("output of process {i}")
            lc.File(data, key="out/p{i}.txt").save()
            print(run.uid)
        """)
        )
        cmd = [sys.executable, str(path), str(shared)]
        pipes = {"stdout": subprocess.PIPE, "stderr": subprocess.PIPE, "text": True}
        scripts.append(subprocess.Popen(cmd, **pipes))
    results = [p.communicate(timeout=120) for p in scripts]
    assert all(p.returncode == 0 for p in scripts), [r[1] for r in results]
    uids = [r[0].strip() for r in results]
    assert len(set(uids)) == 2
    lc.connect(shared)
    assert {lc.File.get(key=f"out/p{i}.txt").run.uid for i in range(2)} == set(uids)


def test_transform_and_dataset_is_new_version_of(instance):
    v1 = lc.Transform(name="clustering", type="pipeline", version="1").save()
    v2 = lc.Transform(name="clustering", type="pipeline", is_new_version_of=v1).save()
    assert (v2.version, v2.initial_version_id, v2.is_latest) == ("2", v1.id, True)
    assert [t.version for t in v2.versions] == ["1", "2"]
    assert lc.Transform.get(v1.uid).is_latest is False
    ds = lc.Dataset(pd.DataFrame({"a": [1]}), name="clusters").save()
    ds2 = lc.Dataset(pd.DataFrame({"a": [1, 2]}), name="clusters", is_new_version_of=ds).save()
    assert (ds2.version, ds2.n_rows, ds2.operation) == ("1", 2, "OVERWRITE")
    assert ds2.initial_version_id == ds.id
