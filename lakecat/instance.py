"""Instances: a storage root plus a catalog (embedded DuckDB file or Postgres schema).

The settings directory (``~/.lakecat``, or ``$LAKECAT_HOME``) remembers every known
instance by name and which one is current, so the next process and the CLI find it.
"""

from __future__ import annotations

import json
import logging
import os
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from catalog_sql import migrations
from catalog_sql.backends import Backend
from catalog_sql.backends.base import redact
from catalog_sql.compiler import Compiler
from catalog_sql.errors import CatalogError, InstanceError, SchemaVersionError

from .config import config as env_config

logger = logging.getLogger("lakecat")

CONFIG_DIR = ".lakecat"
CONFIG_FILE = "instance.json"
CATALOG_FILE = "catalog.duckdb"
_NAME = re.compile(r"[^a-z0-9_]+")
MAX_NAME = 63  # PostgreSQL's identifier limit


def home() -> Path:
    """The settings directory (``$LAKECAT_HOME`` or ``~/.lakecat``)."""
    return env_config().home


def _is_remote(storage: str) -> bool:
    return "://" in storage and not storage.startswith("file://")


def _slug(text: str) -> str:
    """A name safe for Postgres schemas and file names.

    Examples:
        >>> _slug("My Lab-Data!")
        'my_lab_data'
    """
    slug = _NAME.sub("_", text.lower()).strip("_")
    return slug or "lakecat"


@dataclass
class InstanceConfig:
    """What ``instance.json`` records about an instance."""

    name: str
    storage: str
    db: str | None = None
    schema: str | None = None
    storage_options: dict = field(default_factory=dict)
    created_at: str = field(default_factory=lambda: datetime.now(timezone.utc).isoformat())
    #: A copy of a catalog published at this URL (lakecat.published): always read-only.
    published: str | None = None

    @property
    def backend_name(self) -> str:
        """``duckdb`` or ``postgres``."""
        return "postgres" if self.db else "duckdb"


