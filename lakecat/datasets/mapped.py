"""``Dataset.mapped()``: observations of a collection of AnnData files as one map-style
dataset, read from the files on disk (nothing is loaded up front).

A :class:`MappedDataset` has ``len``, ``m[i]`` (a dict: ``X`` row, one integer code per
obs key, ``_file``), ``m.__getitems__(indices)`` (a list of such dicts, as a PyTorch
``DataLoader`` asks for a batch) and ``m.batch(indices)`` (one dict of stacked arrays,
the fastest). Files are opened lazily in each process (after a fork or in a
``DataLoader`` worker they are reopened), so the object pickles without handles.

The *plan* — rows per file, the var join and each obs key's codes — is computed once per
dataset version, join, layer and obs keys, and kept in the local cache next to staged
blobs (``~/.lakecat/cache/mapped``); the next ``mapped()`` reads it instead of the files'
metadata.
"""

from __future__ import annotations

import hashlib
import json
import os
from bisect import bisect_right
from pathlib import Path
from typing import Any

from ..errors import ValidationError

JOINS = ("inner", "outer", None)


class NoCommonVariablesError(ValidationError):
    """``join="inner"`` over files that share no var names."""


class Plan:
    """What ``mapped()`` needs to know about the files, computed once (see module doc)."""

    def __init__(self, n_obs, widths, var_names, columns, codes, encoders, values) -> None:
        self.n_obs = n_obs  # rows per file
        self.widths = widths  # var names per file
        self.var_names = var_names  # joined var names
        self.columns = columns  # per file: (src, dest) column positions
        self.codes = codes  # obs key -> per file int32 codes (collection-wide)
        self.encoders = encoders  # obs key -> [category, ...]
        self.values = values  # obs key -> per file numeric values (no encoder)

    @classmethod
    def build(cls, paths: list[str], obs_keys: list[str], join: str | None, layer):
        """Read the files' var names, sizes and obs keys (metadata only)."""
        from formats.anndata_rows import open_rows

        readers = [_opened(open_rows, p) for p in paths]
        try:
            for reader in readers:
                _checked(reader.kind, layer)
            n_obs = [reader.n_obs for reader in readers]
            var_lists = [reader.var_names() for reader in readers]
            var_names, columns = _join(var_lists, join, paths)
            codes, encoders, values = _encode(readers, obs_keys)
        finally:
            for reader in readers:
                reader.close()
        widths = [len(names) for names in var_lists]
        return cls(n_obs, widths, var_names, columns, codes, encoders, values)

    def save(self, path: Path) -> None:
        """Keep the plan as an ``.npz`` (written whole, then renamed into place)."""
        import numpy as np

        arrays: dict[str, Any] = {"n_obs": np.asarray(self.n_obs, dtype=np.int64)}
        arrays["widths"] = np.asarray(self.widths, dtype=np.int64)
        arrays["var_names"] = np.asarray(self.var_names, dtype=str)
        for k, (src, dest) in enumerate(self.columns):
            arrays[f"src{k}"], arrays[f"dest{k}"] = src, dest
        for key, per_file in {**self.codes, **self.values}.items():
            for k, array in enumerate(per_file):
                arrays[f"obs{k}:{key}"] = array
        meta = {"encoders": self.encoders, "coded": list(self.codes), "valued": list(self.values)}
        arrays["meta"] = np.asarray(json.dumps(meta))
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{os.getpid()}.{path.name}")
        with open(tmp, "wb") as out:
            np.savez(out, **arrays)
        os.replace(tmp, path)

    @classmethod
    def load(cls, path: Path) -> Plan | None:
        """The plan kept at ``path``, or None if there is none (or it is unreadable)."""
        import numpy as np

        try:
            with np.load(path, allow_pickle=False) as data:
                arrays = {name: data[name] for name in data.files}
            meta = json.loads(str(arrays["meta"]))
            files = range(len(arrays["n_obs"]))
            columns = [(arrays[f"src{k}"], arrays[f"dest{k}"]) for k in files]
            codes = {key: [arrays[f"obs{k}:{key}"] for k in files] for key in meta["coded"]}
            values = {key: [arrays[f"obs{k}:{key}"] for k in files] for key in meta["valued"]}
            return cls([int(n) for n in arrays["n_obs"]], [int(n) for n in arrays["widths"]],
                       [str(v) for v in arrays["var_names"]], columns, codes,
                       meta["encoders"], values)  # fmt: skip
        except Exception:  # noqa: BLE001 - a damaged cache is recomputed, never trusted
            return None


