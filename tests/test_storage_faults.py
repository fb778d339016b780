"""Storage faults: a typed error promptly, the catalog unchanged, a retry that works once
the fault is gone (a real S3 API server on loopback, stopped and started again)."""

from __future__ import annotations

import contextlib
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


PG_BIN = "/usr/lib/postgresql/15/bin"


class PrivatePostgres:
    """A PostgreSQL cluster of this test's own (so stopping it disturbs nobody else)."""

    def __init__(self) -> None:
        import os
        import shutil
        import tempfile

        if not os.path.exists(f"{PG_BIN}/initdb") or os.geteuid() != 0:
            if os.environ.get("CI") == "true":
                pytest.fail("a private PostgreSQL cluster needs root and PostgreSQL 15 under CI")
            pytest.skip("a private PostgreSQL cluster needs root and PostgreSQL 15")
        self.dir = tempfile.mkdtemp(prefix="lakecat-pg-", dir="/tmp")
        shutil.chown(self.dir, "postgres")
        self.port = _port()
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"
        self._as_postgres(f"{PG_BIN}/initdb", "-D", f"{self.dir}/data", "-A", "trust",
                          "-U", "postgres")  # fmt: skip
        self.ctl("start")

    def _as_postgres(self, *args: str) -> None:
        subprocess.run(["runuser", "-u", "postgres", "--", *args], check=True, timeout=120,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip

    def ctl(self, action: str) -> None:
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1"
        self._as_postgres(f"{PG_BIN}/pg_ctl", "-D", f"{self.dir}/data", "-m", "fast", "-w",
                          action, "-l", f"{self.dir}/log", "-o", options)  # fmt: skip

    def remove(self) -> None:
        import shutil

        with contextlib.suppress(subprocess.CalledProcessError):
            self.ctl("stop")
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture
def private_postgres():
    server = PrivatePostgres()
    yield server
    server.remove()


def test_postgres_down_or_restarted_is_a_typed_error_and_a_retry_works(private_postgres, tmp_path):
    lc.init(storage=str(tmp_path / "s"), db=private_postgres.url, name="faults")
    lc.ULabel(name="kept").save()
    private_postgres.ctl("stop")
    for attempt in (lambda: lc.ULabel(name="during").save(), lambda: lc.ULabel.filter().count()):
        start = time.monotonic()
        with pytest.raises(lc.CatalogError, match="cannot be reached.*retry"):
            attempt()
        assert time.monotonic() - start < 10
    private_postgres.ctl("start")  # the fault is gone: the same calls work
    assert lc.ULabel(name="during").save().name == "during"
    backend = lc.connect(tmp_path / "s").backend
    # restarted in the middle of a transaction
    with pytest.raises(lc.CatalogError), backend.transaction():
        lc.ULabel(name="lost").save()
        private_postgres.ctl("restart")
        lc.ULabel(name="lost-too").save()
    assert sorted(lc.ULabel.filter().values_list("name", flat=True)) == ["during", "kept"]
    assert lc.ULabel(name="after").save().name == "after"
