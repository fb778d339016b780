"""CLI commands for datasets and SQL (``lakecat dataset …``, ``lakecat sql``)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from catalog_sql.errors import ValidationError

READERS = (".csv", ".tsv", ".parquet", ".jsonl", ".ndjson", ".json")


def read_table(source: str):
    """A pyarrow Table from a CSV/TSV/Parquet/JSON-lines file, or CSV on stdin ("-").

    Unreadable input (empty, ragged rows, not the format its suffix says) is a
    ValidationError naming the source and Arrow's reason.
    """
    import pyarrow as pa

    try:
        return _read_table(source)
    except (pa.ArrowException, OSError) as err:
        where = "stdin" if source == "-" else source
        kind = "CSV" if source == "-" else Path(source).suffix.lstrip(".").upper() or "a table"
        detail = " ".join(str(err).split())
        raise ValidationError(f"Cannot read {where} as {kind}: {detail}") from None


def _read_table(source: str):
    import pyarrow.csv as pcsv

    if source == "-":
        return pcsv.read_csv(sys.stdin.buffer)
    path = Path(source)
    if not path.exists():
        raise ValidationError(f"No file at {path}.")
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        import pyarrow.parquet as pq

        return pq.read_table(path)
    if suffix in (".jsonl", ".ndjson", ".json"):
        import pyarrow.json as pjson

        return pjson.read_json(path)
    if suffix in (".csv", ".tsv"):
        options = pcsv.ParseOptions(delimiter="\t" if suffix == ".tsv" else ",")
        return pcsv.read_csv(path, parse_options=options)
    raise ValidationError(f"Cannot read {path.name}: use one of {', '.join(READERS)} or '-'.")


@click.group()
def dataset() -> None:
    """Create, append to, version and export datasets (Delta or Parquet tables).

    \b
    Examples:
      lakecat dataset create cell-qc cells.csv --description "QC metrics"
      lakecat dataset append cell-qc more.parquet
      lakecat dataset versions cell-qc
    """


@dataset.command("create")
@click.argument("name")
@click.argument("source")
@click.option("--format", "fmt", type=click.Choice(["delta", "parquet"]), default="delta")
@click.option("--description", default=None)
def create(name: str, source: str, fmt: str, description: str | None) -> None:
    """Create dataset NAME from SOURCE (CSV, TSV, Parquet, JSON lines, or - for CSV on stdin).

    \b
    Example:
      lakecat dataset create cell-qc cells.csv --format delta
    """
    from ..registries import Dataset

    ds = Dataset(read_table(source), name=name, description=description, format=fmt).save()
    click.echo(f"created {name!r} version {ds.version}: {ds.n_rows} rows ({ds.uid})")


@dataset.command("append")
@click.argument("name")
@click.argument("source")
@click.option("--merge", is_flag=True, help="Allow new columns (schema_mode='merge').")
def append(name: str, source: str, merge: bool) -> None:
    """Append SOURCE's rows to dataset NAME as a new version.

    \b
    Example:
      cat more.csv | lakecat dataset append cell-qc -
    """
    from ..registries import Dataset

    new = Dataset.latest(name).append(read_table(source), schema_mode="merge" if merge else None)
    click.echo(f"appended to {name!r}: version {new.version}, {new.n_rows} rows")


@dataset.command("overwrite")
@click.argument("name")
@click.argument("source")
def overwrite(name: str, source: str) -> None:
    """Replace dataset NAME's rows with SOURCE as a new version.

    \b
    Example:
      lakecat dataset overwrite cell-qc fixed.parquet
    """
    from ..registries import Dataset

    new = Dataset.latest(name).overwrite(read_table(source))
    click.echo(f"overwrote {name!r}: version {new.version}, {new.n_rows} rows")


@dataset.command("versions")
@click.argument("name")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table")
def versions(name: str, fmt: str) -> None:
    """List the versions of dataset NAME.

    \b
    Example:
      lakecat dataset versions cell-qc --format json
    """
    import pyarrow as pa

    from ..registries import Dataset
    from .output import print_table

    frame = Dataset.latest(name).versions()
    print_table(pa.Table.from_pandas(frame, preserve_index=False), fmt)


@dataset.command("show")
@click.argument("name")
@click.option("--version", type=int, default=None, help="A version (default: latest).")
@click.option("--limit", default=20, show_default=True)
def show(name: str, version: int | None, limit: int) -> None:
    """Print the first rows of dataset NAME.

    \b
    Example:
      lakecat dataset show cell-qc --version 0
    """
    from ..registries import Dataset
    from .output import print_table

    relation = Dataset.latest(name).backed(version).limit(limit)
    print_table(relation.to_arrow_table(), "table")


@dataset.command("export")
@click.argument("name")
@click.argument("out")
@click.option("--version", type=int, default=None, help="A version (default: latest).")
def export(name: str, out: str, version: int | None) -> None:
    """Write dataset NAME to OUT (.parquet or .csv).

    \b
    Example:
      lakecat dataset export cell-qc cells-v0.csv --version 0
    """
    from ..files.storage import storage_errors
    from ..registries import Dataset

    suffix = Path(out).suffix.lower()
    if suffix not in (".parquet", ".csv"):
        raise ValidationError(f"Export to .parquet or .csv, got {out!r}.")
    table = Dataset.latest(name).to_arrow(version)
    with storage_errors(f"writing {out}"):
        if suffix == ".parquet":
            import pyarrow.parquet as pq

            pq.write_table(table, out)
        else:
            import pyarrow.csv as pcsv

            pcsv.write_csv(table, out)
    click.echo(f"wrote {table.num_rows} rows to {out}")


@click.command()
@click.argument("statement", required=False)
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table")
@click.option("--write", is_flag=True, help="Allow a statement that changes the catalog.")
@click.option(
    "--attach",
    "attach",
    multiple=True,
    metavar="INSTANCE",
    help="Attach another instance's catalog read-only as INSTANCE (repeatable).",
)
def sql(statement: str | None, fmt: str, write: bool, attach: tuple[str, ...]) -> None:
    """Run one STATEMENT on the catalog, or open the DuckDB shell on it.

    Registries are tables (ulabel, file, …); datasets are views named ds_<name>. One
    statement at a time, read-only unless --write (lakecat's own writes keep versions,
    blobs and links consistent; a hand-written DELETE does not).

    \b
    Examples:
      lakecat sql "SELECT name FROM ulabel LIMIT 5"
      lakecat sql --write "UPDATE ulabel SET description = 'x' WHERE name = 'liver'"
      lakecat sql --attach lab_b "SELECT count(*) FROM file JOIN lab_b.file USING (hash)"
      lakecat sql
    """
    from ..instance import current
    from .shell import run_statement, shell_command

    instance = current()
    if statement:
        from .output import print_table

        if attach or _names_other_instances(statement, instance):
            if write:
                raise ValidationError("--write cannot be combined with other instances: "
                                      "attached catalogs are read-only.")  # fmt: skip
            from ..mesh import sql as mesh_sql

            print_table(mesh_sql(statement, attach=list(attach)), fmt)
            return
        print_table(run_statement(instance, statement, write=write), fmt)
        return
    import shutil
    import subprocess

    base = shell_command(instance)
    command = base[:1] + _shell_attachments(attach) + base[1:]  # options before the file
    if shutil.which(command[0]) is None:
        raise ValidationError("The duckdb shell is missing: pip install duckdb-cli==1.5.5")
    instance.close()
    sys.exit(subprocess.call(command))


def _names_other_instances(statement: str, instance) -> bool:
    """Whether the statement qualifies a table with another known instance's name."""
    from catalog_sql.mesh import qualifiers

    from ..instance import _known

    return bool((qualifiers(statement) - {instance.name}) & set(_known()))


def _shell_attachments(names: tuple[str, ...]) -> list[str]:
    """``-cmd ATTACH …`` arguments for the DuckDB shell (embedded instances only)."""
    from sqlglot import exp

    from ..instance import CATALOG_FILE, _locate, _read_config

    args = []
    for name in names:
        path = _locate(name)
        if _read_config(path).db:
            raise ValidationError(
                f"The DuckDB shell attaches embedded catalogs; {name!r} is on Postgres: run "
                f'lakecat sql --attach {name} "SELECT …" instead.'
            )
        file = exp.Literal.string(str(path / CATALOG_FILE)).sql("duckdb")
        alias = exp.to_identifier(name, quoted=True).sql("duckdb")
        args += ["-cmd", f"ATTACH {file} AS {alias} (READ_ONLY)"]
    return args
