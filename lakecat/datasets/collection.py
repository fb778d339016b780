"""Datasets of files: one kind per dataset (AnnData, TileDB arrays or parquet tables),
staged as verified local copies, loaded as one object, or streamed by ``mapped()``.

A version of such a dataset is its set of Files; adding or removing files registers the
next version (``ds.add_files(f)``, ``ds.remove_files(f)``, ``save(mode="append" |
"overwrite")``). The dataset's ``hash`` is the hash of its files' hashes, so saving the
same files under the same name again returns the existing version.
"""

from __future__ import annotations

import contextlib
import hashlib
from pathlib import Path
from typing import Any

from ..errors import ValidationError

ANNDATA, TABLE, TILEDB = "AnnData", "table", "TileDB"
KINDS = {".h5ad": ANNDATA, ".zarr": ANNDATA, ".parquet": TABLE, ".tiledb": TILEDB}


class MixedFilesError(ValidationError):
    """A dataset of files whose files are of kinds that do not go together."""


def kind_of(file: Any) -> str | None:
    """The collection kind of one File (None: it cannot be part of a dataset of files)."""
    if file.accessor == "TileDBArray":
        return TILEDB
    return KINDS.get((file.suffix or "").lower())


def check_files(files: Any) -> list:
    """Saved Files of one kind, each once (typed errors name the offending files)."""
    from ..core.catalog import registry_class
    from ..core.lifecycle import require_local

    File = registry_class("File")
    if not isinstance(files, (list, tuple)):
        raise ValidationError("A dataset of files takes a list of saved File records.")
    out, seen = [], set()
    for f in files:
        if not isinstance(f, File):
            raise ValidationError(
                f"A dataset of files takes saved File records, got {type(f).__name__}."
            )
        if f.id is None:
            raise ValidationError("A dataset of files takes saved Files: call .save() first.")
        require_local(f, "a dataset of files")
        if kind_of(f) is None:
            raise ValidationError(
                f"File {f.uid} ({f.key or f.suffix or 'no suffix'}) cannot be part of a "
                f"dataset of files: use AnnData (.h5ad, .zarr), TileDB arrays or .parquet "
                f"tables."
            )
        if f.id not in seen:
            seen.add(f.id)
            out.append(f)
    if not out:
        raise ValidationError("A dataset of files needs at least one File.")
    _one_kind(out)
    return out


def _one_kind(files: list) -> str:
    by_kind: dict[str, list[str]] = {}
    for f in files:
        by_kind.setdefault(kind_of(f), []).append(f"{f.uid} ({f.key or f.suffix})")
    if len(by_kind) > 1:
        parts = "; ".join(f"{kind}: {', '.join(names[:3])}" for kind, names in by_kind.items())
        raise MixedFilesError(
            f"A dataset of files holds one kind of file; these are of {len(by_kind)} kinds "
            f"({parts}). Make one dataset per kind."
        )
    return next(iter(by_kind))


def files_hash(files: list) -> str:
    """The hash of a set of files: order-independent, from their content hashes.

    Examples:
        >>> class F:
        ...     def __init__(self, h): self.hash = h
        >>> files_hash([F("b"), F("a")]) == files_hash([F("a"), F("b")])
        True
    """
    digest = hashlib.sha256("\n".join(sorted(f.hash for f in files)).encode())
    return digest.hexdigest()[:22]


def members(record: Any) -> list:
    """The files of one version, in a stable order (the order they were saved in)."""
    return record.files.order_by("id").list()


def collection_kind(record: Any) -> str:
    """The kind of a saved dataset of files."""
    return _one_kind(members(record))


def count_rows(files: list) -> int | None:
    """Observations of AnnData files on local storage, read from their metadata; None
    when that would need a download (remote storage) or a format without rows."""
    from formats.anndata_rows import open_rows
    from formats.base import FormatError

    if kind_of(files[0]) != ANNDATA:
        return None
    total = 0
    for f in files:
        storage = f._storage()
        if not storage.is_local:
            return None
        try:
            reader = open_rows(storage.url(f.blob))
        except (FormatError, OSError):
            return None
        try:
            total += reader.n_obs
        except Exception:  # noqa: BLE001 - a count is informative; the files were checked
            return None
        finally:
            reader.close()
    return total


def stage(record: Any) -> list[Path]:
    """Every file of the version as a local path verified against its hash."""
    from ..files.progress import transfer_bar

    files = members(record)
    remote = [f for f in files if not f._storage().is_local]
    total = sum(f.size or 0 for f in remote)
    bar = transfer_bar(total, f"staging {record.name}") if remote else None
    paths = []
    for f in files:
        paths.append(f.stage())
        if bar is not None and f in remote:
            bar(f.size or 0)
    return paths


def require_kind(record: Any, kind: str, what: str) -> list:
    """The members, if the dataset is of ``kind`` (else a typed error saying so)."""
    files = members(record)
    found = _one_kind(files)
    if found != kind:
        raise ValidationError(
            f"{what} needs a dataset of {kind} files; {record.name!r} holds {found} files."
        )
    return files


def load(record: Any, join: str | None, label: str | None):
    """The dataset as one object: AnnData concatenated along obs, a DataFrame of all
    tables, or a list of TileDB arrays' contents."""
    files = members(record)
    kind = _one_kind(files)
    if kind == ANNDATA:
        return _concat(record, files, join or "inner", label)
    if join is not None or label is not None:
        raise ValidationError(f"join= and label= apply to AnnData datasets; {record.name!r} "
                              f"holds {kind} files.")  # fmt: skip
    return [f.load() for f in files]


def _concat(record: Any, files: list, join: str, label: str | None):
    import anndata

    if join not in ("inner", "outer"):
        raise ValidationError(f"join must be 'inner' or 'outer', got {join!r}.")
    objects = [f.load() for f in files]
    keys = [f.uid for f in files] if label else None
    common = set(objects[0].var_names).intersection(*(o.var_names for o in objects[1:]))
    if join == "inner" and not common:
        from .mapped import NoCommonVariablesError

        raise NoCommonVariablesError(
            f"join='inner': the files of {record.name!r} share no var names; use "
            f"join='outer' or check the var index."
        )
    return anndata.concat(objects, join=join, label=label, keys=keys, index_unique=None)


def mapped(record: Any, *, obs_keys, join, layer, dtype):
    """A :class:`~lakecat.datasets.mapped.MappedDataset` over the staged files."""
    from .mapped import JOINS, MappedDataset, Plan, plan_key

    if join not in JOINS:
        raise ValidationError(f"join must be 'inner', 'outer' or None, got {join!r}.")
    if isinstance(obs_keys, str):
        obs_keys = [obs_keys]
    obs_keys = list(obs_keys or [])
    if layer is not None and not isinstance(layer, str):
        raise ValidationError(f"layer must be a layer name or None (X), got {layer!r}.")
    files = require_kind(record, ANNDATA, "mapped()")
    paths = [str(p) for p in stage(record)]
    cache = _plan_dir() / f"{plan_key([f.hash for f in files], obs_keys, join, layer)}.npz"
    plan = Plan.load(cache) if cache.exists() else None
    if plan is None:
        plan = Plan.build(paths, obs_keys, join, layer)
        with contextlib.suppress(OSError):  # a read-only home: computed again next time
            plan.save(cache)
    return MappedDataset(paths, plan, obs_keys=obs_keys, layer=layer, dtype=dtype)


def _plan_dir() -> Path:
    from ..instance import home

    return home() / "cache" / "mapped"
