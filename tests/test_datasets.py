"""Datasets: versioned Delta / Parquet tables, queried in place, on both back ends."""

from __future__ import annotations

import subprocess

import duckdb
import pandas as pd
import pytest

import lakecat as lc
from lakecat.errors import (
    DatasetExistsError,
    ReadOnlyQueryError,
    SchemaMismatchError,
    VersionNotFoundError,
)
from tests.conftest import postgres_xfail

CELLS = pd.DataFrame({"cell_type": ["T", "B", "T"], "n_genes": [10, 20, 30]})
MORE = pd.DataFrame({"cell_type": ["NK"], "n_genes": [5]})


@pytest.mark.parametrize("fmt", ["delta", "parquet"])
def test_create_append_overwrite_time_travel(instance, fmt):
    ds = lc.Dataset(CELLS, name="cell-qc", description="qc", format=fmt).save()
    assert (ds.version, ds.n_rows, ds.format, ds.operation) == ("0", 3, fmt, "WRITE")
    v1 = ds.append(MORE)
    v2 = v1.overwrite(pd.DataFrame({"other": ["x"]}))
    versions = ds.versions()
    assert list(versions["version"]) == [0, 1, 2]
    assert list(versions["rows"]) == [3, 4, 1]
    assert list(versions["operation"]) == ["WRITE", "APPEND", "OVERWRITE"]
    assert list(versions["is_latest"]) == [False, False, True]
    pd.testing.assert_frame_equal(
        ds.load(version=0).sort_values("n_genes", ignore_index=True), CELLS
    )
    assert sorted(ds.load(version=1)["n_genes"]) == [5, 10, 20, 30]
    # a record reads its own version; the latest is one lookup away
    pd.testing.assert_frame_equal(ds.load().sort_values("n_genes", ignore_index=True), CELLS)
    assert sorted(v1.query("SELECT n_genes FROM self")["n_genes"]) == [5, 10, 20, 30]
    assert v1.backed().aggregate("count(*)").fetchone()[0] == 4
    assert list(v2.load()["other"]) == ["x"]
    assert list(lc.Dataset.latest("cell-qc").load()["other"]) == ["x"]
    assert lc.Dataset.get(name="cell-qc") == v2
    assert ds.to_arrow(version=1).num_rows == 4
    assert ds.to_polars(version=0).height == 3
    grouped = ds.query("SELECT cell_type, sum(n_genes) AS s FROM self GROUP BY 1 ORDER BY 1",
                       version=1)  # fmt: skip
    assert grouped.to_dict("list") == {"cell_type": ["B", "NK", "T"], "s": [20, 5, 40]}
    assert ds.backed(version=0).aggregate("count(*)").fetchone()[0] == 3
    columns = sorted(f.name for f in ds.feature_sets.list()[0].features.list())
    assert columns == ["cell_type", "n_genes"]


def test_bad_input(instance):
    ds = lc.Dataset(CELLS, name="cells").save()
    with pytest.raises(DatasetExistsError, match="ds.append"):
        lc.Dataset(CELLS, name="cells").save()
    with pytest.raises(SchemaMismatchError, match=r"changed types: n_genes \(int64 → string\)"):
        ds.append(pd.DataFrame({"cell_type": ["x"], "n_genes": ["many"]}))
    with pytest.raises(SchemaMismatchError, match="new columns: batch"):
        ds.append(CELLS.assign(batch=1))
    assert list(ds.versions()["version"]) == [0]  # failed appends change nothing
    assert ds.load().shape == (3, 2)
    merged = ds.append(CELLS.assign(batch=1), schema_mode="merge")
    assert merged.load()["batch"].isna().sum() == 3
    with pytest.raises(VersionNotFoundError, match=r"available: \[0, 1\]"):
        ds.load(version=5)
    with pytest.raises(lc.NotFoundError, match="Did you mean 'cells'"):
        lc.Dataset.latest("celss")
    for sql in ["DELETE FROM ulabel", "SELECT 1; DROP TABLE ulabel", "CREATE TABLE x AS SELECT 1"]:
        with pytest.raises(ReadOnlyQueryError):
            ds.query(sql)
    assert lc.ULabel.filter().count() == 0 and "ulabel" in instance.backend.table_names()
    with pytest.raises(lc.ValidationError, match="DataFrame"):
        lc.Dataset({"a": 1}, name="bad")
    with pytest.raises(lc.ValidationError, match="format"):
        lc.Dataset(CELLS, name="bad", format="csv")


