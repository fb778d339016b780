"""Kill a saving process at random points: the catalog never points at a missing or
partial blob, and gc finds exactly the orphans."""

from __future__ import annotations

import contextlib
import os
import random
import signal
import subprocess
import sys

import lakecat as lc
from lakecat.files.maintenance import gc

WRITER = """
import os, sys, lakecat as lc
lc.connect(sys.argv[1])
work, start = sys.argv[2], int(sys.argv[3])
for i in range(start, start + 10_000):
    path = os.path.join(work, f"f{i}.bin")
    with open(path, "wb") as fh:
        fh.write(os.urandom(64 * 1024 + i))
    lc.File(path, key=f"crash/{i}.bin").save()
    print(i, flush=True)
"""


def _check_invariant(root) -> int:
    inst = lc.connect(root)
    files = lc.File.filter().list()
    for f in files:
        assert inst.storage_root.exists(f.blob), f"row {f.uid} points at a missing blob"
        assert inst.storage_root.digest(f.blob).hash == f.hash, f"blob of {f.uid} is partial"
    lc.disconnect()
    return len(files)


def test_kill_dash_nine_while_saving(tmp_path, make_instance):
    root = make_instance.root(make_instance(tmp_path / "crashy"))
    lc.disconnect()
    work = tmp_path / "src"
    work.mkdir()
    rng = random.Random(20261128)
    start, saved = 0, 0
    for _ in range(8):  # tests/test_kill_trials.py kills at many more moments (slow: 200+)
        proc = subprocess.Popen(
            [sys.executable, "-c", WRITER, str(root), str(work), str(start)],
            stdout=subprocess.PIPE,
            text=True,
        )
        first = proc.stdout.readline()  # the writer is up and has saved one file
        assert first, "writer died before saving anything"
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=rng.uniform(0.0, 0.3))
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        start += 10_000
        saved = _check_invariant(root)
    assert saved >= 8
    lc.connect(root)
    orphans = gc(dry_run=False, min_age=0)
    referenced = {f.blob for f in lc.File.filter().list()}
    assert not set(orphans) & referenced
    assert set(lc.connect(root).storage_root.walk_objects()) == referenced


def test_a_wal_duckdb_cannot_replay_is_set_aside(tmp_path, caplog):  # DuckDB only: its WAL
    """DuckDB 1.5 cannot replay an ALTER TABLE of a table with a nextval default (found by
    killing migrations at random): the catalog must still open."""
    import subprocess
    import sys

    root = tmp_path / "lab"
    lc.init(storage=str(root))
    lc.ULabel(name="kept").save()
    lc.disconnect()
    catalog = root / ".lakecat" / "catalog.duckdb"
    crash = ("import duckdb, os, sys; con = duckdb.connect(sys.argv[1]); "
             "con.execute('ALTER TABLE ulabel ADD COLUMN extra VARCHAR'); os._exit(9)")  # fmt: skip
    subprocess.run([sys.executable, "-c", crash, str(catalog)], check=False, timeout=60)
    assert catalog.with_name("catalog.duckdb.wal").exists()
    lc.connect(root)  # before: InternalException "Failure while replaying WAL", every time
    assert [r.name for r in lc.ULabel.filter()] == ["kept"]
    aside = list(catalog.parent.glob("catalog.duckdb.wal.unreplayable-*"))
    assert len(aside) == 1 and "could not be replayed" in caplog.text
    assert "extra" not in lc.ULabel.filter().df().columns
