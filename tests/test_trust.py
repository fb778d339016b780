"""Nothing lost, nothing silent: the trust issue's reproductions, on both back ends."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

import lakecat as lc
from lakecat.cli import cli
from lakecat.cli.demo import MARKER, _fresh_folder
from tests.test_tracking import run_script


def test_demo_refuses_a_folder_it_did_not_create(tmp_path):
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "results.csv").write_text("precious\n")
    result = CliRunner().invoke(cli, ["demo", "--path", str(mine)])
    assert result.exit_code == 1 and "nothing was deleted" in result.output
    assert "Traceback" not in result.output
    assert (mine / "results.csv").read_text() == "precious\n"  # before: deleted


def test_demo_replaces_only_its_own_folder(tmp_path):
    own = tmp_path / "demo"
    _fresh_folder(own)
    assert (own / MARKER).exists()
    (own / "old.txt").write_text("from the last demo")
    _fresh_folder(own)
    assert not (own / "old.txt").exists() and (own / MARKER).exists()
    with pytest.raises(lc.ValidationError, match="is a file"):
        _fresh_folder(own / MARKER)


def test_file_of_none_is_refused(instance):
    with pytest.raises(lc.ValidationError, match="no data to register"):
        lc.File(None, key="empty.h5ad").save()
    assert lc.File.filter().count() == 0


def test_registered_bytes_under_another_key_say_so(instance, caplog):
    frame = pd.DataFrame({"gene": ["a", "b"], "count": [1, 2]})
    first = lc.File(frame, key="one.parquet").save()
    with caplog.at_level(logging.INFO, logger="lakecat"):
        again = lc.File.from_df(frame, key="two.parquet").save()
    assert again.uid == first.uid and again.key == "one.parquet"
    assert f"already registered as File {first.uid} (key 'one.parquet'" in caplog.text
    assert "the key 'two.parquet' was not applied" in caplog.text
    columns = sorted(f.name for f in again.features["columns"].features.list())
    assert columns == ["count", "gene"]  # the new record's features reached the existing one


def test_info_messages_are_shown_by_default_and_can_be_silenced(tmp_path, make_instance):
    code = (
        "import sys, lakecat as lc\n"
        "lc.init(storage=sys.argv[1], db=sys.argv[2] or None, name=sys.argv[3])\n"
        "lc.ULabel(name='liver').save(); lc.ULabel(name='liver').save()\n"
    )
    env = {**os.environ, "LAKECAT_HOME": str(tmp_path / "home")}
    env.pop("LAKECAT_VERBOSITY", None)

    def init_and_save(storage: str) -> subprocess.CompletedProcess:
        args = [str(tmp_path / storage), make_instance.db or "", make_instance.new_name(storage)]
        return subprocess.run([sys.executable, "-c", code, *args], env=env,
                              capture_output=True, text=True, timeout=120)  # fmt: skip

    shown = init_and_save("a")
    assert shown.returncode == 0, shown.stderr
    assert "• returning existing ULabel 'liver'" in shown.stderr
    env["LAKECAT_VERBOSITY"] = "warning"
    quiet = init_and_save("b")
    assert quiet.returncode == 0 and "returning existing" not in quiet.stderr


def test_deleting_what_lineage_uses_is_refused_unless_permanent(instance):
    used = lc.File(pd.DataFrame({"x": [1]}), key="in.parquet").save()
    run = lc.track(transform=lc.Transform(name="reader", type="pipeline"))
    used.load()
    lc.finish()
    with pytest.raises(lc.IntegrityError, match=f"input of run {run.uid}"):
        used.delete()  # before: the run silently lost its input
    assert [f.uid for f in run.input_files] == [used.uid]
    result = CliRunner().invoke(cli, ["delete", used.uid, "--yes"])
    assert result.exit_code == 1 and "--permanent" in result.output
    assert "Traceback" not in result.output
    result = CliRunner().invoke(cli, ["delete", used.uid, "--yes", "--permanent"])
    assert result.exit_code == 0, result.output
    assert not lc.File.filter(uid=used.uid).exists() and run.input_files.count() == 0


def test_deleting_a_file_a_dataset_holds_is_refused(instance):
    part = lc.File(pd.DataFrame({"x": [1]}), key="part.parquet").save()
    lc.Dataset([part], name="parts").save()
    with pytest.raises(lc.IntegrityError, match="in dataset 'parts'"):
        part.delete()
    with pytest.raises(lc.IntegrityError, match="in dataset 'parts'"):
        lc.File.filter(key="part.parquet").delete()
    assert lc.File.filter(uid=part.uid).exists()


def test_rerun_with_the_same_output_bytes_links_the_good_run(instance, make_instance, tmp_path):
    """A failed run wrote the output; the rerun writes the same bytes and succeeds."""
    lc.File(pd.DataFrame({"gene": ["a", "b"]}), key="raw/counts.parquet").save()
    root = make_instance.root(instance)
    lc.disconnect()
    failed = run_script(tmp_path / "qc.py", root, extra="1 / 0")
    assert failed.returncode != 0
    good = run_script(tmp_path / "qc.py", root)
    assert good.returncode == 0, good.stderr
    lc.connect(root)
    output = lc.File.get(key="qc/cells.parquet")
    runs = lc.Run.filter(transform__name="qc.py").order_by("id").list()
    assert [r.status for r in runs] == ["failed", "completed"]
    assert output.run == runs[1]  # before: stuck on the failed run
    assert [r.uid for r in output.recreating_runs] == [runs[0].uid]
    third = run_script(tmp_path / "qc.py", root)  # a later good run is a producer too
    assert third.returncode == 0, third.stderr
    lc.connect(root)
    latest_run = lc.Run.filter(transform__name="qc.py").order_by("-id").first()
    assert latest_run.uid in {r.uid for r in lc.File.get(key="qc/cells.parquet").recreating_runs}


def test_storage_is_untouched_by_a_refused_file(instance):
    objects = Path(instance.config.storage) / ".lakecat" / "objects"
    before = sorted(objects.iterdir()) if objects.exists() else []
    with pytest.raises(lc.ValidationError):
        lc.File(None)
    after = sorted(objects.iterdir()) if objects.exists() else []
    assert before == after


def test_readme_session_shows_the_current_schema_version():
    from catalog_sql import migrations

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    assert f"schema_version  {migrations.discover()[-1].name}" in readme
