"""File behaviour: immutable, content-hashed blobs in the instance's storage.

``File`` (in :mod:`lakecat.registries`) is an ordinary registry; this mixin adds
construction from paths, URLs and in-memory objects, the blob write that precedes the
row, versions, stage/load/backed, and blob clean-up.
"""

from __future__ import annotations

import logging
import os
import tempfile
import uuid
from pathlib import Path
from typing import Any

from ..core.lifecycle import at_origin, state
from ..errors import (
    IntegrityError,
    LakecatError,
    MissingDependencyError,
    NotFoundError,
    ValidationError,
)
from .progress import transfer_bar
from .storage import (
    OBJECTS,
    Digest,
    StorageRoot,
    copy_and_hash,
    normalize_key,
    storage_errors,
)

logger = logging.getLogger("lakecat")
_VERIFIED: dict[tuple[str, int, int], str] = {}


def _formats():
    from formats import registry

    return registry


def _wrap_format_error(err: Exception) -> Exception:
    from formats import base

    if isinstance(err, base.MissingDependencyError):
        return MissingDependencyError(str(err))
    return ValidationError(str(err))


class _Source:
    """What a File was made from: a local path, a URL, or an in-memory object."""

    def __init__(self, kind: str, value: Any, fmt: Any, suffix: str, is_dir: bool) -> None:
        self.kind, self.value, self.fmt, self.suffix, self.is_dir = kind, value, fmt, suffix, is_dir

    @classmethod
    def from_data(cls, data: Any, format: str | None, key: str | None) -> _Source:
        registry = _formats()
        if isinstance(data, (str, os.PathLike)):
            text = os.fspath(data)
            if not text.strip():
                raise ValidationError("lc.File(''): the path is empty. Pass a file or folder.")
            if "://" in text and not text.startswith("file://"):
                return cls("url", text, registry.for_path(text), registry.suffix_of(text), False)
            path = _expanded(Path(text.removeprefix("file://")))
            if not _exists(path):
                raise NotFoundError(f"No file or folder at {_shown(path)}. Check the path.")
            if path.is_dir() and (path / ".lakecat").exists():
                raise ValidationError(
                    f"{path} holds a lakecat instance (its .lakecat folder): register the "
                    f"files or subfolders inside it, not the instance itself."
                )
            suffix = registry.suffix_of(str(path))
            return cls("path", path.resolve(), registry.for_path(str(path)), suffix, path.is_dir())
        try:
            fmt = registry.by_name(format) if format else registry.for_object(data)
        except Exception as err:  # formats raise FormatError / MissingDependencyError
            raise _wrap_format_error(err) from None
        suffix = fmt.suffixes[0]
        if key:
            key_suffix = registry.suffix_of(key)
            if key_suffix in fmt.suffixes:
                suffix = key_suffix
        return cls("object", data, fmt, suffix, fmt.is_folder)


_BLOB_FIELDS = ("uid", "hash", "hash_type", "size", "n_objects", "blob", "storage_id", "key",
                "version", "is_latest", "initial_version_id")  # fmt: skip


