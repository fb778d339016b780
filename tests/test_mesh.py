"""A mesh of instances (issue 14): reading another instance, SQL across instances,
transferring records, on both back ends (two instances of the parametrized one, and an
embedded one joined with it)."""

from __future__ import annotations

import json
import subprocess

import pandas as pd
import pytest

import lakecat as lc


@pytest.fixture
def two(make_instance, tmp_path):
    """Instance ``a`` (3 files, labels by feature, a run) and ``b`` (current; one file
    with the same bytes as one of a's). Returns (a name, b name, a's records)."""
    a = make_instance(tmp_path / "lab_a", name=make_instance.new_name("lab_a"))
    transform = lc.Transform(name="qc pipeline", type="pipeline").save()
    run = lc.Run(transform=transform, status="completed", params={"min_genes": 200}).save()
    shared = lc.File(pd.DataFrame({"x": [1, 2]}), key="t/shared.parquet", run=run).save()
    only_a = lc.File(pd.DataFrame({"y": [3]}), key="t/only-a.parquet", run=run).save()
    only_a.labels.add(lc.ULabel(name="T cell").save(), feature="cell_type")
    only_a.ulabels.add(lc.ULabel(name="batch 1").save())
    only_a.features.add_values({"temperature": 21.5, "protocol": "10x v3"})
    cells = lc.File.from_df(pd.DataFrame({"cell_type": ["T"], "n_genes": [5]}),
                            key="t/cells.parquet").save()  # fmt: skip
    records = {"shared": shared, "only_a": only_a, "cells": cells, "run": run}
    lc.disconnect()
    b = make_instance(tmp_path / "lab_b", name=make_instance.new_name("lab_b"))
    lc.File(pd.DataFrame({"x": [1, 2]}), key="elsewhere/same.parquet").save()
    lc.ULabel(name="T cell").save()  # the same name here: a transfer adopts it
    return a.name, b.name, records


def test_using_reads_another_instance_and_never_writes_there(two):
    a, b, recs = two
    assert lc.connect().name == b  # still the current one
    assert lc.File.using(a).filter().count() == 3
    assert lc.File.filter().count() == 1
    found = lc.File.using(a).filter(key__startswith="t/only").list()
    assert [f.uid for f in found] == [recs["only_a"].uid]
    assert lc.File.using(a).get(recs["cells"].uid).key == "t/cells.parquet"
    assert {r.name for r in lc.ULabel.using(a).search("T cel")} >= {"T cell"}
    with lc.using(a):
        assert lc.ULabel.filter(name="batch 1").count() == 1
        assert [r.status for r in lc.Run.filter().list()] == ["completed"]
        with pytest.raises(lc.ReadOnlyError, match="lc.connect"):
            lc.ULabel(name="written there").save()
    with pytest.raises(lc.ReadOnlyError):
        lc.ULabel.using(a).filter(name="batch 1").delete()
    assert lc.ULabel.using(a).filter(name="written there").count() == 0
    assert lc.ULabel.filter(name="batch 1").count() == 0  # nothing leaked here


def test_sql_joins_two_instances(two):
    a, b, recs = two
    joined = lc.sql(
        f"SELECT x.key AS here, y.key AS there FROM file x JOIN {a}.file y USING (hash)"
    )
    assert joined.to_pylist() == [{"here": "elsewhere/same.parquet", "there": "t/shared.parquet"}]
    with lc.attach(a) as mesh:
        assert mesh.sql(f"SELECT count(*) AS n FROM {a}.file").to_pylist() == [{"n": 3}]
        assert mesh.sql(f"SELECT count(*) AS n FROM {b}.file").to_pylist() == [{"n": 1}]
        with pytest.raises(lc.ValidationError, match="read-only"):
            mesh.sql(f"DELETE FROM {a}.file")
    assert lc.File.filter().count() == 1  # the current instance works again after the block
    with pytest.raises(lc.ValidationError, match="one statement"):
        lc.sql(f"SELECT 1; DELETE FROM {a}.file")


