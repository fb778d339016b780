"""Bad input gets a typed LakecatError naming the problem, and changes nothing."""

from __future__ import annotations

import pandas as pd
import pytest
from click.testing import CliRunner

import lakecat as lc
from lakecat.cli import cli


def test_dataset_bad_data_is_typed(instance):
    with pytest.raises(lc.ValidationError, match="no columns"):
        lc.Dataset(pd.DataFrame(), name="empty").save()  # before: DeltaError
    mixed = pd.DataFrame({"x": [1, "two", 3.0]})
    with pytest.raises(lc.ValidationError, match="column 'x'"):
        lc.Dataset(mixed, name="mixed").save()  # before: ArrowInvalid
    with pytest.raises(lc.ValidationError, match="no data"):
        lc.Dataset(None, name="none").save()  # before: AttributeError
    assert lc.Dataset.filter().count() == 0


def test_unreachable_url_is_typed(instance):
    with pytest.raises(lc.LakecatError, match="127.0.0.1:1"):
        lc.File("http://127.0.0.1:1/x.csv").save()  # before: FileNotFoundError
    assert lc.File.filter().count() == 0


def test_regex_the_database_rejects_is_typed(instance):
    lc.ULabel(name="ab").save()
    if instance.config.db is None:  # RE2 (DuckDB) has no look-behind; Postgres does
        with pytest.raises(lc.ValidationError, match="regular expression"):
            lc.ULabel.filter(name__regex="(?<=a)b").count()
    with pytest.raises(lc.ValidationError, match="regular expression"):
        lc.ULabel.filter(name__regex="(unclosed").count()


def test_cli_bad_input_never_prints_a_traceback(instance, tmp_path):
    runner = CliRunner()
    empty = runner.invoke(cli, ["dataset", "create", "e", "-"], input="")
    assert empty.exit_code == 1 and "Traceback" not in empty.output, empty.output
    ragged = runner.invoke(cli, ["dataset", "create", "r", "-"], input="a,b\n1,2\n3\n")
    assert ragged.exit_code == 1 and "Traceback" not in ragged.output, ragged.output
    assert "CSV" in ragged.output
    lc.Dataset(pd.DataFrame({"x": [1]}), name="ok").save()
    blocked = tmp_path / "no-such-dir" / "x.csv"
    export = runner.invoke(cli, ["dataset", "export", "ok", str(blocked)])
    assert export.exit_code == 1 and "Traceback" not in export.output, export.output
    long = runner.invoke(cli, ["init", "--storage", str(tmp_path / "s"), "--name", "n" * 5000])
    assert long.exit_code == 1 and "at most 63" in long.output, long.output[:300]
    assert lc.Dataset.filter(name__in=["e", "r"]).count() == 0
