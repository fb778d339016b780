"""A mesh of instances: read another instance, query several in one SQL statement, and
copy records between them.

- ``lc.File.using("lab_b").filter(...)`` and ``with lc.using("lab_b"): ...`` read
  another instance (opened read-only, next to the current one, which stays current).
- ``lc.sql("SELECT … FROM lab_a.file JOIN lab_b.file USING (hash)")`` runs one read-only
  DuckDB statement with every instance it names attached (``with lc.attach("lab_a",
  "lab_b") as mesh: mesh.sql(...)`` keeps them attached for several statements).
- ``record.transfer()`` (or ``.save()`` of a record read through ``using``) copies it —
  its uid, fields, blob reference, labels, feature sets, run and transform — into the
  current instance, idempotently.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from catalog_sql.errors import InstanceError

from .core.transfer import TransferConflictError, transfer

__all__ = ["TransferConflictError", "attach", "open_instance", "sql", "transfer", "using"]
logger = logging.getLogger("lakecat")


# -- opening other instances -------------------------------------------------------------
def open_instance(ref: Any):
    """The instance named (or at the path) ``ref``: the current one if it is that one,
    else opened read-only beside it (kept open for later reads in this process)."""
    from . import instance as inst

    if isinstance(ref, inst.Instance):
        return ref
    path = inst._locate(ref)
    current = inst._CURRENT[0]
    if current is not None and current.path == path:
        return current
    found = inst._OTHERS.get(path)
    if found is not None:
        return found
    config = inst._read_config(path)
    backend = inst._make_backend(config, path, create=False, read_only=True)
    other = inst.Instance(config, path, backend)
    other.foreign = True
    try:
        _check_readable(other)
    except BaseException:
        backend.close()
        raise
    inst._OTHERS[path] = other
    return other


def _check_readable(other: Any) -> None:
    """The other catalog is at this lakecat's schema version; its modules are imported
    (never migrated from here: it is someone else's instance)."""
    from catalog_sql import migrations
    from catalog_sql.errors import SchemaVersionError

    from .core.modules import load

    pending = migrations.pending(other.backend, "core", None)
    if pending:
        raise SchemaVersionError(
            f"Instance {other.name!r} has an older catalog schema ({pending[0].name} not "
            f"applied); connect to it once with lc.connect({other.name!r}) to migrate it."
        )
    for name in migrations.modules(other.backend):
        other._use(load(name))


@contextmanager
def using(ref: Any) -> Iterator[Any]:
    """Read another instance inside the block: every registry read there goes to it.

    Writes inside the block raise :class:`ReadOnlyError`: connect to write there.
    """
    from .instance import using_instance

    other = open_instance(ref)
    with using_instance(other):
        yield other


class RegistryView:
    """``Registry.using(other)``: the registry's read API on another instance."""

    def __init__(self, cls: type, other: Any) -> None:
        self.cls = cls
        self.instance = other

    def all(self):
        """Every record there (a lazy QuerySet bound to that instance)."""
        from .core.queryset import QuerySet

        self.instance.require(self.cls)
        return QuerySet(self.cls, instance=self.instance)

    def filter(self, *queries: Any, **lookups: Any):
        """A lazy QuerySet of the matching records there."""
        return self.all().filter(*queries, **lookups)

    def exclude(self, *queries: Any, **lookups: Any):
        """A lazy QuerySet of the records there matching none of the lookups."""
        return self.all().exclude(*queries, **lookups)

    def get(self, uid: str | None = None, /, **lookups: Any):
        """The one record there with this uid (or matching ``lookups``)."""
        return self._read(lambda: self.cls.get(uid, **lookups))

    def search(self, query: str, **options: Any):
        """Records there ranked by how well they match ``query``."""
        return self._read(lambda: self.cls.search(query, **options))

    def df(self, limit: int | None = 100):
        """The registry there as a pandas DataFrame."""
        return self.all().order_by("id").limit(limit).df()

    def _read(self, read):
        from .core.lifecycle import state
        from .instance import using_instance

        with using_instance(self.instance):
            found = read()
        if self.instance.foreign:
            for record in found if isinstance(found, list) else [found]:
                state(record).origin = self.instance
        return found

    def __repr__(self) -> str:
        return f"{self.cls.__name__}.using({self.instance.name!r})"


# -- SQL across instances -----------------------------------------------------------------
@contextmanager
def attach(*refs: Any) -> Iterator[Any]:
    """The current instance and ``refs`` attached read-only to one DuckDB connection, each
    under its instance name, for several statements (``mesh.sql(...)``)."""
    from catalog_sql import mesh as catalog_mesh

    from .instance import current

    here = current()
    others = [open_instance(r) for r in refs]
    chosen: dict[str, Any] = {}
    for other in [here, *others]:
        seen = chosen.setdefault(other.name, other)
        if seen.path != other.path:
            raise InstanceError(
                f"Two instances are named {other.name!r} ({seen.path.parent} and "
                f"{other.path.parent}), so {other.name}.<table> cannot say which: give one of "
                f"them another name (lc.init(..., name=...) creates it under a new one)."
            )
    with catalog_mesh.attached(
        [(n, i.backend) for n, i in chosen.items()], default=here.name
    ) as con:
        yield Mesh(con, list(chosen))


class Mesh:
    """Instances attached to one DuckDB connection (see :func:`attach`)."""

    def __init__(self, con: Any, names: list[str]) -> None:
        self.con = con
        self.names = names

    def sql(self, statement: str):
        """One read-only statement; returns a pyarrow Table."""
        from catalog_sql import mesh as catalog_mesh
        from catalog_sql.mesh import check_statement

        check_statement(statement, write=False)
        return catalog_mesh.run(self.con, statement)


_attach = attach


def sql(statement: str, *, attach: Any = None):
    """One read-only DuckDB statement over the current instance's catalog and every other
    instance it names (``lab_b.file``) or that ``attach`` lists; a pyarrow Table.

    Unqualified tables are the current instance's.
    """
    from catalog_sql import mesh as catalog_mesh

    from .instance import _known, current

    here = current()
    named = [n for n in catalog_mesh.qualifiers(statement) if n != here.name and n in _known()]
    wanted = list(dict.fromkeys([*named, *(attach or [])]))
    with _attach(*wanted) as mesh:
        return mesh.sql(statement)