def test_transfer_copies_a_file_with_provenance_and_labels_once(two, tmp_path):
    a, b, recs = two
    source = recs["only_a"]
    copied = lc.File.using(a).get(source.uid).save()
    assert copied.uid == source.uid and copied.hash == source.hash
    assert copied.path == str(tmp_path / "lab_a" / source.blob)  # referenced where it lies
    assert copied.load()["y"].tolist() == [3]
    assert copied.run.uid == recs["run"].uid and copied.run.params == {"min_genes": 200}
    assert copied.run.transform.name == "qc pipeline"
    assert {label.name for label in copied.ulabels.list()} == {"T cell", "batch 1"}
    assert [label.name for label in copied.labels.get("cell_type")] == ["T cell"]
    assert lc.ULabel.filter(name="T cell").count() == 1  # adopted, not duplicated
    values = copied.features.get_values()
    assert values["temperature"] == 21.5 and values["protocol"] == "10x v3"
    assert values["cell_type"].name == "T cell"
    assert lc.File.filter(features__temperature__gt=20).count() == 1
    again = lc.File.using(a).get(source.uid).transfer()
    assert again.id == copied.id
    assert lc.File.filter().count() == 2 and lc.Run.filter().count() == 1
    same_bytes = lc.File.using(a).get(recs["shared"].uid).save()
    assert same_bytes.key == "elsewhere/same.parquet"  # these bytes were here already
    cells = lc.File.using(a).get(recs["cells"].uid).save()
    columns = sorted(f.name for f in cells.features["columns"].features.list())
    assert columns == ["cell_type", "n_genes"]


def test_transfer_conflict_and_refusals(two):
    a, b, recs = two
    here = lc.ULabel(name="clash").save()
    theirs = lc.ULabel.using(a).get(name="batch 1")
    theirs.__dict__["uid"] = here.uid  # the same uid, other content
    before = lc.ULabel.filter().count()
    with pytest.raises(lc.TransferConflictError, match="different content"):
        theirs.transfer()
    assert lc.ULabel.filter().count() == before
    with pytest.raises(lc.ValidationError, match="not read from another instance"):
        here.transfer()
    with pytest.raises(lc.InstanceError, match="No lakecat instance"):
        lc.File.using("no_such_lab")


def test_a_dataset_of_files_transfers_with_its_files(two):
    a, b, recs = two
    lc.connect(a)
    ds = lc.Dataset([recs["shared"], recs["cells"]], name="bundle").save()
    table = lc.Dataset(pd.DataFrame({"v": [1]}), name="table").save()
    lc.connect(b)
    copied = lc.Dataset.using(a).get(ds.uid).save()
    assert copied.format == "files" and len(copied.files.list()) == 2
    assert len(copied.load()) == 3
    with pytest.raises(lc.ValidationError, match="table"):
        lc.Dataset.using(a).get(table.uid).save()


def test_cli_sql_attach(two, tmp_path):
    a, b, _ = two
    lc.disconnect()
    statement = f"SELECT count(*) AS n FROM file JOIN {a}.file USING (hash)"
    out = subprocess.run(["lakecat", "sql", "--attach", a, "--format", "json", statement],
                         capture_output=True, text=True, timeout=120)  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout) == [{"n": 1}]
    bad = subprocess.run(["lakecat", "sql", "--attach", "nope", "SELECT 1"],
                         capture_output=True, text=True, timeout=120)  # fmt: skip
    assert bad.returncode == 1 and "Traceback" not in bad.stderr and "nope" in bad.stderr


def test_an_embedded_and_a_postgres_instance_in_one_query(make_instance, tmp_path):
    if make_instance.backend != "postgres":
        pytest.skip("the mixed case runs once, with the Postgres parametrization")
    embedded = lc.init(storage=str(tmp_path / "duck_lab"), name=make_instance.new_name("duck"))
    lc.File(pd.DataFrame({"x": [7]}), key="d.parquet").save()
    lc.disconnect()
    make_instance(tmp_path / "pg_lab")
    lc.File(pd.DataFrame({"x": [7]}), key="p.parquet").save()
    rows = lc.sql(f"SELECT a.key AS pg, b.key AS duck FROM file a JOIN {embedded.name}.file b "
                  f"USING (hash)").to_pylist()  # fmt: skip
    assert rows == [{"pg": "p.parquet", "duck": "d.parquet"}]


