"""From what a reader found to one table in the entity's standard schema.

Term readers (ontology JSON, OBO, OWL) return :class:`Terms`; a shaper per entity kind
turns them into columns. Table readers (CSV, TSV, gene tables) return Arrow tables that
:func:`conform` fits to the schema. :func:`clean` then drops the rows a registry could
not use (no key, no name, a repeated key) and says which they were.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ...errors import SourceError
from ._model import SCHEMAS, EntitySchema, arrow_schema, schema_of

if TYPE_CHECKING:
    import pyarrow as pa

#: Taxa whose usual common name becomes ``name`` (the label moves to ``scientific_name``)
#: when the ontology lists that name among the term's synonyms.
COMMON_NAMES = {
    "NCBITaxon:9606": "human",
    "NCBITaxon:10090": "mouse",
    "NCBITaxon:10116": "rat",
    "NCBITaxon:7955": "zebrafish",
    "NCBITaxon:7227": "fruit fly",
    "NCBITaxon:6239": "worm",
    "NCBITaxon:9544": "rhesus macaque",
    "NCBITaxon:9598": "chimpanzee",
    "NCBITaxon:9823": "pig",
    "NCBITaxon:9913": "cow",
    "NCBITaxon:9031": "chicken",
    "NCBITaxon:9615": "dog",
    "NCBITaxon:9685": "cat",
    "NCBITaxon:8355": "African clawed frog",
}

_SHOWN = 10  # how many skipped rows a report names


@dataclass
class Terms:
    """Ontology terms as parallel lists (one entry per term)."""

    ids: list[str | None] = field(default_factory=list)
    names: list[str | None] = field(default_factory=list)
    synonyms: list[list[str]] = field(default_factory=list)
    descriptions: list[str | None] = field(default_factory=list)
    parents: list[list[str]] = field(default_factory=list)
    deprecated: list[bool] = field(default_factory=list)

    def add(
        self,
        term_id: str | None,
        name: str | None,
        synonyms: list[str],
        description: str | None,
        parents: list[str],
        deprecated: bool,
    ) -> None:
        """Append one term (its synonyms once each, without its own name)."""
        self.ids.append(term_id)
        self.names.append(name)
        if synonyms:
            synonyms = list(dict.fromkeys(s for s in synonyms if s != name))
        self.synonyms.append(synonyms)
        self.descriptions.append(description)
        self.parents.append(parents)
        self.deprecated.append(deprecated)

    def __len__(self) -> int:
        return len(self.ids)


def text(value: Any) -> str | None:
    """A cell as text: ``None``, NaN and blank become ``None``.

    Examples:
        >>> text(" T cell "), text(float("nan")), text("  "), text(3)
        (' T cell ', None, None, '3')
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    value = value if isinstance(value, str) else str(value)
    return value if value.strip() else None


def texts(values: Any) -> list[str]:
    """A list cell as a list of non-blank strings (a single string becomes one item)."""
    if values is None:
        return []
    if isinstance(values, str):
        values = [values]
    return [t for t in (text(v) for v in values) if t is not None]


def is_obsolete_label(name: str | None) -> bool:
    """OBO's convention for a term that was retired: its label starts with "obsolete".

    Examples:
        >>> is_obsolete_label("obsolete native cell"), is_obsolete_label("T cell")
        (True, False)
    """
    return name is not None and name[:9].lower() == "obsolete "


def _ontology_columns(terms: Terms) -> dict[str, list]:
    return {
        "ontology_id": terms.ids,
        "name": terms.names,
        "synonyms": terms.synonyms,
        "description": terms.descriptions,
        "parents": terms.parents,
        "deprecated": terms.deprecated,
    }


def _organism_columns(terms: Terms) -> dict[str, list]:
    names, synonyms = [], []
    for term_id, label, alternatives in zip(terms.ids, terms.names, terms.synonyms):
        common = COMMON_NAMES.get(term_id or "")
        if common and common in alternatives:
            names.append(common)
            synonyms.append([s for s in alternatives if s != common])
        else:
            names.append(label)
            synonyms.append(alternatives)
    columns = _ontology_columns(terms)
    return {**columns, "name": names, "scientific_name": terms.names, "synonyms": synonyms}


def _protein_columns(terms: Terms) -> dict[str, list]:
    ids = [t.split(":", 1)[1] if t and t.lower().startswith("uniprot:") else t for t in terms.ids]
    return {
        "uniprotkb_id": ids,
        "name": terms.names,
        "synonyms": terms.synonyms,
        "description": terms.descriptions,
        "gene_symbol": [None] * len(terms),
        "deprecated": terms.deprecated,
    }


_SHAPERS: dict[str, Callable[[Terms], dict[str, list]]] = {
    "ontology": _ontology_columns,
    "organism": _organism_columns,
    "protein": _protein_columns,
}


def terms_table(terms: Terms, entity: str, *, origin: str) -> pa.Table:
    """``terms`` as a table in ``entity``'s schema.

    Raises:
        SourceError: ``entity`` takes tables (Gene, CellMarker), not ontology terms.
    """
    import pyarrow as pa

    kind = schema_of(entity).kind
    if kind not in _SHAPERS:
        raise SourceError(
            f"{origin}: {entity} sources are tables (CSV or TSV with the columns "
            f"{', '.join(schema_of(entity).names)}), not ontology terms.",
            path=origin,
        )
    return pa.table(_SHAPERS[kind](terms), schema=arrow_schema(entity))


def _empty_column(kind: str, rows: int) -> pa.Array:
    import pyarrow as pa

    if kind == "list":
        return pa.array([[] for _ in range(rows)], pa.list_(pa.string()))
    if kind == "bool":
        return pa.array([False] * rows, pa.bool_())
    return pa.nulls(rows, pa.string())


