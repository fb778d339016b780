"""What each page shows, gathered with lakecat's own API (registries, QuerySets, File,
Dataset, the lineage graph). Nothing here renders HTML; templates do."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from markupsafe import Markup

from catalog_sql.errors import did_you_mean

from ..core.catalog import registry_class
from ..errors import FieldError, NotFoundError
from .format import Cell, cell, record_url
from .listing import columns_for, rows_of


def _registries() -> dict:
    """The registries of the instance being served (core plus its schema modules)."""
    from ..instance import current

    return current().registries()


RECENT = 8
RELATED = 10
SOURCE_MAX = 200_000
_UID = re.compile(r"^[0-9A-Za-z]{1,64}$")
_LINEAGE_KINDS = ("file", "dataset", "run", "transform")


# ------------------------------------------------------------------ finding things


def registry(table: str) -> type:
    """The registry whose table (or class) name is ``table``.

    Raises:
        NotFoundError: No such registry (with the nearest names).
    """
    classes = _registries()
    by_table = {cls._meta.table: cls for cls in classes.values()}
    cls = by_table.get(table) or classes.get(table)
    if cls is None:
        hint = did_you_mean(table, by_table) or f" Registries: {', '.join(sorted(by_table))}."
        raise NotFoundError(f"No registry {table!r}.{hint}")
    return cls


def record(cls: type, uid: str) -> Any:
    """The ``cls`` record with ``uid``, or NotFoundError."""
    found = cls.filter(uid=uid).one_or_none() if _UID.match(uid) else None
    if found is None:
        raise NotFoundError(f"No {cls.__name__} with uid {uid!r}.")
    return found


def find_uid(uid: str) -> Any | None:
    """The record with ``uid`` in any registry (uids are unique per registry), or None."""
    if not _UID.match(uid):
        return None
    for cls in _registries().values():
        if cls._meta.uid_length == len(uid):
            found = cls.filter(uid=uid).one_or_none()
            if found is not None:
                return found
    return None


def suggestions(table: str | None, text: str) -> list[tuple[str, Cell]]:
    """Near matches for a uid or name nobody has: (registry, linked label) pairs."""
    if not text or len(text) > 200:
        return []
    found = find_uid(text)
    if found is not None:
        return [(type(found).__name__, _label_cell(found))]
    try:
        classes = [registry(table)] if table else list(_registries().values())
    except NotFoundError:
        classes = list(_registries().values())
    out = []
    for cls in classes:
        fields = ["uid", *cls._meta.search_fields] if table else list(cls._meta.search_fields)
        out += [(cls.__name__, _label_cell(r)) for r in _search(cls, text, fields, 5)]
    return out[:15]


def _search(cls: type, text: str, fields: list[str], limit: int) -> list:
    try:
        return list(cls.search(text, field=list(dict.fromkeys(fields)), limit=limit))
    except FieldError:
        return []


def label(rec: Any) -> str:
    """A short human label for a record: its key, name or handle, else its uid."""
    meta = rec._meta
    for name in (meta.name_field, *meta.search_fields):
        value = rec.__dict__.get(name) if name and name != "uid" else None
        if value:
            version = rec.__dict__.get("version") if type(rec)._versioned else None
            return f"{value} (v{version})" if version else str(value)
    return rec.uid


def _label_cell(rec: Any) -> Cell:
    return Cell(label(rec), record_url(rec._meta.table, rec.uid), rec.uid)


# ------------------------------------------------------------------ home


def home() -> dict[str, Any]:
    """Instance facts, counts per registry, recent files, datasets and runs."""
    from ..instance import current

    classes = sorted(_registries().values(), key=lambda c: c.__name__)
    File, Dataset, Run = (registry_class(n) for n in ("File", "Dataset", "Run"))
    return {
        "info": {k: v for k, v in current().info().items() if v is not None},
        "counts": [(cls.__name__, cls._meta.table, cls.all().count()) for cls in classes],
        "recent": [
            section("Recent files", File, File.all().order_by("-created_at", "-id")),
            section(
                "Recent datasets",
                Dataset,
                Dataset.filter(is_latest=True).order_by("-created_at", "-id"),
            ),
            section("Recent runs", Run, Run.all().order_by("-created_at", "-id")),
        ],  # fmt: skip
    }


# ------------------------------------------------------------------ record pages


@dataclass
class Section:
    """A small table of related records with a link to all of them."""

    title: str
    table: str
    columns: list[str]
    rows: list[list[Cell]]
    total: int
    more: str | None = None


def section(title: str, cls: type, query: Any, more: str | None = None, limit: int = RECENT):
    """The first ``limit`` records of ``query`` as a Section."""
    columns = columns_for(cls)
    page = query.limit(limit)
    rows = rows_of(cls, page, columns)
    total = len(rows) if len(rows) < limit else query.count()
    return Section(title, cls._meta.table, columns, rows, total, more)


def fields(rec: Any, skip: tuple[str, ...] = ()) -> list[tuple[str, Cell]]:
    """A record's non-empty fields; relations as linked labels."""
    by_column = {fk.column: (name, fk) for name, fk in rec._meta.fks.items()}
    out = []
    for column, value in rec.to_dict().items():
        if value in (None, "") or column == "id" or column in skip:
            continue
        if column in by_column:
            name, fk = by_column[column]
            target = fk.target_class().filter(id=value).one_or_none()
            out.append((name, _label_cell(target) if target else cell(f"id {value}")))
        elif column == "uid":
            out.append((column, Cell(value, record_url(rec._meta.table, value))))
        else:
            shown = cell(value, column=column)
            if isinstance(value, (dict, list)):
                shown = Cell(json.dumps(value, default=str), title=shown.title)
            out.append((column, shown))
    return out


