"""AnnData as ``.h5ad`` (a file, the default) and ``.zarr`` (a folder).

``backed`` never reads the matrices: an ``.h5ad`` opens as an AnnData in backed mode
(``X`` stays on disk, read-only), an ``.zarr`` store opens as a read-only zarr group.
Remote ``.h5ad`` files are read through a block-cached fsspec file object and remote
zarr stores through an fsspec store, so only the blocks touched are downloaded.
"""

from __future__ import annotations

from typing import Any

from formats._io import define, is_url, open_remote
from formats.base import accepts_types, require

_TYPES = ("anndata.AnnData",)


def write_h5ad(adata: Any, path: str) -> None:
    """Write an AnnData to an ``.h5ad`` file."""
    require("h5py", "anndata")
    adata.write_h5ad(path)


def load_h5ad(path: str) -> Any:
    """Load an ``.h5ad`` file into memory as an AnnData."""
    return require("anndata", "anndata").read_h5ad(path)


def backed_h5ad(path: str, storage_options: dict) -> Any:
    """An AnnData in backed mode ``"r"`` over a local path or fsspec URL."""
    anndata = require("anndata", "anndata")
    source = open_remote(path, storage_options) if is_url(path) else path
    return anndata.read_h5ad(source, backed="r")


def write_zarr(adata: Any, path: str) -> None:
    """Write an AnnData to a ``.zarr`` folder."""
    require("zarr", "anndata")
    adata.write_zarr(path)


def load_zarr(path: str) -> Any:
    """Load a ``.zarr`` AnnData store into memory."""
    return require("anndata", "anndata").read_zarr(path)


def backed_zarr(path: str, storage_options: dict) -> Any:
    """The store as a read-only ``zarr.Group`` (lazy: arrays are read on indexing)."""
    zarr = require("zarr", "anndata")
    if is_url(path):
        require("fsspec", "s3")
        return zarr.open_group(path, mode="r", storage_options=storage_options)
    return zarr.open_group(path, mode="r")


H5AD = define(
    "h5ad",
    "AnnData",
    (".h5ad",),
    accepts=accepts_types(*_TYPES),
    write=write_h5ad,
    load=load_h5ad,
    backed=backed_h5ad,
    extra="anndata",
    types=_TYPES,
)

ZARR = define(
    "zarr",
    "AnnData",
    (".zarr",),
    accepts=accepts_types(*_TYPES),
    write=write_zarr,
    load=load_zarr,
    backed=backed_zarr,
    extra="anndata",
    is_folder=True,
    types=_TYPES,
)
