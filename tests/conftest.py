"""One suite over both catalog back ends: every ``instance`` test runs on an
embedded DuckDB catalog and on PostgreSQL (required under CI=true)."""

from __future__ import annotations

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


@pytest.fixture(params=["duckdb", "postgres"])
def backend_name(request) -> str:
    return request.param


@pytest.fixture
def instance(backend_name, tmp_path):
    """A fresh, connected instance on the parametrized back end."""
    import lakecat as lc

    storage = tmp_path / "storage"
    if backend_name == "postgres":
        url = _postgres_or_skip()
        name = f"t_{uuid.uuid4().hex[:10]}"
        inst = lc.init(storage=str(storage), db=url, name=name)
        yield inst
        inst.backend.native(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')
    else:
        yield lc.init(storage=str(storage))


@pytest.fixture
def duck_instance(tmp_path):
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