class Instance:
    """An open instance: its config, back end, compiler and the current user."""

    def __init__(self, config: InstanceConfig, path: Path, backend: Backend) -> None:
        self.config = config
        self.path = path
        self.backend = backend
        self._compiler: Compiler | None = None
        self._schema_token: object = None
        self.user_id: int | None = None
        self.storage_id: int | None = None
        self._storage_root = None
        #: Schema modules this instance uses besides core (import path → SchemaModule).
        self.modules: dict[str, Any] = {}
        #: Opened to be read beside the current instance (``lc.using``): never written.
        self.foreign = False
        self._module_tables: set[str] = set()
        #: Registry tables whose module's code and the catalog disagree (table → a
        #: callable making the error); empty when they agree (the usual case).
        self._stale: dict[str, Any] = {}

    @property
    def storage_root(self):
        """The instance's :class:`~lakecat.files.storage.StorageRoot`."""
        if self._storage_root is None:
            from .files.storage import StorageRoot

            self._storage_root = StorageRoot(self.config.storage, self.config.storage_options)
        return self._storage_root

    @property
    def name(self) -> str:
        """The instance name."""
        return self.config.name

    @property
    def compiler(self) -> Compiler:
        """The query compiler for this back end (rebuilt when registries change)."""
        from .core.catalog import schema

        current = schema()
        if self._compiler is None or self._schema_token is not current:
            self._compiler = Compiler(current, self.backend.target)
            self._schema_token = current
        return self._compiler

    def schema_version(self) -> str | None:
        """The newest applied core migration."""
        return migrations.schema_version(self.backend)

    def add_module(self, name: str) -> list[str]:
        """Use the schema module ``name`` (``"bio"``, ``"mylab.schema"``) in this instance:
        its tables are created by its migrations; returns the migrations applied.

        Examples:
            >>> import lakecat as lc, tempfile
            >>> inst = lc.init(storage=tempfile.mkdtemp() + "/lab")
            >>> inst.add_module("bio")[:1]
            ['0001_initial']
        """
        from .core.modules import load

        module = load(name)
        if self.backend.read_only:
            raise SchemaVersionError(
                f"Cannot add schema module {module.name!r}: this process can only read the catalog."
            )
        pinned = module.pin()
        if pinned is not None:
            logger.info("wrote %s (the schema module's first migration)", pinned)
        applied = migrations.migrate(self.backend, module.name, module.migrations())
        self._use(module)
        self._recheck(module, self.backend.columns())
        return applied

    def deploy(self) -> list[str]:
        """Apply the pending migrations of core and of every schema module in use (their
        files as they are now), each in its own transaction: ``lakecat migrate deploy``.
        Returns the names applied.

        Raises:
            SchemaVersionError: a migration failed (nothing of it was applied), or the
                catalog is ahead of a module's code.
        """
        from .core.modules import load

        for name in list(self.modules):  # the classes and migration files as they are now
            self._use(load(name))
        applied = migrations.migrate(self.backend)
        try:
            for name, module in self.modules.items():
                applied += migrations.migrate(self.backend, name, module.migrations())
        finally:
            existing = self.backend.columns()
            for module in self.modules.values():
                self._recheck(module, existing)
        return applied

    def _use(self, module: Any) -> None:
        self.modules[module.name] = module
        self._module_tables.update(cls._meta.table for cls in module.classes)

    def _load_modules(self) -> None:
        """Import every schema module the catalog records and apply their pending
        migrations (as for core). A module whose code is behind the catalog (it lacks
        migrations the catalog has) or ahead of it (its classes declare what no applied
        migration created) is loaded with a warning, and its registries raise
        :class:`SchemaVersionError` at first use, naming what to run."""
        from .core.modules import load

        loaded = [load(name) for name in migrations.modules(self.backend)]
        for module in loaded:
            self._use(module)
            if _ahead(self.backend, module) is None:
                _check_schema(self.backend, module.name, module.migrations())
        existing = self.backend.columns() if loaded else {}
        for module in loaded:
            self._recheck(module, existing)

    def _recheck(self, module: Any, existing: dict[str, set[str]]) -> None:
        """Note whether ``module``'s code and the catalog disagree: a warning now, an
        error when one of its registries is used (see :meth:`require`)."""
        tables = [cls._meta.table for cls in module.classes]
        for table in tables:
            self._stale.pop(table, None)
        ahead = _ahead(self.backend, module)
        if ahead is not None:  # the catalog has migrations this code lacks
            logger.warning("%s", ahead)
            self._stale.update(dict.fromkeys(tables, lambda: ahead))
            return
        lacks = module.missing(existing)  # the classes declare what the catalog lacks
        for table, columns in lacks.items():
            self._stale[table] = lambda t=table, c=columns: module.behind_error(self.backend, t, c)
        if lacks:
            logger.warning(
                "the classes of %s declare what the catalog lacks (%s); "
                "run: lakecat migrate create %s, then lakecat migrate deploy",
                module.name, ", ".join(c for cs in lacks.values() for c in cs), module.name,
            )  # fmt: skip

    def uses(self, cls: Any) -> bool:
        """Whether the registry ``cls`` is part of this instance (core, or a module it uses)."""
        from .core.modules import belongs, module_of

        return module_of(cls) is None or any(belongs(cls, m) for m in self.modules)

    def require(self, cls: Any) -> None:
        """Raise a clear error when ``cls`` belongs to a module this instance does not use,
        or whose code is ahead of or behind the catalog."""
        if self._stale and cls._meta.table in self._stale:
            raise self._stale[cls._meta.table]()
        if not self.uses(cls):
            from .core.modules import belongs, module_of

            module = module_of(cls)
            short = next((k for k, v in _aliases().items() if belongs(cls, v)), module)
            raise InstanceError(
                f"{cls.__name__} belongs to the schema module {short!r}, which instance "
                f"{self.name!r} does not use. Add it: lakecat schema add {short} (Python: "
                f"lc.connect().add_module({short!r}))."
            )

    def require_writable(self) -> None:
        """Refuse a write to an instance that is only read here (``lc.using``)."""
        if self.foreign:
            from catalog_sql.errors import ReadOnlyError

            raise ReadOnlyError(
                f"Instance {self.name!r} is read through lc.using(); a record read there is "
                f"copied here with .save() / .transfer(). To write there, "
                f"lc.connect({self.name!r})."
            )

    def registries(self) -> dict[str, Any]:
        """The registries of this instance: core plus its schema modules'."""
        from .core.catalog import registries

        return {name: cls for name, cls in registries().items() if self.uses(cls)}

    def info(self) -> dict[str, Any]:
        """What ``lakecat info`` prints."""
        from .core.catalog import registry_class

        User = registry_class("User")

        user = User.get(id=self.user_id).handle if self.user_id else None
        return {
            "instance": self.name,
            "storage": self.config.storage,
            **self.backend.describe(),
            "schema_version": self.schema_version(),
            "user": user,
            "config": str(self.path / CONFIG_FILE),
        }

    def publish(self) -> str:
        """Put a consistent copy of this embedded catalog next to its data in object
        storage, for collaborators who read it with ``lc.connect(<storage URL>,
        read_only=True)``; returns its URL (see :mod:`lakecat.published`)."""
        from .published import publish

        return publish(self)

    def close(self) -> None:
        """Release the catalog."""
        self.backend.close()

    def __repr__(self) -> str:
        return f"Instance({self.name!r}, storage={self.config.storage!r})"


