"""validate / inspect / standardize: values checked against a registry field, in SQL.

Every registry with a name-like field has them (``lc.ULabel.validate(["a", "b"])``,
``bt.CellType.inspect(df["cell_type"])``). The distinct values go to the database as one
Arrow batch and are matched there (exact; ignoring case and spaces; through the
``synonyms`` field where the registry has one); a registry with a public source (the
``bio`` registries) also says which values exist there but not yet in the registry.
None, NaN and empty strings are never valid, and are reported, not crashed on.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from catalog_sql import matching
from catalog_sql.errors import FieldError, ValidationError, did_you_mean

logger = logging.getLogger("lakecat")
BATCH = "_lc_values"
#: How many unknown values get "did you mean" suggestions (each is one search).
SUGGESTED = 20

#: A :class:`lakecat.core.record.Record` class (not imported: record imports this module).
Registry = Any


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or value == ""


def _as_list(values: Any) -> list:
    if isinstance(values, str):
        return [values]
    if hasattr(values, "tolist"):  # numpy array, pandas Series / Index / Categorical
        return list(values.tolist())
    if isinstance(values, Iterable):
        return list(values)
    raise ValidationError(f"Pass a list of values (or a Series), got {type(values).__name__}.")


def _texts(values: list) -> list[str]:
    """The distinct present values, as text, in first-seen order."""
    return list(dict.fromkeys(str(v) for v in values if not _missing(v)))


def _field(cls: Registry, field: str | None) -> str:
    name = field or cls._meta.name_field
    if isinstance(name, object) and hasattr(name, "name") and not isinstance(name, str):
        name = name.name  # bt.CellType.name passed as a field
    columns = [f.column for f in cls._meta.fields.values() if f.type == "str"]
    if name not in columns:
        hint = did_you_mean(str(name), columns) or f" Text fields: {', '.join(columns)}."
        raise FieldError(f"{cls.__name__} has no text field {name!r} to validate against.{hint}")
    return name


def _filters(cls: Registry, organism: Any) -> dict[str, Any]:
    """Registry-side conditions: ``organism`` for registries that have one."""
    if organism is None or "organism" not in cls._meta.fields:
        return {}
    resolve = getattr(cls, "_organism_for", None)  # bio registries: built-in common names
    if resolve is not None:
        return {"organism_id": resolve(organism).id}
    from .catalog import registry_class

    Organism = registry_class("Organism")
    record = organism if isinstance(organism, Organism) else Organism.get(name=organism)
    return {"organism_id": record.id}


def _run(cls: Registry, sql: str, texts: list[str]) -> list[tuple]:
    import pyarrow as pa

    from ..instance import current

    backend = current().backend
    table = backend.duck_sql(sql, **{BATCH: pa.table({"v": pa.array(texts, pa.string())})})
    return list(zip(*(table.column(i).to_pylist() for i in range(table.num_columns))))


def _target(cls: Registry):
    from ..instance import current

    instance = current()
    instance.require(cls)
    return instance.backend.duck_target


def _exact(cls: Registry, field: str, texts: list[str], where: dict) -> set[str]:
    if not texts:
        return set()
    sql = matching.exact_sql(_target(cls), cls._meta.table, field, BATCH, where)
    return {row[0] for row in _run(cls, sql, texts)}


def _loose(cls: Registry, field: str, texts: list[str], where: dict) -> dict[str, str]:
    if not texts:
        return {}
    sql = matching.loose_sql(_target(cls), cls._meta.table, field, BATCH, where)
    return _first_match(_run(cls, sql, texts))


def _synonyms(cls: Registry, field: str, texts: list[str], where: dict) -> dict[str, str]:
    if not texts or "synonyms" not in cls._meta.fields:
        return {}
    sql = matching.synonym_sql(_target(cls), cls._meta.table, field, "synonyms", BATCH, where)
    return _first_match(_run(cls, sql, texts))


def _first_match(rows: list[tuple]) -> dict[str, str]:
    found: dict[str, str] = {}
    for value, match in sorted(rows, key=lambda r: (r[0], len(r[1]), r[1])):
        found.setdefault(value, match)
    return found


# -- the three calls -------------------------------------------------------------------------
def validate(
    cls: Registry,
    values: Any,
    field: str | None = None,
    *,
    organism: Any = None,
    mute: bool = False,
):
    """One boolean per value: is it a value of ``field`` (exactly)?

    Examples:
        >>> import lakecat as lc
        >>> _ = lc.ULabel(name="valid one").save()
        >>> lc.ULabel.validate(["valid one", "nope", None]).tolist()
        [True, False, False]
    """
    import numpy as np

    items = _as_list(values)
    name = _field(cls, field)
    found = _exact(cls, name, _texts(items), _filters(cls, organism))
    result = np.array([not _missing(v) and str(v) in found for v in items], dtype=bool)
    if not mute:
        missing = len(_texts(items)) - len(found)
        if missing:
            logger.info(
                "%d of %d distinct values are not validated in %s.%s",
                missing,
                len(_texts(items)),
                cls.__name__,
                name,
            )
    return result


@dataclass
class InspectResult:
    """What :func:`inspect` found, value by value."""

    field: str
    validated: list[str] = field(default_factory=list)
    non_validated: list[str] = field(default_factory=list)
    #: value → canonical value, through synonyms
    synonyms_mapper: dict[str, str] = field(default_factory=dict)
    #: value → canonical value differing only in case or spaces
    case_mismatches: dict[str, str] = field(default_factory=dict)
    #: values found in the public source but not in the registry (create with from_values)
    in_public: list[str] = field(default_factory=list)
    #: values found nowhere (``suggestions`` gives near matches, computed when asked for)
    unknown: list[str] = field(default_factory=list)
    #: None / NaN / empty entries (positions)
    missing: list[int] = field(default_factory=list)
    registry: Any = None
    _suggestions: dict[str, list[str]] | None = None

    @property
    def suggestions(self) -> dict[str, list[str]]:
        """Unknown value → the registry's nearest values (the first 20 unknown values; one
        ranked search each, so only when asked for: by you or by the logged summary)."""
        if self._suggestions is None:
            self._suggestions = {
                v: _suggest(self.registry, v, self.field) for v in self.unknown[:SUGGESTED]
            }
        return self._suggestions

    @property
    def frac_validated(self) -> float:
        """Fraction of the distinct values that are validated."""
        total = len(self.validated) + len(self.non_validated)
        return len(self.validated) / total if total else 1.0

    def summary(self) -> str:
        """The report as lines of text."""
        total = len(self.validated) + len(self.non_validated)
        lines = [f"{len(self.validated)} of {total} distinct values are validated ({self.field})"]
        if self.synonyms_mapper:
            shown = _shown(f"{k!r} → {v!r}" for k, v in self.synonyms_mapper.items())
            lines.append(f"{len(self.synonyms_mapper)} are synonyms: {shown}; standardize()")
        if self.case_mismatches:
            shown = _shown(f"{k!r} → {v!r}" for k, v in self.case_mismatches.items())
            lines.append(f"{len(self.case_mismatches)} differ in case or spaces: {shown}")
        if self.in_public:
            lines.append(
                f"{len(self.in_public)} are in the public source, not yet in the "
                f"registry: {_shown(map(repr, self.in_public))}; create them with "
                f"from_values()"
            )
        if self.unknown:
            hints = [
                f"{v!r}"
                + (
                    f" (did you mean {self.suggestions[v][0]!r}?)"
                    if self.suggestions.get(v)
                    else ""
                )
                for v in self.unknown
            ]
            lines.append(f"{len(self.unknown)} are unknown: {_shown(hints)}")
        if self.missing:
            lines.append(f"{len(self.missing)} entries are empty (None/NaN/'')")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"InspectResult(\n  {self.summary().replace(chr(10), chr(10) + '  ')}\n)"


def _shown(items: Iterable[str], n: int = 10) -> str:
    items = list(items)
    return ", ".join(items[:n]) + (f", … ({len(items) - n} more)" if len(items) > n else "")


def inspect(
    cls: Registry,
    values: Any,
    field: str | None = None,
    *,
    organism: Any = None,
    mute: bool = False,
) -> InspectResult:
    """Which values are validated, and of the others: synonyms, case variants, values in
    the public source (bio registries), unknown ones with suggestions.

    Examples:
        >>> import lakecat as lc
        >>> _ = lc.ULabel(name="Inspected").save()
        >>> result = lc.ULabel.inspect(["Inspected", "inspected", "inspekted", None], mute=True)
        >>> result.validated, result.case_mismatches, result.unknown
        (['Inspected'], {'inspected': 'Inspected'}, ['inspekted'])
    """
    items = _as_list(values)
    name = _field(cls, field)
    where = _filters(cls, organism)
    texts = _texts(items)
    result = InspectResult(
        name, missing=[i for i, v in enumerate(items) if _missing(v)], registry=cls
    )
    found = _exact(cls, name, texts, where)
    result.validated = [t for t in texts if t in found]
    result.non_validated = [t for t in texts if t not in found]
    rest = result.non_validated
    result.synonyms_mapper = _synonyms(cls, name, rest, where)
    rest = [t for t in rest if t not in result.synonyms_mapper]
    loose = _loose(cls, name, rest, where)
    result.case_mismatches = {k: v for k, v in loose.items() if k != v}
    rest = [t for t in rest if t not in result.case_mismatches]
    public = getattr(cls, "_public_matches", None)
    if public is not None and rest:
        known = public(rest, name, organism)
        result.in_public = [t for t in rest if t in known]
        rest = [t for t in rest if t not in known]
    result.unknown = rest
    if not mute:
        logger.info("%s", result.summary())
    return result


def _suggest(cls: Registry, value: str, field: str) -> list[str]:
    try:
        return [getattr(r, field) for r in cls.search(value, limit=3)]
    except (ValidationError, FieldError):
        return []


def standardize(
    cls: Registry,
    values: Any,
    field: str | None = None,
    *,
    case_sensitive: bool = False,
    return_mapping: bool = False,
    organism: Any = None,
    mute: bool = False,
):
    """Values mapped to the registry's canonical ones (through synonyms, and case unless
    ``case_sensitive``); unknown values are kept and reported.

    Examples:
        >>> import lakecat as lc
        >>> _ = lc.ULabel(name="Standard").save()
        >>> lc.ULabel.standardize(["standard", "Standard", "other"], mute=True)
        ['Standard', 'Standard', 'other']
    """
    items = _as_list(values)
    name = _field(cls, field)
    where = _filters(cls, organism)
    texts = _texts(items)
    found = _exact(cls, name, texts, where)
    rest = [t for t in texts if t not in found]
    mapping = _synonyms(cls, name, rest, where)
    if not case_sensitive:
        rest = [t for t in rest if t not in mapping]
        mapping.update({k: v for k, v in _loose(cls, name, rest, where).items() if k != v})
    unknown = [t for t in rest if t not in mapping]
    if unknown and not mute:
        logger.warning(
            "%d values are not in %s.%s and were kept: %s",
            len(unknown),
            cls.__name__,
            name,
            _shown(map(repr, unknown)),
        )
    if return_mapping:
        return mapping
    return [mapping.get(str(v), v) if not _missing(v) else v for v in items]


# -- curating a registry ----------------------------------------------------------------------
def add_synonym(record: Any, synonym: str | list[str]) -> Any:
    """Add synonyms to a record (``|``-separated ``synonyms`` field) and save it."""
    if "synonyms" not in record._meta.fields:
        raise FieldError(f"{type(record).__name__} has no synonyms field.")
    new = [synonym] if isinstance(synonym, str) else list(synonym)
    for item in new:
        if not isinstance(item, str) or not item.strip() or "|" in item:
            raise ValidationError(f"A synonym is non-empty text without '|', got {item!r}.")
    existing = [s for s in (record.synonyms or "").split("|") if s]
    merged = existing + [s for s in new if s not in existing]
    record.synonyms = "|".join(merged)
    return record.save()


def set_abbr(record: Any, abbr: str) -> Any:
    """Set the record's abbreviation (and keep it among its synonyms) and save it."""
    if "abbr" not in record._meta.fields:
        raise FieldError(f"{type(record).__name__} has no abbr field.")
    record.abbr = abbr
    if "synonyms" in record._meta.fields:
        add_synonym(record, abbr)
    return record.save()
