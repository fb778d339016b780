"""Storage faults: a typed error promptly, the catalog unchanged, a retry that works once
the fault is gone (a real S3 API server on loopback, stopped and started again)."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request

import pandas as pd
import pytest

import lakecat as lc


def _port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _start(port: int) -> subprocess.Popen:
    proc = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    for _ in range(300):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}", timeout=1)
            return proc
        except OSError:
            time.sleep(0.1)
    proc.kill()
    pytest.fail("moto server did not start")


def test_s3_down_is_a_storage_error_and_a_retry_works(make_instance, monkeypatch):
    import s3fs

    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                        "AWS_DEFAULT_REGION": "us-east-1"}.items():  # fmt: skip
        monkeypatch.setenv(name, value)
    port = _port()
    server = _start(port)
    options = {"endpoint_url": f"http://127.0.0.1:{port}", "key": "testing", "secret": "testing"}
    s3fs.S3FileSystem(**options).mkdir("bkt")
    try:
        name = make_instance.new_name("faults")
        make_instance("s3://bkt/lab", name=name, storage_options=options)
        kept = lc.File(pd.DataFrame({"x": [1]}), key="kept.parquet").save()
        server.kill()
        server.wait()
        with pytest.raises(lc.StorageError, match="Storage failed while saving"):
            lc.File(pd.DataFrame({"x": [2]}), key="new.parquet").save()
        with pytest.raises(lc.StorageError, match=f"staging File {kept.uid}"):
            kept.load()
        assert [f.key for f in lc.File.filter()] == ["kept.parquet"]  # catalog unchanged
        server = _start(port)  # the fault is gone (an in-memory server: a new bucket)
        s3fs.S3FileSystem(**options).mkdir("bkt")
        again = lc.File(pd.DataFrame({"x": [2]}), key="new.parquet").save()
        assert list(again.load()["x"]) == [2]
    finally:
        server.kill()
