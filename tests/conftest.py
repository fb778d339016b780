"""One suite over both catalog back ends: every ``instance`` / ``make_instance`` test runs
on an embedded DuckDB catalog and on PostgreSQL (required under CI=true)."""

from __future__ import annotations

import functools
import os
import uuid

import pytest

PG_URL = os.environ.get("LAKECAT_TEST_PG", "")


def _postgres_or_skip() -> str:
    if not PG_URL:
        if os.environ.get("CI") == "true":
            pytest.fail("Postgres is required under CI=true (set LAKECAT_TEST_PG)")
        pytest.skip("no Postgres (LAKECAT_TEST_PG unset)")
    return PG_URL


def postgres_xfail(reason: str, raises: type[BaseException] | tuple = AssertionError):
    """Run a test on both back ends, the Postgres one a strict xfail: the suite then
    shows what Postgres cannot do yet, and fails when it starts to."""
    marks = pytest.mark.xfail(strict=True, raises=raises, reason=f"Postgres: {reason}")
    return pytest.mark.parametrize(
        "backend_name", ["duckdb", pytest.param("postgres", marks=marks)]
    )


@pytest.fixture(params=["duckdb", "postgres"])
def backend_name(request) -> str:
    return request.param


class InstanceFactory:
    """Creates catalogs on one back end; every Postgres schema it names is dropped when
    the test ends, whether it passed or failed (see the ``make_instance`` fixture)."""

    def __init__(self, backend: str, tmp_path) -> None:
        self.backend = backend
        self.tmp_path = tmp_path
        self.schemas: list[str] = []

    @property
    def db(self) -> str | None:
        """The ``db`` argument of ``lc.init`` (``None``: embedded DuckDB)."""
        return _postgres_or_skip() if self.backend == "postgres" else None

    def new_name(self, prefix: str = "t") -> str:
        """A fresh instance name; on Postgres it is the schema, dropped after the test."""
        name = f"{prefix}_{uuid.uuid4().hex[:10]}"
        if self.backend == "postgres":
            _postgres_or_skip()  # first: a skipped test has no schema to drop
            self.schemas.append(name)
        return name

    def cli_args(self, prefix: str = "cli") -> list[str]:
        """The ``lakecat init`` options that put the catalog on this back end."""
        if self.backend != "postgres":
            return []
        return ["--db", self.db, "--name", self.new_name(prefix)]

    def __call__(self, storage=None, *, name: str | None = None, storage_options=None):
        """``lc.init`` on this back end; storage defaults to ``tmp_path / "storage"``."""
        import lakecat as lc

        storage = str(storage if storage is not None else self.tmp_path / "storage")
        db = self.db
        if db and name is None:
            name = self.new_name()
        elif db:
            self.schemas.append(name)
        inst = lc.init(storage=storage, db=db, name=name, storage_options=storage_options)
        if db and inst.config.schema not in self.schemas:
            self.schemas.append(inst.config.schema)
        return inst

    def root(self, inst) -> str:
        """What another process passes to ``lc.connect`` to open ``inst``."""
        return str(inst.path.parent) if inst.config.db is None else inst.name

    def close(self) -> None:
        import lakecat as lc

        lc.disconnect()  # an open transaction on this side would block the DROP
        if not self.schemas:
            return
        backend = _dropper()
        try:
            for schema in self.schemas:
                backend.native(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        except Exception:
            backend.close()  # reconnects at the next drop (e.g. after a Postgres restart)
            raise


@functools.lru_cache(maxsize=1)
def _dropper():
    """One connection for every test's schema drops: connecting costs ~0.15 s (DuckDB checks
    the postgres extension's signature each time it is loaded)."""
    from catalog_sql.backends import PostgresBackend

    return PostgresBackend(PG_URL)


@pytest.fixture
def make_instance(backend_name, tmp_path):
    """A factory of instances on the parametrized back end (``make_instance(storage=…,
    name=…, storage_options=…)``, ``.cli_args()`` for ``lakecat init``, ``.root(inst)``);
    drops every Postgres schema it created when the test ends, even if it failed."""
    factory = InstanceFactory(backend_name, tmp_path)
    yield factory
    factory.close()


@pytest.fixture
def instance(make_instance):
    """A fresh, connected instance on the parametrized back end."""
    return make_instance()


@pytest.fixture
def duck_instance(tmp_path):
    """An embedded instance, for tests about the DuckDB catalog file itself."""
    import lakecat as lc

    return lc.init(storage=str(tmp_path / "storage"))


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def s3_server():
    """A real S3 API (moto server) on loopback for the whole session.

    Yields the endpoint URL; credentials are the dummy ``testing`` pair, exported as
    the usual AWS environment variables so s3fs, DuckDB httpfs and deltalake find them.
    """
    import subprocess
    import sys
    import time
    import urllib.request

    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(endpoint, timeout=1)
            break
        except Exception:  # noqa: BLE001 - any failure means "not up yet"
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                pytest.fail("moto server did not start")
            time.sleep(0.05)
    env = {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ENDPOINT_URL": endpoint,
    }
    old = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    yield endpoint
    for key, value in old.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture
def s3_bucket(s3_server):
    """A fresh bucket; yields ``(bucket_url, storage_options)`` for s3fs."""
    import uuid

    import s3fs

    options = {"endpoint_url": s3_server, "key": "testing", "secret": "testing"}
    fs = s3fs.S3FileSystem(**options)
    name = f"lc-{uuid.uuid4().hex[:12]}"
    fs.mkdir(name)
    yield f"s3://{name}", options
