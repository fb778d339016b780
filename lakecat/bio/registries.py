"""The ``bio`` registries: ontology entities, genes, proteins, organisms and sources.

Built only with the public record machinery (``lakecat.Record`` and its fields), the way
any schema plug-in is: defining the classes registers them, and the module's migration
(``lakecat/bio/migrations``) creates their tables when an instance adds the module.
Fields follow bionty's: ``name``, ``ontology_id``, ``abbr``, ``synonyms`` (``|``-separated),
``description``, ``parents``/``children``, ``source``, plus entity-specific ones.
Every registry links to Files and Datasets as typed labels, each link naming the
Feature it annotates (``file.cell_types``; ``lc.File.filter(cell_types__name="T cell")``).
"""

from __future__ import annotations

from ..core.fields import BooleanField, CharField, ForeignKey, IntegerField, ManyToMany, TextField
from ..core.record import Record
from .behaviour import BioRecordMixin, SourceMixin

ONTOLOGY_SEARCH = ("name", "synonyms", "ontology_id", "abbr")


def _parents(cls: str, table: str) -> ManyToMany:
    return ManyToMany(
        cls,
        through=f"{table}_parent",
        source="child_id",
        target="parent_id",
        related_name="children",
    )


def _files(table: str, plural: str) -> ManyToMany:
    return ManyToMany(
        "File",
        through=f"file_{table}",
        source=f"{table}_id",
        target="file_id",
        related_name=plural,
        extra={"feature_id": "int"},
    )


def _datasets(table: str, plural: str) -> ManyToMany:
    return ManyToMany(
        "Dataset",
        through=f"dataset_{table}",
        source=f"{table}_id",
        target="dataset_id",
        related_name=plural,
        extra={"feature_id": "int"},
    )


class Source(
    SourceMixin,
    Record,
    uid_length=8,
    name_field="name",
    search_fields=("name", "entity", "description"),
):
    """Where a registry's public terms come from: an ontology, a version, an organism."""

    entity = CharField(null=False)
    organism = CharField(null=False)
    name = CharField(null=False)
    version = CharField(null=False)
    key = CharField(unique=True, null=False)  # entity/organism/name/version
    url = TextField()
    provider = TextField()
    description = TextField()
    currently_used = BooleanField()
    n_terms = IntegerField()


class Organism(
    BioRecordMixin,
    Record,
    uid_length=6,
    name_field="name",
    search_fields=("name", "scientific_name", "synonyms", "ontology_id"),
    dedupe_field="ontology_id",
):
    """An organism (NCBITaxon): ``name`` is the common name (``human``)."""

    _save_ancestors = False

    name = CharField(null=False, index=True)
    ontology_id = CharField(unique=True)
    scientific_name = CharField(index=True)
    synonyms = TextField()
    description = TextField()
    source = ForeignKey("Source", related_name="organisms")
    parents = _parents("Organism", "organism")
    files = _files("organism", "organisms")
    datasets = _datasets("organism", "organisms")


class Gene(
    BioRecordMixin,
    Record,
    uid_length=12,
    name_field="symbol",
    search_fields=("symbol", "synonyms", "ensembl_gene_id", "description"),
    dedupe_field="ensembl_gene_id",
):
    """A gene (GENCODE/Ensembl): ``symbol`` is not unique, ``ensembl_gene_id`` is."""

    _ontology_id_field = "ensembl_gene_id"
    symbol = CharField(index=True)  # GENCODE has genes named only by their id
    stable_id = CharField()
    ensembl_gene_id = CharField(unique=True)
    ncbi_gene_ids = TextField()
    biotype = CharField()
    synonyms = TextField()
    description = TextField()
    organism = ForeignKey("Organism", related_name="genes")
    source = ForeignKey("Source", related_name="genes")
    files = _files("gene", "genes")
    datasets = _datasets("gene", "genes")