def test_save_modes(instance):
    lc.Dataset(CELLS, name="m").save()
    appended = lc.Dataset(MORE, name="m").save(mode="append")
    assert appended.version == "1" and appended.n_rows == 4
    replaced = lc.Dataset(MORE, name="m").save(mode="overwrite")
    assert replaced.version == "2" and replaced.n_rows == 1


def test_dataset_of_files(instance, tmp_path):
    f1 = lc.File(CELLS, key="runs/a.parquet").save()
    f2 = lc.File(MORE, key="runs/b.parquet").save()
    ds = lc.Dataset([f1, f2], name="runs").save()
    assert ds.format == "files" and sorted(f.key for f in ds.files) == [
        "runs/a.parquet",
        "runs/b.parquet",
    ]
    assert ds.query("SELECT count(*) AS n FROM self")["n"][0] == 4
    assert sorted(ds.load()["n_genes"]) == [5, 10, 20, 30]
    csv = tmp_path / "x.csv"
    csv.write_text("a\n1\n")
    with pytest.raises(lc.ValidationError, match="parquet"):
        lc.Dataset([lc.File(csv).save()], name="bad")


def test_independent_readers_agree(instance):
    import polars as pl
    from deltalake import DeltaTable

    ds = lc.Dataset(CELLS, name="interop").save()
    ds.append(MORE)
    table = DeltaTable(ds.path)
    assert table.version() == 1
    assert [h["operation"] for h in table.history()] == ["WRITE", "WRITE"]
    assert DeltaTable(ds.path, version=0).to_pyarrow_table().num_rows == 3
    assert pl.read_delta(ds.path, version=0).height == 3
    assert pl.read_delta(ds.path).height == 4
    import duckdb

    from catalog_sql.extensions import load_extension

    con = duckdb.connect()
    load_extension(con, "delta")
    path = ds.path.replace("'", "''")
    assert con.execute(f"SELECT count(*) FROM delta_scan('{path}')").fetchone()[0] == 4
    assert {
        p.name
        for p in __import__("pathlib").Path(ds.path).iterdir()
        if not p.name.endswith(".parquet")
    } == {"_delta_log"}


def test_an_extension_never_installed_loads_inside_a_transaction(tmp_path, monkeypatch):
    """A fresh machine: DuckDB has not installed the extension yet, and the first load
    happens inside a transaction (the shell's). A failed LOAD used to abort it."""
    import duckdb

    from catalog_sql.extensions import load_extension

    con = duckdb.connect(config={"extension_directory": str(tmp_path / "none-yet")})
    con.execute("BEGIN")
    load_extension(con, "delta")
    installed = con.execute("SELECT installed, loaded FROM duckdb_extensions() "
                            "WHERE extension_name = 'delta'").fetchall()  # fmt: skip
    con.execute("COMMIT")
    assert installed == [(True, True)]
    files = list((tmp_path / "none-yet").rglob("*.duckdb_extension"))
    assert [p.name for p in files] == ["delta.duckdb_extension"]
    # installed once: later connections load what is there (by alias too: "postgres" is
    # postgres_scanner) instead of installing from the wheel again (~1 s for postgres)
    load_extension(duckdb.connect(config={"extension_directory": str(tmp_path / "none-yet")}),
                   "postgres")  # fmt: skip
    import catalog_sql.extensions as extensions

    def no_wheel(name):
        raise AssertionError(f"{name} was installed again")

    monkeypatch.setattr(extensions, "extension_file", no_wheel)
    again = duckdb.connect(config={"extension_directory": str(tmp_path / "none-yet")})
    load_extension(again, "delta")
    load_extension(again, "postgres")
    assert again.execute(
        "SELECT count(*) FROM duckdb_extensions() WHERE loaded AND "
        "extension_name IN ('delta', 'postgres_scanner')"
    ).fetchone() == (2,)


