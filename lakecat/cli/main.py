"""The ``lakecat`` command line: each command is a thin layer over one API call."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from catalog_sql.errors import LakecatError

from .. import __version__
from . import output


class _Group(click.Group):
    """Turn lakecat errors into one clean line (``--verbose`` shows the traceback)."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except LakecatError as err:
            if ctx.params.get("verbose"):
                raise
            click.echo(f"Error: {_clean(str(err))}", err=True)
            ctx.exit(1)
        except (click.exceptions.Exit, click.ClickException, KeyboardInterrupt, SystemExit):
            raise
        except Exception as err:  # a bug or an unmapped library error: still one line
            if ctx.params.get("verbose"):
                raise
            name = type(err).__name__
            click.echo(
                f"Error: {name}: {_clean(str(err))} (an unexpected error; lakecat --verbose "
                f"shows the traceback; please report it)",
                err=True,
            )
            ctx.exit(2)


def _clean(text: str) -> str:
    """One line without terminal colour codes.

    Examples:
        >>> _clean("\\x1b[31mboom\\x1b[0m\\n  at x")
        'boom at x'
    """
    import re

    return " ".join(re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", text).split())


@click.group(cls=_Group)
@click.option("--verbose", is_flag=True, help="Show tracebacks for errors.")
@click.version_option(__version__, "--version", prog_name="lakecat", message="%(prog)s %(version)s")
def cli(verbose: bool) -> None:
    """lakecat: a DuckDB-and-Parquet data catalog.

    \b
    Examples:
      lakecat --version
      lakecat init --storage ./mydata
      lakecat ls ulabel --filter name__startswith=exp
      lakecat search ulabel experimnt
      lakecat demo
    """


@cli.command()
@click.option("--storage", required=True, help="Local directory or fsspec URL.")
@click.option("--db", default=None, help="postgresql:// URL (default: embedded DuckDB).")
@click.option("--name", default=None, help="Instance name (default: storage folder name).")
def init(storage: str, db: str | None, name: str | None) -> None:
    """Create an instance and make it current.

    \b
    Example:
      lakecat init --storage ./mydata
    """
    from ..instance import init as init_

    instance = init_(storage=storage, db=db, name=name)
    output.print_info(instance.info())


@cli.command()
@click.argument("instance")
def connect(instance: str) -> None:
    """Make INSTANCE (a path, a name, or the storage URL of a published catalog) current.

    \b
    Examples:
      lakecat connect ./mydata
      lakecat connect s3://bucket/lab    # a catalog its owner published: read-only
    """
    from ..instance import connect as connect_

    output.print_info(connect_(instance).info())


@cli.command()
def publish() -> None:
    """Copy the current embedded catalog next to its data in object storage.

    Collaborators then read the instance without the owner's machine:
    lc.connect("s3://bucket/lab", read_only=True). Publish again after changes.

    \b
    Example:
      lakecat publish
    """
    from ..instance import current

    click.echo(f"published {current().publish()}")


@cli.command()
def info() -> None:
    """Show the current instance, storage, back end and schema version.

    \b
    Example:
      lakecat info
    """
    from ..instance import current

    output.print_info(current().info())


@cli.group(invoke_without_command=True)
@click.option("--check", is_flag=True, help="Only report pending migrations (exit 1 if any).")
@click.pass_context
def migrate(ctx: click.Context, check: bool) -> None:
    """Apply pending catalog schema migrations (core and every schema module in use).

    \b
    Examples:
      lakecat migrate --check
      lakecat migrate create mylab.schema
      lakecat migrate deploy
    """
    if ctx.invoked_subcommand is not None:
        return
    if check:
        pending = _pending()
        click.echo("pending: " + (", ".join(pending) if pending else "none"))
        sys.exit(1 if pending else 0)
    ctx.invoke(migrate_deploy)


def _plans():
    from ..core.modules import load
    from ..instance import current

    instance = current()
    for name in list(instance.modules):  # the classes and migration files as they are now
        instance._use(load(name))
    return instance, [("core", None)] + [(n, m.migrations()) for n, m in instance.modules.items()]


def _pending() -> list[str]:
    from catalog_sql import migrations

    instance, plans = _plans()
    return [
        f"{n}/{m.name}" if n != "core" else m.name
        for n, known in plans
        for m in migrations.pending(instance.backend, n, known)
    ]


@migrate.command("deploy")
def migrate_deploy() -> None:
    """Apply every pending migration, each in its own transaction.

    \b
    Example:
      lakecat migrate deploy
    """
    from ..instance import current

    applied = current().deploy()
    click.echo("applied: " + (", ".join(applied) if applied else "nothing to do"))


@migrate.command("create")
@click.argument("module")
@click.option("--name", default="auto", help="Name part of the new file (NNNN_<name>.sql).")
@click.option("--drop", is_flag=True, help="Also drop columns the classes no longer declare.")
@click.option(
    "--rename", "renames", multiple=True, metavar="TABLE.OLD:NEW",
    help="A field renamed in the classes (its data is kept); repeatable.",
)  # fmt: skip
@click.option(
    "--rename-table", "table_renames", multiple=True, metavar="OLD:NEW",
    help="A registry renamed (its table, rows, ids and links are kept); repeatable.",
)  # fmt: skip
def migrate_create(
    module: str, name: str, drop: bool, renames: tuple[str, ...], table_renames: tuple[str, ...]
) -> None:
    """Write a migration for a schema module: what its classes declare that the catalog
    does not have (new registries, fields, links; renames you name). Apply it with
    lakecat migrate deploy.

    \b
    Examples:
      lakecat migrate create mylab.schema
      lakecat migrate create mylab.schema --name add_date
      lakecat migrate create mylab.schema --rename experiment.date:started_on
      lakecat migrate create mylab.schema --rename-table experiment:assay
      lakecat migrate create mylab.schema --drop   # destructive: drops removed columns
    """
    from ..core.modules import canonical, load, parse_renames
    from ..instance import current

    instance = current()
    hints = parse_renames(renames, table_renames)
    loaded = load(canonical(module))  # the classes as they are now
    path = loaded.create_migration(instance.backend, drop=drop, name=name, renames=hints)
    click.echo(f"wrote {path}" if path else f"{loaded.name}: the catalog matches its classes")


@cli.group()
def schema() -> None:
    """Schema modules: registries beyond the core ones (lakecat.bio, your own).

    \b
    Examples:
      lakecat schema add bio
      lakecat schema add mylab.schema
      lakecat schema list
    """


@schema.command("add")
@click.argument("module")
def schema_add(module: str) -> None:
    """Use a schema module in the current instance (creates its tables).

    \b
    Examples:
      lakecat schema add bio
      lakecat schema add mylab.schema
    """
    from ..instance import current

    instance = current()
    applied = instance.add_module(module)
    name = next(iter(m for m in instance.modules if m.endswith(module) or module in m), module)
    click.echo(f"{name}: " + (f"applied {', '.join(applied)}" if applied else "already added"))


@schema.command("list")
def schema_list() -> None:
    """The schema modules the current instance uses, with their registries.

    \b
    Example:
      lakecat schema list
    """
    from ..instance import current

    instance = current()
    click.echo(
        "core: "
        + ", ".join(
            sorted(
                n for n, c in instance.registries().items() if c.__module__ == "lakecat.registries"
            )
        )
    )
    for name, module in instance.modules.items():
        click.echo(f"{name}: " + ", ".join(sorted(c.__name__ for c in module.classes)))


_COLUMNS_HELP = "Comma-separated columns (default: the registry's useful ones)."


@cli.command(name="ls")
@click.argument("registry", default="file")
@click.option("--filter", "filters", multiple=True, help="Lookup, e.g. name__startswith=exp.")
@click.option("--columns", default=None, help=_COLUMNS_HELP)
@click.option("--limit", default=50, show_default=True)
@click.option("--offset", default=0, show_default=True, help="Skip this many records.")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table")
def ls(
    registry: str, filters: tuple[str, ...], columns: str | None, limit: int, offset: int,
    fmt: str,
) -> None:  # fmt: skip
    """List records of REGISTRY (file, ulabel, transform, run, …), in id order.

    A table ends with a footer such as "rows 1–50 of 1,234"; csv and json give only the rows.

    \b
    Examples:
      lakecat ls ulabel --filter name__startswith=exp --limit 5
      lakecat ls file --columns uid,key,size --offset 50
      lakecat ls file --format json
    """
    from ..core.catalog import registry_class

    cls = registry_class(_registry_name(registry))
    selected = output.select_columns(cls, columns)
    query = cls.filter(**dict(_parse_filter(f, cls) for f in filters))
    rows = output.query_rows(cls, query.order_by("id").limit(limit).offset(offset), selected)
    output.print_rows(selected, rows, fmt, keep_empty=columns is not None)
    if fmt == "table" and (footer := output.footer(offset, len(rows), query.count())):
        click.echo(footer)


@cli.command()
@click.argument("registry")
@click.argument("query")
@click.option("--columns", default=None, help=_COLUMNS_HELP)
@click.option("--limit", default=20, show_default=True)
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table")
def search(registry: str, query: str, columns: str | None, limit: int, fmt: str) -> None:
    """Ranked search of REGISTRY for QUERY (typos tolerated), best match first.

    \b
    Examples:
      lakecat search ulabel experimnt
      lakecat search file pbmc --columns uid,key,description
    """
    from ..core.catalog import registry_class

    cls = registry_class(_registry_name(registry))
    selected = output.select_columns(cls, columns)
    needed = output.stored_columns(cls, selected)
    found = [{c: r.__dict__.get(c) for c in needed} for r in cls.search(query, limit=limit)]
    output.print_rows(
        selected, output.resolve_relations(cls, found, selected), fmt, columns is not None
    )


@cli.command("search-index")
@click.argument("registry")
@click.option("--drop", is_flag=True, help="Drop the index (search scans the registry again).")
@click.option(
    "--prefix-only",
    is_flag=True,
    help="Keys at value starts only (~1 a value instead of ~25): prefix filters and the "
    "near-duplicate check use it, search scans.",
)
@click.option("--memory-limit", default=None, help="DuckDB's memory_limit while the keys are "
              "sorted, e.g. 6GB (it spills to disk beyond); default DuckDB's own.")  # fmt: skip
def search_index(registry: str, drop: bool, prefix_only: bool, memory_limit: str | None) -> None:
    """Build (or rebuild) the search index of REGISTRY on the embedded back end.

    Search then reads sorted keys instead of scanning the registry, and so do the text
    filters of a large registry (startswith, istartswith, iexact, contains, icontains);
    rows written later are read from the registry until the next build (`lakecat gc
    --yes` rebuilds).

    \b
    Examples:
      lakecat search-index ulabel
      lakecat search-index ulabel --prefix-only --memory-limit 6GB
      lakecat search-index ulabel --drop
    """
    import time

    from ..core.catalog import registry_class

    cls = registry_class(_registry_name(registry))
    if drop:
        cls.drop_search_index()
        click.echo(f"dropped the search index of {cls.__name__}")
        return
    start = time.perf_counter()
    keys = cls.build_search_index(prefix_only=prefix_only, memory_limit=memory_limit)
    kind = "prefix index" if prefix_only else "search index"
    click.echo(f"built the {kind} of {cls.__name__}: {keys:,} keys in "
               f"{time.perf_counter() - start:.1f} s")  # fmt: skip


@cli.command()
@click.option("--path", default="./lakecat-demo", show_default=True, help="Demo instance dir.")
def demo(path: str) -> None:
    """Create a demo instance and show what lakecat does, with SQL and CLI equivalents.

    \b
    Example:
      lakecat demo --path ./lakecat-demo
    """
    from .demo import run_demo

    run_demo(path, echo=click.echo)


@cli.command()
@click.argument("instance", required=False)
@click.option("--port", default=8000, show_default=True, help="Port (0: any free one).")
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on; anything but loopback lets others read the catalog.",
)
def serve(instance: str | None, port: int, host: str) -> None:
    """Browse INSTANCE (path or name; default: the current one) in a web browser, read-only.

    \b
    Example:
      lakecat serve ./lakecat-demo --port 8000
    """
    from ..web import serve as serve_

    serve_(instance, host=host, port=port, echo=click.echo)


