"""Several processes on one embedded catalog take turns and lose nothing."""

from __future__ import annotations

import subprocess
import sys

import lakecat as lc

WORKER = """
import sys, lakecat as lc
lc.connect(sys.argv[1])
worker, n = sys.argv[2], int(sys.argv[3])
for i in range(n):
    lc.ULabel(name=f"w{worker}-{i}").save()
    if i % 100 == 0:
        assert lc.ULabel.filter(name__startswith=f"w{worker}-").count() == i + 1
print("done", worker)
"""


def _spawn(root, worker: str, n: int, env) -> subprocess.Popen:
    cmd = [sys.executable, "-c", WORKER, str(root), worker, str(n)]
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True)


# DuckDB only: these are about the embedded catalog's file lock (Postgres writers share a
# server; test_versions.py runs concurrent writers on both back ends).
def test_four_processes_save_500_each(tmp_path, monkeypatch):
    import os

    root = tmp_path / "shared"
    lc.init(storage=str(root))
    lc.disconnect()
    env = {**os.environ, "LAKECAT_LOCK_TIMEOUT": "120"}
    procs = [_spawn(root, str(w), 500, env) for w in range(4)]
    outputs = [p.communicate(timeout=300) for p in procs]
    for proc, (out, err) in zip(procs, outputs):
        assert proc.returncode == 0, err
        assert out.startswith("done")
    lc.connect(root)
    assert lc.ULabel.filter().count() == 2000
    for w in range(4):
        assert lc.ULabel.filter(name__startswith=f"w{w}-").count() == 500
    assert len({r.uid for r in lc.ULabel.filter().list()}) == 2000


def test_reader_waits_for_busy_writer_then_gets_in(tmp_path):  # DuckDB only: the file lock
    """A notebook-like holder releases the file when idle; a second process gets in."""
    import os

    root = tmp_path / "nb"
    lc.init(storage=str(root))
    lc.ULabel(name="from-notebook").save()  # this process now holds the catalog
    env = {**os.environ, "LAKECAT_LOCK_TIMEOUT": "30"}
    code = (
        "import sys, lakecat as lc; lc.connect(sys.argv[1]); "
        "print(lc.ULabel.get(name='from-notebook').name)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(root)], capture_output=True, text=True, env=env, timeout=60
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "from-notebook"
    assert lc.ULabel.filter().count() == 1  # and we can still use it afterwards


def test_lock_timeout_is_a_typed_error(tmp_path):  # DuckDB only: the file lock
    """A writer waiting longer than LAKECAT_LOCK_TIMEOUT for the write turn gets a typed
    error naming the variable, whether it is served by the holder or waits for the file."""
    import os

    root = tmp_path / "held"
    lc.init(storage=str(root))
    backend = lc.connect(root).backend
    code = (
        "import sys, lakecat as lc\n"
        "try:\n    lc.connect(sys.argv[1]); lc.ULabel(name='late').save()\n"
        "except lc.CatalogLockedError as e:\n    print('locked:', e)\n"
    )
    for share in ("1", "0"):
        env = {**os.environ, "LAKECAT_LOCK_TIMEOUT": "0.3", "LAKECAT_SHARE": share}
        with backend.transaction():  # hold the write turn for the whole child run
            out = subprocess.run(
                [sys.executable, "-c", code, str(root)], capture_output=True, text=True, env=env
            )
        assert "locked:" in out.stdout and "LAKECAT_LOCK_TIMEOUT" in out.stdout, out.stderr
    assert not lc.ULabel.filter(name="late").exists()