_CURRENT: list[Instance | None] = [None]
#: Instances opened to be read beside the current one (lakecat.mesh.open_instance).
_OTHERS: dict[Path, Instance] = {}
#: Another instance that reads are directed to (``lc.using("other")``, see lakecat.mesh).
_USING: ContextVar[Instance | None] = ContextVar("lakecat_using", default=None)


@contextmanager
def using_instance(instance: Instance) -> Iterator[Instance]:
    """Direct reads to ``instance`` (not the current one) inside the block."""
    token = _USING.set(instance)
    try:
        yield instance
    finally:
        _USING.reset(token)


def current() -> Instance:
    """The connected instance (or, inside ``lc.using(other)``, that one); connects to the
    remembered one on first use."""
    instance = _USING.get() or _CURRENT[0]
    if instance is None:
        instance = connect()
    return instance


def _instance_dir(storage: str, name: str) -> Path:
    if _is_remote(storage):
        return home() / "instances" / name
    return Path(storage.removeprefix("file://")).expanduser().resolve() / CONFIG_DIR


def _configure_sql_cache() -> None:
    """Keep rendered SQL between processes, keyed by versions and the schema."""
    from catalog_sql import sqlcache

    from . import __version__
    from .core.catalog import schema

    tables = sorted(
        (t.name, tuple(t.columns.items()), tuple(sorted(t.relations.items())))
        for t in schema().tables.values()
    )
    fingerprint = f"{__version__}|{tables!r}"  # sqlcache adds sqlglot's version
    sqlcache.configure(home() / "cache" if env_config().sql_cache else None, fingerprint)


def _make_backend(
    config: InstanceConfig, path: Path, create: bool, read_only: bool | None = None
) -> Backend:
    _configure_sql_cache()
    if config.db:
        from catalog_sql.backends import PostgresBackend

        return PostgresBackend(config.db, schema=config.schema or "public")
    from catalog_sql.backends import DuckDBBackend

    settings = env_config()
    return DuckDBBackend(
        path / CATALOG_FILE, create=create, lock_timeout=settings.lock_timeout,
        share=settings.share, read_only=read_only,
    )  # fmt: skip


