"""Dataset.query() reads the dataset and nothing else: no local files, no other catalog."""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest

import lakecat as lc

SECRET = "top-secret-line"


@pytest.fixture
def dataset(instance):
    return lc.Dataset(pd.DataFrame({"x": [1, 2, 3]}), name="locked").save()


def _leaks(ds, sql: str, needle: str) -> bool:
    """Whether ``sql`` run through ds.query shows ``needle`` (errors are not leaks)."""
    try:
        frame = ds.query(sql)
    except lc.LakecatError:
        return False
    return needle in frame.to_string()


def test_local_files_and_other_catalogs_are_out_of_reach(dataset, instance, tmp_path):
    secret = tmp_path / "secret.csv"
    secret.write_text(f"a\n{SECRET}\n")
    probes = [
        f"SELECT * FROM read_text('{secret}')",
        f"SELECT * FROM read_csv('{secret}')",
        f"SELECT * FROM read_blob('{secret}')",
        f"SELECT * FROM glob('{tmp_path}/*')",
        f"SELECT * FROM '{secret}'",
    ]
    for sql in probes:
        assert not _leaks(dataset, sql, SECRET), sql  # before: the file's content came back
    assert not _leaks(dataset, f"SELECT * FROM glob('{tmp_path}/*')", "secret.csv")
    assert dataset.query("SELECT sum(x) AS s FROM self")["s"][0] == 6  # the dataset still is
    if instance.config.db is None:
        catalog = instance.path / "catalog.duckdb"
        assert not _leaks(dataset, f"SELECT * FROM read_duckdb('{catalog}', table_name='user')",
                          instance.config.storage)  # fmt: skip


def test_every_table_function_is_fenced_in(dataset, tmp_path):
    """Call every table function DuckDB has with a path outside the dataset."""
    secret = tmp_path / "secret.txt"
    secret.write_text(SECRET)
    names = (
        duckdb.connect()
        .execute(
            "SELECT DISTINCT function_name FROM duckdb_functions() WHERE function_type = 'table'"
        )
        .fetchall()
    )
    assert len(names) > 50
    leaked = [
        name
        for (name,) in names
        if _leaks(dataset, f"SELECT * FROM {name}('{secret}') LIMIT 5", SECRET)
    ]
    assert leaked == []


def test_configuration_cannot_be_changed_from_a_query(dataset):
    for sql in [
        "SELECT current_setting('enable_external_access') AS v",
    ]:
        assert dataset.query(sql)["v"][0] in (False, "false")
    with pytest.raises(lc.ReadOnlyQueryError):
        dataset.query("SET enable_external_access = true")
