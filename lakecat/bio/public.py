"""Public ontologies for the bio registries: browse, search, create records from, import.

The terms come from :mod:`lakecat.bio.sources` (installed packages and vendored tables,
read offline and cached as Parquet), one standard Arrow table per source. A registry's
default source is the current one for its entity (and organism); every source used is
recorded as a ``Source`` record with its version.
"""

from __future__ import annotations

import logging
from typing import Any

from ..core.catalog import registry_class
from ..core.lifecycle import state
from ..errors import NotFoundError, ValidationError

logger = logging.getLogger("lakecat")

#: Registry fields filled from a public table's columns of another name.
_RENAMED = {"Organism": {}, "Gene": {}, "Protein": {}}


# -- which source ---------------------------------------------------------------------------------
def _organism_name(organism: Any) -> str | None:
    if organism is None:
        return None
    return organism if isinstance(organism, str) else organism.name


def source_info(entity: str, source: Any = None, organism: Any = None):
    """The SourceInfo to use: ``source`` (a SourceInfo, a ``Source`` record, a source
    name such as ``"mondo"``), else the default one for the entity and organism.

    Raises:
        SourceNotFoundError: nothing installed matches (the message lists what exists).
    """
    from . import sources

    if isinstance(source, sources.SourceInfo):
        return source
    wanted = _organism_name(organism)
    if hasattr(source, "_meta"):  # a Source record
        if (source.provider or "").startswith("file"):
            return sources.from_file(
                source.url,
                entity=entity,
                name=source.name,
                version=source.version,
                organism=source.organism,
            )[0]
        return sources.get(
            entity,
            source.name,
            version=source.version,
            organism=None if source.organism == "all" else source.organism,
        )
    return sources.get(entity, source if isinstance(source, str) else None, organism=wanted)


def source_record(info: Any, n_terms: int | None = None):
    """The ``Source`` record for a SourceInfo (created the first time it is used)."""
    Source = registry_class("Source")

    existing = Source.filter(key=info.key).one_or_none()
    if existing is not None:
        return existing
    from_a_file = (info.provider or "").startswith("file")
    return Source(
        entity=info.entity,
        organism=info.organism,
        name=info.name,
        version=info.version,
        key=info.key,
        url=(info.path if from_a_file else info.url) or None,
        provider=info.provider or None,
        description=info.description or None,
        currently_used=True,
        n_terms=n_terms,
    ).save()


def current_source(entity: str, organism: Any = None):
    """The ``Source`` record of the current public source of ``entity``."""
    return source_record(source_info(entity, None, organism))


# -- the public table ------------------------------------------------------------------------------
class PublicOntology:
    """A source's terms: ``.df()``, ``.search(query)``, ``len()``; from ``Registry.public()``."""

    def __init__(self, registry: type, info: Any, table: Any) -> None:
        self.registry = registry
        self.info = info
        self.table = table
        self._con = None
        self._keys: dict[str, set[str]] = {}

    def __len__(self) -> int:
        return self.table.num_rows

    def __repr__(self) -> str:
        info = self.info
        return (
            f"PublicOntology({info.entity}: {info.name} {info.version}, "
            f"organism {info.organism}, {len(self)} terms)"
        )

    def df(self):
        """The terms as a pandas DataFrame."""
        return self.table.to_pandas()

    def to_polars(self):
        """The terms as a polars DataFrame (``lakecat[polars]``)."""
        import polars as pl

        return pl.from_arrow(self.table)

    def _repr_html_(self) -> str:
        return self.df().head(20)._repr_html_()

    def known(self, field: str, values: list[str]) -> set[str]:
        """Which ``values`` are a term's ``field`` or one of its synonyms, ignoring case and
        spaces (a set lookup per value; the normalised terms are built once)."""
        keys = self._keys.get(field)
        if keys is None:
            keys = self._keys[field] = _normalised(self.table, field)
        return {v for v in values if v.strip().lower() in keys}

    def _connection(self):
        if self._con is None:
            import duckdb
            import pyarrow as pa
            import pyarrow.compute as pc

            from catalog_sql.extensions import NO_DOWNLOADS

            table = self.table
            flat = {name: table.column(name) for name in table.column_names}
            for name, column in flat.items():
                if pa.types.is_list(column.type) or pa.types.is_large_list(column.type):
                    flat[name] = pc.binary_join(column, "|")
            flat["id"] = pa.array(range(table.num_rows), pa.int64())
            self._con = duckdb.connect(config=dict(NO_DOWNLOADS))
            self._con.register("public_terms", pa.table(flat))
        return self._con

    def search(self, query: str, *, field: str | list[str] | None = None, limit: int = 20):
        """Terms ranked like ``Registry.search`` (exact, prefix, word, substring, typo), as a
        pandas DataFrame with ``_tier`` and ``_score``."""
        from catalog_sql.compiler import Target
        from catalog_sql.model import Column, TableModel
        from catalog_sql.search import compile_search

        con = self._connection()
        names = [c for c in self.table.column_names]
        columns = {
            "id": Column("id", "int"),
            **{c: Column(c, "str") for c in names if c not in ("deprecated",)},
        }
        model = TableModel("public_terms", columns)
        name = _name_column(self.table)
        fields = (
            [field]
            if isinstance(field, str)
            else list(
                field or [c for c in (name, "synonyms", self.table.column_names[0]) if c in columns]
            )
        )
        compiled = compile_search(model, Target("duckdb"), query, fields, limit=limit)
        frame = con.execute(compiled.inline()).to_arrow_table().to_pandas()
        return frame.drop(columns=["id"])


