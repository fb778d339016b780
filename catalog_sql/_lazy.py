"""``exp``: sqlglot's expression module, imported the first time SQL is built.

Importing sqlglot costs ~85 ms, a third of a short-lived process (a tracked script, a CLI
call). Its SQL comes from the rendered-SQL cache (:mod:`catalog_sql.sqlcache`), so such a
process never builds a tree and should not pay for the import. Modules that build SQL
say ``from ._lazy import exp`` and use ``exp.Select`` etc. as before.
"""

from __future__ import annotations

import importlib
from typing import Any


class _LazyModule:
    """A module imported on first attribute access.

    Examples:
        >>> from catalog_sql._lazy import exp
        >>> exp.Literal.string("it's").sql("duckdb")
        "'it''s'"
    """

    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, attr: str) -> Any:
        module = importlib.import_module(self._name)
        value = getattr(module, attr)
        setattr(self, attr, value)  # the next access is a plain attribute lookup
        return value


exp: Any = _LazyModule("sqlglot.expressions")