def init(
    storage: str = "./lakecat-data",
    *,
    db: str | None = None,
    name: str | None = None,
    storage_options: dict | None = None,
    modules: list[str] | tuple[str, ...] = (),
) -> Instance:
    """Create an instance and make it current.

    Args:
        storage: Local directory or fsspec URL where files and datasets live.
        db: ``None`` for an embedded DuckDB catalog, or a ``postgresql://`` URL.
        name: Instance name (defaults to the storage folder's name).
        storage_options: fsspec options for remote storage (e.g. ``endpoint_url``);
            keep credentials in the environment (``AWS_ACCESS_KEY_ID`` …), not here.
        modules: schema modules to use besides core: ``"bio"`` (the ontology
            registries, ``lakecat[bio]``) or the import path of your own
            (``"mylab.schema"``); more can be added later with ``add_module``.

    Examples:
        >>> import lakecat as lc, tempfile
        >>> inst = lc.init(storage=tempfile.mkdtemp() + "/lab")
        >>> inst.name, inst.config.backend_name
        ('lab', 'duckdb')
    """
    if db is not None and not db.startswith(("postgresql://", "postgres://")):
        raise InstanceError(f"db must be a postgresql:// URL, got {db!r}.")
    storage = str(storage)
    _check_storage(storage)
    name = _slug(name or Path(storage.rstrip("/")).name)
    if len(name) > MAX_NAME:
        raise InstanceError(
            f"The instance name has {len(name)} characters; use at most {MAX_NAME} (it names "
            f"a Postgres schema and a settings folder): pass name=... / --name."
        )
    if not _is_remote(storage):
        storage = str(Path(storage).expanduser().resolve())
    path = _instance_dir(storage, name)
    if (path / CONFIG_FILE).exists():
        existing = _read_config(path)
        if existing.db != db:
            raise InstanceError(
                f"An instance already exists at {path} with a different catalog. "
                f"Use lakecat.connect({str(path.parent)!r}) or choose another storage."
            )
        logger.info("instance %s exists; connecting", existing.name)
        instance = connect(path.parent if not _is_remote(storage) else name)
        for module in modules:
            instance.add_module(module)
        return instance
    _check_name_free(name, path)
    config = InstanceConfig(
        name=name,
        storage=storage,
        db=db,
        schema=name if db else None,
        storage_options=dict(storage_options or {}),
    )
    instance = _create(config, path)
    for module in modules:
        instance.add_module(module)
    return instance


def _check_name_free(name: str, path: Path) -> None:
    """Say so when a new instance takes the name of another live one: from now on the
    name means the new one (``connect``, ``using``, ``lab.file`` in SQL); the other is
    reached by its path. Queries naming both refuse (lakecat.mesh)."""
    taken = _known().get(name)
    if taken is None or Path(taken) == path or not (Path(taken) / CONFIG_FILE).exists():
        return
    logger.warning(
        "instance name %r now means the new instance; the one at %s keeps it too (reach it "
        "by its path, or give one of them another name)", name, Path(taken).parent,
    )  # fmt: skip


def _check_schema_owner(backend: Backend, config: InstanceConfig) -> None:
    """A Postgres schema that already holds a lakecat catalog is this instance again (a
    collaborator's init with the same storage) or another instance's, which is refused."""
    if "storage" not in backend.table_names():
        return
    from catalog_sql import statements

    stmt = statements.select_where_in(backend.target, "storage", ["root"], "type",
                                      ["local", *_SCHEMES])  # fmt: skip
    roots = {root for (root,) in backend.fetch(stmt)[1]}
    if roots and config.storage not in roots:
        raise InstanceError(
            f"The Postgres schema {config.schema!r} holds the catalog of another instance "
            f"(storage {sorted(roots)[0]}): two instances cannot share a name there. Choose "
            f"another name (name=... / --name), or pass that storage to join the instance."
        )


_SCHEMES = ("s3", "gs", "gcs", "az", "abfs", "http", "https", "memory", "file")


def _check_storage(storage: str) -> None:
    """Refuse storage that names no place: an empty path, or a URL without a bucket.

    Examples:
        >>> _check_storage("s3://")
        Traceback (most recent call last):
        ...
        catalog_sql.errors.InstanceError: storage 's3://' names no bucket: use s3://BUCKET or s3://BUCKET/PREFIX.
    """  # noqa: E501
    if not storage.strip():
        raise InstanceError("storage is empty: pass a folder or a URL such as s3://bucket/lab.")
    if _is_remote(storage):
        scheme, _, rest = storage.partition("://")
        if not rest.strip("/"):
            raise InstanceError(
                f"storage {storage!r} names no bucket: use {scheme}://BUCKET or "
                f"{scheme}://BUCKET/PREFIX."
            )


def _create(config: InstanceConfig, path: Path) -> Instance:
    path.mkdir(parents=True, exist_ok=True)
    if not _is_remote(config.storage):
        Path(config.storage).mkdir(parents=True, exist_ok=True)
    backend = _make_backend(config, path, create=True)
    try:
        if config.db:
            _check_schema_owner(backend, config)
        migrations.migrate(backend)  # prepares the back end first (Postgres: extensions)
    except BaseException:
        backend.close()
        raise
    _write_config(path, config)
    instance = Instance(config, path, backend)
    instance._load_modules()  # an instance re-created on a catalog that had modules
    instance = _activate(instance)
    logger.info("created instance %s (%s)", config.name, config.backend_name)
    return instance