def _normalised(table: Any, field: str) -> set[str]:
    """Every value of ``field`` (and every synonym), trimmed and lower-cased."""
    import pyarrow.compute as pc

    def norm(column):
        return set(pc.utf8_lower(pc.utf8_trim_whitespace(column)).drop_null().to_pylist())

    keys = norm(table.column(field))
    if "synonyms" in table.column_names:
        keys |= norm(pc.list_flatten(table.column("synonyms")))
    return keys


def _name_column(table: Any) -> str:
    return "symbol" if "symbol" in table.column_names else "name"


def _key_column(table: Any) -> str:
    return table.column_names[0]  # every standard schema starts with its key column


_LOADED: dict[tuple, PublicOntology] = {}


def public(cls: type, source: Any = None, organism: Any = None) -> PublicOntology:
    """The terms of ``cls``'s public source (``source`` or the current one); kept in
    memory for the process after the first use."""
    from . import sources

    info = source_info(cls.__name__, source, organism)
    key = (cls.__name__, info.key, info.path)
    if key not in _LOADED:
        if len(_LOADED) > 8:
            _LOADED.pop(next(iter(_LOADED)))
        _LOADED[key] = PublicOntology(cls, info, sources.load(info))
    return _LOADED[key]


# -- records from the public table ---------------------------------------------------------------
def _fields_for(cls: type, row: dict[str, Any]) -> dict[str, Any]:
    """The registry fields a public row fills (lists become ``|``-separated text)."""
    out = {}
    for column, value in row.items():
        if column in ("parents", "deprecated") or column not in cls._meta.fields:
            continue
        if isinstance(value, (list, tuple)):
            value = "|".join(str(v) for v in value) or None
        out[column] = value if value != "" else None
    return out


def _record(cls: type, row: dict[str, Any], source: Any, organism: Any):
    record = cls(**_fields_for(cls, row))
    record.__dict__["source_id"] = source.id
    if organism is not None and "organism" in cls._meta.fields:
        record.organism = organism
    state(record).public_parents = list(row.get("parents") or [])
    return record


#: The organisms every gene table names, so they need no NCBITaxon (1.2M terms) load.
COMMON_ORGANISMS = {
    "human": ("NCBITaxon:9606", "Homo sapiens"),
    "mouse": ("NCBITaxon:10090", "Mus musculus"),
    "rat": ("NCBITaxon:10116", "Rattus norvegicus"),
    "zebrafish": ("NCBITaxon:7955", "Danio rerio"),
    "fruit fly": ("NCBITaxon:7227", "Drosophila melanogaster"),
    "fly": ("NCBITaxon:7227", "Drosophila melanogaster"),
    "worm": ("NCBITaxon:6239", "Caenorhabditis elegans"),
}


def _organism_record(cls: type, organism: Any):
    """The Organism record for registries that have one (the common ones built in, any
    other from NCBITaxon)."""
    if organism is None or "organism" not in cls._meta.fields:
        return None
    Organism = registry_class("Organism")

    if isinstance(organism, Organism):
        return organism
    found = Organism.filter(name=organism).first()
    if found is not None:
        return found
    if organism in COMMON_ORGANISMS:
        ontology_id, scientific = COMMON_ORGANISMS[organism]
        known = Organism.filter(ontology_id=ontology_id).first()
        return known or Organism(name=organism, ontology_id=ontology_id,
                                 scientific_name=scientific).save()  # fmt: skip
    try:
        made = from_public(Organism, name=organism)
    except (NotFoundError, LookupError):
        return Organism(name=organism).save()
    return made.save()


