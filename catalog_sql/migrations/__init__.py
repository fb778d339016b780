"""Versioned migrations: portable SQL files applied by name and recorded in a table.

Each file ``<module>/NNNN_name.sql`` is written once in PostgreSQL syntax and rendered
for the back end's dialect by sqlglot. A migration runs in one transaction together
with the row that records it, so it is either applied whole or not at all.
"""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from .. import sqlcache
from .._lazy import exp
from ..backends.base import Backend
from ..compiler import Compiled
from ..errors import SchemaVersionError
from ..statements import insert_row

TABLE = "lakecat_migration"
_DDL = (
    f'CREATE TABLE IF NOT EXISTS "{TABLE}" (module VARCHAR NOT NULL, name VARCHAR NOT NULL, '
    "checksum VARCHAR NOT NULL, applied_at TIMESTAMPTZ NOT NULL, PRIMARY KEY (module, name))"
)


@dataclass(frozen=True)
class Migration:
    """One migration file."""

    module: str
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        """sha256 of the file text, so an edited applied migration is detected."""
        return hashlib.sha256(self.sql.encode()).hexdigest()[:16]

    def statements(self, dialect: str, capabilities: frozenset[str] = frozenset()) -> list[str]:
        """The migration's statements rendered for ``dialect``.

        A statement preceded by ``-- requires: <capability>`` is skipped on back ends
        without that capability (e.g. partial indexes, which DuckDB lacks); one preceded
        by ``-- requires: !<capability>`` only runs on back ends without it (DuckDB's
        rebuild of a table that Postgres alters, see :mod:`catalog_sql.ddl`).
        """
        return list(_render(self.sql, dialect, capabilities))


@functools.lru_cache(maxsize=256)
def _render(sql: str, dialect: str, capabilities: frozenset[str]) -> tuple[str, ...]:
    """Parse and render once per process: transpiling a migration costs ~20 ms, and a
    process that creates many catalogs (a test suite, a server) would pay it each time."""
    import sqlglot

    out = []
    for tree in sqlglot.parse(sql, read="postgres"):
        if tree is None:
            continue
        needs = {c.split(":", 1)[1].strip() for c in tree.comments or [] if "requires:" in c}
        if all(_satisfied(need, capabilities) for need in needs):
            tree.comments = None
            out.append(tree.sql(dialect))
    return tuple(out)


def _satisfied(need: str, capabilities: frozenset[str]) -> bool:
    """Whether a ``requires:`` condition holds: ``name`` (has it) or ``!name`` (lacks it).

    Examples:
        >>> _satisfied("!alter_indexed", frozenset()), _satisfied("roles", frozenset())
        (True, False)
    """
    if need.startswith("!"):
        return need[1:].strip() not in capabilities
    return need in capabilities


def discover(module: str = "core", folder=None) -> list[Migration]:
    """The migrations shipped for ``module``, in order: the files ``NNNN_name.sql`` in
    ``folder`` (default: this package's folder named after the module, i.e. core's).

    Examples:
        >>> discover()[0].name
        '0001_initial'
    """
    # a plain path: importing importlib.resources costs every short-lived process ~5 ms
    folder = folder if folder is not None else Path(__file__).parent / module
    files = sorted(f for f in folder.iterdir() if f.name.endswith(".sql"))
    return [Migration(module, f.name[:-4], f.read_text()) for f in files]


def modules(backend: Backend) -> list[str]:
    """The schema modules (besides core) with migrations applied to this catalog."""
    if TABLE not in backend.table_names():
        return []
    sql = sqlcache.get(("modules", backend.target), lambda: (
        exp.select(exp.column("module")).distinct().from_(backend.target.table(TABLE))
        .where(exp.column("module").neq(exp.Literal.string("core")))
        .order_by(exp.Ordered(this=exp.column("module"))).sql(backend.target.dialect)
    ))  # fmt: skip
    return [row[0] for row in backend.fetch(Compiled(sql, {}, backend.target.dialect))[1]]


def applied(backend: Backend, module: str = "core") -> list[str]:
    """Names of the migrations of ``module`` recorded in the catalog."""
    return list(recorded(backend, module))


