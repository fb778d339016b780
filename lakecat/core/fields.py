"""Field declarations for Record classes.

Examples:
    >>> CharField(unique=True).type
    'str'
"""

from __future__ import annotations

from typing import Any

from .pending import fill


class Field:
    """A column of a registry table."""

    type = "str"

    def __init__(
        self,
        *,
        null: bool = True,
        unique: bool = False,
        index: bool = False,
        default: Any = None,
        max_length: int | None = None,
    ) -> None:
        self.null = null
        self.unique = unique
        self.index = index
        self.default = default
        self.max_length = max_length
        self.name = ""
        #: The Record class this field was declared on (``bt.CellType.name.owner``).
        self.owner: type | None = None

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name
        self.owner = owner

    def __get__(self, obj: Any, owner: type | None = None) -> Any:
        """The field itself on the class; on a record it runs only when the record's
        ``__dict__`` lacks the column: a record read by a query, not yet filled from its
        row (lakecat.core.pending), which the dict's own lookup fills."""
        if obj is None:
            return self
        data = obj.__dict__
        if type(data) is dict:  # a record made without the column: as before, the field
            return self
        fill(data)
        return dict.get(data, self.name, self)

    @property
    def column(self) -> str:
        """The table column that stores this field."""
        return self.name


class CharField(Field):
    """A string."""


class TextField(Field):
    """A long string."""


class IntegerField(Field):
    """A 64-bit integer."""

    type = "int"


class FloatField(Field):
    """A double-precision number."""

    type = "float"


class BooleanField(Field):
    """True or False."""

    type = "bool"


class DateTimeField(Field):
    """A timezone-aware timestamp (stored in UTC)."""

    type = "datetime"


class DateField(Field):
    """A calendar date."""

    type = "date"


class JSONField(Field):
    """Any JSON-serialisable value."""

    type = "json"


class ForeignKey(Field):
    """A to-one relation, stored in ``<name>_id``.

    ``to`` is the target registry class or its name; ``related_name`` names the reverse
    relation on the target (``Transform.runs`` for ``Run.transform``).
    """

    type = "int"

    def __init__(self, to: str | type, *, related_name: str | None = None, null: bool = True):
        super().__init__(null=null)
        self.to = to
        self.related_name = related_name

    @property
    def column(self) -> str:
        return f"{self.name}_id"

    def __get__(self, obj: Any, owner: type | None = None) -> Any:
        if obj is None:
            return self
        cache = obj.__dict__.setdefault("_related", {})
        target_id = obj.__dict__.get(self.column)
        cached = cache.get(self.name)
        if cached is not None and cached.id == target_id:
            return cached
        if target_id is None:
            return None
        from .lifecycle import origin

        other = origin(obj)
        if other is None:
            record = self.target_class().get(id=target_id)
        else:  # read from another instance: so is what it points at
            from ..instance import using_instance

            with using_instance(other):
                record = self.target_class().get(id=target_id)
        cache[self.name] = record
        return record

    def __set__(self, obj: Any, value: Any) -> None:
        cache = obj.__dict__.setdefault("_related", {})
        if value is None:
            obj.__dict__[self.column] = None
            cache.pop(self.name, None)
            return
        target = self.target_class()
        from .lifecycle import require_local

        require_local(value, f"{type(obj).__name__}.{self.name}")
        if not isinstance(value, target):
            from ..errors import ValidationError

            raise ValidationError(
                f"{self.name} expects a {target.__name__} record, got {type(value).__name__}."
            )
        if value.id is None:
            value.save()
        obj.__dict__[self.column] = value.id
        cache[self.name] = value

    def target_class(self) -> type:
        """The Record class this key points at."""
        from .catalog import registry_class

        return registry_class(self.to)


class ManyToMany:
    """A many-to-many relation through a link table.

    Args:
        to: The target registry class or name.
        through: The link table (default ``<table>_<field name>``).
        source: The link column pointing at this registry's ``id`` (default ``<table>_id``).
        target: The link column pointing at the target's ``id`` (default
            ``<target table>_id``).
        related_name: The reverse relation's name on the target.
        extra: Further link-table columns by logical type, e.g. ``{"feature_id": "int"}``.
    """

    def __init__(
        self,
        to: str | type,
        *,
        through: str | None = None,
        source: str | None = None,
        target: str | None = None,
        related_name: str | None = None,
        extra: dict[str, str] | None = None,
    ) -> None:
        self.to = to
        self._through, self._source, self._target = through, source, target
        self.related_name = related_name
        #: Further columns of the link table by logical type (``{"feature_id": "int"}``).
        self.extra = dict(extra or {})
        self.name = ""
        self.owner: type = object

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name
        self.owner = owner
        if self.related_name is None:
            self.related_name = f"{owner.__name__.lower()}_{name}"

    @property
    def link_extra(self) -> dict[str, str]:
        """The link table's further columns: ``extra``, plus ``feature_id`` when the
        relation labels Files or Datasets (labels are grouped by feature)."""
        extra = dict(self.extra)
        labelled = {self.target_class().__name__, self.owner.__name__} & {"File", "Dataset"}
        if labelled:
            extra.setdefault("feature_id", "int")
        return extra

    @property
    def through(self) -> str:
        """The link table (default ``<table>_<field>``, e.g. ``experiment_files``)."""
        return self._through or f"{self.owner._meta.table}_{self.name}"

    @property
    def source(self) -> str:
        """The link column pointing at this registry (default ``<table>_id``)."""
        return self._source or f"{self.owner._meta.table}_id"

    @property
    def target(self) -> str:
        """The link column pointing at the target (default ``<target table>_id``)."""
        if self._target:
            return self._target
        table = self.target_class()._meta.table
        if table == self.owner._meta.table:
            from ..errors import ValidationError

            raise ValidationError(
                f"{self.owner.__name__}.{self.name} links {table} to itself: name its link "
                f"columns, e.g. ManyToMany(..., source='child_id', target='parent_id')."
            )
        return f"{table}_id"

    def __get__(self, obj: Any, owner: type | None = None) -> Any:
        if obj is None:
            return self
        from .related import RelatedManager

        return RelatedManager(obj, self)

    def target_class(self) -> type:
        """The Record class at the other end."""
        from .catalog import registry_class

        return registry_class(self.to)
