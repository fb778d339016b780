"""Dataset behaviour: versioned Delta (or Parquet) tables queried in place.

Each catalog version of a dataset is a ``Dataset`` record; for Delta tables it points at
a Delta version of one table under ``.lakecat/datasets/<family uid>``, for plain Parquet
at an immutable snapshot folder ``…/v<k>``. Version numbers are Delta's (0, 1, 2, …).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from ..core.lifecycle import at_origin, state
from ..errors import (
    DatasetExistsError,
    NotFoundError,
    SchemaMismatchError,
    ValidationError,
    VersionNotFoundError,
)
from ..files.storage import storage_errors

logger = logging.getLogger("lakecat")
DATASETS = ".lakecat/datasets"
FORMATS = ("delta", "parquet", "files")
_VIEW = re.compile(r"[^a-z0-9_]+")


def view_name(name: str) -> str:
    """The SQL view under which a dataset is visible in the DuckDB shell.

    Examples:
        >>> view_name("cell-qc 2")
        'ds_cell_qc_2'
    """
    return "ds_" + (_VIEW.sub("_", name.lower()).strip("_") or "dataset")


def _to_arrow(data: Any):
    """pandas / polars / Arrow data as a pyarrow Table with at least one column."""
    table = _as_table(data)
    if table.num_columns == 0:
        raise ValidationError("The data has no columns; a Dataset needs at least one column.")
    return table


def _as_table(data: Any):
    import pyarrow as pa

    if isinstance(data, pa.Table):
        return data
    if hasattr(data, "to_arrow") and type(data).__module__.startswith("polars"):
        return data.to_arrow()
    if hasattr(data, "to_parquet") and hasattr(data, "columns"):  # pandas
        try:
            return pa.Table.from_pandas(data, preserve_index=False)
        except (pa.ArrowInvalid, pa.ArrowTypeError) as err:
            raise ValidationError(_column_problem(str(err))) from None
    raise ValidationError(
        f"A Dataset is made from a pandas/polars DataFrame, a pyarrow Table or a list of "
        f"saved Files, got {type(data).__name__}."
    )


def _column_problem(text: str) -> str:
    """Arrow's conversion error, said as which column holds what.

    Examples:
        >>> _column_problem("('Could not convert 'two' with type str: tried to convert to "
        ...                 "int64', 'Conversion failed for column x with type object')")
        "column 'x' mixes types (Could not convert 'two' with type str: tried to convert to int64); give it one type, e.g. df['x'].astype(str)."
    """  # noqa: E501
    column = re.search(r"Conversion failed for column (.+?) with type", text)
    cause = re.search(r"\('?(.+?)'?, 'Conversion failed", text)
    name = column.group(1) if column else "?"
    detail = cause.group(1) if cause else " ".join(text.split())
    return (
        f"column {name!r} mixes types ({detail}); give it one type, e.g. df[{name!r}].astype(str)."
    )


def _schema_diff(old, new) -> str:
    """Human description of how ``new`` differs from ``old`` (pyarrow schemas)."""
    old_f = {f.name: str(f.type) for f in old}
    new_f = {f.name: str(f.type) for f in new}
    parts = []
    missing = [c for c in old_f if c not in new_f]
    extra = [c for c in new_f if c not in old_f]
    changed = [
        f"{c} ({old_f[c]} → {new_f[c]})" for c in old_f if c in new_f and old_f[c] != new_f[c]
    ]
    if missing:
        parts.append("missing columns: " + ", ".join(missing))
    if extra:
        parts.append("new columns: " + ", ".join(f"{c} ({new_f[c]})" for c in extra))
    if changed:
        parts.append("changed types: " + ", ".join(changed))
    return "; ".join(parts)


def _compatible(old, new) -> bool:
    """Same column names, and types equal up to nullability / large vs small variants."""
    if [f.name for f in old] != [f.name for f in new]:
        return sorted(f.name for f in old) == sorted(f.name for f in new) and _types_ok(old, new)
    return _types_ok(old, new)


def _types_ok(old, new) -> bool:
    import pyarrow as pa

    def norm(t):
        if pa.types.is_large_string(t) or pa.types.is_string_view(t):
            return pa.string()
        if pa.types.is_timestamp(t):
            return pa.timestamp("us", tz=t.tz and "UTC")
        return t

    old_types = {f.name: norm(f.type) for f in old}
    return all(name in old_types and old_types[name] == norm(t) for name, t in
               ((f.name, f.type) for f in new))  # fmt: skip


class DatasetMixin:
    """Behaviour of the ``Dataset`` registry."""

    _versioned = True
    _family_field = "name"

    def __init__(
        self,
        data: Any = None,
        *,
        name: str | None = None,
        description: str | None = None,
        format: str = "delta",
        is_new_version_of: Any = None,
        **fields: Any,
    ) -> None:
        if format not in FORMATS[:2]:
            raise ValidationError(f"format must be 'delta' or 'parquet', got {format!r}.")
        super().__init__(name=name, description=description, **fields)
        data_dict = self.__dict__
        state(self).previous = is_new_version_of
        if data is None:
            return
        if isinstance(data, (list, tuple)):
            from .collection import check_files

            state(self).files = check_files(data)
            data_dict["format"] = "files"
        else:
            state(self).table = _to_arrow(data)
            data_dict["format"] = format

    # -- writing -------------------------------------------------------------------
    def save(self, *, mode: str = "error") -> Any:
        """Write the table and register version 0.

        ``mode="error"`` (default) refuses a name that exists; ``"append"`` or
        ``"overwrite"`` write a new version of the existing dataset instead. Writers of
        one dataset take turns (the catalog transaction spans the table write).
        """
        if self.id is not None and state(self).table is None:
            return super().save()
        if mode not in ("error", "append", "overwrite"):
            raise ValidationError(f"mode must be 'error', 'append' or 'overwrite', got {mode!r}.")
        previous = state(self).previous
        if previous is not None:  # like Files: the data becomes the family's next version
            if getattr(previous, "id", None) is None:
                raise ValidationError("is_new_version_of must be a saved Dataset.")
            return previous.overwrite(_data_of(self))
        if not self.name:
            raise ValidationError("A Dataset needs a name: lc.Dataset(df, name='cell-qc').")
        if state(self).table is None and state(self).files is None:
            raise ValidationError(
                "lc.Dataset(None): there is no data. Pass a DataFrame, a pyarrow Table or a "
                "list of saved Files."
            )
        existing = retrying(self._create_in_turn)
        if existing is None:
            _refresh_view(self)  # a convenience: after the commit, never inside it
            return self
        files = state(self).files
        if files is not None and existing.format == "files" and _same_files(existing, files):
            return existing  # the same files under the same name: that version
        if mode == "error":
            what = "ds.add_files(f)" if files is not None else "ds.append(df) / ds.overwrite(df)"
            raise DatasetExistsError(
                f"A dataset named {self.name!r} exists (version {existing.version}). "
                f"Use {what}, or save(mode='append'|'overwrite') for a new version."
            )
        data = _data_of(self)
        return existing.overwrite(data) if mode == "overwrite" else existing.append(data)

    def _create_in_turn(self):
        """The latest record named like this one, or None after creating this one."""
        with _turn(type(self)):
            existing = type(self).latest(self.name, missing_ok=True)
            if existing is None:
                self._create()
            return existing

    def _create(self):
        from ..core.uid import uid
        from ..instance import current
        from ..lineage.tracking import stamp_output

        instance = current()
        stamp_output(self)
        data = self.__dict__
        data["uid"] = data.get("uid") or uid(self._meta.uid_length)
        data["key"] = f"{DATASETS}/{data['uid']}"
        data["storage_id"] = instance.storage_id
        files = state(self).files
        if files is not None:
            from .collection import count_rows, files_hash

            data.update(version="0", delta_version=0, operation="FILES", n_rows=count_rows(files),
                        hash=files_hash(files))  # fmt: skip
            super().save()
            self.files.add(*files)
            return self
        table = state(self).table
        from . import tables

        try:
            with storage_errors(f"writing dataset {self.name!r}"):
                tables.write(self._url(), table, self.format, version=0, mode="error",
                             options=self._options())  # fmt: skip
            data.update(version="0", delta_version=0, n_rows=table.num_rows, operation="WRITE")
            super().save()
            self._link_columns(table.schema)
        except BaseException:
            tables.remove(self._url(), self._options())
            raise  # the table is kept: a retry of the turn writes it again
        state(self).table = None
        return self

    def append(self, data: Any, *, schema_mode: str | None = None):
        """Add rows as a new version; returns the new version's record.

        Data whose columns or types differ raises :class:`SchemaMismatchError` naming
        them, unless ``schema_mode="merge"`` (new columns are added, missing ones null).
        """
        return self._new_version(data, "append", schema_mode)

    def overwrite(self, data: Any):
        """Replace the rows (any schema) as a new version; returns the new record."""
        return self._new_version(data, "overwrite", "overwrite")

    def _new_version(self, data: Any, mode: str, schema_mode: str | None):
        if self.format == "files" or isinstance(data, (list, tuple)):
            if self.format != "files" or not isinstance(data, (list, tuple)):
                what = "a dataset of files" if self.format == "files" else f"a {self.format} table"
                wanted = "a list of Files" if self.format == "files" else "rows (a DataFrame)"
                raise ValidationError(f"Dataset {self.name!r} is {what}: give {wanted}.")
            from .collection import check_files

            files = check_files(data)
            if mode == "overwrite":
                return self._files_version(lambda old: files, "OVERWRITE")
            return self.add_files(*files)
        table = _to_arrow(data)
        record = retrying(lambda: self._version_in_turn(table, mode, schema_mode))
        _refresh_view(record)  # the view is pinned to the registered version
        return record

    def add_files(self, *files: Any):
        """A new version holding the latest version's files and ``files``; returns it
        (or the latest version itself when every file is in it already)."""
        from .collection import check_files

        new = check_files(list(files))

        def added(old: list) -> list:
            have = {f.id for f in old}
            return old + [f for f in new if f.id not in have]

        return self._files_version(added, "ADD_FILES")

    def remove_files(self, *files: Any):
        """A new version without ``files``; returns it."""
        gone = {getattr(f, "id", None) for f in files}

        def removed(old: list) -> list:
            missing = gone - {f.id for f in old}
            if not gone:
                raise ValidationError("remove_files: no files were given.")
            if missing:
                raise ValidationError(
                    f"remove_files: {len(missing)} of the given files are not in the latest "
                    f"version of {self.name!r}; pass Files that are in it."
                )
            kept = [f for f in old if f.id not in gone]
            if not kept:
                raise ValidationError(
                    f"remove_files would leave {self.name!r} without files; delete the dataset "
                    f"instead (ds.delete())."
                )
            return kept

        return self._files_version(removed, "REMOVE_FILES")

    def _files_version(self, change, operation: str):
        if self.format != "files":
            raise ValidationError(f"Dataset {self.name!r} is a table, not a dataset of files.")
        record = retrying(lambda: self._files_version_in_turn(change, operation))
        _refresh_view(record)
        return record

    def _files_version_in_turn(self, change, operation: str):
        """Read the latest version's files, change them and register the result."""
        from ..core.versions import claim_latest
        from ..instance import current
        from .collection import check_files, count_rows, files_hash, members

        with _turn(type(self)):
            latest = self._latest_record()
            old = members(latest)
            files = check_files(change(old))
            if {f.id for f in files} == {f.id for f in old}:
                return latest
            claim_latest(latest, current())
            record = latest._register_version(
                n_rows=count_rows(files), operation=operation,
                written=latest.delta_version + 1, hash=files_hash(files),
            )  # fmt: skip
            record.files.add(*files)
            return record

    def _version_in_turn(self, table: Any, mode: str, schema_mode: str | None):
        """Read the latest version, write the table and register it in one turn."""
        from ..core.versions import claim_latest
        from ..instance import current
        from . import tables

        with _turn(type(self)), tables.one_head():
            latest = self._latest_record()
            claim_latest(latest, current())
            latest._discard_unregistered()
            return latest._write_version(table, mode, schema_mode)

    @classmethod
    def _restore_unregistered(cls, *, dry_run: bool = True) -> list[str]:
        """``gc``'s part: latest versions whose table has unregistered versions; unless
        ``dry_run``, each is restored in the dataset's write turn (as an append would)."""
        from . import tables

        found = []
        for latest in cls.filter(is_latest=True).list():
            if latest.format == "files":
                continue
            with storage_errors(f"checking dataset {latest.name!r}"):
                extra = tables.unregistered_versions(
                    latest._url(), latest.format, latest.delta_version, latest._options()
                )
            if not extra:
                continue
            found.append(f"dataset {latest.name!r}: unregistered table version(s) "
                         f"{extra[0]}..{extra[-1]}")  # fmt: skip
            if not dry_run:
                retrying(lambda record=latest: record._restore_in_turn())
        return found

    def _restore_in_turn(self) -> None:
        from ..core.versions import claim_latest
        from ..instance import current

        with _turn(type(self)):
            latest = self._latest_record()
            claim_latest(latest, current())
            latest._discard_unregistered()

    def _discard_unregistered(self) -> None:
        """A writer that died after writing the table but before registering the version
        left rows no catalog version owns: restore the registered head before writing."""
        from . import tables

        with storage_errors(f"checking dataset {self.name!r}"):
            found = tables.discard_unregistered(self._url(), self.format, self.delta_version,
                                                self._options())  # fmt: skip
        if found:
            logger.warning(
                "dataset %r had %d unregistered table version(s) after version %s (a writer "
                "stopped before registering it); restored the registered data",
                self.name, found, self.delta_version,
            )  # fmt: skip

    def _write_version(self, table: Any, mode: str, schema_mode: str | None):
        """Write ``table`` after this (latest) version and register the new version."""
        from . import tables

        with storage_errors(f"reading dataset {self.name!r}"):
            current_schema = tables.schema(self._url(), self.format, self.delta_version,
                                           self._options())  # fmt: skip
        strict = mode == "append" and schema_mode != "merge"
        if strict and not _compatible(current_schema, table.schema):
            raise SchemaMismatchError(
                f"Cannot append to {self.name!r}: {_schema_diff(current_schema, table.schema)}. "
                f"Pass schema_mode='merge' to add the new columns, or use overwrite()."
            )
        with storage_errors(f"writing dataset {self.name!r}"):
            written = tables.write(self._url(), table, self.format,
                                   version=self.delta_version + 1, mode=mode,
                                   schema_mode=schema_mode, options=self._options())  # fmt: skip
        appended = mode == "append" and self.n_rows is not None
        n_rows = self.n_rows + table.num_rows if appended else table.num_rows
        try:
            record = self._register_version(n_rows=n_rows, operation=mode.upper(),
                                            written=written)  # fmt: skip
            if mode == "append" and schema_mode != "merge":
                final_schema = current_schema  # appends keep the table's schema
            elif mode == "overwrite":
                final_schema = table.schema
            else:
                final_schema = tables.schema(record._url(), record.format, written,
                                             record._options())  # fmt: skip
            record._link_columns(final_schema)
        except BaseException:
            tables.undo_write(self._url(), self.format, written, self.delta_version,
                              self._options())  # fmt: skip
            raise
        return record

    def _register_version(self, *, n_rows: int | None, operation: str, written: int, **extra):
        """Save the record of the version after this (latest) one."""
        from ..lineage.tracking import stamp_output

        record = type(self)(name=self.name, description=self.description, meta=self.meta)
        record.__dict__.update(
            format=self.format, key=self.key, storage_id=self.storage_id,
            delta_version=written, version=str(written), n_rows=n_rows,
            operation=operation, uid=None, **extra,
        )  # fmt: skip
        state(record).previous = self
        stamp_output(record)
        super(DatasetMixin, record).save()
        self.__dict__["is_latest"] = False
        return record

    def _link_columns(self, schema) -> None:
        from catalog_sql import statements

        from ..files.annotations import dtype_type
        from ..files.features import feature_set_for
        from ..instance import current

        items = [(f.name, dtype_type(f.type)) for f in schema]
        feature_set = feature_set_for(items, name="columns")
        backend = current().backend
        row = {"dataset_id": self.id, "feature_set_id": feature_set.id, "slot": "columns"}
        backend.execute(statements.insert_row(backend.target, "dataset_feature_set", row))

    def delete(self, *, permanent: bool = False) -> None:
        """Delete this version's record; if it was the latest, the previous one becomes it.

        The table's data files are kept (other versions share them; Delta time travel).
        A version that runs read is refused unless ``permanent=True``.
        """
        if self.id is None:
            raise ValidationError("This Dataset was never saved.")
        self._check_lineage_uses(permanent)
        remaining = retrying(self._delete_in_turn)
        if remaining is not None:
            _refresh_view(remaining)

    def _delete_in_turn(self):
        """Delete this record; returns the new latest if this one was the latest."""
        from . import tables

        url, options, fmt, version = self._url(), self._options(), self.format, self.delta_version
        with _turn(type(self)):
            members = [i for (i,) in self._family().values_list("id") if i != self.id]
            was_latest = type(self).filter(id=self.id, is_latest=True).exists()
            super().delete(permanent=True)  # lineage uses were checked before the turn
            if not was_latest or not members:
                return None
            remaining = type(self).filter(id__in=members, is_latest=True).first()
            # The table's head must be the registered latest again, so the next append and
            # the shell view see the right rows (Delta: a RESTORE commit; Parquet: drop the
            # snapshot).
            if fmt != "files":  # a dataset of files has no table to roll back
                tables.undo_write(url, fmt, version, remaining.delta_version, options)
            return remaining

    #: Where feature values of Datasets are linked (``lc.Dataset.filter(features__x=1)``).
    _feature_value_link = ("dataset_feature_value", "dataset_id")

    @at_origin
    def describe(self):
        """Provenance, features with types and values, labels by feature and versions:
        ``print(record.describe())``; shown as HTML in Jupyter."""
        from ..files.describe import describe

        return describe(self)

    def _repr_html_(self) -> str:
        return self.describe()._repr_html_() if self.id is not None else super()._repr_html_()

    @property
    def labels(self):
        """Labels of any registry, grouped by feature (see ``File.labels``)."""
        from ..files.annotations import LabelManager

        return LabelManager(self)

    @property
    def features(self):
        """Slot → FeatureSet (``columns``) and feature values (see ``File.features``)."""
        from ..files.annotations import FeatureManager

        if self.id is None:
            raise ValidationError("Save the Dataset first.")
        return FeatureManager(self)

    def _feature_sets(self) -> dict[str, Any]:
        from ..core.catalog import registry_class
        from ..instance import current

        FeatureSet = registry_class("FeatureSet")
        backend = current().backend
        stmt = statements_select(backend, self.id)
        links = backend.fetch(stmt)[1]
        sets = {fs.id: fs for fs in FeatureSet.filter(id__in=[i for i, _ in links]).list()}
        return {slot: sets[i] for i, slot in links}

    def lineage_uses(self) -> list[str]:
        """Runs that read this version."""
        from ..core.catalog import registry_class

        Run = registry_class("Run")

        if self.id is None:
            return []
        runs = Run.filter(input_datasets__id=self.id).values_list("uid", "status")
        return [f"input of run {uid} ({status})" for uid, status in runs]

    # -- reading ---------------------------------------------------------------------
    @classmethod
    def latest(cls, name: str, *, missing_ok: bool = False):
        """The latest version of the dataset called ``name``."""
        record = cls.filter(name=name, is_latest=True).one_or_none()
        if record is None and not missing_ok:
            near = [r.name for r in cls.search(name, field="name", limit=3)]
            hint = f" Did you mean {' or '.join(repr(n) for n in near)}?" if near else ""
            raise NotFoundError(f"No dataset named {name!r}.{hint}")
        return record

    def _root(self) -> int:
        """The family's root as the catalog has it now (deletes may re-root a family)."""
        rows = type(self).filter(id=self.id).values_list("initial_version_id")
        return (rows[0][0] if rows else self.initial_version_id) or self.id

    def _latest_record(self):
        found = self._family().filter(is_latest=True).list()
        return max(found, key=lambda r: r.delta_version) if found else self

    def _family(self):
        from ..core.versions import family

        return family(type(self), self._root()).order_by("delta_version")

    def _record_for(self, version: int):
        found = self._family().filter(delta_version=version).one_or_none()
        if found is None:
            available = [r.delta_version for r in self._family()]
            raise VersionNotFoundError(
                f"Dataset {self.name!r} has no version {version}; available: {available}."
            )
        return found

    @at_origin
    def versions(self):
        """One row per version: version, created_at, run, rows, operation (pandas)."""
        import pandas as pd

        rows = []
        for record in self._family():
            run = record.run.uid if record.run_id else None
            rows.append({"version": record.delta_version, "created_at": record.created_at,
                         "run": run, "rows": record.n_rows, "operation": record.operation,
                         "uid": record.uid, "is_latest": record.is_latest})  # fmt: skip
        return pd.DataFrame(rows)

    @at_origin
    def _url(self) -> str:
        from ..instance import current

        return current().storage_root.url(self.key)

    @at_origin
    def _options(self) -> dict:
        from ..instance import current

        return current().storage_root.options

    def _version_read(self, version: int | None):
        """The record of ``version`` (its own unless another is named; ``Dataset.latest``
        gives the newest), recorded as an input of the current run."""
        from ..lineage.tracking import record_input

        if self.id is None:
            raise ValidationError("Save the Dataset before reading it.")
        if version is not None and (isinstance(version, bool) or not isinstance(version, int)):
            raise ValidationError(f"version must be an integer, got {version!r}.")
        own = version is None or version == self.delta_version
        record = self if own else self._record_for(version)
        record_input(record)
        return record

    def _files_record(self, version: int | None, refusal: str):
        """The record of ``version`` if it is a dataset of files, else ``refusal`` (with
        ``{name}`` and ``{format}``) as a ValidationError."""
        record = self._version_read(version)
        if record.format != "files":
            raise ValidationError(refusal.format(name=self.name, format=record.format))
        return record

    def _sources(self, version: int | None):
        """(record of that version, reader kind, what to read) for the table readers."""
        from . import tables
        from .collection import TABLE, require_kind

        record = self._version_read(version)
        if record.format == "files":
            files = require_kind(record, TABLE, "Reading as a table (to_arrow, query, backed)")
            return record, "files", [f.path for f in files]
        where = tables.location(record._url(), record.format, record.delta_version)
        return record, record.format, where

    @at_origin
    def to_arrow(self, version: int | None = None):
        """The table (at ``version``, default latest) as a pyarrow Table."""
        from . import tables

        record, kind, where = self._sources(version)
        with storage_errors(f"reading dataset {self.name!r}"):
            return tables.read(where, kind, record.delta_version, self._options())

    @at_origin
    def load(self, version: int | None = None, *, join: str | None = None,
             label: str | None = None):  # fmt: skip
        """The data (at ``version``, default this record's) in memory: a table as a pandas
        DataFrame; a dataset of AnnData files as one AnnData concatenated along obs
        (``join="inner"`` keeps the common var names, ``"outer"`` all; ``label="file"``
        adds an obs column with each file's uid); TileDB files as a list of arrays."""
        if self.format == "files":
            from . import collection

            record = self._version_read(version)
            if collection.collection_kind(record) != collection.TABLE:
                with storage_errors(f"loading dataset {self.name!r}"):
                    return collection.load(record, join, label)
        if join is not None or label is not None:
            raise ValidationError("join= and label= apply to datasets of AnnData files.")
        return self.to_arrow(version).to_pandas()

    @at_origin
    def stage(self, version: int | None = None) -> list:
        """Local paths of every file of a dataset of files, verified against their hashes
        (remote files are copied into the cache once, with a progress bar)."""
        from . import collection

        record = self._files_record(version, "stage() copies the files of a dataset of "
                                    "files; {name!r} is a {format} table, read in place "
                                    "(load, query, backed).")  # fmt: skip
        with storage_errors(f"staging dataset {self.name!r}"):
            return collection.stage(record)

    @at_origin
    def mapped(self, obs_keys: Any = None, *, join: str | None = "inner",
               layer: str | None = None, dtype: str = "float32",
               version: int | None = None):  # fmt: skip
        """The observations of a dataset of AnnData files as one map-style dataset, read
        from the files (staged, verified) without loading them.

        ``len(m)``, ``m[i]`` → ``{"X": row, key: code, "_file": k}``, ``m.__getitems__``
        for a PyTorch DataLoader, ``m.batch(indices)`` for stacked arrays,
        ``m.encoders[key]`` (label → code, the same across files) and ``m.weights(by=)``.
        See :mod:`lakecat.datasets.mapped`.
        """
        from . import collection

        record = self._files_record(version, "mapped() streams a dataset of AnnData "
                                    "files; {name!r} is a {format} table (use backed() "
                                    "or query()).")  # fmt: skip
        with storage_errors(f"opening dataset {self.name!r}"):
            return collection.mapped(record, obs_keys=obs_keys, join=join, layer=layer,
                                     dtype=dtype)  # fmt: skip

    @at_origin
    def to_polars(self, version: int | None = None):
        """The table as a polars DataFrame."""
        import polars as pl

        return pl.from_arrow(self.to_arrow(version))

    @at_origin
    def query(self, sql: str, *, version: int | None = None):
        """Run a read-only SELECT over the table, named ``self``, with DuckDB (pandas).

        Examples:
            >>> import lakecat as lc, pandas as pd
            >>> ds = lc.Dataset(pd.DataFrame({"x": [1, 2, 3]}), name="doc-ds").save()
            >>> int(ds.query("SELECT sum(x) AS s FROM self")["s"][0])
            6
        """
        from . import tables

        tables.check_select(sql)
        record, kind, where = self._sources(version)
        return tables.query(sql, where, kind, record.delta_version, self._options())

    @at_origin
    def backed(self, version: int | None = None):
        """A lazy DuckDB relation over the table (nothing is loaded until you fetch)."""
        from . import tables

        record, kind, where = self._sources(version)
        return tables.relation(where, kind, record.delta_version, self._options())

    @property
    @at_origin
    def path(self) -> str:
        """Where the table lives (URL or local path)."""
        return self._url()


