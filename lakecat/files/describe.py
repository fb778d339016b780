"""``describe()``: a record's provenance, features with types and values, labels by
feature and versions — as text (``print(file.describe())``) and as HTML in Jupyter."""

from __future__ import annotations

import html
from typing import Any

_PROVENANCE = (
    "uid",
    "key",
    "name",
    "description",
    "version",
    "is_latest",
    "suffix",
    "size",
    "hash",
    "format",
    "n_rows",
    "operation",
    "created_at",
)


class Description:
    """Sections of (label, lines) that render as text or HTML."""

    def __init__(self, title: str, sections: list[tuple[str, list[str]]]) -> None:
        self.title = title
        self.sections = sections

    def __str__(self) -> str:
        out = [self.title]
        for label, lines in self.sections:
            if lines:
                out.append(f"  {label}")
                out += [f"    {line}" for line in lines]
        return "\n".join(out)

    __repr__ = __str__

    def _repr_html_(self) -> str:
        parts = [f"<div class='lakecat-describe'><b>{html.escape(self.title)}</b>"]
        for label, lines in self.sections:
            if lines:
                items = "".join(f"<li>{html.escape(line)}</li>" for line in lines)
                parts.append(f"<div><i>{html.escape(label)}</i><ul>{items}</ul></div>")
        return "".join(parts) + "</div>"


def describe(record: Any) -> Description:
    """The description of a File, a Dataset or any record."""
    cls = type(record)
    title = f"{cls.__name__} {record.__dict__.get('uid') or '(unsaved)'}"
    sections = [("provenance", _provenance(record))]
    if hasattr(record, "labels") and record.__dict__.get("id") is not None:
        sections += [
            ("features", _features(record)),
            ("labels", _labels(record)),
            ("versions", _versions(record)),
        ]
    return Description(title, sections)


def _provenance(record: Any) -> list[str]:
    data = record.__dict__
    lines = [f"{c}: {data[c]}" for c in _PROVENANCE if data.get(c) not in (None, "")]
    for relation in ("run", "transform", "created_by", "storage"):
        if data.get(f"{relation}_id") is not None:
            target = getattr(record, relation)
            name = next(
                (
                    target.__dict__.get(f)
                    for f in ("name", "handle", "root", "uid")
                    if target.__dict__.get(f)
                ),
                "",
            )
            lines.append(f"{relation}: {name} ({target.uid})")
    if not lines:
        lines = [f"{c}: {v}" for c, v in record.to_dict().items() if v is not None]
    return lines


def _features(record: Any) -> list[str]:
    features = record.features
    lines = []
    for slot, feature_set in features.items():
        members = feature_set.features.order_by("name").list()
        shown = ", ".join(f"{f.name} ({f.type})" for f in members[:20])
        more = f", … {len(members) - 20} more" if len(members) > 20 else ""
        lines.append(f"{slot} [{len(members)}]: {shown}{more}")
    for name, value in features.get_values().items():
        if not _is_label(value):
            lines.append(f"{name} = {value!r}")
    return lines


def _is_label(value: Any) -> bool:
    items = value if isinstance(value, list) else [value]
    return all(hasattr(type(v), "_meta") for v in items)


def _labels(record: Any) -> list[str]:
    lines = []
    for feature, labels in record.labels.by_feature().items():
        shown = ", ".join(_label_name(r) for r in labels[:20])
        kind = type(labels[0]).__name__ if labels else ""
        lines.append(f"{feature or '(no feature)'} [{kind}]: {shown}")
    return lines


def _label_name(record: Any) -> str:
    field = record._meta.name_field or "uid"
    return str(record.__dict__.get(field))


def _versions(record: Any) -> list[str]:
    versions = getattr(record, "versions", None)
    if versions is None or callable(versions):
        family = record._family() if hasattr(record, "_family") else None
        if family is None:
            return []
        items = family.list()
    else:
        items = versions.list()
    if len(items) <= 1:
        return []
    return [
        f"{'*' if r.is_latest else ' '} {r.version} {r.uid} {r.created_at:%Y-%m-%d %H:%M}"
        for r in items
    ]