def _relations(cls: type) -> list[tuple[str, type, str]]:
    """(name on ``cls``, other registry, the other's relation back to ``cls``)."""
    out = [(n, m.target_class(), m.related_name) for n, m in cls._meta.m2m.items()
           if m.related_name]  # fmt: skip
    for other in _registries().values():
        for name, m2m in other._meta.m2m.items():
            if m2m.target_class() is cls and m2m.related_name:
                out.append((m2m.related_name, other, name))
        for name, fk in other._meta.fks.items():
            if fk.target_class() is cls and fk.related_name:
                out.append((fk.related_name, other, name))
    return out


def related(rec: Any, skip: tuple[str, ...] = ()) -> list[Section]:
    """Every to-many relation of ``rec`` that has records, as Sections."""
    out = []
    for name, other, back in _relations(type(rec)):
        if name in skip:
            continue
        query = other.filter(**{back: rec.id}).order_by("-id")
        more = f"/r/{other._meta.table}?{back}__uid={rec.uid}"
        found = section(_title(name), other, query, more=more, limit=RELATED)
        if found.rows:
            out.append(found)
    return out


def _title(name: str) -> str:
    """Examples:
    >>> _title("input_of"), _title("ulabels")
    ('Input of', 'Ulabels')
    """
    return name.replace("_", " ").capitalize()


def lineage_svg(rec: Any, depth: int = 10) -> Markup:
    """The upstream picture with every node linking to its page."""
    from ..lineage.graph import view

    return link_nodes(str(view(rec, depth=depth)))


_NODE = re.compile(r'(<g class="node [^"]*" data-id="([0-9A-Za-z]+)" data-kind="(\w+)".*?</g>)',
                   re.DOTALL)  # fmt: skip


def link_nodes(svg: str) -> Markup:
    """Wrap each node of a lineage SVG in a link to the record's page.

    Examples:
        >>> link_nodes('<g class="node run" data-id="Ab1" data-kind="run"><rect/></g>')
        Markup('<a href="/r/run/Ab1" class="lineage-link"><g class="node run" data-id="Ab1" data-kind="run"><rect/></g></a>')
    """  # noqa: E501

    def wrap(match: re.Match) -> str:
        group, uid, kind = match.groups()
        if kind not in _LINEAGE_KINDS:
            return group
        return f'<a href="{record_url(kind, uid)}" class="lineage-link">{group}</a>'

    return Markup(_NODE.sub(wrap, svg))  # noqa: S704 - lakecat's renderer escapes its text


def file_page(file: Any) -> dict[str, Any]:
    """A File from the catalog: fields, versions, features, labels by feature, lineage."""
    File, Run, Dataset = (registry_class(n) for n in ("File", "Run", "Dataset"))
    return {
        "fields": _with_format(fields(file, skip=("blob",)), file),
        "versions": section("Versions", File, file.versions, limit=100),
        "features": features(file),
        "labels": labels_by_feature(file),
        "used_by": section(
            "Runs that used it", Run, Run.filter(input_files=file.id).order_by("-id"), limit=RELATED
        ),  # fmt: skip
        "datasets": section(
            "Datasets that hold it",
            Dataset,
            Dataset.filter(files=file.id).order_by("-id"),
            limit=RELATED,
        ),
        "lineage": lineage_svg(file),
        "related": related(file, skip=("ulabels", "feature_sets", "input_of", "datasets")),
    }


