"""A user's schema plug-in: an ordinary module of Record classes becomes registries with
the whole API, gains reverse relations on the core registries, and is migrated as its
classes change — on both back ends."""

from __future__ import annotations

import importlib
import sys
import textwrap
import uuid

import pandas as pd
import pytest
from click.testing import CliRunner

import lakecat as lc
from lakecat.cli import cli
from lakecat.core import catalog

V1 = """
import lakecat as lc


class {Experiment}(lc.Record):
    name = lc.CharField(unique=True)
    date = lc.DateField(null=True)
    files = lc.ManyToMany(lc.File, related_name="{experiments}")
"""

V2 = (
    V1
    + """    scientist = lc.CharField()


class {Sample}(lc.Record):
    name = lc.CharField(unique=True)
    experiment = lc.ForeignKey("{Experiment}", related_name="samples")
"""
)

V3 = V2.replace("    scientist = lc.CharField()\n", "    scientist = lc.CharField()\n"
                "    temperature = lc.FloatField()\n")  # fmt: skip


class Plugin:
    """A plug-in module written into a temporary package, importable by name."""

    def __init__(self, tmp_path) -> None:
        tag = uuid.uuid4().hex[:6]
        self.package = f"lab_{tag}"
        self.name = f"{self.package}.schema"
        self.names = {"Experiment": f"Experiment{tag}", "Sample": f"Sample{tag}",
                      "Assay": f"Assay{tag}", "experiments": f"experiments_{tag}"}  # fmt: skip
        self.folder = tmp_path / "plugins" / self.package
        self.folder.mkdir(parents=True)
        (self.folder / "__init__.py").write_text("")
        sys.path.insert(0, str(tmp_path / "plugins"))

    def write(self, source: str):
        (self.folder / "schema.py").write_text(textwrap.dedent(source.format(**self.names)))
        importlib.invalidate_caches()
        module = sys.modules.get(self.name)
        return importlib.reload(module) if module else importlib.import_module(self.name)

    def cls(self, name: str):
        return getattr(sys.modules[self.name], self.names[name])

    def table(self, name: str) -> str:
        return self.cls(name)._meta.table

    def forget(self, name: str) -> None:
        """Drop a class the next version of the module no longer defines (a reload keeps
        the old attribute; a new process would not have it)."""
        catalog.unregister(self.cls(name))
        delattr(sys.modules[self.name], self.names[name])

    def migration(self, number: str):
        (path,) = (self.folder / "schema_migrations").glob(f"{number}_*.sql")
        return path

    def close(self) -> None:
        for name in ("Experiment", "Sample", "Assay"):
            found = getattr(sys.modules.get(self.name), self.names[name], None)
            if found is not None:
                catalog.unregister(found)
        sys.modules.pop(self.name, None)


@pytest.fixture
def plugin(tmp_path):
    made = Plugin(tmp_path)
    yield made
    made.close()


def test_a_plugin_gets_the_whole_api_and_reverse_relations(make_instance, plugin):
    plugin.write(V1)
    make_instance().add_module(plugin.name)
    Experiment = plugin.cls("Experiment")
    e = Experiment(name="E1", date="2026-11-30").save()
    f = lc.File(pd.DataFrame({"x": [1]}), key="x.parquet").save()
    e.files.add(f)
    reverse = plugin.names["experiments"]
    assert lc.File.filter(**{f"{reverse}__name": "E1"}).values_list("key", flat=True) == [
        "x.parquet"]  # fmt: skip
    assert Experiment.search("E1")[0] == e and Experiment.validate(["E1", "E2"]).tolist() == [
        True, False]  # fmt: skip
    assert Experiment(name="E1").save().id == e.id  # insert-or-get by the unique name
    assert str(Experiment.get(name="E1").date) == "2026-11-30"
    f.labels.add(e, feature="experiment")
    assert [r.name for r in f.labels.get("experiment")] == ["E1"]
    assert (plugin.folder / "schema_migrations" / "0001_initial.sql").exists()  # pinned


def _v1_with_one_experiment(make_instance, plugin) -> str:
    """An instance using version 1 of the plug-in with experiment E1, disconnected;
    returns what connects to it."""
    plugin.write(V1)
    instance = make_instance()
    instance.add_module(plugin.name)
    plugin.cls("Experiment")(name="E1").save()
    root = make_instance.root(instance)
    lc.disconnect()
    return root


