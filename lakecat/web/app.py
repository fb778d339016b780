"""The read-only web page: starlette routes over lakecat's API, rendered with Jinja2.

Every page is a GET; addresses use record uids (``/r/file/<uid>``), so links are stable and
shareable. A lakecat error becomes a page with its message and a fitting status (unknown
uid 404 with suggestions, bad filter 400, refused SQL 400); anything unexpected is logged
with its traceback on the server and shown as one line, never as a traceback.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import (
    FileResponse,
    HTMLResponse,
    RedirectResponse,
    Response,
    StreamingResponse,
)
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from ..errors import (
    CatalogError,
    CatalogLockedError,
    FieldError,
    IntegrityError,
    LakecatError,
    NotFoundError,
    StorageError,
    ValidationError,
)
from . import listing as listings
from . import pages
from .download import MEDIA_TYPES, blob_path, download_name, export_stream, zip_stream
from .format import record_url

logger = logging.getLogger("lakecat")
HERE = Path(__file__).parent
EXPORTS = tuple(MEDIA_TYPES)
_STATUS: tuple[tuple[type[LakecatError], int], ...] = (
    (NotFoundError, 404),
    (FieldError, 400),
    (ValidationError, 400),
    (IntegrityError, 409),
    (StorageError, 502),
    (CatalogLockedError, 503),
    (CatalogError, 503),
)
_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; "
    "style-src 'self'; script-src 'self'; form-action 'self'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("lakecat.web", "templates"),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals.update(
        record_url=record_url,
        page_url=listings.page_url,
        sort_url=listings.sort_url,
        export_url=listings.export_url,
        without_filter=listings.without_filter,
        exports=EXPORTS,
    )
    return env


TEMPLATES = _environment()


def render(template: str, status: int = 200, **context: Any) -> HTMLResponse:
    """A page from ``templates/<template>`` with the navigation every page has."""
    from ..instance import current

    nav = sorted((cls.__name__, cls._meta.table) for cls in current().registries().values())
    html = TEMPLATES.get_template(template).render(instance_name=current().name, nav=nav, **context)
    return HTMLResponse(html, status_code=status, headers=_HEADERS)


def status_of(err: LakecatError) -> int:
    """The HTTP status for a lakecat error (500 for one no table entry names)."""
    return next((code for kind, code in _STATUS if isinstance(err, kind)), 500)


def error_page(request: Request, err: Exception) -> HTMLResponse:
    """The page for an error: its message, and for a missing record, near matches."""
    if not isinstance(err, LakecatError):
        logger.error("unexpected error on %s", request.url.path, exc_info=err)
        message = f"{type(err).__name__}: {err} (an unexpected error; see the server's log)"
        return render("error.html", 500, title="Server error", message=message, near=[],
                      table=None, query="")  # fmt: skip
    status = status_of(err)
    table = request.path_params.get("table")
    uid = request.path_params.get("uid", "")
    near = _near(_known_table(table), uid) if status == 404 and uid else []
    title = {404: "Not found", 400: "Cannot show this"}.get(status, "Error")
    return render("error.html", status, title=title, message=" ".join(str(err).split()),
                  near=near, table=_known_table(table), query=uid)  # fmt: skip


def _near(table: str | None, uid: str) -> list:
    """Suggestions for the 404 page; none when the catalog cannot give them either."""
    try:
        with catalog_turn():
            return pages.suggestions(table, uid)
    except LakecatError:
        return []


def _known_table(table: str | None) -> str | None:
    try:
        return pages.registry(table)._meta.table if table else None
    except NotFoundError:
        return None


def page(handler: Callable[[Request], Response]) -> Callable[[Request], Response]:
    """Run ``handler``; turn any error into an error page."""

    @functools.wraps(handler)
    def wrapped(request: Request) -> Response:
        try:
            return handler(request)
        except Exception as err:  # noqa: BLE001 - every error becomes a page, never a trace
            return error_page(request, err)

    return wrapped


# ------------------------------------------------------------------ pages


def catalog_turn():
    """Hold the catalog for the catalog reads of one page: the page then costs one turn on
    the embedded file (handed over right after it when another process waits), and no
    other process gets in between its statements. Work on blobs and dataset tables
    happens outside, so a large preview or query never keeps a notebook waiting."""
    from ..instance import current

    return current().backend.session()


@page
def home(request: Request) -> Response:
    with catalog_turn():
        data = pages.home()
    return render("home.html", **data)


@page
def search(request: Request) -> Response:
    text = request.query_params.get("q", "").strip()
    with catalog_turn():
        found = pages.suggestions(None, text) if text else []
    return render("search.html", query=text, found=found)


@page
def by_uid(request: Request) -> Response:
    uid = request.path_params["uid"]
    with catalog_turn():
        found = pages.find_uid(uid)
    if found is None:
        raise NotFoundError(f"No record with uid {uid!r}.")
    return RedirectResponse(record_url(found._meta.table, uid), status_code=307)


@page
def registry_page(request: Request) -> Response:
    table, _, fmt = request.path_params["table"].partition(".")
    cls = pages.registry(table)
    typed = request.query_params.get("_filter")
    if typed is not None and not fmt:  # the filter box: redirect to the canonical address
        return RedirectResponse(listings.with_filter(table, request.query_params, typed), 303)
    asked = listings.parse_request(cls, request.query_params)
    if fmt:
        return _export(cls, asked, fmt)
    with catalog_turn():
        listing = listings.build(cls, asked)
    return render("registry.html", listing=listing)


def _export(cls: type, asked: listings.Request, fmt: str) -> Response:
    if fmt not in EXPORTS:
        raise NotFoundError(f"No download as {fmt!r}; choose one of {', '.join(EXPORTS)}.")
    body = export_stream(listings.export_batches(cls, asked), fmt)
    name = f"{cls._meta.table}.{fmt}"
    headers = {"Content-Disposition": f'attachment; filename="{name}"'}
    return StreamingResponse(body, media_type=MEDIA_TYPES[fmt], headers=headers)


@page
def record_page(request: Request) -> Response:
    cls = pages.registry(request.path_params["table"])
    name = cls.__name__
    if name == "Dataset":
        return _dataset_page(request, cls)
    builder = pages.PAGES.get(name, pages.generic_page)
    with catalog_turn():
        rec = pages.record(cls, request.path_params["uid"])
        data = {"label": pages.label(rec), **builder(rec)}
    if name == "File":
        data.update(pages.file_contents(rec))
    template = f"{name.lower()}.html" if name in pages.PAGES else "record.html"
    return render(template, rec=rec, registry=name, **data)


def _dataset_page(request: Request, cls: type) -> Response:
    version = _int_param(request, "version")
    with catalog_turn():
        rec = pages.record(cls, request.path_params["uid"])
        data = {"label": pages.label(rec), **pages.dataset_page(rec, version)}
    data.update(pages.dataset_tables(rec, data["version"], request.query_params.get("sql", "")))
    status = 400 if data["query"].error else 200
    return render("dataset.html", status, rec=rec, **data)


def _int_param(request: Request, name: str, low: int = 0, high: int = 2**62) -> int | None:
    return listings.whole_number(request.query_params.get(name), name, low, high, default=None)


def _lineage_record(request: Request) -> Any:
    cls = pages.registry(request.path_params["table"])
    if not hasattr(cls, "view_lineage"):
        raise NotFoundError(f"{cls.__name__} records have no lineage.")
    return pages.record(cls, request.path_params["uid"])


@page
def lineage_page(request: Request) -> Response:
    from ..lineage.graph import as_text

    depth = _int_param(request, "depth", 1, 50) or 10
    with catalog_turn():
        rec = _lineage_record(request)
        svg, text = pages.lineage_svg(rec, depth=depth), as_text(rec, depth=depth)
    return render("lineage.html", rec=rec, svg=svg, text=text, depth=depth,
                  label=pages.label(rec))  # fmt: skip


@page
def lineage_image(request: Request) -> Response:
    depth = _int_param(request, "depth", 1, 50) or 10
    with catalog_turn():
        svg = pages.lineage_svg(_lineage_record(request), depth=depth)
    return Response(str(svg), media_type="image/svg+xml", headers=_HEADERS)


@page
def download(request: Request) -> Response:
    from ..core.catalog import registry_class

    with catalog_turn():
        file = pages.record(registry_class("File"), request.path_params["uid"])
    path = blob_path(file)
    name = download_name(file)
    if path.is_dir():
        headers = {"Content-Disposition": f'attachment; filename="{name}.zip"'}
        return StreamingResponse(zip_stream(path), media_type="application/zip", headers=headers)
    return FileResponse(path, filename=name, media_type="application/octet-stream")


async def not_found(request: Request, exc: HTTPException) -> Response:
    """Unknown addresses (and anything starlette refuses) get lakecat's own page."""
    from starlette.concurrency import run_in_threadpool

    if exc.status_code == 404:
        err = NotFoundError(f"No page at {request.url.path!r}.")
        return await run_in_threadpool(error_page, request, err)
    return HTMLResponse(f"{exc.status_code}: {exc.detail}", status_code=exc.status_code)