def _with_format(items: list[tuple[str, Cell]], file: Any) -> list[tuple[str, Cell]]:
    """The File's fields with the name of its format after the suffix."""
    from formats.registry import for_suffix

    fmt = for_suffix(file.suffix or "", accessor=file.accessor) if file.suffix else None
    if fmt is None:
        return items
    at = next((i + 1 for i, (name, _) in enumerate(items) if name == "suffix"), len(items))
    return [*items[:at], ("format", Cell(fmt.name)), *items[at:]]


def features(file: Any) -> list[tuple[str, Any, list[list[Cell]]]]:
    """(slot, FeatureSet, rows of name / type / unit) for each feature set of a File."""
    Feature = registry_class("Feature")
    out = []
    for slot, feature_set in file.features.items():
        query = Feature.filter(feature_sets=feature_set.id).order_by("name").limit(500)
        rows = [[Cell(f.name, record_url("feature", f.uid)), cell(f.type), cell(f.unit)]
                for f in query]  # fmt: skip
        out.append((slot, feature_set, rows))
    return out


def labels_by_feature(file: Any) -> list[tuple[str, list[Cell]]]:
    """The File's labels grouped by the feature they annotate ("" for none)."""
    from catalog_sql import statements

    from ..instance import current

    ULabel, Feature = registry_class("ULabel"), registry_class("Feature")
    backend = current().backend
    columns = ["ulabel_id", "feature_id"]
    stmt = statements.select_where_in(backend.target, "file_ulabel", columns, "file_id", [file.id])
    links = backend.fetch(stmt)[1]
    ulabels = {u.id: u for u in ULabel.filter(id__in=[u for u, _ in links]).list()}
    names = {f.id: f.name for f in Feature.filter(id__in=[f for _, f in links if f]).list()}
    groups: dict[str, list[Cell]] = {}
    for ulabel_id, feature_id in sorted(links, key=lambda link: ulabels[link[0]].name):
        groups.setdefault(names.get(feature_id, ""), []).append(_label_cell(ulabels[ulabel_id]))
    return sorted(groups.items())


@dataclass
class QueryResult:
    """The SQL box: what was asked and what came back (or the guard's refusal)."""

    sql: str = ""
    columns: list[str] = field(default_factory=list)
    rows: list[list[Cell]] = field(default_factory=list)
    truncated: bool = False
    error: str = ""


SQL_ROWS = 1000
FIRST_ROWS = 20
DEFAULT_SQL = "SELECT * FROM self LIMIT 10"


def dataset_page(ds: Any, version: int | None) -> dict[str, Any]:
    """A Dataset from the catalog: fields, versions, files, lineage."""
    File = registry_class("File")
    shown = ds.delta_version if version is None else version
    return {
        "fields": fields(ds),
        "versions": dataset_versions(ds, shown),
        "version": shown,
        "files": section("Files", File, File.filter(datasets=ds.id).order_by("id"), limit=50),
        "lineage": lineage_svg(ds),
        "related": related(ds, skip=("files",)),
    }


def dataset_tables(ds: Any, version: int, sql: str) -> dict[str, Any]:
    """A Dataset's table, read where it lies: schema, first rows, the SQL box's answer."""
    from .format import frame_rows

    kind = _collection_kind(ds, version)
    if kind is not None:
        note = (f"A dataset of {kind} files (listed below): read it from Python with "
                f"ds.load(join='inner'), ds.mapped(obs_keys=[...]) or ds.stage().")  # fmt: skip
        return {"tabular": False, "query": QueryResult(sql=""), "note": note}
    first = ds.query(f"SELECT * FROM self LIMIT {FIRST_ROWS}", version=version)
    schema = ds.query("SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM self)",
                      version=version)  # fmt: skip
    return {
        "tabular": True,
        "schema": frame_rows(schema)[1],
        "first": frame_rows(first),
        "query": run_query(ds, sql, version) if sql else QueryResult(sql=DEFAULT_SQL),
    }


def _collection_kind(ds: Any, version: int) -> str | None:
    """The kind of a dataset of files that is not a table (AnnData, TileDB), else None."""
    from ..datasets.collection import TABLE, collection_kind

    if ds.format != "files":
        return None
    record = ds if version == ds.delta_version else ds._record_for(version)
    kind = collection_kind(record)
    return None if kind == TABLE else kind


