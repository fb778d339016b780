"""Install and load DuckDB extensions from the pinned wheels, never from the network."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from .errors import CatalogError

NO_DOWNLOADS = {"autoinstall_known_extensions": False, "autoload_known_extensions": False}


def extension_file(name: str) -> Path:
    """Path of the ``.duckdb_extension`` file shipped by ``duckdb-extension-<name>``.

    Examples:
        >>> extension_file("fts").name
        'fts.duckdb_extension'
    """
    import duckdb

    spec = importlib.util.find_spec(f"duckdb_extension_{name}")
    if spec is None or spec.origin is None:
        raise CatalogError(
            f"The DuckDB extension wheel for '{name}' is not installed. "
            f"Run: pip install duckdb-extension-{name}=={duckdb.__version__}"
        )
    path = Path(spec.origin).parent / "extensions" / f"v{duckdb.__version__}"
    path = path / f"{name}.duckdb_extension"
    if not path.exists():
        raise CatalogError(
            f"{path} is missing: the '{name}' extension wheel does not match duckdb "
            f"{duckdb.__version__}. Reinstall duckdb-extension-{name}=={duckdb.__version__}."
        )
    return path


def load_extension(con, name: str) -> None:
    """Load extension ``name`` into ``con``, installing it from its wheel if needed.

    Whether it is installed is asked, not tried: a failed ``LOAD`` inside a transaction
    would abort it (a machine whose DuckDB has never installed the extension). An
    installed extension is loaded, not installed again.
    """
    if not name.isidentifier():
        raise CatalogError(f"Not an extension name: {name!r}.")
    # spelled in, not bound: binding a Python value makes DuckDB import pandas (~1 s)
    rows = con.execute(  # by name or alias: "postgres" is postgres_scanner's
        f"SELECT installed, loaded FROM duckdb_extensions() "
        f"WHERE extension_name = '{name}' OR list_contains(aliases, '{name}')"
    ).fetchall()
    installed, loaded = rows[0] if rows else (False, False)
    if loaded:
        return
    if not installed:
        path = extension_file(name)
        con.execute("INSTALL ?".replace("?", "'" + str(path).replace("'", "''") + "'"))
    con.execute(f"LOAD {name}")