def test_changed_classes_are_migrated_twice(make_instance, plugin, caplog):
    root = _v1_with_one_experiment(make_instance, plugin)
    plugin.write(V2)  # a new field and a new registry
    with caplog.at_level("WARNING", logger="lakecat"):
        lc.connect(root)
    assert "declare" in caplog.text and f"lakecat migrate create {plugin.name}" in caplog.text
    runner = CliRunner()
    created = runner.invoke(cli, ["migrate", "create", plugin.name, "--name", "samples"])
    assert created.exit_code == 0 and "0002_samples.sql" in created.output, created.output
    assert runner.invoke(cli, ["migrate", "--check"]).output.strip() == (
        f"pending: {plugin.name}/0002_samples")  # fmt: skip
    deployed = runner.invoke(cli, ["migrate", "deploy"])
    assert deployed.exit_code == 0 and "0002_samples" in deployed.output
    Experiment, Sample = plugin.cls("Experiment"), plugin.cls("Sample")
    e = Experiment.get(name="E1")
    e.scientist = "Ada"
    e.save()
    Sample(name="S1", experiment=e).save()
    assert Sample.filter(experiment__scientist="Ada").count() == 1
    plugin.write(V3)  # the second change
    created = runner.invoke(cli, ["migrate", "create", plugin.name])
    assert "0003_auto.sql" in created.output
    assert runner.invoke(cli, ["migrate", "deploy"]).exit_code == 0
    plugin.cls("Experiment")(name="E2", temperature=21.5).save()
    assert plugin.cls("Experiment").filter(temperature__gt=20).count() == 1
    assert runner.invoke(cli, ["migrate", "create", plugin.name]).output.strip().endswith(
        "the catalog matches its classes")  # fmt: skip


def test_dropping_a_column_needs_an_explicit_flag(make_instance, plugin):
    plugin.write(V2)
    make_instance().add_module(plugin.name)
    plugin.write(V1)  # scientist and the Sample registry are gone from the classes
    runner = CliRunner()
    refused = runner.invoke(cli, ["migrate", "create", plugin.name])
    assert refused.exit_code == 1 and "--drop" in refused.output and "scientist" in refused.output
    assert not (plugin.folder / "schema_migrations" / "0002_auto.sql").exists()


def test_a_migration_that_fails_midway_changes_nothing(make_instance, plugin):
    plugin.write(V1)
    instance = make_instance()
    instance.add_module(plugin.name)
    bad = plugin.folder / "schema_migrations" / "0002_bad.sql"
    table = plugin.cls("Experiment")._meta.table
    bad.write_text(f'ALTER TABLE "{table}" ADD COLUMN extra VARCHAR;\n'
                   f'ALTER TABLE "no_such_table" ADD COLUMN x VARCHAR;\n')  # fmt: skip
    result = CliRunner().invoke(cli, ["migrate", "deploy"])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "extra" not in instance.backend.columns()[table]  # the first ALTER was undone
    from catalog_sql import migrations

    assert migrations.applied(instance.backend, plugin.name) == ["0001_initial"]


def test_schema_less_metadata_is_filterable(instance):
    """``meta={...}`` on Files and Datasets, for users who want no schema yet."""
    lc.File(pd.DataFrame({"a": [1]}), key="a.parquet",
            meta={"organism": "human", "donor": {"age": 42}, "ok": True}).save()  # fmt: skip
    lc.File(pd.DataFrame({"a": [2]}), key="b.parquet",
            meta={"organism": "mouse", "donor": {"age": "unknown"}}).save()  # fmt: skip
    lc.File(pd.DataFrame({"a": [3]}), key="c.parquet").save()

    def keys(query):
        return sorted(query.values_list("key", flat=True))

    assert keys(lc.File.filter(meta__organism="human")) == ["a.parquet"]
    assert keys(lc.File.filter(meta__donor__age__gt=30)) == ["a.parquet"]  # "unknown": no
    assert keys(lc.File.filter(meta__donor__age="unknown")) == ["b.parquet"]
    assert keys(lc.File.filter(meta__organism__in=["human", "mouse"])) == ["a.parquet",
                                                                           "b.parquet"]  # fmt: skip
    assert keys(lc.File.filter(meta__organism__istartswith="MO")) == ["b.parquet"]
    assert keys(lc.File.exclude(meta__organism="human")) == ["b.parquet", "c.parquet"]
    assert keys(lc.File.filter(meta__organism__isnull=True)) == ["c.parquet"]
    quote = lc.File.filter(meta__organism="x'; DROP TABLE file; --").count()
    assert quote == 0 and lc.File.filter().count() == 3
    ds = lc.Dataset(pd.DataFrame({"x": [1]}), name="d", meta={"lab": "north"}).save()
    v1 = ds.append(pd.DataFrame({"x": [2]}))
    assert v1.meta == {"lab": "north"}  # a new version keeps the metadata
    assert lc.Dataset.filter(meta__lab="north", is_latest=True).one() == v1


