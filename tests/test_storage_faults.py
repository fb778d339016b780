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


DISK_FULL = """
import os, sys, lakecat as lc, pandas as pd
mount, db, name = sys.argv[1], sys.argv[2] or None, sys.argv[3] or None
lc.init(storage=mount + "/lab", db=db, name=name)
kept = lc.File(pd.DataFrame({"x": [1]}), key="kept.parquet").save()
big = mount + "/../big.bin"
with open(big, "wb") as fh:
    fh.write(os.urandom(12 << 20))  # more than the disk has left
try:
    lc.File(big, key="big.bin").save()
except lc.StorageError as err:
    print("blob:", type(err).__name__, "disk is full" in str(err))
print("files:", sorted(f.key for f in lc.File.filter()))
print("leftovers:", sorted(os.listdir(mount + "/lab/.lakecat/tmp")))
filler = mount + "/filler"
with open(filler, "wb") as fh:  # now fill the disk to the last byte
    try:
        while True:
            fh.write(b"x" * 65536)
    except OSError:
        pass
try:
    lc.save([lc.ULabel(name=f"full-{j}") for j in range(20000)])
    print("labels: saved")
except lc.DiskFullError as err:
    print("labels:", type(err).__name__)
try:
    lc.File(pd.DataFrame({"y": list(range(1000))}), key="more.parquet").save()
    print("file: saved")
except (lc.DiskFullError, lc.StorageError) as err:
    print("file:", type(err).__name__)
print("counts:", lc.ULabel.filter(name__startswith="full-").count(), lc.File.filter().count())
os.remove(filler)  # the fault is gone: retries work
lc.save([lc.ULabel(name=f"full-{j}") for j in range(20000)])
lc.File(pd.DataFrame({"y": list(range(1000))}), key="more.parquet").save()
print("retry:", lc.ULabel.filter(name__startswith="full-").count(), lc.File.filter().count())
"""


def test_a_full_disk_is_a_typed_error_and_a_retry_works(make_instance, tmp_path):
    """Storage (and, embedded, the catalog) on a small tmpfs in a mount namespace."""
    import os
    import shutil

    if shutil.which("unshare") is None or os.geteuid() != 0:
        if os.environ.get("CI") == "true":
            pytest.fail("a small tmpfs needs root and unshare under CI")
        pytest.skip("a small tmpfs needs root and unshare")
    mount = tmp_path / "disk"
    mount.mkdir()
    name = make_instance.new_name("full") if make_instance.backend == "postgres" else ""
    script = f'mount -t tmpfs -o size=10m tmpfs "{mount}" && "{sys.executable}" -c "$0" "$@"'
    out = subprocess.run(["unshare", "-m", "sh", "-c", script, DISK_FULL, str(mount),
                          make_instance.db or "", name], capture_output=True, text=True,
                         timeout=300)  # fmt: skip
    assert out.returncode == 0, out.stderr[-3000:]
    lines = out.stdout.splitlines()
    assert lines[0] == "blob: StorageError True", out.stdout
    assert lines[1] == "files: ['kept.parquet']" and lines[2] == "leftovers: []"
    if make_instance.backend == "duckdb":  # the catalog itself is on the full disk
        assert lines[3:6] == ["labels: DiskFullError", "file: StorageError", "counts: 0 1"]
    else:  # only the blob needs the full disk
        assert lines[3:6] == ["labels: saved", "file: StorageError", "counts: 20000 1"]
    assert lines[6] == "retry: 20000 2"