def test_two_instances_with_one_name_are_never_confused(make_instance, tmp_path, caplog):
    first = make_instance(tmp_path / "one", name=make_instance.new_name("lab"))
    lc.ULabel(name="in one").save()
    lc.disconnect()
    if first.config.db:  # on Postgres the name is the schema: a second one is refused
        with pytest.raises(lc.InstanceError, match="holds the catalog of another instance"):
            lc.init(storage=str(tmp_path / "two"), db=first.config.db, name=first.name)
        return
    second = lc.init(storage=str(tmp_path / "two"), name=first.name)
    assert "now means the new instance" in caplog.text
    with pytest.raises(lc.InstanceError, match="Two instances are named"):
        lc.sql("SELECT count(*) FROM ulabel", attach=[str(tmp_path / "one")])
    assert lc.connect(first.name).config.storage == second.config.storage


def test_records_read_there_are_not_taken_for_records_here(two, tmp_path):
    a, b, recs = two
    theirs = lc.File.using(a).get(recs["only_a"].uid)
    assert theirs.path == str(tmp_path / "lab_a" / theirs.blob)  # its own storage
    assert theirs.load()["y"].tolist() == [3]
    assert theirs.run.uid == recs["run"].uid and theirs.run.transform.name == "qc pipeline"
    assert {label.name for label in theirs.ulabels.list()} == {"T cell", "batch 1"}
    assert theirs.features.get_values()["temperature"] == 21.5
    here = lc.File.filter().one()
    before = (lc.ULabel.filter().count(), lc.Dataset.filter().count())
    with pytest.raises(lc.ValidationError, match="transfer"):
        here.ulabels.add(lc.ULabel.using(a).get(name="batch 1"))
    with pytest.raises(lc.ValidationError, match="transfer"):
        lc.Dataset([theirs], name="foreign")
    with pytest.raises(lc.ValidationError, match="transfer"):
        theirs.ulabels.add(lc.ULabel.filter().first())
    with pytest.raises(lc.ValidationError, match="transfer"):
        lc.save([lc.ULabel.using(a).get(name="batch 1")])
    assert (lc.ULabel.filter().count(), lc.Dataset.filter().count()) == before
    assert here.ulabels.count() == 0


def test_a_cycle_of_foreign_keys_transfers(two):
    a, b, recs = two
    lc.connect(a)
    run = lc.Run.get(recs["run"].uid)
    report = lc.File(pd.DataFrame({"r": [1]}), key="reports/qc.parquet", run=run).save()
    run.report = report
    run.save()
    lc.connect(b)
    copied = lc.File.using(a).get(report.uid).save()
    assert copied.run.report.uid == report.uid and copied.run.uid == run.uid
    assert lc.Run.filter().count() == 1


def test_a_transfer_does_not_merge_version_families(two):
    a, b, recs = two
    lc.File(pd.DataFrame({"other": [0]}), key="t/only-a.parquet").save()  # that key, here
    before = lc.File.filter().count()
    with pytest.raises(lc.TransferConflictError, match="not merged"):
        lc.File.using(a).get(recs["only_a"].uid).save()
    assert lc.File.filter().count() == before
    assert lc.ULabel.filter(name="batch 1").count() == 0  # one transaction: nothing kept


def test_a_published_catalog_is_read_from_object_storage(s3_bucket, tmp_path, monkeypatch):
    """The owner of an S3 instance publishes its catalog; a collaborator with another
    settings folder reads it (files from the bucket), and can write nowhere."""
    url, options = s3_bucket
    owner = lc.init(storage=f"{url}/lab", name="s3lab", storage_options=options)
    f = lc.File(pd.DataFrame({"x": [4, 5]}), key="t/x.parquet").save()
    lc.ULabel(name="published label").save()
    with pytest.raises(lc.InstanceError, match="publish"):
        lc.connect(f"{url}/other", storage_options=options)
    assert owner.publish().endswith("/.lakecat/published/catalog.duckdb")
    lc.disconnect()
    monkeypatch.setenv("LAKECAT_HOME", str(tmp_path / "collaborator"))
    reader = lc.connect(f"{url}/lab", read_only=True, storage_options=options)
    assert reader.backend.read_only
    assert lc.ULabel.filter(name="published label").count() == 1
    assert lc.File.get(f.uid).load()["x"].tolist() == [4, 5]
    with pytest.raises(lc.ReadOnlyError):
        lc.ULabel(name="written").save()
    lc.disconnect()
    again = lc.connect()  # the remembered current instance: the fetched copy, read-only
    assert again.backend.read_only and lc.ULabel.filter(name="published label").count() == 1
    import s3fs

    listing = sorted(s3fs.S3FileSystem(**options).find(f"{url}/lab"))
    assert all("/objects/" in p or "/published/" in p for p in listing)
