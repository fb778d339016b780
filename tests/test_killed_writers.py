"""A writer killed between writing a dataset version and registering it leaves nothing
visible: the next writer restores the registered data, views never show the stray rows."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pandas as pd
import pytest

import lakecat as lc
from tests.conftest import postgres_xfail

KILLED_APPEND = """
import os, signal, sys, pandas as pd, lakecat as lc
from lakecat.datasets.dataset import DatasetMixin
lc.connect(sys.argv[1])
def die(*args, **kwargs):  # the table version is written; the catalog row never is
    os.kill(os.getpid(), signal.SIGKILL)
DatasetMixin._register_version = die
lc.Dataset.latest("d").append(pd.DataFrame({"x": [100, 200]}))
"""


@pytest.mark.parametrize("fmt", ["delta", "parquet"])
def test_rows_of_a_killed_append_never_come_back(instance, fmt):
    lc.Dataset(pd.DataFrame({"x": [1, 2, 3]}), name="d", format=fmt).save()
    root = instance.path.parent if instance.config.db is None else instance.name
    lc.disconnect()
    killed = subprocess.run([sys.executable, "-c", KILLED_APPEND, str(root)], timeout=120)
    assert killed.returncode == -signal.SIGKILL
    lc.connect(root)
    latest = lc.Dataset.latest("d")
    assert latest.version == "0" and sorted(latest.load()["x"]) == [1, 2, 3]
    new = latest.append(pd.DataFrame({"x": [7]}))  # before: [1, 2, 3, 7, 100, 200]
    assert sorted(new.load()["x"]) == [1, 2, 3, 7] and new.n_rows == 4
    assert list(new.versions()["rows"]) == [3, 4]
    again = new.append(pd.DataFrame({"x": [8]}))  # before (Parquet): "Snapshot exists"
    assert sorted(again.load()["x"]) == [1, 2, 3, 7, 8]
    if instance.config.db is None:
        from lakecat.cli.shell import run_statement

        view = run_statement(lc.connect(root), "SELECT x FROM ds_d")
        assert sorted(view.column("x").to_pylist()) == [1, 2, 3, 7, 8]


@pytest.mark.parametrize("fmt", ["delta", "parquet"])
def test_gc_restores_what_a_killed_append_left(instance, fmt, tmp_path):
    """A dataset nobody appends to again is cleaned by gc: verify names it, a dry run lists
    it and changes nothing, ``lakecat gc --yes`` restores the registered data once."""
    from lakecat.files.maintenance import gc
    from lakecat.files.verify import verify

    lc.Dataset(pd.DataFrame({"x": [1, 2, 3]}), name="d", format=fmt).save()
    root = instance.path.parent if instance.config.db is None else instance.name
    lc.disconnect()
    killed = subprocess.run([sys.executable, "-c", KILLED_APPEND, str(root)], timeout=120)
    assert killed.returncode == -signal.SIGKILL
    lc.connect(root)
    assert [p.what for p in verify()] == [
        "table has unregistered version(s) 1..1 (the next append, or `lakecat gc --yes`, "
        "restores the registered data)"
    ]
    listed = ["dataset 'd': unregistered table version(s) 1..1"]
    assert gc(min_age=0) == listed and len(verify()) == 1  # a dry run changes nothing
    assert gc(dry_run=False, min_age=0) == listed
    assert verify() == [] and gc(dry_run=False, min_age=0) == []
    latest = lc.Dataset.latest("d")
    assert latest.version == "0" and sorted(latest.load()["x"]) == [1, 2, 3]
    new = latest.append(pd.DataFrame({"x": [7]}))
    assert sorted(new.load()["x"]) == [1, 2, 3, 7] and verify() == []


@postgres_xfail(
    "no dataset views (ds_<name>): _refresh_view creates them only on back ends with "
    "the 'catalog_views' capability (the embedded catalog)",
    raises=lc.CatalogError,
)
def test_views_pin_the_registered_version(instance):
    """A Delta commit nobody registered is not shown by the shell view."""
    from deltalake import write_deltalake

    from lakecat.cli.shell import run_statement

    ds = lc.Dataset(pd.DataFrame({"x": [1]}), name="pinned").save()
    write_deltalake(ds.path, pd.DataFrame({"x": [999]}), mode="append")  # a stray commit
    view = run_statement(instance, "SELECT x FROM ds_pinned")
    assert view.column("x").to_pylist() == [1]
    assert os.path.isdir(ds.path)
