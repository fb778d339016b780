"""lakecat verify re-reads what the catalog promises and names every mismatch."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from click.testing import CliRunner
from deltalake import write_deltalake

import lakecat as lc
from lakecat.cli import cli


def test_verify_reports_corruption_missing_blobs_and_stray_versions(instance):
    good = lc.File(pd.DataFrame({"x": [1]}), key="good.parquet").save()
    bad = lc.File(pd.DataFrame({"x": [2]}), key="bad.parquet").save()
    gone = lc.File(pd.DataFrame({"x": [3]}), key="gone.parquet").save()
    ds = lc.Dataset(pd.DataFrame({"x": [1, 2]}), name="d").save()
    runner = CliRunner()
    clean = runner.invoke(cli, ["verify", "--all"])
    assert clean.exit_code == 0 and "0 problem(s) found" in clean.output, clean.output
    root = Path(instance.config.storage)
    (root / bad.blob).write_bytes(b"not what was saved")
    (root / gone.blob).unlink()
    write_deltalake(ds.path, pd.DataFrame({"x": [9]}), mode="append")  # nobody registers it
    result = runner.invoke(cli, ["verify", "--all"])
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert f"File {bad.uid}: blob {bad.blob} does not match its hash" in lines
    assert f"File {gone.uid}: blob {gone.blob} is missing" in lines
    assert f"Dataset {ds.uid}: table has unregistered version(s) 1..1" in result.output
    assert not any(good.uid in line for line in lines)
    one = runner.invoke(cli, ["verify", good.uid, "nosuchuid"])
    assert one.exit_code == 1 and "nosuchuid: no File or Dataset has this uid" in one.output
    assert runner.invoke(cli, ["verify"]).exit_code == 1  # says what to pass