def _defer_to_other_processes() -> None:
    """A page is never worth keeping a notebook waiting: hand the embedded catalog file
    over at the end of any statement when another process waits (instead of after the
    50 ms a writer keeps it; docs/decisions.md §1 and §13)."""
    from ..instance import current

    backend = current().backend
    if hasattr(backend, "min_hold"):  # the embedded file's turn-taking (Postgres: none)
        backend.min_hold = 0.0


def create_app(*, allowed_hosts: Sequence[str] | None = None) -> Starlette:
    """The ASGI application over the connected instance (``lakecat.connect`` first).

    The process then yields the embedded catalog file at every statement boundary when
    another process waits for it.

    Args:
        allowed_hosts: Host names the server answers to (None: any). Serving on loopback
            with the loopback names only keeps other web sites from reading the catalog
            through a DNS-rebinding attack.
    """
    routes = [
        Route("/", home),
        Route("/search", search),
        Route("/uid/{uid}", by_uid),
        Route("/r/{table}", registry_page),
        Route("/r/file/{uid}/download", download),
        Route("/r/{table}/{uid}", record_page),
        Route("/r/{table}/{uid}/lineage", lineage_page),
        Route("/r/{table}/{uid}/lineage.svg", lineage_image),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]
    _defer_to_other_processes()
    middleware = []
    if allowed_hosts is not None:
        middleware.append(Middleware(TrustedHostMiddleware, allowed_hosts=list(allowed_hosts)))
    return Starlette(routes=routes, middleware=middleware,
                     exception_handlers={HTTPException: not_found})  # fmt: skip
