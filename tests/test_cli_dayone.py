"""Day-one CLI behaviour: readable ``ls``/``search``/``show``, ``--version``, a clean error
for PNG lineage without matplotlib, and a lazy ``Registry.lookup()``."""

from __future__ import annotations

import csv
import io
import json
import sys

import pytest
from click.testing import CliRunner

import lakecat as lc
from lakecat.cli import cli


def invoke(*args: str):
    return CliRunner().invoke(cli, list(args))


def csv_rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


@pytest.fixture
def tracked(instance):
    """A transform, its run, a file and a dataset written by that run."""
    import pandas as pd
    import pyarrow as pa

    lc.track(transform=lc.Transform(name="make table", type="pipeline"))
    file = lc.File(pd.DataFrame({"a": [1]}), key="made.parquet", description="made").save()
    dataset = lc.Dataset(pa.table({"x": [1, 2]}), name="cells").save()
    run = lc.finish()
    lc.ULabel(name="T cell").save()
    return {"file": file, "dataset": dataset, "run": run, "transform": file.transform}


# ------------------------------------------------------------------------------ --version


def test_version_prints_the_package_version():
    result = invoke("--version")
    assert result.exit_code == 0
    assert result.output == f"lakecat {lc.__version__}\n"


# ------------------------------------------------------------------------------ lineage PNG


def test_lineage_png_without_matplotlib_is_one_error_line(tracked, monkeypatch, tmp_path):
    uid = tracked["file"].uid
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # makes `import matplotlib` fail
    out = tmp_path / "x.png"
    result = invoke("lineage", uid, "--out", str(out))
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    errors = result.stderr.splitlines()
    assert len(errors) == 1 and errors[0].startswith("Error: ")
    assert "pip install 'lakecat[plot]'" in errors[0] and ".svg" in errors[0]
    assert not out.exists()
    svg = tmp_path / "x.svg"
    ok = invoke("lineage", uid, "--out", str(svg))
    assert ok.exit_code == 0, ok.output
    assert svg.read_text().startswith("<svg") and f"wrote {svg}" in ok.output