@cli.command()
@click.argument("paths", nargs=-1, required=True)
@click.option(
    "--key", "key_prefix", default=None,
    help="Key prefix: keys become PREFIX/<path relative to the folder given>.",
)  # fmt: skip
@click.option("--description", default=None, help="Description for every file.")
@click.option("--recursive", is_flag=True, help="Descend into folders.")
@click.option("--glob", default=None, help="Only files matching this pattern, e.g. '*.h5ad'.")
def ingest(
    paths: tuple[str, ...], key_prefix: str | None, description: str | None, recursive: bool,
    glob: str | None,
) -> None:  # fmt: skip
    """Register files (bulk): prints new / already registered / failed; exit 1 on failures.

    Keys keep the folder layout: DIR/a/x.csv becomes a/x.csv (PREFIX/a/x.csv with --key).
    A key that exists with other bytes gets a new version. A folder without --recursive
    is registered as one File (as for zarr or TileDB folders), and the output says so.

    \b
    Examples:
      lakecat ingest results/ --recursive --glob '*.h5ad' --key sc
      lakecat ingest counts.csv --description "raw counts"
    """
    from ..files.ingest import collect
    from ..files.ingest import ingest as ingest_

    total = len(collect(paths, recursive=recursive, glob=glob))
    with click.progressbar(length=total, label="ingesting", file=_progress_stream()) as bar:
        report = ingest_(
            paths, key_prefix=key_prefix, description=description, recursive=recursive,
            glob=glob, progress=bar.update,
        )  # fmt: skip
    for path, reason in report.failed:
        click.echo(f"failed: {path}: {reason}", err=True)
    for folder in report.folders:
        click.echo(
            f"note: {folder.key} is a folder: registered as one File of {folder.n_objects} "
            f"objects; pass --recursive to register the files in it one by one"
        )
    click.echo(report.summary())
    sys.exit(1 if report.failed else 0)


