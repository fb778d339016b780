"""Feature sets: the columns of a table or the variables of an AnnData as records.

A FeatureSet is identified by the hash of its members' names and types, so the same
columns registered twice reuse one FeatureSet, and Features are reused by (name, type).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from catalog_sql import statements

CHUNK = 1000


def describe_dataframe(df: Any) -> list[tuple[str, str]]:
    """(name, feature type) of each column of a pandas or polars DataFrame or Arrow table:
    one vocabulary (``int``, ``float``, ``str``, ``cat``…) whatever the library's dtype,
    so the same column is the same Feature.

    Examples:
        >>> import pandas as pd
        >>> describe_dataframe(pd.DataFrame({"n": [1], "c": pd.Categorical(["a"])}))
        [('n', 'int'), ('c', 'cat')]
    """
    from .annotations import dtype_type

    if hasattr(df, "schema") and hasattr(df, "column_names"):  # pyarrow.Table
        return [(f.name, dtype_type(f.type)) for f in df.schema]
    if hasattr(df, "dtypes") and hasattr(df, "columns"):
        return [(str(c), dtype_type(t)) for c, t in zip(df.columns, df.dtypes)]
    raise TypeError(f"Cannot list the columns of a {type(df).__name__}.")


def describe_anndata(adata: Any, field: str | None = None) -> dict[str, list[tuple[str, str]]]:
    """Feature lists for an AnnData: ``var`` (names or ``var[field]``) and ``obs`` columns."""
    from .annotations import dtype_type

    names = adata.var_names if field is None else adata.var[field]
    dtype = dtype_type(getattr(adata.X, "dtype", "float"))
    slots = {"var": [(str(n), dtype) for n in names]}
    if len(adata.obs.columns):
        slots["obs"] = describe_dataframe(adata.obs)
    return slots


def members_hash(items: Sequence[tuple[str, str]]) -> str:
    """Hash of a feature set's members, independent of order.

    Examples:
        >>> members_hash([("a", "int64"), ("b", "str")]) == members_hash([("b", "str"), ("a", "int64")])
        True
    """  # noqa: E501
    from ..hashing import hash_bytes

    return hash_bytes("".join(f"{name}\t{kind}\n" for name, kind in sorted(items)).encode())[:40]


def feature_set_for(items: Sequence[tuple[str, str]], *, name: str | None = None):
    """The FeatureSet with exactly these (name, type) members, created if needed."""
    from ..core.catalog import registry_class

    FeatureSet = registry_class("FeatureSet")

    digest = members_hash(items)
    existing = FeatureSet.filter(hash=digest).one_or_none()
    if existing is not None:
        return existing
    features = _features(items)
    feature_set = FeatureSet(name=name, n=len(items), registry="Feature", hash=digest).save()
    _link(feature_set.id, [f.id for f in features])
    return feature_set


def _features(items: Sequence[tuple[str, str]]) -> list:
    from ..core.catalog import registry_class

    Feature = registry_class("Feature")
    from ..core.writes import save

    wanted = {(n, t) for n, t in items}
    names = sorted({n for n, _ in items})
    found = {}
    for start in range(0, len(names), CHUNK):
        for feature in Feature.filter(name__in=names[start : start + CHUNK]).list():
            found.setdefault((feature.name, feature.type), feature)
    new = [Feature(name=n, type=t) for n, t in sorted(wanted - set(found))]
    if new:
        save(new)
        found.update({(f.name, f.type): f for f in new})
    return [found[item] for item in sorted(wanted)]


def _link(feature_set_id: int, feature_ids: list[int]) -> None:
    from ..instance import current

    backend = current().backend
    if len(feature_ids) > 50:  # bulk through Arrow
        import pyarrow as pa

        rows = pa.table(
            {"feature_set_id": [feature_set_id] * len(feature_ids), "feature_id": feature_ids}
        )
        backend.insert_arrow("feature_set_feature", rows)
        return
    for feature_id in feature_ids:
        row = {"feature_set_id": feature_set_id, "feature_id": feature_id}
        backend.execute(statements.insert_row(backend.target, "feature_set_feature", row))


def link_file(file_id: int, feature_set_id: int, slot: str) -> None:
    """Attach a feature set to a file under ``slot`` (a no-op if it is attached)."""
    from ..core.catalog import registry_class
    from ..instance import current

    FeatureSet = registry_class("FeatureSet")

    if FeatureSet.filter(id=feature_set_id, files__id=file_id).exists():
        return
    backend = current().backend
    row = {"file_id": file_id, "feature_set_id": feature_set_id, "slot": slot}
    backend.execute(statements.insert_row(backend.target, "file_feature_set", row))


def file_feature_sets(file_id: int) -> dict[str, Any]:
    """Slot → FeatureSet for a file."""
    from ..core.catalog import registry_class
    from ..instance import current

    FeatureSet = registry_class("FeatureSet")

    backend = current().backend
    stmt = statements.select_where_in(
        backend.target, "file_feature_set", ["feature_set_id", "slot"], "file_id", [file_id]
    )
    links = backend.fetch(stmt)[1]
    sets = {fs.id: fs for fs in FeatureSet.filter(id__in=[fid for fid, _ in links]).list()}
    return {slot: sets[fid] for fid, slot in links}
