"""The ``bio`` schema module: ontology registries (CellType, Tissue, Gene…).

``lakecat.bio.sources`` is its data layer: the public ontologies installed with
``lakecat[bio]``, offline, as standard Arrow tables.
"""