def statements_select(backend, dataset_id: int):
    """The (feature_set_id, slot) links of one dataset version."""
    from catalog_sql import statements

    return statements.select_where_in(backend.target, "dataset_feature_set",
                                      ["feature_set_id", "slot"], "dataset_id",
                                      [dataset_id])  # fmt: skip


def _data_of(record) -> Any:
    """What a new Dataset record was given: its table or its list of Files."""
    files = state(record).files
    return files if files is not None else state(record).table


def _same_files(existing, files: list) -> bool:
    """Whether the latest version ``existing`` holds exactly ``files``."""
    from .collection import files_hash, members

    return existing.hash == files_hash(files) and {f.id for f in members(existing)} == {
        f.id for f in files
    }


def retrying(write):
    """See :func:`lakecat.core.writes.retrying`."""
    from ..core.writes import retrying as retry

    return retry(write)


@contextmanager
def _turn(cls) -> Iterator[None]:
    """One transaction holding the registry's version lock: writers of a dataset take
    turns from reading its latest version to registering the new one."""
    from ..instance import current

    backend = current().backend
    with backend.transaction():
        backend.lock_table(cls._meta.table)
        yield


def _view_for(record) -> str:
    """``ds_<name>``; if another dataset's name maps to the same view, the family created
    later gets ``ds_<name>_<family id>`` (and a warning), so no view shows the wrong data."""
    base = view_name(record.name)
    root = record.initial_version_id or record.id
    rivals = set()
    for name, row_id, initial in (
        type(record).filter(is_latest=True).values_list("name", "id", "initial_version_id")
    ):
        family = initial or row_id
        if family != root and view_name(name) == base:
            rivals.add(family)
    if not rivals or root < min(rivals):
        return base
    logger.warning("dataset %r shares view %s with another dataset; using %s_%d",
                   record.name, base, base, root)  # fmt: skip
    return f"{base}_{root}"


def _refresh_view(record) -> None:
    """Keep ``ds_<name>`` in the catalog reading the latest *registered* version, pinned
    (a Delta commit nobody registered never shows; DuckDB back end)."""
    from ..instance import current
    from . import tables

    instance = current()
    if "catalog_views" not in instance.backend.capabilities:
        return
    if record.format == "files":
        from .collection import TABLE, collection_kind

        if collection_kind(record) != TABLE:
            return  # AnnData / TileDB files have no SQL view
    _, kind, where = record._sources(None)
    version = record.delta_version if kind == "delta" else None
    name = _view_for(record)
    try:
        tables.create_view(instance.backend, name, where, kind, version)
    except Exception as err:  # noqa: BLE001 - a view is a convenience; say why it is missing
        logger.warning("could not create view %s: %s", name, err)
