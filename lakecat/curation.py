"""Curators: validate a DataFrame or an AnnData against registries, fix what can be fixed,
register the rest on request, and save the File with its features and labels.

Examples:
    >>> import lakecat as lc, pandas as pd
    >>> _ = lc.ULabel(name="donor-1").save()
    >>> curator = lc.Curator.from_df(pd.DataFrame({"donor": ["donor-1", "Donor-1"]}),
    ...                              categoricals={"donor": lc.ULabel.name})
    >>> curator.validate()
    False
    >>> curator.standardize("donor"); curator.validate()
    True
"""

from __future__ import annotations

import logging
from typing import Any

from .core.validation import InspectResult, inspect
from .errors import FieldError, ValidationError

logger = logging.getLogger("lakecat")
VAR_INDEX = "var_index"


def _field_ref(ref: Any) -> tuple[type, str]:
    """(registry, field name) from ``bt.CellType.name``, a registry (its name field), or
    ``(registry, "field")``."""
    if isinstance(ref, tuple) and len(ref) == 2:
        return ref[0], ref[1]
    owner = getattr(ref, "owner", None)
    if (
        owner is not None
        and hasattr(owner, "_meta")
        and isinstance(getattr(ref, "name", None), str)
    ):
        return owner, ref.name
    if isinstance(ref, type) and hasattr(ref, "_meta") and ref._meta.name_field:
        return ref, ref._meta.name_field
    raise ValidationError(
        f"A categorical is described by a registry field such as bt.CellType.name or "
        f"lc.ULabel.name, got {ref!r}."
    )


class _Column:
    """One validated column: where its values come from and what they are checked against."""

    def __init__(self, key: str, registry: type, field: str, organism: Any) -> None:
        self.key, self.registry, self.field, self.organism = key, registry, field, organism
        self.result: InspectResult | None = None

    def check(self, values: Any) -> InspectResult:
        kwargs = {"organism": self.organism} if "organism" in self.registry._meta.fields else {}
        self.result = inspect(self.registry, values, self.field, mute=True, **kwargs)
        return self.result


class DataFrameCurator:
    """Validates the categorical columns of a DataFrame (see :meth:`Curator.from_df`)."""

    def __init__(self, df: Any, categoricals: dict[str, Any], organism: Any = None) -> None:
        if not hasattr(df, "columns"):
            raise ValidationError(f"from_df() takes a pandas DataFrame, got {type(df).__name__}.")
        missing = [c for c in categoricals if c not in df.columns]
        if missing:
            raise FieldError(
                f"The DataFrame has no column(s) {', '.join(map(repr, missing))}; "
                f"columns: {', '.join(map(str, df.columns))}."
            )
        self.df = df
        self.organism = organism
        self._columns = {k: _Column(k, *_field_ref(v), organism) for k, v in categoricals.items()}
        self._validated: bool | None = None

    # what a column's values are (AnnData overrides for its var index)
    def _values(self, key: str) -> Any:
        return self.df[key]

    def _replace(self, key: str, mapping: dict[str, str]) -> None:
        column = self.df[key]
        categorical = hasattr(column, "cat")
        renamed = column.astype(object).map(
            lambda v: mapping.get(v, v) if isinstance(v, str) else v
        )
        self.df[key] = renamed.astype("category") if categorical else renamed

    def validate(self) -> bool:
        """Check every categorical; log what is not validated with suggestions."""
        ok = True
        for key, column in self._columns.items():
            result = column.check(self._values(key))
            if result.non_validated or result.missing:
                ok = False
                logger.warning(
                    "%r is not validated against %s.%s:\n  %s",
                    key,
                    column.registry.__name__,
                    column.field,
                    result.summary().replace("\n", "\n  "),
                )
        self._validated = ok
        return ok

    @property
    def non_validated(self) -> dict[str, list[str]]:
        """Column → values not (yet) validated (run :meth:`validate` first)."""
        self._need_validation()
        return {
            k: c.result.non_validated
            for k, c in self._columns.items()
            if c.result and c.result.non_validated
        }

    def _need_validation(self) -> None:
        if self._validated is None:
            self.validate()

    def standardize(self, key: str = "all") -> None:
        """Replace synonyms and case variants by the registry's canonical values, in place."""
        for name in self._keys(key):
            column = self._columns[name]
            kwargs = (
                {"organism": column.organism} if "organism" in column.registry._meta.fields else {}
            )
            mapping = column.registry.standardize(
                self._values(name), column.field, return_mapping=True, mute=True, **kwargs
            )
            if mapping:
                self._replace(name, mapping)
                logger.info(
                    "standardized %d values of %r: %s",
                    len(mapping),
                    name,
                    ", ".join(f"{a!r} → {b!r}" for a, b in list(mapping.items())[:5]),
                )
        self._validated = None

    def _keys(self, key: str) -> list[str]:
        if key == "all":
            return list(self._columns)
        if key not in self._columns:
            raise FieldError(f"No categorical {key!r}; known: {', '.join(self._columns)}.")
        return [key]

    def add_new_from(self, key: str) -> list:
        """Register the values of ``key`` that are not validated: from the public source
        where the registry has one (``bt`` registries), else as new records."""
        created = []
        for name in self._keys(key):
            column = self._columns[name]
            result = column.check(self._values(name))
            values = result.non_validated
            if not values:
                continue
            created += _create(column, values)
        self._validated = None
        return created

    def save_file(self, *, key: str | None = None, description: str | None = None, **kw: Any):
        """Save the data as a File with its features and labels; refuses (and saves
        nothing) unless every categorical is validated."""
        self._need_validation()
        if not self._validated:
            bad = {k: v[:5] for k, v in self.non_validated.items()}
            raise ValidationError(
                f"Not validated, so nothing was saved: {bad}. Run standardize(), "
                f"add_new_from(column) or fix the values, then validate() again."
            )
        file = self._file(key=key, description=description, **kw).save()
        for name, column in self._columns.items():
            labels = self._labels(name, column)
            if labels:
                file.labels.add(labels, feature=name)
        return file

    def _file(self, **kw: Any):
        from .registries import File

        return File.from_df(self.df, **kw)

    def _labels(self, name: str, column: _Column) -> list:
        values = list(dict.fromkeys(str(v) for v in self._values(name).tolist() if v == v))
        if name == VAR_INDEX:
            return []  # genes are features (the var FeatureSet), not labels
        return column.registry.filter(**{f"{column.field}__in": values}).list()