def connect(
    instance: str | os.PathLike | None = None,
    *,
    read_only: bool = False,
    db: str | None = None,
    storage_options: dict | None = None,
) -> Instance:
    """Open an existing instance (path, name, or the remembered current one).

    Args:
        instance: a storage folder, an instance name, or None for the current one.
        read_only: open the embedded catalog read-only (no lock files, nothing written).
            An instance whose catalog file or folder this process cannot write is opened
            read-only anyway. Writes then raise :class:`ReadOnlyError`.
        db: a Postgres instance only: the ``postgresql://`` URL to connect with instead
            of the one in its settings — a collaborator's own role (``lakecat
            collaborator add``). Used for this process only, never written down.
        storage_options: with a storage URL (``s3://bucket/lab``) as ``instance``: the
            fsspec options to read the catalog its owner published there
            (``instance.publish()``), which is then opened read-only.

    Examples:
        >>> import lakecat as lc, tempfile
        >>> root = tempfile.mkdtemp()
        >>> _ = lc.init(storage=root)
        >>> lc.connect(root).config.storage == str(Path(root).resolve())
        True
    """
    if isinstance(instance, str) and _is_remote(instance):  # a published catalog
        from .published import fetch

        instance = fetch(instance, storage_options, home() / "cache" / "published")
        read_only = True
    path = _locate(instance)
    config = _read_config(path)
    read_only = read_only or bool(config.published)
    if db is not None:
        config = _with_db(config, db)
    old = _CURRENT[0]
    same = old is not None and old.path == path and old.config.db == config.db
    if same and (old.backend.read_only or not read_only):
        return old
    close_others(path)  # read beside the current one until now: one connection per file
    backend = _make_backend(config, path, create=False, read_only=read_only or None)
    instance = Instance(config, path, backend)
    try:
        _check_schema(backend)
        instance._load_modules()
    except BaseException:
        backend.close()
        raise
    return _activate(instance)


def _with_db(config: InstanceConfig, db: str) -> InstanceConfig:
    """``config`` reached through another Postgres URL (same database and schema)."""
    if config.db is None:
        raise InstanceError(
            f"Instance {config.name!r} has an embedded DuckDB catalog, so there is no "
            f"database URL to replace: connect without db= (read_only=True to only read)."
        )
    if not db.startswith(("postgresql://", "postgres://")):
        raise InstanceError(f"db must be a postgresql:// URL, got {redact(db)!r}.")
    return replace(config, db=db)


def _aliases() -> dict[str, str]:
    from .core.modules import ALIASES

    return ALIASES


def _ahead(backend: Backend, module: Any) -> SchemaVersionError | None:
    """The error when the catalog has migrations of ``module`` its code lacks (or an
    applied one was edited), else None."""
    try:
        migrations.pending(backend, module.name, module.migrations())
    except SchemaVersionError as err:
        return err
    return None


def _check_schema(backend: Backend, module: str = "core", known: list | None = None) -> None:
    pending = migrations.pending(backend, module, known)
    if pending and backend.read_only:
        raise SchemaVersionError(
            f"The catalog schema is older than this lakecat ({', '.join(m.name for m in pending)} "
            f"not applied) and this process can only read it. Open it once with write access "
            f"(`lakecat migrate`), or use the lakecat release that wrote it."
        )
    if pending:
        names = ", ".join(m.name for m in pending)
        logger.warning("migrating the catalog schema: %s", names)
        try:
            migrations.migrate(backend, module, known)
        except SchemaVersionError:
            raise
        except Exception as err:
            raise SchemaVersionError(
                f"The catalog schema is older than this lakecat and migrating it failed "
                f"({err}). Run `lakecat migrate` and check its message."
            ) from err