class Protein(
    BioRecordMixin,
    Record,
    uid_length=12,
    name_field="name",
    search_fields=("name", "synonyms", "uniprotkb_id", "gene_symbol"),
    dedupe_field="uniprotkb_id",
):
    """A protein (UniProt)."""

    _ontology_id_field = "uniprotkb_id"
    name = CharField(null=False, index=True)
    uniprotkb_id = CharField(unique=True)
    synonyms = TextField()
    length = IntegerField()
    gene_symbol = CharField()
    ensembl_gene_ids = TextField()
    description = TextField()
    organism = ForeignKey("Organism", related_name="proteins")
    source = ForeignKey("Source", related_name="proteins")
    files = _files("protein", "proteins")
    datasets = _datasets("protein", "proteins")


class CellMarker(
    BioRecordMixin,
    Record,
    uid_length=12,
    name_field="name",
    search_fields=("name", "synonyms", "gene_symbol"),
    dedupe_field="name",
):
    """A cell marker (no offline public source: bring a file with ``import_source``)."""

    _ontology_id_field = "name"
    name = CharField(null=False, unique=True)
    ontology_id = CharField(unique=True)
    synonyms = TextField()
    gene_symbol = CharField()
    ncbi_gene_id = CharField()
    uniprotkb_id = CharField()
    description = TextField()
    organism = ForeignKey("Organism", related_name="cell_markers")
    source = ForeignKey("Source", related_name="cell_markers")
    files = _files("cell_marker", "cell_markers")
    datasets = _datasets("cell_marker", "cell_markers")


def _ontology_entity(doc: str, table: str, plural: str, cls: str) -> dict:
    """The fields every ontology registry has (name, ontology_id, abbr, synonyms …)."""
    return {
        "__doc__": doc,
        "name": CharField(null=False, index=True),
        "ontology_id": CharField(unique=True),
        "abbr": CharField(unique=True),
        "synonyms": TextField(),
        "description": TextField(),
        "source": ForeignKey("Source", related_name=plural),
        "parents": _parents(cls, table),
        "files": _files(table, plural),
        "datasets": _datasets(table, plural),
    }


def _define(cls: str, table: str, plural: str, doc: str, uid_length: int = 8) -> type:
    attrs = {
        "__module__": __name__,
        "__qualname__": cls,
        **_ontology_entity(doc, table, plural, cls),
    }
    return type(
        cls,
        (BioRecordMixin, Record),
        attrs,
        uid_length=uid_length,
        name_field="name",
        search_fields=ONTOLOGY_SEARCH,
        table=table,
        dedupe_field="ontology_id",
    )


CellType = _define("CellType", "cell_type", "cell_types", "A cell type (Cell Ontology, CL).")
CellLine = _define("CellLine", "cell_line", "cell_lines", "A cell line (Cellosaurus).")
Tissue = _define(
    "Tissue",
    "tissue",
    "tissues",
    "A tissue or anatomical entity (UBERON; FBbt, WBbt, ZFA per organism).",
)
Disease = _define("Disease", "disease", "diseases", "A disease (MONDO; ICD-10-CM, ICD-10).")
Phenotype = _define("Phenotype", "phenotype", "phenotypes", "A phenotype (HPO; PATO).")
Pathway = _define(
    "Pathway",
    "pathway",
    "pathways",
    "A pathway (no offline public source: bring a GO/other ontology file).",
)
ExperimentalFactor = _define(
    "ExperimentalFactor",
    "experimental_factor",
    "experimental_factors",
    "An experimental factor (EFO).",
)
DevelopmentalStage = _define(
    "DevelopmentalStage",
    "developmental_stage",
    "developmental_stages",
    "A developmental stage (HsapDv, MmusDv, FBdv, WBls, ZFS).",
)
Ethnicity = _define("Ethnicity", "ethnicity", "ethnicities", "An ancestry group (HANCESTRO).")
Compound = _define("Compound", "compound", "compounds", "A chemical compound (ChEBI).")

REGISTRIES = (
    Source,
    Organism,
    Gene,
    Protein,
    CellMarker,
    CellType,
    CellLine,
    Tissue,
    Disease,
    Phenotype,
    Pathway,
    ExperimentalFactor,
    DevelopmentalStage,
    Ethnicity,
    Compound,
)
