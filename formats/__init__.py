"""Bytes <-> objects, one module per format; knows nothing of the catalog.

The format adapters (parquet, AnnData, MuData, TileDB, HDF5) arrive with the Files
capability; this package holds the shared protocol.
"""
