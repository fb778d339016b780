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