def _split_list(column: pa.ChunkedArray, separator: str) -> pa.Array:
    """A text column of ``a|b|c`` cells as ``list<string>`` (blank items dropped)."""
    import pyarrow as pa

    values = column.to_pylist()
    return pa.array(
        [[] if v is None else texts(v.split(separator)) for v in values], pa.list_(pa.string())
    )


def _as_bool(column: pa.ChunkedArray, origin: str) -> pa.Array:
    import pyarrow as pa

    truth = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}
    out = []
    for row, value in enumerate(column.to_pylist()):
        if value is None:
            out.append(False)
        elif isinstance(value, bool):
            out.append(value)
        elif str(value).strip().lower() in truth:
            out.append(truth[str(value).strip().lower()])
        else:
            raise SourceError(
                f"{origin}, line {row + 2}: 'deprecated' must be true or false, got {value!r}.",
                path=origin,
                line=row + 2,
            )
    return pa.array(out, pa.bool_())


def conform(table: pa.Table, entity: str, *, origin: str, separator: str = "|") -> pa.Table:
    """A text table (CSV-like: every cell a string) in ``entity``'s schema: list columns
    are split on ``separator``, missing optional columns are empty, extra ones dropped.

    Raises:
        SourceError: a required column is missing.
    """
    import pyarrow as pa

    schema = schema_of(entity)
    missing = [c for c in schema.required if c not in table.column_names]
    if missing:
        raise SourceError(
            f"{origin}: a {entity} source needs the column(s) {', '.join(missing)}; "
            f"found {', '.join(table.column_names) or 'none'}.",
            path=origin,
        )
    arrays = []
    for column, kind in schema.columns:
        if column not in table.column_names:
            arrays.append(_empty_column(kind, table.num_rows))
        elif kind == "list":
            arrays.append(_split_list(table[column], separator))
        elif kind == "bool":
            arrays.append(_as_bool(table[column], origin))
        else:
            arrays.append(table[column].cast(pa.string()))
    return pa.table(arrays, schema=arrow_schema(entity))


def _where(locate: Callable[[int], str] | None, table: pa.Table, key: str, row: int) -> str:
    if locate is not None:
        return locate(row)
    value = table[key][row].as_py()
    return f"entry {value!r}" if value is not None else f"row {row + 1}"


def _incomplete(table: pa.Table, schema: EntitySchema) -> list[tuple[int, str]]:
    """(row, column) of each row missing its key, or a required value while live."""
    import pyarrow.compute as pc

    def blank(column: str) -> pa.ChunkedArray:
        values = table[column]
        return pc.or_kleene(pc.is_null(values), pc.equal(pc.utf8_trim_whitespace(values), ""))

    found: dict[int, str] = {}
    live = pc.invert(table["deprecated"])
    for column in schema.required:
        missing = blank(column)
        if column != schema.key:
            missing = pc.and_(missing, live)
        for row in pc.indices_nonzero(pc.fill_null(missing, True)).to_pylist():
            found.setdefault(row, column)
    return sorted(found.items())


def _repeated(table: pa.Table, key: str, skip: set[int]) -> list[int]:
    """Rows whose key already appeared in an earlier row (the first one is kept)."""
    import pyarrow.compute as pc

    values = table[key]
    if pc.count_distinct(values).as_py() == pc.count(values).as_py():
        return []  # the usual case, without a Python loop over every key
    seen: set[str] = set()
    repeated = []
    for row, value in enumerate(values.to_pylist()):
        if value is None or row in skip:
            continue
        if value in seen:
            repeated.append(row)
        seen.add(value)
    return repeated


def clean(
    table: pa.Table,
    entity: str,
    *,
    origin: str,
    locate: Callable[[int], str] | None = None,
) -> tuple[pa.Table, list[str]]:
    """``table`` without the rows a registry cannot import, and one line per problem.

    A row is dropped when its key is empty, when it is not deprecated and a required
    value (its name) is empty, None or NaN, or when its key repeats an earlier row's.

    Examples:
        >>> import pyarrow as pa
        >>> raw = pa.table({"ontology_id": ["X:1", "X:2", "X:1"], "name": ["a", None, "c"]})
        >>> table, problems = clean(conform(raw, "CellType", origin="f.csv"), "CellType",
        ...                         origin="f.csv", locate=lambda row: f"line {row + 2}")
        >>> table["name"].to_pylist(), problems
        (['a'], ['line 3: no name', "line 4: ontology_id 'X:1' repeats an earlier row"])
    """
    import pyarrow as pa

    schema = SCHEMAS[entity]
    incomplete = _incomplete(table, schema)
    skip = {row for row, _ in incomplete}
    repeated = _repeated(table, schema.key, skip)
    problems = [f"{_where(locate, table, schema.key, r)}: no {c}" for r, c in incomplete]
    problems += [
        f"{_where(locate, table, schema.key, r)}: {schema.key} "
        f"{table[schema.key][r].as_py()!r} repeats an earlier row"
        for r in repeated
    ]
    dropped = skip | set(repeated)
    if not dropped:
        return table, []
    keep = [row for row in range(table.num_rows) if row not in dropped]
    return table.take(pa.array(keep, pa.int64())), sorted(problems, key=_line_order)


def _line_order(problem: str) -> tuple:
    head = problem.split(":", 1)[0].split()
    return (0, int(head[-1])) if head and head[-1].isdigit() else (1, problem)


def summarize(problems: list[str], origin: str) -> str:
    """One message for a report's problems (the first few named)."""
    shown = "; ".join(problems[:_SHOWN])
    more = f"; and {len(problems) - _SHOWN} more" if len(problems) > _SHOWN else ""
    return f"{origin}: skipped {len(problems)} row(s) a registry cannot use: {shown}{more}"
