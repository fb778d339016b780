"""The ontologies that ``cellxgene-ontology-guide`` ships, and its JSON format.

The package carries ``data/<ONTOLOGY>-ontology-<version>.json.zst``, several releases of
each, and ``latest_ontology_info.json`` naming the current release and where it comes
from. A file is one JSON object ``{term_id: {label, description?, synonyms?,
ancestors: {id: distance}, deprecated, …}}``; the direct parents are the ancestors at
distance 1. User files in that shape (``.json`` or ``.json.zst``) are read the same way.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

from ...errors import SourceError
from ._model import SourceInfo, plain_version, version_order
from ._packages import package_dir, package_version
from ._tables import Terms, is_obsolete_label, text, texts

PACKAGE = "cellxgene_ontology_guide"
DISTRIBUTION = "cellxgene-ontology-guide"


class Offered(NamedTuple):
    """One ontology of the package as a source: which file prefix, which registry."""

    ontology: str  # the file-name prefix and the key in latest_ontology_info.json
    entity: str
    name: str
    organism: str
    description: str
    only: str | None = None  # keep only the ids with this prefix (ZFA and ZFS share a file)


#: The package's ontologies, one row per source (bionty's entities and names).
OFFERED = (
    Offered("CL", "CellType", "cl", "all", "Cell Ontology"),
    Offered("UBERON", "Tissue", "uberon", "all", "Uberon multi-species anatomy ontology"),
    Offered("FBbt", "Tissue", "fbbt", "fly", "Drosophila gross anatomy ontology"),
    Offered("WBbt", "Tissue", "wbbt", "worm", "C. elegans gross anatomy ontology"),
    Offered("ZFA", "Tissue", "zfa", "zebrafish", "Zebrafish anatomy ontology", "ZFA"),
    Offered("MONDO", "Disease", "mondo", "all", "Mondo Disease Ontology"),
    Offered("PATO", "Phenotype", "pato", "all", "Phenotype And Trait Ontology"),
    Offered("EFO", "ExperimentalFactor", "efo", "all", "Experimental Factor Ontology"),
    Offered("HsapDv", "DevelopmentalStage", "hsapdv", "human", "Human Developmental Stages"),
    Offered("MmusDv", "DevelopmentalStage", "mmusdv", "mouse", "Mouse Developmental Stages"),
    Offered("FBdv", "DevelopmentalStage", "fbdv", "fly", "Drosophila development ontology"),
    Offered("WBls", "DevelopmentalStage", "wbls", "worm", "C. elegans development ontology"),
    Offered("ZFA", "DevelopmentalStage", "zfs", "zebrafish", "Zebrafish stages", "ZFS"),
    Offered("HANCESTRO", "Ethnicity", "hancestro", "human", "Human Ancestry Ontology + AfPO"),
    Offered("CVCL", "CellLine", "cellosaurus", "all", "Cellosaurus cell lines"),
    Offered("NCBITaxon", "Organism", "ncbitaxon", "all", "NCBI organismal classification"),
    Offered("UniProt", "Protein", "uniprot", "all", "UniProtKB/Swiss-Prot entries"),
    Offered("CHEBI", "Compound", "chebi", "all", "Chemical Entities of Biological Interest"),
)

_FILE = re.compile(r"^(?P<ontology>[A-Za-z]+)-ontology-(?P<version>.+)\.json\.zst$")


def _releases(data: Path) -> dict[str, dict[str, Path]]:
    """``{ontology: {version as in the file name: path}}``."""
    found: dict[str, dict[str, Path]] = {}
    for path in data.glob("*-ontology-*.json.zst"):
        match = _FILE.match(path.name)
        if match:
            found.setdefault(match["ontology"], {})[match["version"]] = path
    return found


def _latest(data: Path) -> dict[str, Any]:
    try:
        return json.loads((data / "latest_ontology_info.json").read_text())["ontologies"]
    except (OSError, ValueError, KeyError):
        return {}


def _url(info: dict[str, Any], version: str) -> str:
    template = info.get("url") or info.get("source", "")
    try:
        return template.format(version=version, filename=info.get("filename", ""))
    except (KeyError, IndexError, ValueError):
        return template


def sources() -> Iterator[SourceInfo]:
    """Every release of every ontology the installed package ships (none if absent)."""
    root = package_dir(PACKAGE)
    if root is None or not (root / "data").is_dir():
        return
    data = root / "data"
    releases, latest = _releases(data), _latest(data)
    provider = f"{DISTRIBUTION} {package_version(DISTRIBUTION)}"
    for offered in OFFERED:
        versions = releases.get(offered.ontology, {})
        if not versions:
            continue
        info = latest.get(offered.ontology, {})
        newest = info.get("version")
        if newest not in versions:
            newest = max(versions, key=version_order)
        for version, path in sorted(versions.items(), key=lambda kv: version_order(kv[0])):
            yield SourceInfo(
                entity=offered.entity,
                name=offered.name,
                version=plain_version(version),
                organism=offered.organism,
                url=_url(info, version),
                provider=provider,
                current=version == newest,
                description=offered.description,
                path=str(path),
                format=f"cellxgene-json[{offered.only}]" if offered.only else "cellxgene-json",
            )


def _pairs(pairs: list[tuple[str, Any]]) -> Any:
    """JSON object hook: an ``ancestors`` map (every value an int distance) becomes the
    list of its direct parents at once, which keeps NCBITaxon's 1.2M maps small."""
    if pairs and all(type(value) is int for _, value in pairs):
        return [key for key, distance in pairs if distance == 1]
    return dict(pairs)


