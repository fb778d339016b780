"""``lakecat serve``: a read-only web page over an instance (needs ``lakecat[serve]``).

``app`` (routes), ``pages`` (what each page shows), ``listing`` (a registry as a table),
``previews`` (a look inside a File), ``download`` (exports and blobs), ``format`` (cells),
``server`` (binding and running uvicorn), ``templates/`` and ``static/`` (shipped with the
package: no build step, no CDN). ``import lakecat`` never imports this package.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable

from ..errors import MissingDependencyError

_NEEDS = ("starlette", "uvicorn", "jinja2")


def check_dependencies() -> None:
    """Raise MissingDependencyError naming the extra when the web libraries are missing."""
    import importlib.util

    missing = [name for name in _NEEDS if importlib.util.find_spec(name) is None]
    if missing:
        raise MissingDependencyError(
            f"lakecat serve needs {', '.join(missing)}: pip install 'lakecat[serve]'."
        )


def serve(
    instance: str | None = None,
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    echo: Callable[[str], None] = print,
) -> None:
    """Serve ``instance`` (a path or name; default: the current one) until Ctrl+C.

    Rendered SQL stays in memory (pages at many offsets would otherwise grow the disk
    cache of statement shapes); the catalog file is shared as every lakecat process
    shares it (released when idle or when another process waits).
    """
    check_dependencies()
    os.environ.setdefault("LAKECAT_NO_SQL_CACHE", "1")
    from ..instance import connect, current
    from .app import create_app
    from .server import allowed_hosts, bind, bind_notice, run, url_of

    inst = connect(instance) if instance else current()
    sock = bind(host, port)
    echo(f"Serving lakecat instance {inst.name!r} (read-only) at {url_of(sock)}")
    notice = bind_notice(host)
    if notice:
        echo(notice)
    echo("Press Ctrl+C to stop.")
    with contextlib.suppress(KeyboardInterrupt):  # uvicorn stopped cleanly, then re-raised
        run(create_app(allowed_hosts=allowed_hosts(host)), sock)
    echo("Stopped.")