def _create(column: _Column, values: list[str]) -> list:
    """New records for ``values``: public terms where the registry has a source (matched
    by name, case or synonym), the values found nowhere as records of their own."""
    from .core.writes import save

    registry = column.registry
    kwargs = {"organism": column.organism} if column.organism is not None else {}
    created = []
    if hasattr(registry, "from_values"):
        created = save(registry.from_values(values, column.field, mute=True, **kwargs))
    organism = {"organism": column.organism} if "organism" in registry._meta.fields else {}
    result = inspect(registry, values, column.field, mute=True, **organism)
    rest = result.unknown + result.in_public
    if rest:
        extra = {}
        if "organism" in registry._meta.fields and column.organism is not None:
            extra["organism"] = registry._organism_for(column.organism)
        created += save([registry(**{column.field: v}, **extra) for v in rest])
    return created


class AnnDataCurator(DataFrameCurator):
    """Validates an AnnData's ``var`` index and ``obs`` categoricals."""

    def __init__(
        self, adata: Any, var_index: Any, categoricals: dict[str, Any], organism: Any = None
    ) -> None:
        if not hasattr(adata, "obs") or not hasattr(adata, "var"):
            raise ValidationError(f"from_anndata() takes an AnnData, got {type(adata).__name__}.")
        self.adata = adata
        super().__init__(adata.obs, categoricals, organism)
        if var_index is not None:
            self._columns[VAR_INDEX] = _Column(VAR_INDEX, *_field_ref(var_index), organism)

    def _values(self, key: str) -> Any:
        if key == VAR_INDEX:
            return self.adata.var_names
        return self.adata.obs[key]

    def _replace(self, key: str, mapping: dict[str, str]) -> None:
        if key == VAR_INDEX:
            names = [mapping.get(n, n) for n in self.adata.var_names]
            self.adata.var_names = names
            return
        super()._replace(key, mapping)

    def _file(self, **kw: Any):
        from .registries import File

        return File.from_anndata(self.adata, **kw)


class Curator:
    """Make curators: ``lc.Curator.from_df(df, categoricals={"cell_type": bt.CellType.name})``
    or ``lc.Curator.from_anndata(adata, var_index=bt.Gene.symbol, categoricals={…},
    organism="human")``."""

    @staticmethod
    def from_df(df: Any, categoricals: dict[str, Any], *, organism: Any = None):
        """A curator for a pandas DataFrame's categorical columns."""
        return DataFrameCurator(df, categoricals, organism)

    @staticmethod
    def from_anndata(
        adata: Any,
        *,
        var_index: Any = None,
        categoricals: dict[str, Any] | None = None,
        organism: Any = None,
    ):
        """A curator for an AnnData: ``var_names`` against ``var_index``, ``obs`` columns
        against ``categoricals``."""
        return AnnDataCurator(adata, var_index, categoricals or {}, organism)
