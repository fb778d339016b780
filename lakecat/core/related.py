"""Managers for to-many relations: ``file.ulabels.add(label)``, ``label.files.df()``."""

from __future__ import annotations

from typing import Any

from catalog_sql import statements
from catalog_sql.errors import ValidationError

#: A :class:`lakecat.core.record.Record` (not imported here: record imports this module).
Record = Any
#: A :class:`lakecat.core.fields.ManyToMany` declaration.
ManyToMany = Any


_DELEGATED = frozenset(
    {"filter", "exclude", "df", "list", "count", "exists", "first", "to_arrow", "order_by", "one"}
)


class RelatedManager:
    """The records linked to ``owner`` through a many-to-many relation.

    Forward (``file.ulabels``) and reverse (``ulabel.files``) use the same manager;
    ``back`` is the relation name on the other registry that points at the owner.
    """

    def __init__(self, owner: Record, m2m: ManyToMany, *, reverse: bool = False) -> None:
        if owner.id is None:
            raise ValidationError(f"Save the {type(owner).__name__} before using its relations.")
        self.owner = owner
        self.m2m = m2m
        if reverse:
            self.other, self.back = m2m.owner, m2m.name
            self.own_col, self.other_col = m2m.target, m2m.source
        else:
            self.other, self.back = m2m.target_class(), m2m.related_name
            self.own_col, self.other_col = m2m.source, m2m.target

    def all(self) -> Any:
        """A QuerySet of the linked records."""
        from .lifecycle import origin
        from .queryset import QuerySet

        where = QuerySet(self.other, instance=origin(self.owner))
        return where.filter(**{self.back: self.owner.id})

    def __getattr__(self, name: str) -> Any:
        if name in _DELEGATED:
            return getattr(self.all(), name)
        raise AttributeError(name)

    def __iter__(self):
        return iter(self.all().list())

    def __len__(self) -> int:
        return self.all().count()

    def add(self, *records: Record) -> None:
        """Link ``records`` (saving unsaved ones); a link that exists is kept once."""
        import pyarrow as pa

        from .lifecycle import require_local
        from .writes import _write, retrying

        records = _flatten(records)
        require_local(self.owner, "adding links")
        for record in records:
            require_local(record, "adding links")
            self._check(record)
            if record.id is None:
                record.save()
        wanted = {r.id for r in records}

        def link() -> None:  # read and insert in one transaction; a concurrent add retries
            with _write([]) as instance:
                new = sorted(wanted - set(self._linked_ids()))
                if new:
                    rows = pa.table({self.own_col: [self.owner.id] * len(new),
                                     self.other_col: new})  # fmt: skip
                    instance.backend.insert_arrow(self.m2m.through, rows)

        retrying(link)

    def remove(self, *records: Record) -> None:
        """Unlink ``records``."""
        from .lifecycle import require_local
        from .writes import _write

        records = _flatten(records)
        for record in [self.owner, *records]:
            require_local(record, "removing links")
        ids = [r.id for r in records if r.id is not None]
        with _write([]) as instance:
            target = instance.backend.target
            for row_id in ids:
                values = {self.own_col: self.owner.id, self.other_col: row_id}
                instance.backend.execute(
                    statements.delete_matching(target, self.m2m.through, values)
                )

    def set(self, records: list[Record]) -> None:
        """Make ``records`` exactly the linked set."""
        keep = {r.id for r in records if r.id is not None}
        self.remove(*[r for r in self.all().list() if r.id not in keep])
        self.add(*records)

    def _check(self, record: Any) -> None:
        if not isinstance(record, self.other):
            raise ValidationError(
                f"This relation links {self.other.__name__} records, got {type(record).__name__}."
            )

    def _linked_ids(self) -> list[int]:
        from ..instance import current

        backend = current().backend
        stmt = statements.select_where_in(
            backend.target, self.m2m.through, [self.other_col], self.own_col, [self.owner.id]
        )
        return [row[0] for row in backend.fetch(stmt)[1]]

    def __repr__(self) -> str:
        return f"<{self.other.__name__} records linked to {self.owner!r}>"


def _flatten(records) -> list:
    out: list = []
    for record in records:
        out.extend(record) if isinstance(record, (list, tuple, set)) else out.append(record)
    return out