# -- renames, drops on indexed tables, code ahead of / behind the catalog -------------

INDEXED = """
import lakecat as lc


class {Experiment}(lc.Record):
    name = lc.CharField(unique=True)
    date = lc.DateField(null=True)
    code = lc.CharField(index=True)
    batch = lc.CharField(unique=True)
    files = lc.ManyToMany(lc.File, related_name="{experiments}")


class {Sample}(lc.Record):
    name = lc.CharField(unique=True)
    experiment = lc.ForeignKey("{Experiment}", related_name="samples")
"""

RENAMED_FIELD = INDEXED.replace("    date = lc.DateField", "    started_on = lc.DateField")
DROPPED_FIELD = INDEXED.replace("    batch = lc.CharField(unique=True)\n", "")
RENAMED_REGISTRY = INDEXED.replace("{Experiment}", "{Assay}")


def _seeded(make_instance, plugin):
    """An instance using the INDEXED module, with two experiments, a linked file and a
    sample pointing at the first experiment."""
    plugin.write(INDEXED)
    instance = make_instance()
    instance.add_module(plugin.name)
    Experiment, Sample = plugin.cls("Experiment"), plugin.cls("Sample")
    e1 = Experiment(name="E1", date="2026-11-30", code="c1", batch="b1").save()
    Experiment(name="E2", date="2026-12-01", code="c2", batch="b2").save()
    e1.files.add(lc.File(pd.DataFrame({"x": [1]}), key="x.parquet").save())
    Sample(name="S1", experiment=e1).save()
    return instance, e1


def _invoke(*args: str):
    return CliRunner().invoke(cli, list(args))


def test_a_renamed_field_keeps_its_data(make_instance, plugin):
    instance, e1 = _seeded(make_instance, plugin)
    table = plugin.table("Experiment")
    plugin.write(RENAMED_FIELD)
    refused = _invoke("migrate", "create", plugin.name)  # no hint: not a silent drop + add
    assert refused.exit_code == 1 and "Traceback" not in refused.output
    assert f"--rename {table}.date:started_on" in refused.output and "--drop" in refused.output
    assert not list((plugin.folder / "schema_migrations").glob("0002_*"))
    created = _invoke("migrate", "create", plugin.name, "--rename", f"{table}.date:started_on")
    assert created.exit_code == 0, created.output
    assert "RENAME COLUMN date TO started_on" in plugin.migration("0002").read_text()
    assert _invoke("migrate", "deploy").exit_code == 0
    Experiment = plugin.cls("Experiment")
    assert Experiment.filter(started_on="2026-11-30").values_list("name", flat=True) == ["E1"]
    assert Experiment.filter(code="c2").one().name == "E2"  # the index, recreated on DuckDB
    assert "date" not in instance.backend.columns()[table]
    again = Experiment.get(name="E1")
    assert again.id == e1.id and [f.key for f in again.files.list()] == ["x.parquet"]
    assert plugin.cls("Sample").filter(experiment__started_on="2026-11-30").count() == 1
    new = Experiment(name="E3", code="c3", batch="b3").save()
    assert new.id > e1.id and Experiment(name="E1").save().id == e1.id  # still unique
    listed = _invoke("ls", table, "--filter", "started_on=2026-11-30", "--columns", "name")
    assert listed.exit_code == 0 and "E1" in listed.output, listed.output  # CLI too
    assert _invoke("migrate", "create", plugin.name).output.strip().endswith("matches its classes")


