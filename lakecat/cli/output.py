"""How the CLI shows records: default columns per registry, related records by name,
aligned tables, CSV and JSON."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from datetime import datetime
from typing import Any

import click

# ------------------------------------------------------------------ records as table rows

_DEFAULT_COLUMNS = {
    "File": ("uid", "key", "version", "size", "suffix", "description", "created_at"),
    "ULabel": ("uid", "name", "description"),
    "Dataset": ("uid", "name", "version", "n_rows", "format", "operation"),
    "Transform": ("uid", "name", "version", "type"),
    "Run": ("uid", "transform", "status", "started_at"),
}

# registry -> (columns fetched, how they become a short label of a related record)
_LABELS: dict[str, tuple[tuple[str, ...], Callable[..., str]]] = {
    "Transform": (("name", "version"), lambda name, version: f"{name} (v{version or 1})"),
    "Run": (("uid", "status"), lambda uid, status: f"{uid} ({status})" if status else uid),
    "Dataset": (("name", "version"), lambda name, version: f"{name} v{version}"),
    "File": (("key", "uid"), lambda key, uid: key or uid),
}


def default_columns(cls: type) -> list[str]:
    """The columns ``ls`` and ``search`` show for a registry unless ``--columns`` is given.

    Registries without a curated list show uid, their name and search fields, and created_at.

    Examples:
        >>> from lakecat.registries import Run, User
        >>> default_columns(Run), default_columns(User)
        (['uid', 'transform', 'status', 'started_at'], ['uid', 'handle', 'name', 'created_at'])
    """
    if cls.__name__ in _DEFAULT_COLUMNS:
        return list(_DEFAULT_COLUMNS[cls.__name__])
    meta = cls._meta
    named = [meta.name_field] if meta.name_field else []
    wanted = dict.fromkeys(["uid", *named, *meta.search_fields, "created_at"])
    return [c for c in wanted if c in meta.columns]


def select_columns(cls: type, text: str | None) -> list[str]:
    """The columns named by ``--columns`` (stored columns or to-one relations), or the default.

    Raises:
        FieldError: A name is neither a column nor a relation of ``cls``.
    """
    from catalog_sql.errors import FieldError, did_you_mean

    if text is None:
        return default_columns(cls)
    names = [c.strip() for c in text.split(",") if c.strip()]
    known = [*cls._meta.columns, *cls._meta.fks]
    for name in names:
        if name not in known:
            hint = did_you_mean(name, known) or f" Columns: {', '.join(known)}."
            raise FieldError(f"Unknown column {name!r} for {cls._meta.table}.{hint}")
    return names or default_columns(cls)


def stored_columns(cls: type, columns: list[str]) -> list[str]:
    """The stored columns needed for ``columns`` (a relation needs its ``*_id`` column)."""
    fks = cls._meta.fks
    needed = [fks[c].column if c in fks else c for c in columns]
    return list(dict.fromkeys(needed))


def query_rows(cls: type, query: Any, columns: list[str]) -> list[dict[str, Any]]:
    """The rows of ``query`` with only ``columns`` (one narrow query, plus one per relation)."""
    needed = stored_columns(cls, columns)
    rows = [dict(zip(needed, values)) for values in query.values_list(*needed)]
    return resolve_relations(cls, rows, columns)


def resolve_relations(
    cls: type, rows: list[dict[str, Any]], columns: list[str]
) -> list[dict[str, Any]]:
    """``rows`` projected to ``columns``, each relation column holding the related record's
    short label (one query per relation column)."""
    fks = cls._meta.fks
    labels = {
        name: related_labels(fks[name].target_class(), {r[fks[name].column] for r in rows})
        for name in columns
        if name in fks
    }
    return [
        {c: labels[c].get(r[fks[c].column], (None,))[0] if c in fks else r[c] for c in columns}
        for r in rows
    ]


def related_labels(target: type, ids: set[Any]) -> dict[Any, tuple[str, str]]:
    """id → (short label, uid) for the ``target`` records with these ids."""
    ids.discard(None)
    if not ids:
        return {}
    default = target._meta.name_field or target._meta.search_fields[0]
    fields, label = _LABELS.get(target.__name__, ((default, "uid"), lambda v, uid: v or uid))
    fetched = list(dict.fromkeys(("id", "uid", *fields)))
    rows = [dict(zip(fetched, r)) for r in target.filter(id__in=sorted(ids)).values_list(*fetched)]
    return {r["id"]: (str(label(*(r[f] for f in fields))), r["uid"]) for r in rows}


def described_fields(record: Any) -> dict[str, Any]:
    """A record's non-empty fields for ``show``, relations as "label  uid" instead of ids."""
    by_column = {fk.column: (name, fk) for name, fk in record._meta.fks.items()}
    data: dict[str, Any] = {}
    for column, value in record.to_dict().items():
        if value is None or value == "":
            continue
        if column not in by_column:
            # FeatureSet has a "registry" column: keep it apart from show's own "registry" line
            data[f"{record._meta.table}.{column}" if column == "registry" else column] = value
            continue
        name, fk = by_column[column]
        label, uid = related_labels(fk.target_class(), {value}).get(value, (f"id {value}", ""))
        data[name] = label if uid in label else f"{label}  {uid}"
    return data


