"""Behaviour shared by the bio registries: identity, public sources (see :mod:`.public`)."""

from __future__ import annotations

from typing import Any, ClassVar


class BioRecordMixin:
    """What every bio registry adds to :class:`lakecat.Record`."""

    #: The field holding the public identifier (``ontology_id``; Gene: ``ensembl_gene_id``).
    _ontology_id_field: ClassVar[str] = "ontology_id"
    #: Whether saving a public term also saves its missing ancestors (not for Organism:
    #: the taxonomy up to the root is rarely wanted).
    _save_ancestors: ClassVar[bool] = True

    def _after_insert(self, instance: Any) -> None:
        """Link a record made from a public term to its parents (inside the save)."""
        from .public import link_public_parents

        link_public_parents(self)

    @classmethod
    def _organism_for(cls, organism: Any):
        """The Organism record for ``organism`` (a name or a record; created if needed)."""
        from .public import _organism_record

        return _organism_record(cls, organism)

    @classmethod
    def _public_matches(cls, values: list[str], field: str, organism: Any) -> set[str]:
        """Which values exist in the public source (``inspect`` reports them)."""
        from .public import public_matches

        return public_matches(cls, values, field, organism)

    def _identity_columns(self) -> list[str]:
        """The same public identifier is the same record; a record without one (a term of
        your own) is the same as one with the same name."""
        field = self._ontology_id_field
        if self.__dict__.get(field) is not None:
            return [field]
        return [self._meta.name_field]

    @classmethod
    def public(cls, source: Any = None, **kwargs: Any):
        """The registry's public source as a searchable table (see :mod:`.public`)."""
        from .public import public

        return public(cls, source, **kwargs)

    @classmethod
    def from_public(cls, **lookups: Any):
        """A record (unsaved) made from the public source's term matching ``lookups``."""
        from .public import from_public

        return from_public(cls, **lookups)

    @classmethod
    def from_values(cls, values: Any, field: str | None = None, **kwargs: Any) -> list:
        """Records for ``values``: existing ones, else new ones from the public source."""
        from .public import from_values

        return from_values(cls, values, field, **kwargs)

    @classmethod
    def import_source(cls, source: Any = None, **kwargs: Any):
        """Bulk-load every term of a public source into the registry (idempotent)."""
        from .public import import_source

        return import_source(cls, source, **kwargs)


class SourceMixin:
    """Behaviour of ``Source``."""

    @classmethod
    def current(cls, entity: str, organism: str | None = None):
        """The source a registry uses by default (see :mod:`.public`)."""
        from .public import current_source

        return current_source(entity, organism)
