"""The source model and the standard table schema of every entity kind.

Nothing here imports pyarrow at module level: the schemas are plain tuples of
``(column, type)`` and become Arrow schemas on demand (:func:`arrow_schema`).
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ...errors import ValidationError

if TYPE_CHECKING:
    import pyarrow as pa

#: Bump when a converter changes what it writes: every cached Parquet file is rebuilt.
TABLE_FORMAT = 1


@dataclass(frozen=True)
class SourceInfo:
    """One public (or user-supplied) source of records for a bio registry.

    Attributes:
        entity: the bio registry it feeds ("CellType", "Tissue", "Gene"…).
        name: short lower-case name of the source ("cl", "uberon", "icd10cm", "gencode"…).
        version: the source's own release ("2026-03-26", "3.90.0", "v48"…).
        organism: "all", or the organism it is for ("human", "mouse", "fly"…).
        url: where the data originally comes from.
        provider: what put it on this machine ("cellxgene-ontology-guide 1.11.1", "file …").
        current: the newest version of this entity/name/organism here.
        description: the source's full name.
        path: the local file the table is built from.
        format: how that file is read (a key of the reader table: "cellxgene-json", "obo",
            "owl", "csv", "tsv", "icd10cm", "icd10", "gencode-csv"; a bracket narrows
            a file to one id prefix, as in "cellxgene-json[ZFS]").

    Examples:
        >>> info = SourceInfo("CellType", "cl", "2026-03-26", current=True)
        >>> info.key
        'CellType/cl/all/2026-03-26'
        >>> info.to_dict()["organism"]
        'all'
    """

    entity: str
    name: str
    version: str
    organism: str = "all"
    url: str = ""
    provider: str = ""
    current: bool = False
    description: str = ""
    path: str = ""
    format: str = ""

    @property
    def key(self) -> str:
        """``entity/name/organism/version``: what identifies the source."""
        return f"{self.entity}/{self.name}/{self.organism}/{self.version}"

    def to_dict(self) -> dict[str, Any]:
        """The fields as a plain dict (for a ``Source`` record or JSON)."""
        return dataclasses.asdict(self)

    def replace(self, **changes: Any) -> SourceInfo:
        """A copy with some fields changed."""
        return dataclasses.replace(self, **changes)


@dataclass(frozen=True)
class EntitySchema:
    """The columns of one entity kind's table.

    ``key`` identifies a row (unique), ``name`` is the field a registry validates
    against, ``required`` must be non-empty in every row that is not deprecated
    (a deprecated row needs only its key).
    """

    kind: str
    columns: tuple[tuple[str, str], ...]
    key: str
    name: str
    required: tuple[str, ...]

    @property
    def names(self) -> tuple[str, ...]:
        """The column names, in order."""
        return tuple(column for column, _ in self.columns)

    @property
    def list_columns(self) -> tuple[str, ...]:
        """The ``list<string>`` columns."""
        return tuple(column for column, kind in self.columns if kind == "list")


_TEXT, _LIST, _BOOL = "string", "list", "bool"

ONTOLOGY = EntitySchema(
    kind="ontology",
    columns=(
        ("ontology_id", _TEXT),
        ("name", _TEXT),
        ("synonyms", _LIST),
        ("description", _TEXT),
        ("parents", _LIST),
        ("deprecated", _BOOL),
    ),
    key="ontology_id",
    name="name",
    required=("ontology_id", "name"),
)
ORGANISM = EntitySchema(
    kind="organism",
    columns=(
        ("ontology_id", _TEXT),
        ("name", _TEXT),
        ("scientific_name", _TEXT),
        ("synonyms", _LIST),
        ("description", _TEXT),
        ("parents", _LIST),
        ("deprecated", _BOOL),
    ),
    key="ontology_id",
    name="name",
    required=("ontology_id", "name"),
)
GENE = EntitySchema(
    kind="gene",
    columns=(
        ("ensembl_gene_id", _TEXT),
        ("symbol", _TEXT),
        ("biotype", _TEXT),
        ("ncbi_gene_ids", _LIST),
        ("synonyms", _LIST),
        ("description", _TEXT),
        ("deprecated", _BOOL),
    ),
    key="ensembl_gene_id",
    name="symbol",
    required=("ensembl_gene_id",),
)
PROTEIN = EntitySchema(
    kind="protein",
    columns=(
        ("uniprotkb_id", _TEXT),
        ("name", _TEXT),
        ("synonyms", _LIST),
        ("description", _TEXT),
        ("gene_symbol", _TEXT),
        ("deprecated", _BOOL),
    ),
    key="uniprotkb_id",
    name="name",
    required=("uniprotkb_id", "name"),
)
CELL_MARKER = EntitySchema(
    kind="cellmarker",
    columns=(
        ("name", _TEXT),
        ("synonyms", _LIST),
        ("description", _TEXT),
        ("gene_symbol", _TEXT),
        ("ncbi_gene_id", _TEXT),
        ("uniprotkb_id", _TEXT),
        ("deprecated", _BOOL),
    ),
    key="name",
    name="name",
    required=("name",),
)

#: Every bio registry and the schema of its source tables.
SCHEMAS: dict[str, EntitySchema] = {
    "CellType": ONTOLOGY,
    "Tissue": ONTOLOGY,
    "Disease": ONTOLOGY,
    "Phenotype": ONTOLOGY,
    "ExperimentalFactor": ONTOLOGY,
    "DevelopmentalStage": ONTOLOGY,
    "Ethnicity": ONTOLOGY,
    "CellLine": ONTOLOGY,
    "Compound": ONTOLOGY,
    "Pathway": ONTOLOGY,
    "Organism": ORGANISM,
    "Gene": GENE,
    "Protein": PROTEIN,
    "CellMarker": CELL_MARKER,
}


def schema_of(entity: str) -> EntitySchema:
    """The schema of ``entity``'s tables; an unknown entity raises with suggestions.

    Examples:
        >>> schema_of("Gene").key
        'ensembl_gene_id'
        >>> schema_of("CellType").names[:2]
        ('ontology_id', 'name')
    """
    try:
        return SCHEMAS[entity]
    except (KeyError, TypeError):
        import difflib

        close = difflib.get_close_matches(str(entity), list(SCHEMAS), n=3, cutoff=0.6)
        hint = f" Did you mean {' or '.join(map(repr, close))}?" if close else ""
        raise ValidationError(
            f"unknown bio entity {entity!r}; one of {', '.join(SCHEMAS)}.{hint}"
        ) from None


def arrow_schema(entity: str) -> pa.Schema:
    """The Arrow schema of ``entity``'s tables (string, list<string>, bool columns)."""
    import pyarrow as pa

    types = {_TEXT: pa.string(), _LIST: pa.list_(pa.string()), _BOOL: pa.bool_()}
    return pa.schema([(column, types[kind]) for column, kind in schema_of(entity).columns])


_NATURAL = re.compile(r"(\d+)")


def version_order(version: str) -> tuple:
    """A sort key that orders release names naturally ("3.9" < "3.10", "WS296" < "WS298").

    Examples:
        >>> sorted(["3.10.0", "3.9.0", "2025-01-02"], key=version_order)
        ['3.9.0', '3.10.0', '2025-01-02']
    """
    return tuple(
        (0, int(part), "") if part.isdigit() else (1, 0, part)
        for part in _NATURAL.split(version)
        if part
    )


def plain_version(version: str) -> str:
    """A release name without its leading "v" ("v2026-03-26" → "2026-03-26").

    Examples:
        >>> plain_version("v3.90.0"), plain_version("vWS298"), plain_version("55.0")
        ('3.90.0', 'WS298', '55.0')
    """
    return version[1:] if len(version) > 1 and version[0] in "vV" else version