def test_a_renamed_registry_keeps_its_rows_links_and_foreign_keys(make_instance, plugin):
    instance, e1 = _seeded(make_instance, plugin)
    old = plugin.table("Experiment")
    plugin.forget("Experiment")
    plugin.write(RENAMED_REGISTRY)
    Assay = plugin.cls("Assay")
    new = Assay._meta.table
    refused = _invoke("migrate", "create", plugin.name)
    assert refused.exit_code == 1 and f"--rename-table {old}:{new}" in refused.output
    created = _invoke("migrate", "create", plugin.name, "--rename-table", f"{old}:{new}")
    assert created.exit_code == 0, created.output
    deployed = _invoke("migrate", "deploy")
    assert deployed.exit_code == 0, deployed.output
    tables = instance.backend.columns()
    assert old not in tables and f"{old}_files" not in tables and new in tables
    a1 = Assay.get(name="E1")
    assert a1.id == e1.id and str(a1.date) == "2026-11-30" and Assay.filter().count() == 2
    assert [f.key for f in a1.files.list()] == ["x.parquet"]  # the link table followed
    reverse = plugin.names["experiments"]
    assert lc.File.filter(**{f"{reverse}__name": "E1"}).count() == 1
    Sample = plugin.cls("Sample")
    assert Sample.filter(experiment__name="E1").values_list("name", flat=True) == ["S1"]
    assert Sample.get(name="S1").experiment == a1
    assert Assay(name="E3", code="c3", batch="b3").save().id > e1.id  # ids continue


def test_dropping_columns_of_an_indexed_table_works_on_both_back_ends(make_instance, plugin):
    """DuckDB refuses ALTER TABLE on a table with an index and DROP COLUMN of a UNIQUE
    column; the migration rebuilds the table there and drops the column on Postgres."""
    instance, e1 = _seeded(make_instance, plugin)
    table = plugin.table("Experiment")
    plugin.write(DROPPED_FIELD)
    assert _invoke("migrate", "create", plugin.name).exit_code == 1  # needs --drop
    assert _invoke("migrate", "create", plugin.name, "--drop").exit_code == 0
    sql = plugin.migration("0002").read_text()
    assert f'-- requires: alter_indexed\nALTER TABLE "{table}" DROP COLUMN batch;' in sql
    deployed = _invoke("migrate", "deploy")
    assert deployed.exit_code == 0, deployed.output
    assert "batch" not in instance.backend.columns()[table]
    Experiment = plugin.cls("Experiment")
    rows = Experiment.filter().order_by("name").values_list("name", "date", "code")
    assert [(n, str(d), c) for n, d, c in rows] == [("E1", "2026-11-30", "c1"),
                                                    ("E2", "2026-12-01", "c2")]  # fmt: skip
    assert Experiment.filter(code="c1").one().id == e1.id
    assert [f.key for f in Experiment.get(name="E1").files.list()] == ["x.parquet"]


def test_duckdb_refuses_what_the_rebuild_works_around(tmp_path):
    """What DuckDB 1.5.5 refuses (decisions §17). When this test fails, DuckDB lifted a
    limit and the rebuild form may no longer be needed."""
    import duckdb

    con = duckdb.connect(str(tmp_path / "x.duckdb"))
    con.execute("CREATE TABLE t (id BIGINT PRIMARY KEY, u VARCHAR UNIQUE, a VARCHAR, b VARCHAR)")
    con.execute("ALTER TABLE t RENAME COLUMN b TO c")  # inline constraints only: fine
    with pytest.raises(duckdb.CatalogException, match="UNIQUE constraint"):
        con.execute("ALTER TABLE t DROP COLUMN u")
    con.execute("CREATE INDEX t_a ON t (a)")
    for statement in ("ALTER TABLE t DROP COLUMN c", "ALTER TABLE t RENAME COLUMN c TO d",
                      "ALTER TABLE t RENAME TO t2"):  # fmt: skip
        with pytest.raises(duckdb.DependencyException, match="depend on it"):
            con.execute(statement)
    con.execute("BEGIN")
    con.execute("DROP INDEX t_a")  # dropping the index first, in the same transaction,
    con.execute("ALTER TABLE t RENAME COLUMN c TO d")  # lets other columns change,
    with pytest.raises(duckdb.CatalogException, match="an index depends on it"):
        con.execute("ALTER TABLE t DROP COLUMN a")  # but not its own column go
    con.execute("ROLLBACK")