class FileMixin:
    """Behaviour of the ``File`` registry."""

    _versioned = True
    _family_field = "key"

    def __init__(
        self,
        data: Any = None,
        *,
        key: str | None = None,
        description: str | None = None,
        is_new_version_of: Any = None,
        format: str | None = None,
        **fields: Any,
    ) -> None:
        if key is not None:
            key = normalize_key(key)
        if data is None:
            raise ValidationError(
                "lc.File(None): there is no data to register. Pass a path, URL or object "
                "(DataFrame, AnnData…). Functions that modify in place (scanpy's pp.*) return "
                "None: pass the object itself."
            )
        if key is None and is_new_version_of is not None:
            key = getattr(is_new_version_of, "key", None)
        super().__init__(key=key, description=description, **fields)
        state(self).previous = is_new_version_of
        source = _Source.from_data(data, format, key)
        state(self).source = source
        self.__dict__["suffix"] = source.suffix
        self.__dict__["accessor"] = source.fmt.accessor if source.fmt else None
        if description is None and source.kind in ("path", "url"):
            self.__dict__["description"] = Path(str(source.value)).name

    # -- saving --------------------------------------------------------------------
    def _before_save(self, instance) -> None:
        """Write the blob (hashing it in the same pass) before the row is inserted."""
        from ..lineage.tracking import stamp_output

        if state(self).blob_deleted:
            raise ValidationError(
                "This File was deleted together with its blob; make a new File from the data."
            )
        stamp_output(self)
        source = state(self).source
        if source is None or self.__dict__.get("hash") is not None:
            return
        data = self.__dict__
        state(self).pre_blob = {c: data.get(c) for c in _BLOB_FIELDS}  # restored by _undo_save
        from ..core.uid import uid

        storage = instance.storage_root
        data["uid"] = data.get("uid") or uid(self._meta.uid_length)
        blob = f"{OBJECTS}/{data['uid']}{source.suffix}"
        with storage_errors(f"saving {source.value if source.kind != 'object' else 'the data'}"):
            digest, blob, managed = _write_blob(storage, source, blob)
        data.update(
            hash=digest.hash,
            hash_type=digest.hash_type,
            size=digest.size,
            n_objects=digest.n_objects,
            blob=blob,
            storage_id=instance.storage_id,
        )
        if managed:
            state(self).new_blob = blob
        elif data.get("key") is None:
            data["key"] = blob
        if storage.is_local:  # we just hashed these bytes: no need to re-hash on load
            _remember_verified(Path(storage.url(blob)), digest.hash)

    def _after_insert(self, instance) -> None:
        """Inside the transaction (after lakecat.core.versions placed the row): link features."""
        self._link_feature_lists(self.id)
        saved = state(self)
        saved.new_blob = saved.pre_blob = saved.source = None

    def _link_feature_lists(self, file_id: int) -> None:
        from .features import feature_set_for, link_file

        lists, state(self).feature_lists = state(self).feature_lists or {}, None
        for slot, items in lists.items():
            link_file(file_id, feature_set_for(items, name=slot).id, slot)

    def _on_adopt(self, existing) -> None:
        """Same bytes are registered already: drop the copy just written, say so, and
        give the existing record what this one brought (features, run as a producer)."""
        data = self.__dict__
        asked_key = data.get("key")
        if asked_key not in (None, existing.key, data.get("blob")):
            logger.warning(
                "these bytes are already registered as File %s (key %r, version %s): "
                "returning it; the key %r was not applied. Add labels or features to the "
                "returned record.", existing.uid, existing.key, existing.version, asked_key,
            )  # fmt: skip
        self._drop_new_blob()
        self._link_feature_lists(existing.id)
        from ..lineage.tracking import record_recreation

        record_recreation(existing)
        for column in self._meta.columns:
            if column != "hash":
                data[column] = None
        state(self).source = state(self).previous = None

    def _undo_save(self) -> None:
        """The save failed: remove the new blob and forget what writing it recorded."""
        self._drop_new_blob()
        before, state(self).pre_blob = state(self).pre_blob, None
        if before is not None:
            self.__dict__.update(before)

    def _drop_new_blob(self) -> None:
        blob, state(self).new_blob = state(self).new_blob, None
        if blob:
            from ..instance import current

            current().storage_root.delete(blob)

    def delete(self, *, permanent: bool = False) -> None:
        """Delete the record and (unless another record points at it) its blob.

        A File that runs used as input, or that a Dataset holds, is refused unless
        ``permanent=True`` (see :meth:`lakecat.core.record.Record.delete`).
        """
        blob = self.__dict__.get("blob")
        super().delete(permanent=permanent)
        if blob and blob.startswith(OBJECTS + "/") and not self._storage().exists(blob):
            state(self).blob_deleted = True

    def lineage_uses(self) -> list[str]:
        """Runs that read this File and Datasets that hold it."""
        from ..core.catalog import registry_class

        Dataset, Run = registry_class("Dataset"), registry_class("Run")

        if self.id is None:
            return []
        runs = Run.filter(input_files__id=self.id).values_list("uid", "status")
        sets = Dataset.filter(files__id=self.id).values_list("name", "version")
        return [f"input of run {uid} ({status})" for uid, status in runs] + [
            f"in dataset {name!r} version {version}" for name, version in sets
        ]

    def _after_delete(self) -> None:
        blob = self.__dict__.get("blob")
        managed = bool(blob) and blob.startswith(OBJECTS + "/")
        if managed and not type(self).filter(blob=blob).exists():
            self._storage().delete(blob)
            state(self).blob_deleted = True

    # -- reading ---------------------------------------------------------------------
    @at_origin
    def _storage(self) -> StorageRoot:
        from ..instance import current

        instance = current()
        if self.storage_id in (None, instance.storage_id):
            return instance.storage_root
        from ..core.catalog import registry_class

        Storage = registry_class("Storage")

        return StorageRoot(Storage.get(id=self.storage_id).root)

    @property
    @at_origin
    def path(self) -> str:
        """Where the bytes live (local path or URL)."""
        self._require_saved()
        return self._storage().url(self.blob)

    def _require_saved(self) -> None:
        if self.id is None or self.blob is None:
            raise ValidationError("Save the File before reading it.")

    @at_origin
    def stage(self) -> Path:
        """A local path to the content, verified against the hash (cached for reuse)."""
        self._require_saved()
        from ..lineage.tracking import record_input

        record_input(self)
        storage = self._storage()
        if storage.is_local:
            path = Path(storage.url(self.blob))
            self._verify_local(path, storage)
            return path
        with storage_errors(f"staging File {self.uid} from {storage.url(self.blob)}"):
            return self._stage_remote(storage)

    def _verify_local(self, path: Path, storage: StorageRoot) -> None:
        if not path.exists():
            raise IntegrityError(f"The blob of File {self.uid} is missing at {path}.")
        stamp = _stat_key(path)
        if _VERIFIED.get(stamp) == self.hash:
            return
        relative = storage.contains(path) or self.blob
        if storage.digest(relative).hash != self.hash:
            raise IntegrityError(
                f"File {self.uid}: the bytes at {path} no longer match the recorded hash. "
                f"The blob was modified or corrupted; restore it or delete the record."
            )
        _VERIFIED[stamp] = self.hash

    def _stage_remote(self, storage: StorageRoot) -> Path:
        from ..instance import home

        cache = home() / "cache" / f"{self.uid}{self.suffix or ''}"
        if cache.exists() and _VERIFIED.get(_stat_key(cache)) == self.hash:
            return cache
        cache.parent.mkdir(parents=True, exist_ok=True)
        if self.hash_type == "blake3-dir":
            tmp = cache.with_name(f".{uuid.uuid4().hex}")
            storage.fs.get(storage.url(self.blob), str(tmp), recursive=True)
            local = StorageRoot(str(tmp.parent))
            digest = local.digest(tmp.name)
        else:
            tmp = cache.with_name(f".{uuid.uuid4().hex}.partial")
            bar = transfer_bar(self.size or 0, f"staging {self.uid}")
            with storage.fs.open(storage.url(self.blob), "rb") as src, open(tmp, "wb") as dst:
                digest = copy_and_hash(src, dst, bar)
        if digest.hash != self.hash:
            _remove(tmp)
            raise IntegrityError(
                f"File {self.uid}: the bytes at {storage.url(self.blob)} do not match the "
                f"recorded hash. The blob was modified or corrupted."
            )
        _remove(cache)
        os.replace(tmp, cache)
        _remember_verified(cache, self.hash)
        return cache

    def _format(self):
        registry = _formats()
        for fmt in registry.FORMATS:
            if fmt.accessor == self.accessor and (self.suffix or "") in fmt.suffixes:
                return fmt
        fmt = registry.for_suffix(self.suffix or "")
        if fmt is None:
            raise ValidationError(
                f"lakecat cannot load {self.suffix or 'suffix-less'} files; use .stage() "
                f"for a local path."
            )
        return fmt

    @at_origin
    def load(self) -> Any:
        """The content as an in-memory object of the right type (DataFrame, AnnData…)."""
        fmt = self._format()
        path = self.stage()
        try:
            return fmt.load(str(path))
        except Exception as err:
            raise _wrap_format_error(err) from err

    @at_origin
    def backed(self) -> Any:
        """A handle that reads lazily, from local or remote storage, without loading."""
        self._require_saved()
        from ..lineage.tracking import record_input

        record_input(self)
        fmt = self._format()
        if fmt.backed is None:
            raise ValidationError(f"{fmt.name} files have no backed mode; use .load().")
        storage = self._storage()
        try:
            with storage_errors(f"opening File {self.uid} at {storage.url(self.blob)}"):
                return fmt.backed(storage.url(self.blob), storage.options)
        except LakecatError:
            raise
        except Exception as err:
            raise _wrap_format_error(err) from err

    @classmethod
    def from_df(cls, df: Any, *, key: str | None = None, description: str | None = None, **kw):
        """A File for a DataFrame whose columns are registered as Features on save.

        The columns become a FeatureSet (reused when the same columns were seen before)
        linked under the slot ``"columns"``.
        """
        from .features import describe_dataframe

        file = cls(df, key=key, description=description, **kw)
        state(file).feature_lists = {"columns": describe_dataframe(df)}
        return file

    @classmethod
    def from_anndata(
        cls, adata: Any, *, field: str | None = None, key: str | None = None, **kw: Any
    ):
        """A File for an AnnData whose variables (``var_names`` or ``var[field]``) and
        ``obs`` columns are registered as Features on save (slots ``"var"``, ``"obs"``)."""
        from .features import describe_anndata

        file = cls(adata, key=key, **kw)
        state(file).feature_lists = describe_anndata(adata, field)
        return file

    #: Where feature values of Files are linked (``lc.File.filter(features__x__gt=1)``).
    _feature_value_link = ("file_feature_value", "file_id")

    @property
    def features(self):
        """Slot → FeatureSet (``fs.features.list()`` gives the Feature records), and the
        file's feature values: ``file.features.add_values({...})``, ``.get_values()``."""
        self._require_saved()
        from .annotations import FeatureManager

        return FeatureManager(self)

    def _feature_sets(self) -> dict[str, Any]:
        from .features import file_feature_sets

        return file_feature_sets(self.id)

    @at_origin
    def describe(self):
        """Provenance, features with types and values, labels by feature and versions:
        ``print(record.describe())``; shown as HTML in Jupyter."""
        from .describe import describe

        return describe(self)

    def _repr_html_(self) -> str:
        return self.describe()._repr_html_() if self.id is not None else super()._repr_html_()

    @property
    def labels(self):
        """Labels of any registry, grouped by feature: ``file.labels.add(records,
        feature="cell_type")``, ``file.labels.get("cell_type")``."""
        from .annotations import LabelManager

        return LabelManager(self)

    @property
    @at_origin
    def versions(self):
        """Every version of this file, oldest first."""
        from catalog_sql.query import Q

        root = self.initial_version_id or self.id
        return type(self).filter(Q(id=root) | Q(initial_version_id=root)).order_by("id")


