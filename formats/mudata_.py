"""MuData (multimodal AnnData) as ``.h5mu`` files.

``backed`` opens a local file as a MuData in backed mode (each modality's ``X`` stays on
disk). mudata's backed mode needs a local file name, so a remote ``.h5mu`` opens as a
read-only ``h5py.File`` over a block-cached fsspec file object instead (modalities under
``/mod/<name>``).
"""

from __future__ import annotations

from typing import Any

from formats._io import define, is_url, open_remote
from formats.base import accepts_types, require

_TYPES = ("mudata.MuData",)


def write_h5mu(mdata: Any, path: str) -> None:
    """Write a MuData to an ``.h5mu`` file."""
    require("mudata", "mudata").write_h5mu(path, mdata)


def load_h5mu(path: str) -> Any:
    """Load an ``.h5mu`` file into memory as a MuData."""
    return require("mudata", "mudata").read_h5mu(path)


def backed_h5mu(path: str, storage_options: dict) -> Any:
    """A backed MuData for a local path; a read-only ``h5py.File`` for a URL."""
    if is_url(path):
        h5py = require("h5py", "mudata")
        return h5py.File(open_remote(path, storage_options), "r")
    return require("mudata", "mudata").read_h5mu(path, backed="r")


H5MU = define(
    "h5mu",
    "MuData",
    (".h5mu",),
    accepts=accepts_types(*_TYPES),
    write=write_h5mu,
    load=load_h5mu,
    backed=backed_h5mu,
    extra="mudata",
    types=_TYPES,
)
