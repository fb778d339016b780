"""Short random base62 identifiers."""

from __future__ import annotations

import os

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_LIMIT = 248  # largest multiple of 62 below 256: bytes >= 248 are dropped (no bias)
_DROP = bytes(range(_LIMIT, 256))
_MAP = bytes.maketrans(bytes(range(_LIMIT)), (ALPHABET * 4).encode())


def uids(n: int, length: int) -> list[str]:
    """``n`` random base62 strings of ``length`` characters, made in one pass.

    Examples:
        >>> [len(u) for u in uids(3, 8)]
        [8, 8, 8]
        >>> set("".join(uids(100, 20))) <= set(ALPHABET)
        True
    """
    need = n * length
    pool = b""
    while len(pool) < need:
        pool += os.urandom(int((need - len(pool)) * 1.05) + 16).translate(None, _DROP)
    text = pool[:need].translate(_MAP).decode()
    return [text[i : i + length] for i in range(0, need, length)]


def uid(length: int) -> str:
    """One random base62 string.

    Examples:
        >>> len(uid(12))
        12
    """
    return uids(1, length)[0]
