"""The life of a save: the order in which saving calls a registry's hooks, and the state
one save carries from hook to hook.

``record.save()`` (and ``lakecat.save(records)``) runs, for a new record:

1. ``_before_save(instance)`` — outside any transaction (File: hash and copy the bytes
   into storage; the blob exists before any row).
2. one transaction (retried as a whole when another writer got in the way):
   a. an existing record with the same unique value found → ``_on_adopt(existing)``, and
      the record becomes that one (``state.adopted``);
   b. otherwise ids are reserved, :func:`lakecat.core.versions.assign` places versioned
      records in their family, the row is inserted, then ``_after_insert(instance)``.
3. on any failure: the record's fields and state are restored and ``_undo_save()`` runs
   (File: remove the blob this save wrote).

Deleting runs ``_after_delete()`` after the commit. The state below lives on the record
(``state(record)``), never in loose private attributes.
"""

from __future__ import annotations

import copy
import functools
from dataclasses import dataclass
from typing import Any


@dataclass
class SaveState:
    """What one record's save knows between its hooks."""

    #: ``is_new_version_of``: the record a new version derives from (until it is placed).
    previous: Any = None
    #: The save returned an existing record with the same unique value.
    adopted: bool = False
    #: File: what the bytes come from (a path, URL or object) until they are written.
    source: Any = None
    #: File: the blob this save wrote, removed again if the save fails.
    new_blob: str | None = None
    #: File: field values from before the blob was written, restored if the save fails.
    pre_blob: dict[str, Any] | None = None
    #: File: feature lists (slot → [(name, type)]) to link once the row exists.
    feature_lists: dict[str, Any] | None = None
    #: File: deleted together with its blob; the record cannot be saved again.
    blob_deleted: bool = False
    #: Dataset: the table (pyarrow) or the Files it will be made of, until written.
    table: Any = None
    files: list | None = None
    #: bio records from a public source: the ontology ids of their parents, linked after
    #: the insert (missing ancestors are created from the same source).
    public_parents: list | None = None
    #: A record read from another instance (``Registry.using(other)``): that instance.
    #: Saving it copies it into the current one (:func:`lakecat.mesh.transfer`).
    origin: Any = None


def state(record: Any) -> SaveState:
    """The save state of ``record`` (created on first use).

    Examples:
        >>> class R: pass
        >>> r = R(); state(r).adopted = True; state(r).adopted
        True
    """
    data = record.__dict__
    found = data.get("_state")
    if found is None:
        found = data["_state"] = SaveState()
    return found


def origin(record: Any) -> Any:
    """The other instance ``record`` was read from (``Registry.using``), or None."""
    found = getattr(record, "__dict__", {}).get("_state")
    return found.origin if found is not None else None


def require_local(record: Any, doing: str) -> None:
    """Refuse to use a record read from another instance where this instance's records
    are meant (its id means another row here)."""
    other = origin(record)
    if other is not None:
        from ..errors import ValidationError

        raise ValidationError(
            f"{type(record).__name__} {record.__dict__.get('uid')} was read from instance "
            f"{other.name!r}; {doing} takes records of this instance. Copy it here first: "
            f"record.transfer() (or .save())."
        )


def _in_origin_of(record_of):
    """A decorator running a method in the instance that ``record_of(self)`` was read
    from (``using``), if any."""

    def decorate(method):
        @functools.wraps(method)
        def run(self, *args: Any, **kwargs: Any) -> Any:
            other = origin(record_of(self))
            if other is None:
                return method(self, *args, **kwargs)
            from ..instance import using_instance

            with using_instance(other):
                return method(self, *args, **kwargs)

        return run

    return decorate


#: A read method of a record runs in the instance it was read from, so a File found in
#: another instance stages from that instance's storage.
at_origin = _in_origin_of(lambda record: record)
#: The same for the managers of a record (``file.labels``, ``.features``).
at_owner_origin = _in_origin_of(lambda manager: manager.owner)


def snapshot(record: Any) -> dict[str, Any]:
    """A copy of the record's fields and save state, for :func:`restore`."""
    data = record.__dict__.copy()
    if data.get("_state") is not None:
        data["_state"] = copy.copy(data["_state"])
    return data


def restore(record: Any, saved: dict[str, Any]) -> None:
    """Put the record back as it was at :func:`snapshot`."""
    record.__dict__.clear()
    record.__dict__.update(saved)