@cli.command()
@click.argument("uid")
def show(uid: str) -> None:
    """Describe a record: fields, provenance, labels and features.

    \b
    Example:
      lakecat show 4Xk2cD9aQ0r1s2t3u4v5
    """
    record = _find(uid)
    data = {"registry": type(record).__name__, **output.described_fields(record)}
    if type(record).__name__ == "File":
        data["labels"] = ", ".join(u.name for u in record.ulabels.list()) or None
        for slot, fs in record.features.items():
            data[f"features[{slot}]"] = f"{fs.n} features ({fs.uid})"
    output.print_info({k: v for k, v in data.items() if v is not None})


@cli.command()
@click.argument("uid")
@click.option("--to", "target", default=None, help="Copy the staged file into this folder.")
def stage(uid: str, target: str | None) -> None:
    """Print a local, hash-verified path to a file's content (downloaded if remote).

    \b
    Example:
      lakecat stage 4Xk2cD9aQ0r1s2t3u4v5 --to ./local
    """
    from ..registries import File

    path = File.get(uid).stage()
    if target:
        import shutil

        dest = Path(target) / path.name
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copytree(path, dest) if path.is_dir() else shutil.copy2(path, dest)
        path = dest
    click.echo(str(path))


@cli.command()
@click.argument("uid")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.option("--permanent", is_flag=True, help="Also when lineage uses it (cuts those links).")
def delete(uid: str, yes: bool, permanent: bool) -> None:
    """Delete a record (and a file's blob).

    A file or dataset that runs read (or a dataset holds) is refused, naming those uses;
    --permanent deletes it anyway and cuts them.

    \b
    Examples:
      lakecat delete 4Xk2cD9aQ0r1s2t3u4v5 --yes
      lakecat delete 4Xk2cD9aQ0r1s2t3u4v5 --permanent
    """
    record = _find(uid)
    uses = record.lineage_uses()
    if uses and not permanent:
        record.delete()  # raises the error that names the uses
    cut = f"\nThis cuts lineage: {'; '.join(uses)}" if uses else ""
    if not yes and not click.confirm(f"Delete {record!r}?{cut}", default=False):
        click.echo("nothing deleted")
        return
    record.delete(permanent=permanent)
    click.echo(f"deleted {type(record).__name__} {uid}")