def test_loading_an_extension_does_not_import_pandas():
    """Every Postgres connection loads an extension: binding a Python value to DuckDB's
    statement there imported pandas (~1 s of a tracked script's 1.6 s)."""
    import subprocess
    import sys

    code = ("import sys, duckdb; from catalog_sql.extensions import load_extension; "
            "load_extension(duckdb.connect(), 'postgres'); "
            "print('pandas' in sys.modules)")  # fmt: skip
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_duckdb_shell_reads_views(duck_instance):  # DuckDB only: opens the .duckdb file itself
    """The README's shell session: registries and datasets by name, offline."""
    lc.ULabel(name="T cell").save()
    lc.Dataset(CELLS, name="cell-qc").save()
    catalog = duck_instance.path / "catalog.duckdb"
    lc.disconnect()  # the shell needs the file to itself
    sql = "SELECT count(*) AS n FROM ds_cell_qc; SELECT name FROM ulabel;"
    out = subprocess.run(["duckdb", "-readonly", "-csv", str(catalog), "-c", sql],
                         capture_output=True, text=True, timeout=60)  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == ["n", "3", "name", "T cell"]


def test_s3_delta_dataset(s3_bucket, make_instance):
    url, options = s3_bucket
    make_instance(f"{url}/lake", name=make_instance.new_name("s3lake"), storage_options=options)
    ds = lc.Dataset(CELLS, name="remote").save()
    v1 = ds.append(MORE)
    assert ds.path.startswith(url)
    assert v1.load(version=0).shape == (3, 2)
    assert v1.query("SELECT sum(n_genes) AS s FROM self")["s"][0] == 65
    assert ds.query("SELECT sum(n_genes) AS s FROM self")["s"][0] == 60
    parquet = lc.Dataset(CELLS, name="remote-parquet", format="parquet").save()
    assert parquet.append(MORE).load().shape == (4, 2)


