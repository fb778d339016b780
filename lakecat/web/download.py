"""Bytes leaving the server: a registry listing as CSV / JSON / Parquet (streamed in
batches), and a File's blob (verified against its hash, never a path outside storage)."""

from __future__ import annotations

import io
import json
import posixpath
import zipfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from ..errors import NotFoundError

MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "json": "application/json",
    "parquet": "application/vnd.apache.parquet",
}
CHUNK = 1 << 20


def export_stream(batches: Iterable[Any], fmt: str) -> Iterator[bytes]:
    """The rows of pyarrow ``batches`` encoded as ``fmt`` (csv, json or parquet)."""
    writer = {"csv": _csv, "json": _json, "parquet": _parquet}[fmt]
    return writer(iter(batches))


def _csv(batches: Iterator[Any]) -> Iterator[bytes]:
    import pyarrow.csv as pacsv

    for number, batch in enumerate(batches):
        sink = io.BytesIO()
        options = pacsv.WriteOptions(include_header=number == 0)
        pacsv.write_csv(batch, sink, write_options=options)
        yield sink.getvalue()


def _json(batches: Iterator[Any]) -> Iterator[bytes]:
    yield b"["
    first = True
    for batch in batches:
        parts = [json.dumps(row, default=str) for row in batch.to_pylist()]
        if parts:
            yield (("" if first else ",") + ",\n".join(parts)).encode()
            first = False
    yield b"]\n"


class _Sink(io.RawIOBase):
    """A write-only stream whose bytes are collected until taken."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []
        self.size = 0

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        self.parts.append(bytes(data))
        self.size += len(data)
        return len(data)

    def tell(self) -> int:
        return self.size

    def take(self) -> bytes:
        data, self.parts = b"".join(self.parts), []
        return data


def _parquet(batches: Iterator[Any]) -> Iterator[bytes]:
    import pyarrow.parquet as pq

    sink = _Sink()
    writer = None
    for batch in batches:
        if writer is None:
            writer = pq.ParquetWriter(sink, batch.schema)
        writer.write_table(batch.cast(writer.schema))
        yield sink.take()
    if writer is not None:
        writer.close()
    yield sink.take()


# ------------------------------------------------------------------ blobs


def download_name(file: Any) -> str:
    """The file name a browser saves a File's blob under.

    Examples:
        >>> class F: key, uid, suffix, blob = "tables/cells.parquet", "Ab", ".parquet", "x"
        >>> download_name(F())
        'cells.parquet'
    """
    if file.key:
        return posixpath.basename(file.key.rstrip("/")) or f"{file.uid}{file.suffix or ''}"
    return f"{file.uid}{file.suffix or ''}"


def blob_path(file: Any) -> Path:
    """A local, hash-verified path to ``file``'s bytes (staged when storage is remote).

    Raises:
        NotFoundError: The blob's recorded location is not inside the instance's storage.
        IntegrityError: The bytes no longer match the recorded hash.
    """
    storage = file._storage()
    location = storage.url(file.blob or "")
    key = storage.contains(location)
    if not file.blob or key is None or key.startswith("..") or posixpath.isabs(key):
        raise NotFoundError(f"File {file.uid} has no blob inside its storage to download.")
    return Path(file.stage())


def zip_stream(folder: Path) -> Iterator[bytes]:
    """A folder (zarr, TileDB) as a zip archive, produced while it is sent."""
    sink = _Sink()
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_STORED) as archive:
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            with (
                open(path, "rb") as src,
                archive.open(
                    f"{folder.name}/{path.relative_to(folder).as_posix()}", "w", force_zip64=True
                ) as dst,
            ):
                while chunk := src.read(CHUNK):
                    dst.write(chunk)
                    yield sink.take()
    yield sink.take()
