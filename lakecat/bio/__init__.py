"""``lakecat.bio``: registries for public biological ontologies, usable offline.

Enable it per instance: ``lc.init(storage=…, modules=["bio"])``, or later with
``lakecat schema add bio`` / ``instance.add_module("bio")``. The public terms come from
:mod:`lakecat.bio.sources` (offline; ``pip install 'lakecat[bio]'``).

Examples:
    >>> import lakecat.bio as bt
    >>> bt.CellType._meta.table, bt.Gene._meta.name_field
    ('cell_type', 'symbol')
"""

from __future__ import annotations

from .registries import (
    REGISTRIES,
    CellLine,
    CellMarker,
    CellType,
    Compound,
    DevelopmentalStage,
    Disease,
    Ethnicity,
    ExperimentalFactor,
    Gene,
    Organism,
    Pathway,
    Phenotype,
    Protein,
    Source,
    Tissue,
)

__all__ = [
    "REGISTRIES",
    "CellLine",
    "CellMarker",
    "CellType",
    "Compound",
    "DevelopmentalStage",
    "Disease",
    "Ethnicity",
    "ExperimentalFactor",
    "Gene",
    "Organism",
    "Pathway",
    "Phenotype",
    "Protein",
    "Source",
    "Tissue",
]