def dataset_versions(ds: Any, shown: int) -> list[dict[str, Any]]:
    """One row per version with links to its record and its rows."""
    rows = []
    for row in ds.versions().to_dict("records"):
        rows.append({
            "version": int(row["version"]), "uid": row["uid"], "rows": row["rows"],
            "operation": row["operation"] or "", "created_at": cell(row["created_at"]).text,
            "run": row["run"], "is_latest": bool(row["is_latest"]),
            "shown": int(row["version"]) == shown,
        })  # fmt: skip
    return rows


def run_query(ds: Any, sql: str, version: int) -> QueryResult:
    """Run the SQL box through ``Dataset.query``'s read-only guard, first rows only."""
    from ..datasets.tables import check_select
    from ..errors import ReadOnlyQueryError
    from .format import frame_rows

    result = QueryResult(sql=sql)
    try:
        check_select(sql)  # the user's own statement: refused with the guard's message
        body = sql.strip().rstrip(";").rstrip()
        frame = ds.query(f"SELECT * FROM (\n{body}\n) AS page LIMIT {SQL_ROWS + 1}",
                         version=version)  # fmt: skip
    except ReadOnlyQueryError as err:
        result.error = str(err)
        return result
    result.truncated = len(frame) > SQL_ROWS
    result.columns, result.rows = frame_rows(frame, SQL_ROWS)
    return result


def transform_page(transform: Any) -> dict[str, Any]:
    """A Transform: fields, versions, runs, outputs, source code."""
    Transform, Run, File = (registry_class(n) for n in ("Transform", "Run", "File"))
    return {
        "fields": fields(transform),
        "versions": section("Versions", Transform, transform.versions.order_by("id"), limit=50),
        "runs": section(
            "Runs",
            Run,
            Run.filter(transform=transform.id).order_by("-id"),
            more=f"/r/run?transform__uid={transform.uid}",
            limit=RELATED,
        ),
        "outputs": section(
            "Files it made",
            File,
            File.filter(transform=transform.id).order_by("-id"),
            more=f"/r/file?transform__uid={transform.uid}",
            limit=RELATED,
        ),  # fmt: skip
        "source": source_text(transform),
        "related": related(transform, skip=("runs", "files")),
    }


def source_text(transform: Any) -> str:
    """The transform's saved source code as text (notebooks: their code cells)."""
    if not transform.source_code_id:
        return ""
    source = registry_class("File").filter(id=transform.source_code_id).one_or_none()
    if source is None:
        return ""
    raw = source.stage().read_bytes()[:SOURCE_MAX]
    text = raw.decode("utf-8", errors="replace")
    if (source.suffix or "") == ".ipynb":
        try:
            cells = json.loads(text)["cells"]
            return "\n\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")
        except (ValueError, KeyError, TypeError):
            return text
    return text


def run_page(run: Any) -> dict[str, Any]:
    """A Run: fields, params, status, error, inputs, outputs, lineage."""
    File, Dataset = registry_class("File"), registry_class("Dataset")
    return {
        "fields": fields(run, skip=("params", "environment", "error")),
        "params": run.params,
        "environment": run.environment,
        "error": run.error or "",
        "inputs": [
            section("Input files", File, File.filter(input_of=run.id).order_by("id"), limit=50),
            section(
                "Input datasets", Dataset, Dataset.filter(input_of=run.id).order_by("id"), limit=50
            ),
        ],
        "outputs": [
            section("Output files", File, File.filter(run=run.id).order_by("id"), limit=50),
            section(
                "Output datasets", Dataset, Dataset.filter(run=run.id).order_by("id"), limit=50
            ),
        ],
        "lineage": lineage_svg(run),
        "related": related(run, skip=("input_files", "input_datasets", "files", "datasets")),
    }


def generic_page(rec: Any) -> dict[str, Any]:
    """Any other registry's record: fields and related records."""
    return {"fields": fields(rec), "related": related(rec)}


def file_contents(file: Any) -> dict[str, Any]:
    """What needs the File's bytes rather than the catalog: the preview."""
    from .previews import preview

    return {"preview": preview(file)}


#: Registry → what its page gathers from the catalog (held in one turn on the file).
PAGES = {"File": file_page, "Transform": transform_page, "Run": run_page}
