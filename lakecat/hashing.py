"""The one content hash lakecat uses: BLAKE3 (docs/decisions.md §6).

Blobs, folders, feature sets and transform sources are all hashed through here, so the
algorithm and its settings live in one place.
"""

from __future__ import annotations

from typing import Any

HASH_TYPE = "blake3"


def hasher(*, parallel: bool = False) -> Any:
    """A streaming BLAKE3 hasher (``update()``, ``hexdigest()``); ``parallel`` uses every
    core (the tree mode gives the same digest)."""
    from blake3 import blake3

    return blake3(max_threads=blake3.AUTO if parallel else 1)


def hash_bytes(data: bytes) -> str:
    """The hex digest of ``data``.

    Examples:
        >>> hash_bytes(b"abc")[:16]
        '6437b3ac38465133'
    """
    digest = hasher()
    digest.update(data)
    return digest.hexdigest()