def plan_key(hashes: list[str], obs_keys: list[str], join: str | None, layer) -> str:
    """The cache name of a plan: the files' hashes in order and the options.

    Examples:
        >>> plan_key(["a", "b"], ["cell_type"], "inner", None)[:12]
        'a37f018e784b'
    """
    text = json.dumps([hashes, obs_keys, join, layer])
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def _opened(open_rows, path: str):
    from formats.base import FormatError

    try:
        return open_rows(path)
    except FormatError as err:
        raise ValidationError(f"mapped(): {err}.") from None


def _checked(call, *args):
    from formats.base import FormatError

    try:
        return call(*args)
    except FormatError as err:
        raise ValidationError(f"mapped(): {err}.") from None


def _join(var_lists: list[list[str]], join: str | None, paths: list[str]):
    """(joined var names, per file (src, dest)), in the order ``anndata.concat`` gives
    (an intersection in the first file's order, a union sorted), so ``mapped()`` rows and
    ``load()`` agree column for column."""
    from functools import reduce

    import numpy as np
    import pandas as pd

    first = var_lists[0]
    if join is None:
        for path, names in zip(paths, var_lists):
            if names != first:
                raise ValidationError(
                    f"mapped(join=None) needs the same var names in every file; {path} "
                    f"differs from {paths[0]}. Pass join='inner' (common names) or 'outer'."
                )
        joined = first
    elif join == "inner":
        joined = list(reduce(pd.Index.intersection, (pd.Index(v) for v in var_lists)))
        if not joined:
            raise NoCommonVariablesError(
                f"join='inner': the {len(paths)} files share no var names (e.g. "
                f"{first[:2]} in {paths[0]}); use join='outer' or check the var index."
            )
    else:
        joined = list(reduce(pd.Index.union, (pd.Index(v) for v in var_lists)))
    position = {name: k for k, name in enumerate(joined)}
    columns = []
    for names in var_lists:
        pairs = [(k, position[n]) for k, n in enumerate(names) if n in position]
        src = np.asarray([p[0] for p in pairs], dtype=np.int64)
        dest = np.asarray([p[1] for p in pairs], dtype=np.int64)
        columns.append((src, dest))
    return joined, columns


def _encode(readers, obs_keys: list[str]):
    """Codes stable across the collection: categories are the sorted union of every
    file's labels; numeric columns are kept as values."""
    import numpy as np

    codes, encoders, values = {}, {}, {}
    for key in obs_keys:
        columns = [_checked(reader.obs_column, key) for reader in readers]
        if all(categories is None for _, categories in columns):
            values[key] = [np.asarray(v) for v, _ in columns]
            continue
        if any(categories is None for _, categories in columns):
            raise ValidationError(
                f"mapped(): obs column {key!r} is categorical in some files and numeric in "
                f"others; give it one type in every file."
            )
        labels = sorted(set().union(*(categories for _, categories in columns)))
        index = {label: k for k, label in enumerate(labels)}
        per_file = []
        for file_codes, categories in columns:
            lookup = np.asarray([index[c] for c in categories] + [-1], dtype=np.int32)
            per_file.append(lookup[np.where(file_codes < 0, len(categories), file_codes)])
        codes[key], encoders[key] = per_file, labels
    return codes, encoders, values