def test_latest_version_seen_after_another_process_appends(instance, make_instance):
    """Another process appends: the latest is seen at once, old records keep their rows."""
    ds = lc.Dataset(CELLS, name="shared").save()
    assert ds.query("SELECT count(*) AS n FROM self")["n"][0] == 3
    code = (
        "import sys, pandas as pd, lakecat as lc\n"
        "lc.connect(sys.argv[1])\n"
        "lc.Dataset.latest('shared').append(pd.DataFrame({'cell_type': ['NK'], 'n_genes': [5]}))\n"
    )
    root = make_instance.root(instance)
    out = subprocess.run(["python", "-c", code, root], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert lc.Dataset.latest("shared").query("SELECT count(*) AS n FROM self")["n"][0] == 4
    assert ds.query("SELECT count(*) AS n FROM self")["n"][0] == 3  # version 0 stays version 0


def test_failed_catalog_write_restores_the_delta_table(instance, monkeypatch):
    import deltalake

    from lakecat.datasets import dataset as datasets

    ds = lc.Dataset(CELLS, name="fragile").save()

    def refuse(*args, **kwargs):
        raise lc.CatalogLockedError("simulated: the catalog is busy")

    monkeypatch.setattr(datasets.DatasetMixin, "_register_version", refuse)
    with pytest.raises(lc.CatalogLockedError):
        ds.append(MORE)
    monkeypatch.undo()
    assert list(ds.versions()["version"]) == [0]
    assert deltalake.DeltaTable(ds.path).to_pyarrow_table().num_rows == 3  # head restored
    again = ds.append(MORE)
    assert again.n_rows == 4 and again.load().shape == (4, 2)
    assert list(again.versions()["is_latest"]) == [False, True]


def test_query_accepts_comments_ctes_and_its_own_self(instance):
    ds = lc.Dataset(CELLS, name="q").save()
    assert (
        ds.query("/* c */ WITH a AS (SELECT * FROM self) SELECT count(*) AS n FROM a")["n"][0] == 3
    )
    assert ds.query("-- count\nSELECT count(*) AS n FROM self -- trailing")["n"][0] == 3
    assert ds.query("WITH self AS (SELECT 1 AS n) SELECT n FROM self")["n"][0] == 1
    with pytest.raises(ReadOnlyQueryError, match="failed"):
        ds.query("SELECT no_such_column FROM self")


@postgres_xfail(
    "no dataset views (ds_<name>): _refresh_view creates them only on back ends with "
    "the 'catalog_views' capability (the embedded catalog)",
    raises=duckdb.CatalogException,
)
def test_colliding_view_names_stay_apart(instance):
    first = lc.Dataset(CELLS, name="cell-qc").save()
    second = lc.Dataset(MORE, name="cell qc").save()
    root = second.id
    with instance.backend.session() as con:
        assert con.execute("SELECT count(*) FROM ds_cell_qc").fetchone()[0] == 3
        assert con.execute(f"SELECT count(*) FROM ds_cell_qc_{root}").fetchone()[0] == 1
    first.append(MORE)
    with instance.backend.session() as con:
        assert con.execute("SELECT count(*) FROM ds_cell_qc").fetchone()[0] == 4


def test_parquet_append_aligns_equivalent_types(instance):
    import pyarrow as pa

    ds = lc.Dataset(pa.table({"a": pa.array(["x"], pa.string())}), name="p", format="parquet")
    ds.save()
    v1 = ds.append(pa.table({"a": pa.array(["y"], pa.large_string())}))
    assert list(v1.load()["a"]) == ["x", "y"]


@pytest.mark.parametrize("fmt", ["delta", "parquet"])
def test_deleting_the_latest_version_promotes_the_previous(instance, fmt):
    ds = lc.Dataset(CELLS, name="d", format=fmt).save()
    v1 = ds.append(MORE)
    v1.delete()
    latest = lc.Dataset.get(name="d")
    assert latest == ds and latest.is_latest
    assert latest.query("SELECT count(*) AS n FROM self")["n"][0] == 3
    again = latest.append(MORE)
    assert again.n_rows == 4 and again.query("SELECT count(*) AS n FROM self")["n"][0] == 4


def test_a_create_retried_after_its_catalog_write_failed_writes_the_table_again(
    instance, monkeypatch
):
    """The table is written, then the catalog insert meets another writer (a conflict the
    write turn retries): the retry writes the same table again (it had been let go after
    the first write: `write_deltalake(None)`, seen when a kill trial's holder died)."""
    from catalog_sql.errors import ConflictError
    from lakecat.core.record import Record

    real, failed = Record.save, []

    def once(self):
        if isinstance(self, lc.Dataset) and not failed:
            failed.append(self.name)
            raise ConflictError("another writer got in the way", table=None)
        return real(self)

    monkeypatch.setattr(Record, "save", once)
    monkeypatch.setattr(instance.backend, "wait_for_turn", lambda table: None)
    for fmt in ("delta", "parquet"):
        failed.clear()
        ds = lc.Dataset(CELLS, name=f"retried-{fmt}", format=fmt).save()
        assert failed == [f"retried-{fmt}"]
        assert ds.version == "0" and ds.n_rows == 3
        assert lc.Dataset.latest(f"retried-{fmt}").load().shape == (3, 2)