def _open_json(path: Path) -> Any:
    with open(path, "rb") as raw:
        if path.name.lower().endswith(".zst"):
            import zstandard

            raw = zstandard.ZstdDecompressor().stream_reader(raw)
        return json.load(raw, object_pairs_hook=_pairs)


def _unreadable() -> tuple[type[BaseException], ...]:
    import zstandard

    return (UnicodeDecodeError, OSError, ValueError, zstandard.ZstdError)


def _load(path: Path) -> dict[str, Any]:
    try:
        data = _open_json(path)
    except json.JSONDecodeError as exc:
        raise SourceError(
            f"{path}: not valid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}.",
            path=str(path),
            line=exc.lineno,
        ) from None
    except _unreadable() as exc:
        raise SourceError(
            f"{path}: cannot be read as (zstd) JSON: {exc}.", path=str(path)
        ) from None
    if not isinstance(data, dict):
        raise SourceError(
            f"{path}: expected one JSON object {{term_id: {{label, …}}}}, "
            f"found a {type(data).__name__}.",
            path=str(path),
        )
    return data


def _parents(ancestors: Any) -> list[str]:
    if type(ancestors) is list:  # the object hook already kept the direct parents
        return ancestors
    if isinstance(ancestors, dict):  # an empty map, or one with non-integer distances
        return [k for k, v in ancestors.items() if v == 1]
    return texts(ancestors)


def _label(value: Any) -> str | None:
    """:func:`text`, with the usual case (a non-blank string) first: this runs for every
    one of NCBITaxon's 1.2M terms."""
    if type(value) is str:
        return value if value and not value.isspace() else None
    return text(value)


def _check(path: Path, term_id: str, entry: Any) -> None:
    if not isinstance(entry, dict):
        raise SourceError(
            f"{path}: entry {term_id!r} is a {type(entry).__name__}, expected an "
            "object with a label.",
            path=str(path),
            entry=term_id,
        )


def read(path: Path, only: str | None = None) -> Terms:
    """The terms of a cellxgene-style JSON(.zst) file; ``only`` keeps one id prefix.

    A term whose label starts with "obsolete" counts as deprecated even where the file
    does not flag it (FBbt's release does not).

    Raises:
        SourceError: unreadable JSON, or an entry that is not an object.
    """
    terms = Terms()
    prefix = f"{only}:" if only else None
    for term_id, entry in _load(path).items():
        if prefix and not term_id.startswith(prefix):
            continue
        if type(entry) is not dict:
            _check(path, term_id, entry)
        name = _label(entry.get("label"))
        synonyms = entry.get("synonyms")
        terms.add(
            _label(term_id),
            name,
            texts(synonyms) if synonyms else [],
            _label(entry.get("description")),
            _parents(entry.get("ancestors")),
            entry.get("deprecated") is True or is_obsolete_label(name),
        )
    return terms