class MappedDataset:
    """A collection's observations, by index (see the module docstring).

    Args:
        paths: local paths of the files, in the dataset's order.
        plan: their :class:`Plan`.
        obs_keys: obs columns returned with each row.
        layer: ``None`` for ``X``, else a layer name.
        dtype: the dtype of returned rows.
    """

    def __init__(self, paths: list[str], plan: Plan, *, obs_keys, layer, dtype) -> None:
        import numpy as np

        self.paths = paths
        self.plan = plan
        self.obs_keys = list(obs_keys)
        self.layer = layer
        self.dtype = np.dtype(dtype)
        self.offsets = np.concatenate([[0], np.cumsum(plan.n_obs)]).astype(np.int64)
        self._starts = self.offsets.tolist()  # for bisect: a single row needs no numpy call
        width = len(plan.var_names)
        per_file = list(zip(plan.columns, plan.widths))
        self._maps = [_column_map(src, dest, n) for (src, dest), n in per_file]
        self._whole = [(_identity(src, n), _identity(dest, width)) for (src, dest), n in per_file]
        self._readers: dict[int, Any] = {}
        self._pid = os.getpid()

    # -- the map-style dataset protocol --------------------------------------------------
    def __len__(self) -> int:
        return int(self.offsets[-1])

    def __getitem__(self, index: int) -> dict[str, Any]:
        import numpy as np

        n = len(self)
        if not isinstance(index, (int, np.integer)) or isinstance(index, bool):
            raise TypeError(f"an observation index is an integer, got {type(index).__name__}")
        if not -n <= index < n:
            raise IndexError(f"index {index} is out of range for {n} observations")
        i = int(index) % n
        k = bisect_right(self._starts, i) - 1
        local = i - self._starts[k]
        kind, data = self._reader(k).read_row(local, self.layer)
        src, dest = self.plan.columns[k]
        all_src, all_dest = self._whole[k]
        out = np.zeros(len(self.plan.var_names), dtype=self.dtype)
        if kind == "dense":
            values = data if all_src else data[src]
            if all_dest:
                out[:] = values
            else:
                out[dest] = values
        else:
            cols, values = data
            target = self._maps[k][cols]
            if not all_src:
                keep = target >= 0
                target, values = target[keep], values[keep]
            out[target] = values
        result: dict[str, Any] = {"X": out}
        for key in self.obs_keys:
            source = self.plan.codes.get(key) or self.plan.values[key]
            result[key] = source[k][local]
        result["_file"] = k
        return result

    def __getitems__(self, indices) -> list[dict[str, Any]]:
        """Rows ``indices`` as a list of dicts (what a PyTorch DataLoader collates)."""
        batch = self.batch(indices)
        keys = list(batch)
        columns = [batch[k] for k in keys]
        return [dict(zip(keys, row)) for row in zip(*columns)]

    def batch(self, indices) -> dict[str, Any]:
        """Rows ``indices`` stacked: ``{"X": (n, n_vars) array, key: codes, "_file": …}``."""
        import numpy as np

        where = self._positions(indices)
        files = np.searchsorted(self.offsets, where, side="right") - 1
        out = np.zeros((len(where), len(self.plan.var_names)), dtype=self.dtype)
        result: dict[str, Any] = {"X": out}
        for key in self.obs_keys:
            source = self.plan.codes.get(key) or self.plan.values[key]
            result[key] = np.empty(len(where), dtype=np.result_type(*source))
        for k in np.unique(files).tolist():
            at = np.flatnonzero(files == k)
            local = where[at] - self.offsets[k]
            self._fill(k, at, local, result)
        result["_file"] = files
        return result

    # -- reading ------------------------------------------------------------------------
    def _positions(self, indices):
        import numpy as np

        asked = np.asarray(indices)
        if asked.size and asked.dtype.kind not in "iu":
            raise TypeError(f"observation indices are integers, got {asked.dtype} values")
        where = asked.astype(np.int64).reshape(-1)
        n = len(self)
        if where.size and (where.min() < -n or where.max() >= n):
            bad = int(where[(where < -n) | (where >= n)][0])
            raise IndexError(f"index {bad} is out of range for {n} observations")
        return np.where(where < 0, where + n, where)

    def _fill(self, k: int, at, local, result: dict[str, Any]) -> None:
        """Rows ``local`` of file ``k`` into positions ``at`` of ``result``."""
        import numpy as np

        rows, inverse = _sorted_rows(local)
        kind, data = self._reader(k).read(rows, self.layer)
        src, dest = self.plan.columns[k]
        out = result["X"]
        all_src, all_dest = self._whole[k]
        if kind == "dense":
            block = data if all_src else data[:, src]
            if all_dest:
                out[at] = block[inverse]
            else:
                out[np.ix_(at, dest)] = block[inverse]
        elif len(rows) == len(local):  # no index asked twice: scatter straight into out
            row, col, value = data
            target = self._maps[k][col]
            if not all_src:  # columns the join dropped
                keep = target >= 0
                row, target, value = row[keep], target[keep], value[keep]
            order = at[np.argsort(local, kind="stable")]
            out.reshape(-1)[order[row] * out.shape[1] + target] = value
        else:
            row, col, value = data
            target = self._maps[k][col]
            keep = target >= 0
            placed = np.zeros((len(rows), out.shape[1]), dtype=self.dtype)
            placed[row[keep], target[keep]] = value[keep]
            out[at] = placed[inverse]
        for key in self.obs_keys:
            source = self.plan.codes.get(key) or self.plan.values[key]
            result[key][at] = source[k][local]

    def _reader(self, k: int):
        """File ``k`` opened in this process (reopened after a fork)."""
        if self._pid != os.getpid():
            self._readers, self._pid = {}, os.getpid()
        reader = self._readers.get(k)
        if reader is None:
            from formats.anndata_rows import open_rows

            reader = self._readers[k] = _opened(open_rows, self.paths[k])
        return reader

    # -- what users look at --------------------------------------------------------------
    @property
    def encoders(self) -> dict[str, dict[str, int]]:
        """Per obs key: label -> integer code (the same for every file and process)."""
        return {key: {label: k for k, label in enumerate(labels)}
                for key, labels in self.plan.encoders.items()}  # fmt: skip

    @property
    def var_names(self) -> list[str]:
        """The columns of ``X`` after the join."""
        return list(self.plan.var_names)

    @property
    def shape(self) -> tuple[int, int]:
        """(observations, variables)."""
        return len(self), len(self.plan.var_names)

    def weights(self, by: str = "file"):
        """Sampling weights for class balance, one per observation (for a weighted
        sampler): ``by="file"`` gives every file the same total weight, ``by=<obs key>``
        every label."""
        import numpy as np

        if by == "file":
            return np.concatenate([np.full(n, 1.0 / max(n, 1)) for n in self.plan.n_obs])
        if by not in self.plan.codes:
            raise ValidationError(
                f"weights(by={by!r}): pass 'file' or one of the categorical obs keys "
                f"{sorted(self.plan.codes)}."
            )
        codes = np.concatenate(self.plan.codes[by])
        counts = np.bincount(codes[codes >= 0], minlength=len(self.plan.encoders[by]))
        out = np.zeros(len(codes))
        out[codes >= 0] = 1.0 / counts[codes[codes >= 0]]
        return out

    def close(self) -> None:
        """Close the files this process opened."""
        for reader in self._readers.values():
            reader.close()
        self._readers = {}

    def __enter__(self) -> MappedDataset:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_readers"], state["_pid"] = {}, None  # handles never travel
        return state

    def __repr__(self) -> str:
        n, width = self.shape
        keys = ", ".join(self.obs_keys) or "no obs keys"
        return f"MappedDataset({len(self.paths)} files, {n} obs x {width} vars; {keys})"


def _sorted_rows(local):
    from formats.anndata_rows import take_sorted

    return take_sorted(local)


def _identity(positions, width: int) -> bool:
    """Whether positions are exactly 0, 1, …, width - 1."""
    import numpy as np

    return len(positions) == width and np.array_equal(positions, np.arange(width))


def _column_map(src, dest, width: int):
    """File column -> joined column (-1: dropped by the join)."""
    import numpy as np

    out = np.full(width, -1, dtype=np.int64)
    out[src] = dest
    return out
