"""Plain HDF5 files (``.h5``, ``.hdf5``) as nested dicts of numpy arrays.

``write`` takes an open ``h5py.File`` (its content is copied) or a non-empty dict whose
values are numpy arrays or such dicts (sub-dicts become groups). ``load`` returns the
same shape: datasets as numpy arrays (variable-length strings as numpy ``str`` arrays),
groups as nested dicts. ``backed`` returns the file opened read-only with h5py; a URL is
read through a block-cached fsspec file object.

Examples:
    >>> import numpy as np
    >>> HDF5.write({"x": np.arange(3), "g": {"y": np.ones(2)}}, "arrays.h5")
    >>> HDF5.load("arrays.h5")
    {'g': {'y': array([1., 1.])}, 'x': array([0, 1, 2])}
"""

from __future__ import annotations

from typing import Any

from formats._io import define, is_url, open_remote
from formats.base import instance_of, require


def is_array_tree(obj: Any) -> bool:
    """Whether ``obj`` is a non-empty dict of numpy arrays or of such dicts.

    Examples:
        >>> import numpy as np
        >>> is_array_tree({"a": np.zeros(1), "b": {"c": np.ones(2)}}), is_array_tree({})
        (True, False)
    """
    if not isinstance(obj, dict) or not obj:
        return False
    return all(
        isinstance(key, str) and (instance_of(value, "numpy.ndarray") or is_array_tree(value))
        for key, value in obj.items()
    )


def accepts(obj: Any) -> bool:
    """An open ``h5py.File`` or a dict tree of numpy arrays."""
    return instance_of(obj, "h5py.File") or is_array_tree(obj)


def _write_tree(group: Any, tree: dict) -> None:
    h5py = require("h5py", "hdf5")
    for key, value in tree.items():
        if isinstance(value, dict):
            _write_tree(group.create_group(key), value)
        elif value.dtype.kind in "UO":
            group.create_dataset(key, data=value.astype(object), dtype=h5py.string_dtype())
        else:
            group.create_dataset(key, data=value)


def _copy_file(source: Any, target: Any) -> None:
    for key, value in source.attrs.items():
        target.attrs[key] = value
    for key in source:
        source.copy(source[key], target, name=key)


def write_hdf5(obj: Any, path: str) -> None:
    """Write a dict tree of numpy arrays, or copy an open ``h5py.File``, to ``path``."""
    h5py = require("h5py", "hdf5")
    with h5py.File(path, "w") as target:
        if isinstance(obj, dict):
            _write_tree(target, obj)
        else:
            _copy_file(obj, target)


def _read_dataset(dataset: Any) -> Any:
    h5py = require("h5py", "hdf5")
    if h5py.check_string_dtype(dataset.dtype) is None:
        return dataset[()]
    value = dataset.asstr()[()]
    return value.astype(str) if hasattr(value, "astype") else value


def _read_group(group: Any) -> dict[str, Any]:
    h5py = require("h5py", "hdf5")
    return {
        key: _read_group(item) if isinstance(item, h5py.Group) else _read_dataset(item)
        for key, item in group.items()
    }


def load_hdf5(path: str) -> dict[str, Any]:
    """Read every dataset into memory: a nested dict mirroring the groups."""
    with require("h5py", "hdf5").File(path, "r") as file:
        return _read_group(file)


def backed_hdf5(path: str, storage_options: dict) -> Any:
    """The file opened read-only as an ``h5py.File`` (local path or fsspec URL)."""
    h5py = require("h5py", "hdf5")
    source = open_remote(path, storage_options) if is_url(path) else path
    return h5py.File(source, "r")


HDF5 = define(
    "hdf5",
    "HDF5",
    (".h5", ".hdf5"),
    accepts=accepts,
    write=write_hdf5,
    load=load_hdf5,
    backed=backed_hdf5,
    extra="hdf5",
    types=("h5py.File", "dict of numpy arrays"),
)