def from_public(cls: type, *, source: Any = None, organism: Any = None, **lookups: Any):
    """An unsaved record of the public term whose field equals the value (``name=``,
    ``ontology_id=``…); its parents are linked on save."""
    if len(lookups) != 1:
        raise ValidationError("from_public() takes one lookup, e.g. name='T cell'.")
    ((field, value),) = lookups.items()
    ontology = public(cls, source, organism)
    rows = _matching_rows(ontology.table, field, [value])
    if value not in rows:
        hint = ontology.search(str(value), limit=3)
        near = list(hint[_name_column(ontology.table)]) if len(hint) else []
        raise NotFoundError(
            f"No {cls.__name__} with {field}={value!r} in "
            f"{ontology.info.name} {ontology.info.version}."
            + (f" Did you mean {', '.join(map(repr, near))}?" if near else "")
        )
    source_rec = source_record(ontology.info, len(ontology))
    return _record(cls, rows[value], source_rec, _organism_record(cls, organism))


def _matching_rows(table: Any, field: str, values: list[str]) -> dict[str, dict]:
    """value → the public row whose ``field`` equals it (then ignoring case, then by
    synonym), for the values found."""
    import pyarrow.compute as pc

    if field not in table.column_names:
        raise ValidationError(
            f"The public source has no column {field!r}; columns: {', '.join(table.column_names)}."
        )
    wanted = {str(v) for v in values}
    found: dict[str, dict] = {}
    column = table.column(field)
    exact = table.filter(pc.is_in(column, value_set=_array(wanted)))
    for row in exact.to_pylist():
        found.setdefault(str(row[field]), row)
    rest = {v.strip().lower(): v for v in wanted - set(found)}
    if rest:
        lowered = pc.utf8_lower(pc.utf8_trim_whitespace(column))
        loose = table.filter(pc.is_in(lowered, value_set=_array(rest)))
        for row in loose.to_pylist():
            found.setdefault(rest[str(row[field]).strip().lower()], row)
        rest = {k: v for k, v in rest.items() if v not in found}
    if rest and "synonyms" in table.column_names:
        for row in _synonym_rows(table, set(rest)):
            for synonym in row["synonyms"] or []:
                key = synonym.strip().lower()
                if key in rest:
                    found.setdefault(rest[key], row)
    return found


def _array(values):
    import pyarrow as pa

    return pa.array(sorted(values), pa.string())


def _synonym_rows(table: Any, lowered: set[str]) -> list[dict]:
    import pyarrow.compute as pc

    flat = pc.list_flatten(table.column("synonyms"))
    parents = pc.list_parent_indices(table.column("synonyms"))
    hits = pc.is_in(pc.utf8_lower(pc.utf8_trim_whitespace(flat)), value_set=_array(lowered))
    rows = sorted(set(pc.filter(parents, hits).to_pylist()))
    return table.take(rows).to_pylist() if rows else []


def public_matches(cls: type, values: list[str], field: str, organism: Any = None) -> set[str]:
    """Which ``values`` exist in the public source (for ``inspect``); empty when the
    registry has no installed source."""
    try:
        ontology = public(cls, None, organism)
    except NotFoundError:
        return set()
    column = field if field in ontology.table.column_names else _name_column(ontology.table)
    return ontology.known(column, values)


def from_values(
    cls: type,
    values: Any,
    field: str | None = None,
    *,
    source: Any = None,
    organism: Any = None,
    mute: bool = False,
) -> list:
    """Records for ``values`` of ``field``: existing ones (also through synonyms), else new,
    unsaved ones from the public source (names, case variants and synonyms map); values
    found nowhere are reported. Save the result with ``lc.save(records)``."""
    from ..core.validation import _as_list, _missing

    field = (
        field if isinstance(field, str) else getattr(field, "name", None) or (cls._meta.name_field)
    )
    texts = list(dict.fromkeys(str(v) for v in _as_list(values) if not _missing(v)))
    organism_rec = _organism_record(cls, organism)
    mapping = cls.standardize(
        texts,
        field,
        return_mapping=True,
        mute=True,
        **({"organism": organism_rec} if organism_rec else {}),
    )
    canonical = {t: mapping.get(t, t) for t in texts}
    existing = {
        getattr(r, field): r for r in cls.filter(**{f"{field}__in": list(set(canonical.values()))})
    }
    records = list(dict.fromkeys(existing[c] for c in canonical.values() if c in existing))
    rest = [t for t in texts if canonical[t] not in existing]
    if rest:
        try:
            ontology = public(cls, source, organism)
        except NotFoundError:
            ontology = None
        if ontology is not None:
            column = field if field in ontology.table.column_names else _name_column(ontology.table)
            rows = _matching_rows(ontology.table, column, rest)
            source_rec = source_record(ontology.info, len(ontology)) if rows else None
            made = {}
            for value in rest:
                row = rows.get(value)
                if row is not None and row[_key_column(ontology.table)] not in made:
                    made[row[_key_column(ontology.table)]] = _record(
                        cls, row, source_rec, organism_rec
                    )
            records += list(made.values())
            rest = [v for v in rest if v not in rows]
    if rest and not mute:
        logger.warning(
            "%d values are not in %s or its public source: %s",
            len(rest),
            cls.__name__,
            ", ".join(map(repr, rest[:10])),
        )
    return records