def test_png_lineage_error_is_a_validation_and_import_error(tracked, monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(lc.ValidationError, match="matplotlib") as info:
        tracked["file"].view_lineage(path=str(tmp_path / "x.png"))
    assert isinstance(info.value, ImportError)


# ------------------------------------------------------------------------------ ls


@pytest.mark.parametrize(
    ("registry", "header"),
    [
        ("file", ["uid", "key", "version", "size", "suffix", "description", "created_at"]),
        ("ulabel", ["uid", "name", "description"]),
        ("dataset", ["uid", "name", "version", "n_rows", "format", "operation"]),
        ("transform", ["uid", "name", "version", "type"]),
        ("run", ["uid", "transform", "status", "started_at"]),
        ("user", ["uid", "handle", "name", "created_at"]),
        ("storage", ["uid", "root", "description", "created_at"]),
    ],
)
def test_ls_shows_useful_default_columns(tracked, registry, header):
    result = invoke("ls", registry, "--format", "csv")
    assert result.exit_code == 0, result.output
    rows = csv_rows(result.stdout)
    assert rows[0] == header
    assert len(rows) == 2  # one record of each, no footer in csv


def test_ls_values_and_run_transform_name(tracked):
    files = json.loads(invoke("ls", "file", "--format", "json").stdout)
    assert files == [
        {
            "uid": tracked["file"].uid,
            "key": "made.parquet",
            "version": "1",
            "size": tracked["file"].size,
            "suffix": ".parquet",
            "description": "made",
            "created_at": str(tracked["file"].created_at),
        }
    ]
    runs = json.loads(invoke("ls", "run", "--format", "json").stdout)
    assert [(r["uid"], r["transform"], r["status"]) for r in runs] == [
        (tracked["run"].uid, "make table (v1)", "completed")
    ]
    datasets = json.loads(invoke("ls", "dataset", "--format", "json").stdout)
    assert [(d["name"], d["version"], d["n_rows"]) for d in datasets] == [("cells", "0", 2)]


def test_ls_table_hides_internal_columns(tracked):
    result = invoke("ls", "file")
    assert result.exit_code == 0
    header = result.stdout.splitlines()[0].split()
    assert header == ["uid", "key", "version", "size", "suffix", "description", "created_at"]
    assert "made.parquet" in result.stdout and "blob" not in result.stdout


def test_ls_columns_option(instance):
    lc.save([lc.ULabel(name="b", description="second"), lc.ULabel(name="a")])
    result = invoke("ls", "ulabel", "--columns", "name,id", "--format", "csv")
    assert result.exit_code == 0, result.output
    assert result.stdout == "name,id\nb,1\na,2\n"  # plain newlines: uids pipe cleanly
    # csv/json keep every selected column, even an empty one
    empty = invoke("ls", "ulabel", "--columns", "name,reference", "--format", "json")
    assert json.loads(empty.stdout) == [
        {"name": "b", "reference": None},
        {"name": "a", "reference": None},
    ]
    bad = invoke("ls", "ulabel", "--columns", "uid,nmae")
    assert bad.exit_code == 1 and "Traceback" not in bad.output
    assert bad.stderr.startswith("Error: Unknown column 'nmae' for ulabel. Did you mean 'name'?")
    assert len(bad.stderr.splitlines()) == 1


def test_ls_footer_and_offset(instance):
    lc.save([lc.ULabel(name=f"label {i:02d}") for i in range(60)])
    first = invoke("ls", "ulabel")
    lines = first.stdout.splitlines()
    assert lines[-1] == "rows 1–50 of 60 (use --limit / --offset)"
    assert lines[2].split()[1:] == ["label", "00"] and len(lines) == 2 + 50 + 1
    rest = invoke("ls", "ulabel", "--offset", "50")
    lines = rest.stdout.splitlines()
    assert lines[-1] == "rows 51–60 of 60 (use --limit / --offset)"
    assert [line.split()[-1] for line in lines[2:-1]] == [f"{i}" for i in range(50, 60)]
    few = invoke("ls", "ulabel", "--filter", "name__startswith=label 0")
    assert few.stdout.splitlines()[-1] == "rows 1–10 of 10"
    as_csv = csv_rows(invoke("ls", "ulabel", "--format", "csv").stdout)
    assert len(as_csv) == 51 and as_csv[-1][1] == "label 49"
    as_json = json.loads(invoke("ls", "ulabel", "--offset", "55", "--format", "json").stdout)
    assert [r["name"] for r in as_json] == [f"label {i}" for i in range(55, 60)]
    past = invoke("ls", "ulabel", "--offset", "100")
    assert past.exit_code == 0 and past.stdout.splitlines()[-1] == "no rows at offset 100 of 60"


def test_ls_footer_uses_thousands_separators(instance):
    lc.save([lc.ULabel(name=f"n{i}") for i in range(1234)])
    result = invoke("ls", "ulabel", "--limit", "2", "--offset", "1000")
    assert result.stdout.splitlines()[-1] == "rows 1,001–1,002 of 1,234 (use --limit / --offset)"


# ------------------------------------------------------------------------------ search


def test_search_hides_rank_columns(instance):
    lc.save([lc.ULabel(name="experiment", description="d"), lc.ULabel(name="assay")])
    result = invoke("search", "ulabel", "experimnt", "--format", "json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == [
        {"uid": lc.ULabel.get(name="experiment").uid, "name": "experiment", "description": "d"}
    ]
    table = invoke("search", "ulabel", "exp")
    assert table.stdout.splitlines()[0].split() == ["uid", "name", "description"]
    assert "_tier" not in table.stdout and "_score" not in table.stdout
    named = invoke("search", "ulabel", "exp", "--columns", "name", "--format", "csv")
    assert csv_rows(named.stdout) == [["name"], ["experiment"]]


def test_search_run_shows_transform_name(tracked):
    result = invoke("search", "run", tracked["run"].uid, "--format", "json")
    assert [r["transform"] for r in json.loads(result.stdout)] == ["make table (v1)"]


# ------------------------------------------------------------------------------ show


def show_fields(uid: str) -> dict[str, str]:
    result = invoke("show", uid)
    assert result.exit_code == 0, result.output
    return dict(line.split(None, 1) for line in result.stdout.splitlines())


def test_show_names_related_records(tracked):
    transform, run = tracked["transform"], tracked["run"]
    shown = show_fields(tracked["file"].uid)
    assert shown["transform"] == f"make table (v1)  {transform.uid}"
    assert shown["run"] == f"{run.uid} (completed)"
    assert shown["created_by"] == f"{lc.User.all().first().handle}  {lc.User.all().first().uid}"
    assert "transform_id" not in shown and "run_id" not in shown and "storage_id" not in shown
    assert shown["storage"].split()[-1] == lc.Storage.all().first().uid
    run_shown = show_fields(run.uid)
    assert run_shown["registry"] == "Run" and run_shown["status"] == "completed"
    assert run_shown["transform"] == f"make table (v1)  {transform.uid}"
    dataset_shown = show_fields(tracked["dataset"].uid)
    assert dataset_shown["run"] == f"{run.uid} (completed)"


def test_show_works_for_every_registry(tracked):
    from lakecat.files.features import feature_set_for
    from lakecat.instance import current

    feature_set_for([("a", "int64")], name="cols")
    lc.Modality(name="RNA").save()
    for name, cls in current().registries().items():  # core: no schema module added here
        record = cls.all().first()
        assert record is not None, name
        shown = show_fields(record.uid)
        assert shown["registry"] == name and shown["uid"] == record.uid
        if name == "FeatureSet":  # its own "registry" field does not hide the class name
            assert shown["feature_set.registry"] == "Feature"


# ------------------------------------------------------------------------------ lookup


def test_lookup_api(instance):
    lc.save([lc.ULabel(name=n) for n in ["CD8+ T cell", "1st batch", "a b", "a-b", "class"]])
    look = lc.ULabel.lookup()
    assert len(look) == 5
    assert look.cd8_t_cell.name == "CD8+ T cell" and look.x1st_batch.name == "1st batch"
    assert look.a_b.name == "a b" and look.a_b_.name == "a-b" and look.xclass.name == "class"
    assert look["a_b_"].name == "a-b"
    assert {"cd8_t_cell", "x1st_batch", "a_b", "a_b_", "xclass"} <= set(dir(look))
    as_dict = dict(look)
    assert list(as_dict) == ["cd8_t_cell", "x1st_batch", "a_b", "a_b_", "xclass"]
    assert [r.name for r in as_dict.values()] == [
        "CD8+ T cell", "1st batch", "a b", "a-b", "class",
    ]  # fmt: skip
    assert [name for name, _ in look] == list(as_dict)
    assert repr(look) == "Lookup(5 records: a_b, a_b_, cd8_t_cell, x1st_batch, xclass)"
    with pytest.raises(AttributeError, match="Did you mean 'cd8_t_cell'"):
        _ = look.cd8_t_cel
    with pytest.raises(KeyError):
        look["nope"]
    assert not hasattr(look, "_repr_html_")


def test_lookup_builds_records_only_when_used(instance, monkeypatch):
    lc.save([lc.ULabel(name=f"label {i}") for i in range(20)])
    built = []
    one, many = lc.ULabel._from_row.__func__, lc.ULabel._from_rows.__func__

    def counting(cls, columns, row):
        built.append(row)
        return one(cls, columns, row)

    def counting_many(cls, columns, rows, naive_utc=False):
        built.extend(rows)
        return many(cls, columns, rows, naive_utc)

    monkeypatch.setattr(lc.ULabel, "_from_row", classmethod(counting))
    monkeypatch.setattr(lc.ULabel, "_from_rows", classmethod(counting_many))
    look = lc.ULabel.lookup()
    assert len(look) == 20 and "label_7" in dir(look) and built == []
    first = look.label_7
    assert first.name == "label 7" and len(built) == 1
    assert look.label_7 is first and look["label_7"] is first and len(built) == 1
    assert dict(look)["label_7"] is first
    assert len(built) == 20  # the other 19 in one query


def test_lookup_other_field_and_unknown_field(instance):
    lc.save([lc.ULabel(name="x", description="Primary tumour"), lc.ULabel(name="y")])
    look = lc.ULabel.lookup("description")
    assert len(look) == 1 and look.primary_tumour.name == "x"
    with pytest.raises(lc.FieldError, match="no field 'nope'"):
        lc.ULabel.lookup("nope")


def test_png_without_matplotlib_never_fails_a_tracked_run(tracked, monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    run = lc.track(transform=lc.Transform(name="draws lineage", type="pipeline"))
    tracked["file"].view_lineage(path=str(tmp_path / "x.png"))  # warns, writes x.svg
    lc.finish()
    assert (tmp_path / "x.svg").read_text().startswith("<svg")
    assert not (tmp_path / "x.png").exists()
    assert lc.Run.get(run.uid).status == "completed"
