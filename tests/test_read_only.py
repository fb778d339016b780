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