def _expanded(path: Path) -> Path:
    """``~`` expanded; ``~name`` of a user who does not exist stays as it is."""
    try:
        return path.expanduser()
    except RuntimeError:
        return path


def _exists(path: Path) -> bool:
    """Whether something is at ``path``; a name the file system cannot hold (too long, a
    NUL byte) is not there."""
    try:
        return path.exists()
    except (OSError, ValueError):
        return False


def _shown(path: Path, limit: int = 200) -> str:
    """A path for a message, cut when it is very long."""
    text = str(path)
    return text if len(text) <= limit else f"{text[:limit]}… ({len(text)} characters)"


def _stat_key(path: Path) -> tuple:
    """What changes when a file's bytes change, for every file of a folder too.

    Size and mtime alone can be forged (write, then restore the mtime with ``touch -d``);
    the inode change time cannot be set back by a user, and the inode number catches a
    file replaced by another.
    """
    if path.is_dir():
        entries = sorted(
            (str(p.relative_to(path)), *_stamp(p.stat())) for p in path.rglob("*") if p.is_file()
        )
        return (str(path), hash(tuple(entries)), 0)
    return (str(path), *_stamp(path.stat()))


def _stamp(stat: os.stat_result) -> tuple[int, int, int, int]:
    return stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns, stat.st_ino


