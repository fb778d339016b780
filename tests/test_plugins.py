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
                      "experiments": f"experiments_{tag}"}  # fmt: skip
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

    def close(self) -> None:
        for name in ("Experiment", "Sample"):
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


def test_changed_classes_are_migrated_twice(make_instance, plugin, caplog):
    plugin.write(V1)
    instance = make_instance()
    instance.add_module(plugin.name)
    plugin.cls("Experiment")(name="E1").save()
    root = make_instance.root(instance)
    lc.disconnect()
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
