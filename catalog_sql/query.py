"""``Q`` objects: lookups combined with ``&``, ``|`` and ``~``."""

from __future__ import annotations

from typing import Any


class Q:
    """A tree of filter lookups, combined like Django's ``Q``.

    Examples:
        >>> q = Q(name="a") | ~Q(name__startswith="b")
        >>> q.connector, len(q.children)
        ('OR', 2)
    """

    AND = "AND"
    OR = "OR"

    def __init__(self, *args: Q, **lookups: Any) -> None:
        for arg in args:
            if not isinstance(arg, Q):
                from .errors import ValidationError

                raise ValidationError(
                    f"Positional filter arguments must be Q objects, got {arg!r}."
                )
        items = [(k, _materialize(v) if k.endswith("__in") else v) for k, v in lookups.items()]
        self.children: list[Q | tuple[str, Any]] = [*args, *items]
        self.connector = Q.AND
        self.negated = False

    def _combine(self, other: Q, connector: str) -> Q:
        if not isinstance(other, Q):
            return NotImplemented
        node = Q()
        node.connector = connector
        node.children = [self, other]
        return node

    def __and__(self, other: Q) -> Q:
        return self._combine(other, Q.AND)

    def __or__(self, other: Q) -> Q:
        return self._combine(other, Q.OR)

    def __invert__(self) -> Q:
        node = Q()
        node.children = [self]
        node.negated = True
        return node

    def __bool__(self) -> bool:
        return bool(self.children)

    def leaves(self):
        """Yield ``(key, value)`` pairs in the order the compiler visits them."""
        for child in self.children:
            if isinstance(child, Q):
                yield from child.leaves()
            else:
                yield child

    def __repr__(self) -> str:
        inner = f" {self.connector} ".join(
            repr(c) if isinstance(c, Q) else f"{c[0]}={c[1]!r}" for c in self.children
        )
        return f"{'~' if self.negated else ''}Q({inner})"


def _materialize(value: Any) -> Any:
    """Read a generator or iterator once, so the query can be compiled and run again."""
    if hasattr(value, "__iter__") and not isinstance(
        value, (list, tuple, set, frozenset, str, bytes, dict)
    ):
        return list(value)
    return value
