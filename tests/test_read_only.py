"""Reading needs no write anywhere: a SELECT-only Postgres role can connect and read."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import uuid

import pytest

import lakecat as lc


def _psql(sql: str) -> None:
    if shutil.which("runuser") is None or os.geteuid() != 0:
        if os.environ.get("CI") == "true":
            pytest.fail("creating a Postgres role needs root and runuser under CI")
        pytest.skip("creating a Postgres role needs root (runuser -u postgres)")
    subprocess.run(["runuser", "-u", "postgres", "--", "psql", "-q", "-d", "lakecat_test",
                    "-c", sql], check=True, capture_output=True, timeout=60)  # fmt: skip


@pytest.mark.parametrize("backend_name", ["postgres"])
def test_select_only_role_connects_and_reads(instance, tmp_path, monkeypatch):
    lc.ULabel(name="visible").save()
    role = f"ro_{uuid.uuid4().hex[:8]}"
    schema = instance.config.schema
    _psql(f"CREATE ROLE {role} LOGIN PASSWORD 'ro'; GRANT USAGE ON SCHEMA \"{schema}\" TO "
          f"{role}; GRANT SELECT ON ALL TABLES IN SCHEMA \"{schema}\" TO {role};")  # fmt: skip
    try:
        config = json.loads((instance.path / "instance.json").read_text())
        config["db"] = config["db"].replace("lakecat:lakecat@", f"{role}:ro@")
        reader = tmp_path / "reader" / ".lakecat"
        reader.mkdir(parents=True)
        (reader / "instance.json").write_text(json.dumps(config))
        lc.disconnect()
        monkeypatch.setenv("LAKECAT_USER", "a-new-reader")  # no user row yet: not writable
        inst = lc.connect(reader.parent)  # before: "permission denied for sequence user_id_seq"
        assert inst.user_id is None
        assert [r.name for r in lc.ULabel.filter()] == ["visible"]
        with pytest.raises(lc.CatalogError, match="permission denied"):
            lc.ULabel(name="not allowed").save()
        lc.disconnect()
    finally:
        _psql(f"DROP OWNED BY {role}; DROP ROLE {role};")


READER = """
import sys, lakecat as lc
inst = lc.connect(sys.argv[1])
print("access", inst.backend.describe().get("access"))
print("labels", sorted(lc.ULabel.filter().values_list("name", flat=True)))
print("file", lc.File.get(key="t.parquet").load()["a"].tolist())
ds = lc.Dataset.latest("ds")
print("dataset", ds.n_rows, int(ds.query("SELECT sum(a) AS s FROM self")["s"][0]))
print("parquet", lc.Dataset.latest("pq").load()["a"].tolist())
try:
    lc.ULabel(name="new").save()
except lc.ReadOnlyError as err:
    print("refused", type(err).__name__)
"""


def _tree(root) -> dict[str, tuple[int, int]]:
    return {str(p.relative_to(root)): (p.stat().st_size, p.stat().st_mtime_ns)
            for p in sorted(root.rglob("*"))}  # fmt: skip


def _in_read_only_mount(folder, command: str) -> subprocess.CompletedProcess:
    """Run ``command`` (sh) in a mount namespace where ``folder`` is read-only."""
    if shutil.which("unshare") is None or os.geteuid() != 0:
        if os.environ.get("CI") == "true":
            pytest.fail("a read-only mount needs root and unshare under CI")
        pytest.skip("a read-only mount needs root and unshare")
    script = f'mount --bind "{folder}" "{folder}" && mount -o remount,bind,ro "{folder}" && '
    return subprocess.run(["unshare", "-m", "sh", "-c", script + command],
                          capture_output=True, text=True, timeout=180)  # fmt: skip


def test_embedded_instance_on_read_only_storage_is_readable(tmp_path):
    """Before: a raw OSError on the lock file, and `lakecat ls` printed a traceback."""
    import sys

    import pandas as pd

    root = tmp_path / "lab"
    lc.init(storage=str(root))
    lc.save([lc.ULabel(name="a"), lc.ULabel(name="b")])
    lc.File(pd.DataFrame({"a": [1, 2]}), key="t.parquet").save()
    lc.Dataset(pd.DataFrame({"a": [1, 2, 3]}), name="ds").save()
    lc.Dataset(pd.DataFrame({"a": [5]}), name="pq", format="parquet").save()
    lc.disconnect()
    before = _tree(root)
    code = READER.replace('"', '\\"')
    lakecat = shutil.which("lakecat")
    out = _in_read_only_mount(
        root,
        f'"{sys.executable}" -c "{code}" "{root}" && '
        f'"{lakecat}" connect "{root}" && "{lakecat}" ls ulabel',
    )
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[:6] == ["access read-only", "labels ['a', 'b']", "file [1, 2]",
                         "dataset 3 6", "parquet [5]", "refused ReadOnlyError"]  # fmt: skip
    assert "Traceback" not in out.stderr
    listing = [line.split() for line in lines[6:]]
    assert ["access", "read-only"] in listing  # lakecat connect says so
    header = listing.index(["uid", "name"])
    assert [row[1] for row in listing[header + 2 : -1]] == ["a", "b"]
    assert lines[-1] == "rows 1–2 of 2"
    assert _tree(root) == before  # nothing was written: no lock file, no WAL, no blob


def test_read_only_opening_writes_nothing(tmp_path):
    root = tmp_path / "lab"
    lc.init(storage=str(root))
    lc.ULabel(name="kept").save()
    lc.disconnect()
    before = _tree(root)
    inst = lc.connect(root, read_only=True)
    assert inst.backend.read_only and inst.info()["access"] == "read-only"
    assert lc.ULabel.get(name="kept").name == "kept"
    with pytest.raises(lc.ReadOnlyError, match="read-only"):
        lc.ULabel(name="new").save()
    lc.disconnect()
    assert _tree(root) == before
    lc.connect(root)  # and a writer can open it afterwards
    assert lc.ULabel(name="new").save().name == "new"
