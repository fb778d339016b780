"""OBO and OWL ontology files, read with pronto (fastobo underneath for OBO).

Imports are never followed (``import_depth=0``): reading a file never downloads.
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path
from typing import Any

from ...errors import MissingDependencyError, SourceError
from ._tables import Terms, is_obsolete_label, text

_HEADER_BYTES = 65536
_OBO_VERSION = re.compile(rb"^data-version:\s*(\S+)", re.MULTILINE)
_OWL_VERSION = re.compile(
    rb"<owl:versionInfo[^>]*>([^<]+)</owl:versionInfo>|<owl:versionIRI[^>]*rdf:resource=\"([^\"]+)\""
)
_DATE = re.compile(r"(\d{4}-\d{2}-\d{2})")


def _release(raw: str) -> str:
    """A release name from a data-version or version IRI ("hp/releases/2025-01-16" →
    "2025-01-16"; otherwise its last path part)."""
    date = _DATE.search(raw)
    if date:
        return date.group(1)
    parts = [p for p in raw.rstrip("/").split("/") if p]
    return parts[-1] if parts else raw


def header_version(path: Path) -> str | None:
    """The release named in the file's header (OBO ``data-version``, OWL
    ``versionInfo``/``versionIRI``), read from its first 64 KiB; ``None`` if absent.

    Examples:
        >>> import tempfile, pathlib
        >>> p = pathlib.Path(tempfile.mkdtemp()) / "x.obo"
        >>> _ = p.write_text("format-version: 1.2\\ndata-version: x/releases/2024-05-01\\n")
        >>> header_version(p)
        '2024-05-01'
    """
    try:
        with open(path, "rb") as handle:
            head = handle.read(_HEADER_BYTES)
    except OSError:
        return None
    if head[:2] == b"\x1f\x8b":  # gzip: the start of the stream is enough
        import zlib

        try:
            head = zlib.decompressobj(31).decompress(head)
        except zlib.error:
            return None
    match = _OBO_VERSION.search(head) or _OWL_VERSION.search(head)
    if not match:
        return None
    raw = next(g for g in match.groups() if g).decode("utf-8", "replace").strip()
    return _release(raw)


def _ontology(path: Path) -> Any:
    try:
        import pronto
    except ImportError:
        raise MissingDependencyError(
            "reading OBO/OWL files needs pronto: pip install 'lakecat[bio]'"
        ) from None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # encoding guesses, unsupported OWL constructs
            return pronto.Ontology(str(path), import_depth=0)
    except SyntaxError as exc:  # fastobo's and ElementTree's errors carry the line
        position = getattr(exc, "position", None)  # ElementTree's ParseError: (line, column)
        line = exc.lineno or (position[0] if position else None)
        where = f", line {line}" if line else ""
        raise SourceError(
            f"{path}{where}: not a valid OBO/OWL file: {exc.msg or exc}.", path=str(path), line=line
        ) from None
    except Exception as exc:  # noqa: BLE001 - pronto raises many kinds; all mean "unreadable"
        raise SourceError(
            f"{path}: not a readable OBO/OWL ontology: {exc}.", path=str(path)
        ) from None


def _definition(term: Any) -> str | None:
    return text(str(term.definition)) if term.definition else None


def read(path: Path, only: str | None = None) -> Terms:
    """The terms of an OBO or OWL file: id, name, synonyms, definition, is_a parents,
    obsolete; ``only`` keeps one id prefix."""
    ontology = _ontology(path)
    terms = Terms()
    prefix = f"{only}:" if only else None
    for term in ontology.terms():
        if prefix and not term.id.startswith(prefix):
            continue
        name = text(term.name)
        parents = [p.id for p in term.superclasses(distance=1, with_self=False)]
        terms.add(
            text(term.id),
            name,
            sorted({s.description for s in term.synonyms if text(s.description)}),
            _definition(term),
            parents,
            bool(term.obsolete) or is_obsolete_label(name),
        )
    return terms
