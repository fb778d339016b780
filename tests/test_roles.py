"""Collaborator roles on Postgres, with real roles: read can filter and load but not save
(and a refused save leaves nothing behind), write saves, admin creates tables, remove
drops the role; plus every mistake as a typed error, and the embedded refusal.

The lakecat test role has CREATEDB but not CREATEROLE, as a catalog owner would have by
default: the tests check that lakecat says so. For the rest, a module fixture has the
superuser create a throwaway catalog owner *with* CREATEROLE (what an administrator
grants to an owner who manages collaborators) and every instance here is created by it.
Every role and schema a test makes is dropped by the superuser at teardown, pass or fail.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import duckdb
import pandas as pd
import pytest
from click.testing import CliRunner

import lakecat as lc
from lakecat.cli import cli
from tests.conftest import PG_URL, _postgres_or_skip

PREFIX = f"lcr{uuid.uuid4().hex[:6]}_"  # every role this module makes starts with it


def _database() -> str:
    return urlsplit(PG_URL).path.lstrip("/") or "postgres"


def _superuser(sql: str) -> str:
    """Run ``sql`` as the Postgres superuser (needs root: runuser -u postgres)."""
    if shutil.which("runuser") is None or os.geteuid() != 0:
        if os.environ.get("CI") == "true":
            pytest.fail("creating Postgres roles needs root and runuser under CI")
        pytest.skip("creating Postgres roles needs root (runuser -u postgres)")
    out = subprocess.run(
        ["runuser", "-u", "postgres", "--", "psql", "-qAt", "-v", "ON_ERROR_STOP=1",
         "-d", _database(), "-c", sql],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    return out.stdout


def _url(user: str, password: str) -> str:
    parts = urlsplit(PG_URL)
    return parts._replace(netloc=f"{user}:{password}@{parts.netloc.rpartition('@')[2]}").geturl()


def _roles() -> set[str]:
    found = _superuser(f"SELECT rolname FROM pg_roles WHERE rolname LIKE '{PREFIX}%'")
    return set(found.split())


def _drop_roles(names) -> None:
    script = "".join(f'DROP OWNED BY "{n}" CASCADE; DROP ROLE "{n}";' for n in names)
    if script:
        _superuser(script)


@pytest.fixture(scope="module")
def owner_url():
    """A catalog owner with CREATEROLE, made by the superuser for this module only."""
    _postgres_or_skip()
    owner = f"{PREFIX}owner"
    _superuser(f'CREATE ROLE "{owner}" LOGIN CREATEROLE PASSWORD \'owner\'; '
               f'GRANT CREATE ON DATABASE "{_database()}" TO "{owner}";')  # fmt: skip
    try:
        yield _url(owner, "owner")
    finally:
        lc.disconnect()
        _drop_roles(sorted(_roles() - {owner}))  # collaborators first, then the owner
        _superuser(f'DROP OWNED BY "{owner}" CASCADE; REVOKE ALL ON DATABASE "{_database()}" '
                   f'FROM "{owner}"; DROP ROLE "{owner}";')  # fmt: skip


@pytest.fixture
def bare(owner_url, tmp_path):
    """A fresh instance owned by the CREATEROLE owner; the collaborators a test made and
    the schema are dropped afterwards, whatever happened."""
    before = _roles()
    name = f"{PREFIX}{uuid.uuid4().hex[:6]}"
    try:
        yield lc.init(storage=str(tmp_path / "lab"), db=owner_url, name=name)
    finally:
        lc.disconnect()
        _drop_roles(sorted(_roles() - before))
        _superuser(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')


@pytest.fixture
def lab(bare):
    """``bare`` with a label, a File and a Dataset."""
    lc.ULabel(name="T cell").save()
    lc.File(pd.DataFrame({"a": [1, 2, 3]}), key="tables/a.parquet").save()
    lc.Dataset(pd.DataFrame({"a": [1, 2]}), name="qc").save()
    return bare


def _as(inst, url: str):
    """Connect to ``inst`` as another role (a collaborator's URL)."""
    lc.disconnect()
    return lc.connect(inst.config.storage, db=url)


def _state(inst) -> tuple[dict[str, int], list[tuple[str, int]]]:
    """Row counts of the registries a save touches, and every file under the storage."""
    counts = {cls.__name__: cls.filter().count() for cls in (lc.ULabel, lc.File, lc.Dataset)}
    root = Path(inst.config.storage)
    files = [(str(p.relative_to(root)), p.stat().st_size) for p in sorted(root.rglob("*"))
             if p.is_file() and ".lakecat/cache" not in str(p)]  # fmt: skip
    return counts, files


def test_read_role_filters_and_loads_but_cannot_save(lab):
    reader = lc.collaborators.add(f"{PREFIX}reader", role="read")
    assert reader.password and reader.password in reader.url
    settings = (lab.path / "instance.json").read_text()
    _as(lab, reader.url)
    assert (lab.path / "instance.json").read_text() == settings  # the URL is not written down
    assert lc.ULabel.filter(name__startswith="T").one().name == "T cell"
    assert lc.File.get(key="tables/a.parquet").load()["a"].tolist() == [1, 2, 3]
    assert lc.Dataset.latest("qc").load()["a"].tolist() == [1, 2]
    assert lc.ULabel.search("T cel")[0].name == "T cell"
    before = _state(lab)
    with pytest.raises(lc.ReadOnlyError, match="permission denied") as label_err:
        lc.ULabel(name="B cell").save()
    assert isinstance(label_err.value, PermissionError)
    with pytest.raises(lc.ReadOnlyError, match="permission denied"):
        lc.File(pd.DataFrame({"b": [9]}), key="tables/b.parquet").save()  # new bytes: a blob
    with pytest.raises(lc.ReadOnlyError, match="permission denied"):
        lc.save([lc.ULabel(name=f"bulk {i}") for i in range(20)])
    with pytest.raises(lc.ReadOnlyError, match="permission denied"):
        lc.Dataset.latest("qc").append(pd.DataFrame({"a": [3]}))
    assert _state(lab) == before  # no row, no blob, no table version was left behind
    assert lc.Dataset.latest("qc").load()["a"].tolist() == [1, 2]


def test_write_role_saves_but_creates_no_tables(lab):
    writer = lc.collaborators.add(f"{PREFIX}writer", role="write", password="it's a 'pw'")
    assert writer.password is None and "pw" not in writer.url  # a given password is not echoed
    inst = _as(lab, writer.url.replace("@", ":it%27s%20a%20%27pw%27@", 1))
    assert lc.ULabel(name="B cell").save().id is not None
    lc.File(pd.DataFrame({"b": [9]}), key="tables/b.parquet").save()
    lc.save([lc.ULabel(name=f"bulk {i}") for i in range(20)])
    assert lc.Dataset.latest("qc").append(pd.DataFrame({"a": [3]})).n_rows == 3
    assert lc.ULabel.filter(name="B cell").delete() == 1
    with pytest.raises(duckdb.Error, match="permission denied for schema"):  # no DDL
        inst.backend.native(f'CREATE TABLE "{inst.config.schema}".extra (x int)')
    assert lc.ULabel.filter().count() == 21


def test_admin_role_creates_tables_and_later_tables_are_granted(bare):
    admin = lc.collaborators.add(f"{PREFIX}admin", role="admin")
    reader = lc.collaborators.add(f"{PREFIX}late_reader", role="read")
    schema = bare.config.schema
    bare.backend.native(f'CREATE TABLE "{schema}".later (x int); INSERT INTO "{schema}".later '
                       f"VALUES (7)")  # fmt: skip  # as a later migration by the owner would
    inst = _as(bare, admin.url)
    inst.backend.native(f'CREATE TABLE "{schema}".admin_made (x int REFERENCES '
                        f'"{schema}".ulabel (id))')  # fmt: skip
    lc.ULabel(name="by admin").save()
    inst = _as(bare, reader.url)
    rows = inst.backend.duck_sql(f'SELECT x FROM lakecat_pg."{schema}".later').to_pylist()
    assert rows == [{"x": 7}]  # default privileges reached a table created after the grant
    assert lc.ULabel.filter(name="by admin").count() == 1


def test_list_shows_levels_and_remove_drops_the_role(bare):
    for level in ("read", "write", "admin"):
        lc.collaborators.add(f"{PREFIX}{level}", role=level)
    foreign = f"{PREFIX}foreign"
    _superuser(f'CREATE ROLE "{foreign}"; GRANT USAGE ON SCHEMA "{bare.config.schema}" TO '
               f'"{foreign}"')  # fmt: skip
    listed = {c.name: (c.role, c.managed) for c in lc.collaborators.list()}
    assert listed == {f"{PREFIX}admin": ("admin", True), f"{PREFIX}read": ("read", True),
                      f"{PREFIX}write": ("write", True), foreign: ("none", False)}  # fmt: skip
    lc.collaborators.remove(f"{PREFIX}write")
    assert f"{PREFIX}write" not in _roles()
    assert [c.name for c in lc.collaborators.list()] == [f"{PREFIX}admin", foreign,
                                                         f"{PREFIX}read"]  # fmt: skip
    with pytest.raises(lc.ForeignRoleError, match="not created by lakecat"):
        lc.collaborators.remove(foreign)
    assert foreign in _roles()  # left alone
    with pytest.raises(lc.RoleNotFoundError):
        lc.collaborators.remove(f"{PREFIX}write")
    with pytest.raises(lc.ForeignRoleError, match="owner"):
        lc.collaborators.remove(f"{PREFIX}owner")


def test_a_removed_role_cannot_connect(bare):
    reader = lc.collaborators.add(f"{PREFIX}gone", role="read")
    lc.collaborators.remove(reader.name)
    with pytest.raises(lc.CatalogError, match="password authentication failed|does not exist"):
        _as(bare, reader.url)


def test_invalid_role_names_are_refused(bare):
    for name in ["Alice", "1abc", "pg_signal", 'a"; DROP ROLE lakecat; --', "", "x" * 64, "a b",
                 None]:  # fmt: skip
        with pytest.raises(lc.ValidationError, match="Invalid role name"):
            lc.collaborators.add(name, role="read")
        with pytest.raises(lc.ValidationError, match="Invalid role name"):
            lc.collaborators.remove(name)
    assert _roles() == {f"{PREFIX}owner"}


def test_unknown_level_and_existing_roles_are_refused(bare):
    with pytest.raises(lc.ValidationError, match="Did you mean 'read'"):
        lc.collaborators.add(f"{PREFIX}x", role="reed")
    lc.collaborators.add(f"{PREFIX}x", role="read")
    with pytest.raises(lc.RoleExistsError, match="collaborator remove"):
        lc.collaborators.add(f"{PREFIX}x", role="write")
    with pytest.raises(lc.RoleExistsError, match="choose another name"):
        lc.collaborators.add(f"{PREFIX}owner", role="read")
    assert {c.name: c.role for c in lc.collaborators.list()} == {f"{PREFIX}x": "read"}


def test_add_is_all_or_nothing(bare, monkeypatch):
    from catalog_sql import roles

    grants = roles.grant_statements
    monkeypatch.setattr(roles, "grant_statements", lambda *a: grants(*a) + ["SELECT 1/0"])
    with pytest.raises(lc.CatalogError, match="division by zero"):
        lc.collaborators.add(f"{PREFIX}half", role="write")
    assert f"{PREFIX}half" not in _roles()  # CREATE ROLE was rolled back with the grants


@pytest.mark.parametrize("backend_name", ["postgres"])
def test_a_role_without_createrole_gets_told_what_to_grant(instance):
    """The lakecat test role owns its schemas but lacks CREATEROLE, like most owners."""
    user = urlsplit(PG_URL).username
    for call in (lambda: lc.collaborators.add(f"{PREFIX}nope"),
                 lambda: lc.collaborators.remove(f"{PREFIX}nope")):  # fmt: skip
        with pytest.raises(lc.RolePrivilegeError, match=f"ALTER ROLE {user} CREATEROLE"):
            call()
    assert lc.collaborators.list() == []  # listing needs no privilege
    assert f"{PREFIX}nope" not in _roles()


def test_a_createrole_user_who_does_not_own_the_schema_is_refused(bare):
    other = f"{PREFIX}other"
    schema = bare.config.schema
    _superuser(f'CREATE ROLE "{other}" LOGIN CREATEROLE PASSWORD \'o\'; GRANT USAGE ON SCHEMA '
               f'"{schema}" TO "{other}"; GRANT SELECT ON ALL TABLES IN SCHEMA "{schema}" '
               f'TO "{other}";')  # fmt: skip
    _as(bare, _url(other, "o"))
    with pytest.raises(lc.RolePrivilegeError, match="Only the owner of schema"):
        lc.collaborators.add(f"{PREFIX}y", role="read")


def test_embedded_instances_have_no_roles(tmp_path):
    lc.init(storage=str(tmp_path / "embedded"))
    with pytest.raises(lc.InstanceError, match="embedded DuckDB catalog"):
        lc.connect(tmp_path / "embedded", db="postgresql://alice:pw@localhost/lab")
    for call in (lambda: lc.collaborators.add("alice"), lc.collaborators.list,
                 lambda: lc.collaborators.remove("alice")):  # fmt: skip
        with pytest.raises(lc.RolesUnsupportedError, match=r"read_only=True"):
            call()
    result = CliRunner().invoke(cli, ["collaborator", "list"])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "storage" in result.output and "read_only=True" in result.output


def test_cli_add_list_remove_and_mistakes(bare, monkeypatch):
    runner = CliRunner()
    name = f"{PREFIX}cli"
    monkeypatch.setenv("LC_TEST_PW", "s3cret")
    added = runner.invoke(cli, ["collaborator", "add", name, "--role", "write",
                                "--password-env", "LC_TEST_PW"])  # fmt: skip
    assert added.exit_code == 0, added.output
    assert "s3cret" not in added.output and "from $LC_TEST_PW" in added.output
    assert f"{name} (write)" in added.output and "lc.connect(" in added.output
    listed = runner.invoke(cli, ["collaborator", "list", "--format", "csv"])
    assert listed.output.splitlines() == ["name,role,login,created_by_lakecat",
                                          f"{name},write,True,True"]  # fmt: skip
    for words, message in [
        (["add", "Bad-Name"], "Invalid role name"),
        (["add", f"{PREFIX}z", "--role", "owner"], "Unknown role 'owner'"),
        (["add", name], "exists already"),
        (["add", f"{PREFIX}z", "--password-env", "LC_UNSET_VAR"], "LC_UNSET_VAR"),
        (["remove", f"{PREFIX}never"], "no Postgres role"),
    ]:
        bad = runner.invoke(cli, ["collaborator", *words])
        assert bad.exit_code == 1, (words, bad.output)
        assert message in bad.output and "Traceback" not in bad.output, bad.output
    generated = runner.invoke(cli, ["collaborator", "add", f"{PREFIX}gen"])
    assert "shown once" in generated.output, generated.output
    removed = runner.invoke(cli, ["collaborator", "remove", name])
    assert removed.exit_code == 0 and name not in _roles()