def _locate(instance: str | os.PathLike | None) -> Path:
    if instance is None:
        pointer = home() / "current.json"
        if not pointer.exists():
            raise InstanceError(
                "No instance is connected. Create one with lakecat.init(storage=...) "
                "or `lakecat init --storage PATH`, or connect with lakecat.connect(PATH)."
            )
        return Path(json.loads(pointer.read_text())["path"])
    text = os.fspath(instance)
    candidate = Path(text).expanduser()
    for path in (candidate / CONFIG_DIR, candidate):
        if (path / CONFIG_FILE).exists():
            return path.resolve()
    known = _known()
    if text in known:
        return Path(known[text])
    from catalog_sql.errors import did_you_mean

    hint = did_you_mean(text, known) or (
        f" Known instances: {', '.join(sorted(known))}." if known else ""
    )
    raise InstanceError(f"No lakecat instance at or named {text!r}.{hint}")


def _known() -> dict[str, str]:
    registry = home() / "instances.json"
    if not registry.exists():
        return {}
    return json.loads(registry.read_text())


def _read_config(path: Path) -> InstanceConfig:
    try:
        data = json.loads((path / CONFIG_FILE).read_text())
        return InstanceConfig(**data)
    except (OSError, ValueError, TypeError) as err:
        raise InstanceError(
            f"Cannot read {path / CONFIG_FILE}: {err}. Restore the file or re-create the "
            f"instance with lakecat.init()."
        ) from None


def _write_config(path: Path, config: InstanceConfig) -> None:
    _atomic_write(path / CONFIG_FILE, json.dumps(asdict(config), indent=2))


def _atomic_write(target: Path, text: str) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.{time.monotonic_ns()}")
    tmp.write_text(text)
    os.replace(tmp, target)


def _activate(instance: Instance) -> Instance:
    old = _CURRENT[0]
    if old is not None and old is not instance:
        old.close()
    _CURRENT[0] = instance
    _remember(instance)
    _ensure_identity(instance)
    return instance


def _remember(instance: Instance) -> None:
    """Note the instance as known and current in the settings folder (best effort: a
    settings folder that cannot be written does not stop anyone from reading)."""
    try:
        _remember_in(instance)
    except OSError as err:
        logger.debug("could not remember instance %s in %s: %s", instance.name, home(), err)


def _remember_in(instance: Instance) -> None:
    known = _known()
    if known.get(instance.name) != str(instance.path):
        known[instance.name] = str(instance.path)
        _atomic_write(home() / "instances.json", json.dumps(known, indent=2))
    pointer = home() / "current.json"
    payload = json.dumps({"name": instance.name, "path": str(instance.path)})
    if not pointer.exists() or pointer.read_text() != payload:
        _atomic_write(pointer, payload)


def _ensure_identity(instance: Instance) -> None:
    """Find or create the User and Storage records for this process."""
    from .core.catalog import registry_class

    Storage, User = registry_class("Storage"), registry_class("User")

    handle = env_config().user
    root = instance.config.storage
    kind = root.split("://")[0] if _is_remote(root) else "local"
    user = _find_or_create(User, {"handle": handle}, {"name": handle})
    storage = _find_or_create(Storage, {"root": root}, {"type": kind})
    instance.user_id = user.id if user else None
    instance.storage_id = storage.id if storage else None


def _find_or_create(cls: Any, key: dict[str, Any], extra: dict[str, Any]) -> Any:
    """The record with ``key``, created if missing — unless the catalog is read-only for
    this user (a SELECT-only Postgres role): then None, and reading still works."""
    found = cls.filter(**key).one_or_none()
    if found is not None:
        return found
    try:
        return cls(**key, **extra).save()
    except CatalogError as err:
        if "permission denied" not in str(err) and "read-only" not in str(err).lower():
            raise
        logger.info("read-only access to the catalog: %s %r is not recorded", cls.__name__,
                    next(iter(key.values())))  # fmt: skip
        return None


def disconnect() -> None:
    """Close the current instance (the settings still remember it) and the instances
    read beside it (``lc.using``)."""
    instance = _CURRENT[0]
    if instance is not None:
        instance.close()
        _CURRENT[0] = None
    close_others()


def close_others(path: Path | None = None) -> None:
    """Close the instances opened to be read beside the current one (``lc.using``),
    or only the one at ``path``."""
    for where in [path] if path is not None else list(_OTHERS):
        other = _OTHERS.pop(where, None)
        if other is not None:
            other.close()
