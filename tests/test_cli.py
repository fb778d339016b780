"""The CLI: the real executable for the main flow, CliRunner for each command and error."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from lakecat.cli import cli

README = Path(__file__).resolve().parents[1] / "README.md"


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["lakecat", *args], capture_output=True, text=True, timeout=120)


def test_executable_main_flow(tmp_path, backend_name):
    store = tmp_path / "store"
    extra = []
    if backend_name == "postgres":
        from tests.conftest import _postgres_or_skip

        extra = ["--db", _postgres_or_skip(), "--name", f"cli_{tmp_path.name[-8:].lower()}"]
    out = run("init", "--storage", str(store), *extra)
    assert out.returncode == 0, out.stderr
    from catalog_sql.migrations import discover

    assert f"schema_version  {discover()[-1].name}" in out.stdout
    info = run("info")
    assert str(store.resolve()) in info.stdout
    listed = run("ls", "user", "--format", "json")
    assert json.loads(listed.stdout)[0]["handle"]
    bad = run("ls", "ulabel", "--filter", "nmae=x")
    assert bad.returncode == 1
    assert "Did you mean 'name'" in bad.stderr and "Traceback" not in bad.stderr
    if backend_name == "postgres":
        from lakecat.instance import connect

        inst = connect(str(store))
        inst.backend.native(f'DROP SCHEMA IF EXISTS "{inst.config.schema}" CASCADE')


def test_runner_commands(tmp_path):
    runner = CliRunner()
    store = str(tmp_path / "s")
    result = runner.invoke(cli, ["init", "--storage", store])
    assert result.exit_code == 0, result.output
    import lakecat as lc

    lc.save([lc.ULabel(name=n) for n in ["experiment", "assay", "experiment 2"]])
    result = runner.invoke(
        cli, ["ls", "ulabel", "--filter", "name__startswith=exp", "--format", "csv"]
    )
    assert result.exit_code == 0
    assert [r.split(",")[2] for r in result.output.splitlines()[1:]] == [
        "experiment",
        "experiment 2",
    ]
    result = runner.invoke(cli, ["search", "ulabel", "experimnt", "--format", "json"])
    assert json.loads(result.output)[0]["name"] == "experiment"
    result = runner.invoke(cli, ["migrate", "--check"])
    assert result.exit_code == 0 and "pending: none" in result.output
    result = runner.invoke(cli, ["migrate"])
    assert "nothing to do" in result.output
    result = runner.invoke(cli, ["connect", store])
    assert result.exit_code == 0 and "instance" in result.output
    result = runner.invoke(cli, ["connect", str(tmp_path / "nowhere")])
    assert result.exit_code == 1 and "No lakecat instance" in result.output
    result = runner.invoke(cli, ["ls", "ulabl"])
    assert result.exit_code == 1 and "Did you mean" in result.output
    result = runner.invoke(cli, ["ls", "ulabel", "--filter", "novalue"])
    assert result.exit_code == 1 and "KEY=VALUE" in result.output


def test_demo_runs(tmp_path):
    result = CliRunner().invoke(cli, ["demo", "--path", str(tmp_path / "demo")])
    assert result.exit_code == 0, result.output
    assert "experiment" in result.output and "SELECT" in result.output
    assert (tmp_path / "demo" / ".lakecat" / "catalog.duckdb").exists()


@pytest.mark.parametrize("command", sorted(cli.commands))
def test_every_command_has_help_and_is_in_readme(command):
    result = CliRunner().invoke(cli, [command, "--help"])
    assert result.exit_code == 0
    assert "Example" in result.output
    assert re.search(rf"lakecat {command}\b", README.read_text()), command