def test_a_rename_and_drop_that_fail_midway_change_nothing(make_instance, plugin):
    instance, e1 = _seeded(make_instance, plugin)
    table = plugin.table("Experiment")
    plugin.write(RENAMED_FIELD.replace("    batch = lc.CharField(unique=True)\n", ""))
    created = _invoke("migrate", "create", plugin.name, "--drop", "--name", "bad",
                      "--rename", f"{table}.date:started_on")  # fmt: skip
    assert created.exit_code == 0, created.output
    path = plugin.migration("0002")
    good = path.read_text()
    path.write_text(good + 'ALTER TABLE "no_such_table" ADD COLUMN x VARCHAR;\n')
    failed = _invoke("migrate", "deploy")
    assert failed.exit_code == 1 and "0002_bad failed" in failed.output
    assert "Traceback" not in failed.output
    columns = instance.backend.columns()[table]
    assert {"date", "batch"} <= columns and "started_on" not in columns
    from catalog_sql import migrations

    assert migrations.applied(instance.backend, plugin.name) == ["0001_initial"]
    rows = instance.backend.fetch(lc_sql(table, "name, date, batch"))[1]
    assert [(n, str(d), b) for n, d, b in rows] == [("E1", "2026-11-30", "b1"),
                                                    ("E2", "2026-12-01", "b2")]  # fmt: skip
    path.write_text(good)  # fixed: it applies
    assert _invoke("migrate", "deploy").exit_code == 0
    assert plugin.cls("Experiment").get(started_on="2026-11-30").id == e1.id


def lc_sql(table: str, columns: str):
    """A plain SELECT of ``table`` by name, outside the registries (their classes have
    moved on)."""
    from catalog_sql.compiler import Compiled

    backend = lc.connect().backend
    target = backend.target
    name = f'"{table}"' if target.dialect == "duckdb" else f'"{target.db}"."{table}"'
    return Compiled(f"SELECT {columns} FROM {name} ORDER BY name", {}, target.dialect)


def test_code_ahead_of_the_catalog_is_a_clear_error_at_first_use(make_instance, plugin, caplog):
    root = _v1_with_one_experiment(make_instance, plugin)
    plugin.write(V2)  # a new field and a new registry, no migration yet
    with caplog.at_level("WARNING", logger="lakecat"):
        lc.connect(root)  # connecting works: the CLI must be able to create the migration
    assert f"lakecat migrate create {plugin.name}" in caplog.text
    Experiment, Sample = plugin.cls("Experiment"), plugin.cls("Sample")
    assert lc.File.filter().count() == 0  # core registries are unaffected
    for use in (lambda: Experiment.filter(scientist="Ada").count(),
                lambda: Experiment(name="E2", scientist="Ada").save(),
                lambda: Sample.filter().count()):  # fmt: skip
        with pytest.raises(lc.SchemaVersionError) as err:
            use()
        text = str(err.value)
        assert plugin.name in text and "ahead of the catalog" in text
        assert f"lakecat migrate create {plugin.name}" in text and "0001_initial" in text
    assert _invoke("migrate", "create", plugin.name).exit_code == 0
    with pytest.raises(lc.SchemaVersionError, match="0002_auto .*lakecat migrate deploy"):
        Experiment.filter(scientist="Ada").count()
    assert _invoke("migrate", "deploy").exit_code == 0
    assert Experiment.filter(scientist="Ada").count() == 0 and Sample.filter().count() == 0


def test_a_catalog_ahead_of_the_code_is_a_clear_error(make_instance, plugin, caplog):
    plugin.write(V1)
    instance = make_instance()
    instance.add_module(plugin.name)
    plugin.cls("Experiment")(name="E1").save()
    plugin.write(V2)
    assert _invoke("migrate", "create", plugin.name, "--name", "samples").exit_code == 0
    assert _invoke("migrate", "deploy").exit_code == 0
    root = make_instance.root(instance)
    lc.disconnect()
    plugin.forget("Sample")
    plugin.write(V1)  # an older checkout: the classes and files before 0002_samples
    plugin.migration("0002").unlink()
    with caplog.at_level("WARNING", logger="lakecat"):
        lc.connect(root)
    assert f"{plugin.name}/0002_samples" in caplog.text
    with pytest.raises(lc.SchemaVersionError) as err:
        plugin.cls("Experiment").filter(name="E1").count()
    text = str(err.value)
    assert f"ahead of this code of schema module {plugin.name}" in text
    assert f"{plugin.name}/0002_samples" in text and f"Upgrade {plugin.name}" in text
    assert lc.File.filter().count() == 0  # core registries are unaffected
    for args in (("migrate", "deploy"), ("migrate", "create", plugin.name)):
        result = _invoke(*args)
        assert result.exit_code == 1 and f"Upgrade {plugin.name}" in result.output, args
        assert "Traceback" not in result.output
    assert not list((plugin.folder / "schema_migrations").glob("0002_*"))