@cli.command()
@click.option("--yes", is_flag=True, help="Really delete (default: a dry run that lists).")
@click.option("--min-age", default=3600.0, show_default=True, help="Skip younger entries (s).")
def gc(yes: bool, min_age: float) -> None:
    """List blobs no record points at (left by crashes); --yes removes them and rebuilds
    the search indexes.

    \b
    Examples:
      lakecat gc
      lakecat gc --yes
    """
    from ..files.maintenance import gc as gc_

    found = gc_(dry_run=not yes, min_age=min_age)
    for entry in found:
        click.echo(entry)
    datasets = sum(entry.startswith("dataset ") for entry in found)
    verb = "removed" if yes else "would remove (run with --yes)"
    click.echo(f"{len(found) - datasets} orphan blob(s) {verb}")
    if datasets:
        verb = "restored to their registered data" if yes else "would restore (run with --yes)"
        click.echo(f"{datasets} dataset(s) with unregistered table versions {verb}")
    from ..core.search import rebuild_search_indexes

    for table, behind in rebuild_search_indexes(dry_run=not yes):
        verb = "rebuilt" if yes else "would rebuild (run with --yes)"
        click.echo(f"search index of {table} ({behind:,} row(s) written since it was built) {verb}")


@cli.command()
@click.argument("uids", nargs=-1)
@click.option("--all", "all_", is_flag=True, help="Check every File and Dataset.")
def verify(uids: tuple[str, ...], all_: bool) -> None:
    """Re-hash blobs and re-read dataset versions; report every mismatch (exit 1 if any).

    \b
    Examples:
      lakecat verify --all
      lakecat verify 4Xk2cD9aQ0r1s2t3u4v5
    """
    from ..errors import ValidationError
    from ..files.verify import verify as verify_

    if not uids and not all_:
        raise ValidationError("Name records to check (UID…) or pass --all.")
    problems = verify_(uids or None)
    for problem in problems:
        click.echo(str(problem))
    click.echo(f"{len(problems)} problem(s) found")
    sys.exit(1 if problems else 0)


