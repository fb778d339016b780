"""Several processes on one embedded catalog take turns and lose nothing."""

from __future__ import annotations

import os
import subprocess
import sys

import pandas as pd
import pytest

import lakecat as lc

WORKER = """
import sys, lakecat as lc
lc.connect(sys.argv[1])
worker, n = sys.argv[2], int(sys.argv[3])
for i in range(n):
    lc.ULabel(name=f"w{worker}-{i}").save()
    if i % 100 == 0:
        assert lc.ULabel.filter(name__startswith=f"w{worker}-").count() == i + 1
print("done", worker)
"""


def _spawn(root, worker: str, n: int, env) -> subprocess.Popen:
    cmd = [sys.executable, "-c", WORKER, str(root), worker, str(n)]
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True)


# DuckDB only: these are about the embedded catalog's file lock (Postgres writers share a
# server; test_versions.py runs concurrent writers on both back ends).
def test_four_processes_save_250_each(tmp_path, monkeypatch):
    import os

    root = tmp_path / "shared"
    lc.init(storage=str(root))
    lc.disconnect()
    env = {**os.environ, "LAKECAT_LOCK_TIMEOUT": "120"}
    procs = [_spawn(root, str(w), 250, env) for w in range(4)]
    outputs = [p.communicate(timeout=300) for p in procs]
    for proc, (out, err) in zip(procs, outputs):
        assert proc.returncode == 0, err
        assert out.startswith("done")
    lc.connect(root)
    assert lc.ULabel.filter().count() == 1000
    for w in range(4):
        assert lc.ULabel.filter(name__startswith=f"w{w}-").count() == 250
    assert len({r.uid for r in lc.ULabel.filter().list()}) == 1000


def test_reader_waits_for_busy_writer_then_gets_in(tmp_path):  # DuckDB only: the file lock
    """A notebook-like holder releases the file when idle; a second process gets in."""
    import os

    root = tmp_path / "nb"
    lc.init(storage=str(root))
    lc.ULabel(name="from-notebook").save()  # this process now holds the catalog
    env = {**os.environ, "LAKECAT_LOCK_TIMEOUT": "30"}
    code = (
        "import sys, lakecat as lc; lc.connect(sys.argv[1]); "
        "print(lc.ULabel.get(name='from-notebook').name)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(root)], capture_output=True, text=True, env=env, timeout=60
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "from-notebook"
    assert lc.ULabel.filter().count() == 1  # and we can still use it afterwards


def test_lock_timeout_is_a_typed_error(tmp_path):  # DuckDB only: the file lock
    """A writer waiting longer than LAKECAT_LOCK_TIMEOUT for the write turn gets a typed
    error naming the variable, whether it is served by the holder or waits for the file."""
    import os

    root = tmp_path / "held"
    lc.init(storage=str(root))
    backend = lc.connect(root).backend
    code = (
        "import sys, lakecat as lc\n"
        "try:\n    lc.connect(sys.argv[1]); lc.ULabel(name='late').save()\n"
        "except lc.CatalogLockedError as e:\n    print('locked:', e)\n"
    )
    for share in ("1", "0"):
        env = {**os.environ, "LAKECAT_LOCK_TIMEOUT": "0.3", "LAKECAT_SHARE": share}
        with backend.transaction():  # hold the write turn for the whole child run
            out = subprocess.run(
                [sys.executable, "-c", code, str(root)], capture_output=True, text=True, env=env
            )
        assert "locked:" in out.stdout and "LAKECAT_LOCK_TIMEOUT" in out.stdout, out.stderr
    assert not lc.ULabel.filter(name="late").exists()


MIXED = """
import os, sys, pandas as pd, lakecat as lc
lc.settings.verbosity = "error"
lc.connect(sys.argv[1])
worker, n, scratch = sys.argv[2], int(sys.argv[3]), sys.argv[4]
for i in range(n):
    if i % 10 == 3:
        path = os.path.join(scratch, f"{worker}-{i}.txt")
        with open(path, "w") as fh:
            fh.write(f"{worker} {i}")
        lc.File(path, key=f"mixed/{worker}/{i}.txt").save()
    elif i % 25 == 7:
        lc.Dataset.latest("shared").append(pd.DataFrame({"w": [int(worker)], "i": [i]}))
    else:
        lc.ULabel(name=f"w{worker}-{i}").save()
print("done")
"""


def _mixed_writers(make_instance, tmp_path, procs: int, n: int) -> None:
    """``procs`` processes x ``n`` mixed saves: every record exactly once, dataset
    versions gap-free with one latest, every append's row present once."""
    import os

    instance = make_instance()
    lc.Dataset(pd.DataFrame({"w": [-1], "i": [-1]}), name="shared").save()
    root = make_instance.root(instance)
    lc.disconnect()
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    env = {**os.environ, "LAKECAT_LOCK_TIMEOUT": "300"}
    workers = [subprocess.Popen([sys.executable, "-c", MIXED, root, str(w), str(n),
                                 str(scratch)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True, env=env) for w in range(procs)]  # fmt: skip
    for proc in workers:
        out, err = proc.communicate(timeout=3600)
        assert proc.returncode == 0 and out.strip() == "done", err[-3000:]
    lc.connect(root)
    plan = [(w, i) for w in range(procs) for i in range(n)]
    labels = {f"w{w}-{i}" for w, i in plan if i % 10 != 3 and i % 25 != 7}
    files = {f"mixed/{w}/{i}.txt" for w, i in plan if i % 10 == 3}
    appends = {(w, i) for w, i in plan if i % 10 != 3 and i % 25 == 7}
    names = lc.ULabel.filter(name__startswith="w").values_list("name", flat=True)
    assert len(names) == len(labels) and set(names) == labels  # each exactly once
    keys = lc.File.filter(key__startswith="mixed/").values_list("key", flat=True)
    assert len(keys) == len(files) and set(keys) == files
    latest = lc.Dataset.latest("shared")
    versions = sorted(int(v) for v in lc.Dataset.filter(name="shared").values_list(
        "version", flat=True))  # fmt: skip
    assert versions == list(range(len(appends) + 1))  # gap-free
    assert lc.Dataset.filter(name="shared", is_latest=True).count() == 1
    rows = latest.load()
    assert latest.n_rows == len(rows) == len(appends) + 1
    assert set(zip(rows["w"], rows["i"])) - {(-1, -1)} == appends


@pytest.mark.parametrize("backend_name", ["duckdb", "postgres"])
def test_mixed_writers_lose_nothing(make_instance, tmp_path):
    _mixed_writers(make_instance, tmp_path, 4, 30)


@pytest.mark.slow
@pytest.mark.parametrize("backend_name", ["duckdb", "postgres"])
def test_many_mixed_writers_lose_nothing(make_instance, tmp_path, backend_name):
    """The guarantee's full size: 8 processes on the embedded catalog, 16 on Postgres."""
    procs = 8 if backend_name == "duckdb" else 16
    _mixed_writers(make_instance, tmp_path, procs, int(os.environ.get("LAKECAT_SAVES", "1000")))