def recorded(backend: Backend, module: str = "core") -> dict[str, str]:
    """``{name: checksum}`` of the migrations of ``module`` recorded in the catalog, in order."""
    if TABLE not in backend.table_names():
        return {}
    dialect = backend.target.dialect

    def render() -> str:
        tree = (
            exp.select(exp.column("name"), exp.column("checksum"))
            .from_(backend.target.table(TABLE))
            .where(exp.column("module").eq(exp.Placeholder(this="p0")))
            .order_by(exp.Ordered(this=exp.column("name")))
        )
        return tree.sql(dialect)

    sql = sqlcache.get(("recorded", backend.target), render)
    compiled = Compiled(sql, {"p0": module}, dialect)
    return {row[0]: row[1] for row in backend.fetch(compiled)[1]}


def pending(
    backend: Backend, module: str = "core", known: list[Migration] | None = None
) -> list[Migration]:
    """Migrations not yet applied; raises if the catalog is newer than this code, or if an
    applied migration's file was edited after it was applied (its checksum differs).

    ``known`` are the module's migrations (default: the files :func:`discover` finds)."""
    known = discover(module) if known is None else known
    done = recorded(backend, module)
    unknown = sorted(set(done) - {m.name for m in known})
    if unknown:
        raise _ahead(module, unknown, known)
    edited = [m for m in known if m.name in done and done[m.name] != m.checksum]
    if edited:
        details = ", ".join(
            f"{m.module}/{m.name} (applied {done[m.name]}, shipped {m.checksum})" for m in edited
        )
        raise SchemaVersionError(
            f"Applied migration(s) {details} were edited after they were applied to this "
            f"catalog: its schema may not match what this lakecat expects. Restore the "
            f"migration file(s) as they were applied (or install the lakecat release that "
            f"applied them) and put schema changes in a new migration file."
        )
    return [m for m in known if m.name not in done]


def _ahead(module: str, unknown: list[str], known: list[Migration]) -> SchemaVersionError:
    """The catalog has migrations applied that this code does not have."""
    if module == "core":
        return SchemaVersionError(
            f"The catalog schema has migration(s) {', '.join(unknown)} that this lakecat "
            f"does not know: it was written by a newer version. Upgrade lakecat "
            f"(pip install -U lakecat)."
        )
    names = ", ".join(f"{module}/{name}" for name in unknown)
    files = ", ".join(m.name for m in known) or "none"
    return SchemaVersionError(
        f"The catalog is ahead of this code of schema module {module}: it has migration(s) "
        f"{names} applied, which this code's migration files ({files}) do not have (a "
        f"collaborator deployed a newer version of {module}, or a migration file was "
        f"deleted). Upgrade {module} to the version with those migration files (pull or "
        f"pip install it, or restore the deleted file), then connect again; do not run "
        f"lakecat migrate create {module} until then."
    )


def migrate(
    backend: Backend, module: str = "core", known: list[Migration] | None = None
) -> list[str]:
    """Apply every pending migration of ``module``; return the names applied."""
    todo = pending(backend, module, known)
    if todo:
        backend.prepare()  # what the migrations rely on (Postgres: its extensions)
    for migration in todo:
        try:
            _apply(backend, migration)
        except SchemaVersionError:
            raise
        except Exception as err:  # noqa: BLE001 - any database error: the migration is undone
            text = " ".join(str(err).split())[:400]
            raise SchemaVersionError(
                f"Migration {migration.module}/{migration.name} failed, so none of it was "
                f"applied (the schema stays at the previous version): {text}. Fix the "
                f"migration file, then run lakecat migrate deploy again."
            ) from err
        backend.checkpoint()  # a WAL holding this DDL may not replay (decisions §15)
        backend.refresh()  # Postgres: DuckDB's cached view of the altered tables
    return [m.name for m in todo]


def _apply(backend: Backend, migration: Migration) -> None:
    """One migration and the row that records it, in one transaction."""
    with backend.transaction():
        ddl = migration.statements(backend.target.dialect, backend.capabilities)
        backend.run_script([_DDL, *ddl])
        row = {
            "module": migration.module,
            "name": migration.name,
            "checksum": migration.checksum,
            "applied_at": datetime.now(timezone.utc),
        }
        backend.execute(insert_row(backend.target, TABLE, row))


def schema_version(backend: Backend, module: str = "core") -> str | None:
    """The newest applied migration of ``module`` (``None`` for an empty catalog)."""
    done = applied(backend, module)
    return done[-1] if done else None
