"""Ingest keeps folder layouts as keys, versions keys, and reports what happened."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

import lakecat as lc
from lakecat.cli import cli
from lakecat.files.ingest import ingest


def _tree(root, files: dict[str, str]):
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def test_keys_keep_the_folder_layout(instance, tmp_path):
    src = _tree(tmp_path / "src", {"a/x.csv": "a\n1\n", "b/x.csv": "b\n2\n", "top.csv": "t\n"})
    report = ingest([src], recursive=True, key_prefix="P")
    keys = sorted(f.key for f in report.new)
    assert keys == ["P/a/x.csv", "P/b/x.csv", "P/top.csv"]  # before: P/x.csv twice
    assert {f.version for f in report.new} == {"1"}
    other = _tree(tmp_path / "other", {"c/d/y.csv": "y\n"})
    assert [f.key for f in ingest([other], recursive=True).new] == ["c/d/y.csv"]


def test_two_blobs_under_one_key_in_one_ingest_are_versions(instance, tmp_path):
    one = _tree(tmp_path / "one", {"x.csv": "v\n1\n"}) / "x.csv"
    two = _tree(tmp_path / "two", {"x.csv": "v\n2\n"}) / "x.csv"
    report = ingest([one, two])
    assert [(f.key, f.version, f.is_latest) for f in report.new] == [
        ("x.csv", "1", False), ("x.csv", "2", True),
    ]  # fmt: skip
    rows = lc.File.filter(key="x.csv").values_list("version", "is_latest")
    assert sorted(rows) == [("1", False), ("2", True)]
    assert lc.File.get(key="x.csv").version == "2"


def test_report_counts_what_happened(instance, tmp_path):
    src = _tree(tmp_path / "src", {"a.csv": "same\n", "b.csv": "same\n", "c.csv": "c\n"})
    first = ingest([src], recursive=True)
    assert (len(first.new), len(first.existing)) == (2, 1)  # b.csv has a.csv's bytes
    assert first.summary() == "2 new, 1 already registered, 0 failed"
    again = ingest([src], recursive=True)
    assert again.summary() == "0 new, 3 already registered, 0 failed"
    (src / "c.csv").write_text("changed\n")
    third = ingest([src], recursive=True)
    assert third.summary() == "1 new (1 as new versions), 2 already registered, 0 failed"
    assert lc.File.get(key="c.csv").version == "2"
    objects = Path(instance.config.storage) / ".lakecat" / "objects"
    assert len(list(objects.iterdir())) == 3  # no leftover copy of the duplicate bytes


def test_cli_says_when_a_folder_becomes_one_file(instance, tmp_path):
    src = _tree(tmp_path / "many", {f"f{i}.txt": str(i) for i in range(3)})
    result = CliRunner().invoke(cli, ["ingest", str(src)])
    assert result.exit_code == 0, result.output
    assert "note: many is a folder: registered as one File of 3 objects" in result.output
    assert "--recursive" in result.output
    result = CliRunner().invoke(cli, ["ingest", str(src), "--recursive", "--key", "raw"])
    assert "3 new, 0 already registered, 0 failed" in result.output
    assert sorted(f.key for f in lc.File.filter(key__startswith="raw/")) == [
        "raw/f0.txt", "raw/f1.txt", "raw/f2.txt",
    ]  # fmt: skip
