"""Fixtures shared by the test suite and the doctests of every package."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def _bio_cache(tmp_path_factory):
    """One ontology cache for the whole run: each source is converted once, not per test."""
    return tmp_path_factory.mktemp("bio-cache")


@pytest.fixture(autouse=True)
def _lakecat_home(tmp_path_factory, monkeypatch, _bio_cache):
    home = tmp_path_factory.mktemp("lakecat-home")
    monkeypatch.setenv("LAKECAT_HOME", str(home))
    monkeypatch.setenv("LAKECAT_BIO_CACHE", str(_bio_cache))
    yield home
    from lakecat import instance

    instance.disconnect()


@pytest.fixture(autouse=True)
def _doctest_instance(request, tmp_path, monkeypatch):
    """Doctests run against a throwaway embedded instance."""
    if isinstance(request.node, pytest.DoctestItem):
        import lakecat as lc

        monkeypatch.chdir(tmp_path)
        lc.init(storage=str(tmp_path / "doctest"))
    yield