def footer(offset: int, shown: int, total: int) -> str:
    """The line under an ``ls`` table saying which rows these are.

    Examples:
        >>> footer(0, 50, 1234), footer(0, 3, 3), footer(9, 0, 3)
        ('rows 1–50 of 1,234 (use --limit / --offset)', 'rows 1–3 of 3', 'no rows at offset 9 of 3')
    """
    if not shown:
        return f"no rows at offset {offset:,} of {total:,}" if total else ""
    text = f"rows {offset + 1:,}–{offset + shown:,} of {total:,}"
    return text + (" (use --limit / --offset)" if offset or offset + shown < total else "")


# ------------------------------------------------------------------ output


def print_info(data: dict[str, Any]) -> None:
    width = max(len(k) for k in data)
    for key, value in data.items():
        click.echo(f"{key:<{width}}  {value}")


def print_table(table, fmt: str) -> None:
    """Print a pyarrow Table as an aligned table, csv or json."""
    print_rows(table.column_names, table.to_pylist(), fmt)


def print_rows(
    columns: list[str], rows: list[dict[str, Any]], fmt: str, keep_empty: bool = False
) -> None:
    """Print rows as json, csv (every column) or an aligned table (empty columns dropped
    unless ``keep_empty``)."""
    if fmt == "json":
        click.echo(json.dumps(rows, default=str, indent=1))
    elif fmt == "csv":
        import csv

        writer = csv.DictWriter(sys.stdout, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    else:
        click.echo(format_table(columns, rows, keep_empty=keep_empty))


def format_table(
    columns: list[str], rows: list[dict], max_width: int = 40, keep_empty: bool = False
) -> str:
    """An aligned text table; empty columns are dropped (unless ``keep_empty``), long values
    truncated, timestamps shown to the second.

    Examples:
        >>> print(format_table(["a", "b"], [{"a": 1, "b": None}]))
        a
        -
        1
    """
    shown = columns
    if not keep_empty:
        shown = [c for c in columns if any(r.get(c) is not None for r in rows)] or columns

    def cell(value: Any) -> str:
        if isinstance(value, datetime):
            value = value.strftime("%Y-%m-%d %H:%M:%S")
        text = "" if value is None else str(value)
        return text if len(text) <= max_width else text[: max_width - 1] + "…"

    grid = [[cell(r.get(c)) for c in shown] for r in rows]
    widths = [max([len(c), *(len(row[i]) for row in grid)]) for i, c in enumerate(shown)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(shown, widths)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(v.ljust(w) for v, w in zip(row, widths)).rstrip() for row in grid]
    return "\n".join(lines) + ("" if rows else "\n(no records)")