def _remember_verified(path: Path, digest: str) -> None:
    try:
        _VERIFIED[_stat_key(path)] = digest
    except OSError:
        return


def _write_blob(storage: StorageRoot, source: _Source, blob: str) -> tuple[Digest, str, bool]:
    """Copy/hash the source into storage; returns (digest, blob path, managed?)."""
    if source.kind in ("path", "url"):
        inside = storage.contains(str(source.value))
        if inside and not inside.startswith(".lakecat"):
            return storage.digest(inside), inside, False
    if source.kind == "path":
        if source.is_dir:
            return storage.put_dir(source.value, blob), blob, True
        bar = transfer_bar(Path(source.value).stat().st_size, f"saving {source.value.name}")
        with open(source.value, "rb") as src:
            return storage.put_file(src, blob, bar), blob, True
    if source.kind == "url":
        import fsspec

        with fsspec.open(source.value, "rb") as src:
            return storage.put_file(src, blob), blob, True
    return _write_object(storage, source, blob), blob, True


def _write_object(storage: StorageRoot, source: _Source, blob: str) -> Digest:
    fmt = source.fmt
    scratch = storage.scratch(source.suffix)
    if scratch is not None:  # local storage: write in place, hash, rename (no copy)
        try:
            fmt.write(source.value, str(scratch))
            return storage.commit_scratch(scratch, blob)
        except Exception as err:
            _remove(scratch)
            if isinstance(err, (OSError, ValidationError)):
                raise
            raise _wrap_format_error(err) from err
    workdir = Path(tempfile.mkdtemp(prefix="lakecat-"))
    local = workdir / f"object{source.suffix}"
    try:
        try:
            fmt.write(source.value, str(local))
        except Exception as err:
            raise _wrap_format_error(err) from err
        if local.is_dir():
            return storage.put_dir(local, blob)
        with open(local, "rb") as src:
            return storage.put_file(src, blob)
    finally:
        _remove(workdir)


def _remove(path: Path) -> None:
    import shutil

    if path.is_dir():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)
