"""The table model the compiler and the DDL renderer work on.

``lakecat`` builds one :class:`TableModel` per registry from its Record class; this
package never sees Record classes, only these plain descriptions.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

LogicalType = Literal["str", "int", "float", "bool", "datetime", "date", "json"]
RelationKind = Literal["fk", "reverse_fk", "m2m"]

LOGICAL_TYPES: tuple[str, ...] = ("str", "int", "float", "bool", "datetime", "date", "json")


@dataclass(frozen=True)
class Column:
    """One column of a registry table.

    Examples:
        >>> Column("name", "str", unique=True).unique
        True
    """

    name: str
    type: str
    nullable: bool = True
    unique: bool = False
    index: bool = False


@dataclass(frozen=True)
class Relation:
    """A traversable relation from one table to another.

    ``fk``: ``column`` on the source points at ``target.id``.
    ``reverse_fk``: ``column`` on ``target`` points at the source's ``id``.
    ``m2m``: rows of ``link_table`` join ``link_source`` (source id) to ``link_target``.
    """

    name: str
    kind: str
    target: str
    column: str | None = None
    link_table: str | None = None
    link_source: str | None = None
    link_target: str | None = None

    @property
    def to_many(self) -> bool:
        """Whether following this relation can yield several rows."""
        return self.kind != "fk"


@dataclass
class TableModel:
    """A registry table: its columns, relations and the fields search uses."""

    name: str
    columns: dict[str, Column]
    relations: dict[str, Relation] = field(default_factory=dict)
    search_fields: tuple[str, ...] = ()
    name_field: str | None = None

    def column_names(self) -> list[str]:
        """Column names in declaration order."""
        return list(self.columns)


@dataclass
class Schema:
    """All tables one compiler run may traverse, by table name."""

    tables: dict[str, TableModel] = field(default_factory=dict)

    def add(self, table: TableModel) -> None:
        """Register ``table`` (replacing one with the same name)."""
        self.tables[table.name] = table

    def __getitem__(self, name: str) -> TableModel:
        return self.tables[name]