# -- bulk import ----------------------------------------------------------------------
def import_source(cls: type, source: Any = None, *, organism: Any = None, deprecated: bool = False):
    """Every term of a public source as records of ``cls`` (in one transaction, through
    Arrow), with their parents; terms already in the registry are kept (idempotent).
    ``source`` may be a path to an OBO/OWL/JSON/CSV file of your own. Returns the Source."""
    from ..core.writes import save
    from . import sources

    if isinstance(source, (str, bytes)) and _looks_like_path(source):
        info, table = sources.from_file(
            source, entity=cls.__name__, organism=_organism_name(organism) or "all"
        )
    else:
        info = source_info(cls.__name__, source, organism)
        table = sources.load(info)
    if not deprecated and "deprecated" in table.column_names:
        import pyarrow.compute as pc

        table = table.filter(pc.invert(pc.fill_null(table.column("deprecated"), False)))
    source_rec = source_record(info, table.num_rows)
    organism_rec = _organism_record(cls, organism)
    rows = table.to_pylist()
    records = [_record(cls, row, source_rec, organism_rec) for row in rows]
    for record in records:
        state(record).public_parents = None  # linked below, in bulk
    save(records)
    if "parents" in table.column_names and "parents" in cls._meta.m2m:
        _link_parents(cls, table)
    return source_rec


def _looks_like_path(text: Any) -> bool:
    import os

    text = os.fsdecode(text)
    return "://" in text or os.sep in text or os.path.splitext(text)[1] != ""


def _link_parents(cls: type, table: Any) -> None:
    """Parent links for every imported term whose parent is in the registry, through one
    Arrow batch joined with the registry (existing links are kept)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from ..instance import current

    key = _key_column(table)
    lengths = pc.list_value_length(table.column("parents")).fill_null(0)
    children = pc.take(table.column(key), pc.list_parent_indices(table.column("parents")))
    pairs = pa.table({"child": children, "parent": pc.list_flatten(table.column("parents"))})
    if not sum(lengths.to_pylist()):
        return
    from catalog_sql import statements

    m2m = cls._meta.m2m["parents"]
    backend = current().backend
    sql = statements.link_by_keys(
        backend.duck_target,
        m2m.through,
        m2m.source,
        m2m.target,
        cls._meta.table,
        cls._ontology_id_field,
        "_lc_pairs",
    )
    with backend.transaction():
        backend.duck_sql(sql, _lc_pairs=pairs)


def link_public_parents(record: Any) -> None:
    """After a record from ``from_public`` was inserted: link it to its parents that are
    in the registry, creating the missing ancestors from the same source first."""
    pending = state(record).public_parents
    state(record).public_parents = None
    if not pending or "parents" not in type(record)._meta.m2m:
        return
    cls = type(record)
    field = cls._ontology_id_field
    parents = cls.filter(**{f"{field}__in": pending}).list()
    missing = [p for p in pending if p not in {getattr(r, field) for r in parents}]
    if missing and record.source_id is not None and cls._save_ancestors:
        parents += _ancestors(cls, record, missing)
    if parents:
        record.parents.add(*parents)


def _ancestors(cls: type, record: Any, missing: list[str]) -> list:
    """Create the missing parents (and, through their own save, their parents)."""
    Source = registry_class("Source")

    source = Source.get(id=record.source_id)
    created = []
    for ontology_id in missing:
        try:
            parent = from_public(cls, source=source, **{cls._ontology_id_field: ontology_id})
        except (NotFoundError, ValidationError):
            continue
        created.append(parent.save())
    return created