@cli.command()
@click.argument("uid")
@click.option("--out", default=None, help="Write the picture here (.svg, or .png).")
@click.option("--depth", default=10, show_default=True, help="How many runs upstream.")
def lineage(uid: str, out: str | None, depth: int) -> None:
    """Print the upstream lineage of a file or dataset; --out writes the picture.

    \b
    Example:
      lakecat lineage 4Xk2cD9aQ0r1s2t3u4v5 --out lineage.svg
    """
    from ..lineage.graph import as_text

    record = _find(uid)
    click.echo(as_text(record, depth=depth))
    if out:
        record.view_lineage(depth=depth, path=out)
        click.echo(f"wrote {out}")


def _find(uid: str):
    from catalog_sql.errors import NotFoundError

    from ..instance import current

    for cls in current().registries().values():
        if cls._meta.uid_length == len(uid):
            found = cls.filter(uid=uid).one_or_none()
            if found is not None:
                return found
    raise NotFoundError(f"No record with uid {uid!r}. Find uids with `lakecat ls REGISTRY`.")


def _progress_stream():
    """The terminal for progress bars, or a sink when output is piped."""
    import io

    return sys.stderr if sys.stderr.isatty() else io.StringIO()


def _registry_name(name: str) -> str:
    from ..core.catalog import registries
    from ..instance import current

    current()  # connecting imports the schema modules the instance uses (their registries)
    lowered = {n.lower(): n for n in registries()}
    return lowered.get(name.lower().replace("_", ""), name)


def _parse_filter(text: str, cls=None) -> tuple[str, Any]:
    """``KEY=VALUE`` with VALUE read as the type of the field KEY names.

    Examples:
        >>> from lakecat.registries import File
        >>> _parse_filter("size__gt=10", File), _parse_filter("key=2024", File)
        (('size__gt', 10), ('key', '2024'))
    """
    from catalog_sql.errors import ValidationError

    from .lookups import parse_lookup

    if "=" not in text:
        raise ValidationError(f"--filter needs KEY=VALUE, got {text!r}.")
    key, value = text.split("=", 1)
    return parse_lookup(cls, key, value)


def _register_data_commands() -> None:
    from .collaborators import collaborator
    from .data import dataset, sql

    cli.add_command(dataset)
    cli.add_command(sql)
    cli.add_command(collaborator)


_register_data_commands()


def main() -> None:
    """Console entry point."""
    cli(prog_name="lakecat")


if __name__ == "__main__":
    main()
