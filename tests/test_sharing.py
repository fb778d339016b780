"""The process holding an embedded catalog serves other processes of the same user.

DuckDB only: this is how the embedded back end shares its file (Postgres writers share a
server already). Every test uses real processes and a real catalog file.
"""

from __future__ import annotations

import os
import pickle
import signal
import socket
import subprocess
import sys
import time

import pytest

import lakecat as lc
from catalog_sql import sharing
from catalog_sql.backends.duckdb_file import DuckDBBackend

pytestmark = pytest.mark.skipif(not sharing.supported(), reason="needs Linux abstract sockets")


def _run(code: str, *args: str, env=None, timeout=120) -> subprocess.CompletedProcess:
    env = {**os.environ, "LAKECAT_LOCK_TIMEOUT": "30", **(env or {})}
    return subprocess.run([sys.executable, "-c", code, *map(str, args)], capture_output=True,
                          text=True, env=env, timeout=timeout)  # fmt: skip


def _wait_for(path, proc, timeout=60.0) -> None:
    end = time.monotonic() + timeout
    while not path.exists():
        assert proc.poll() is None, proc.stderr.read()
        assert time.monotonic() < end, f"{path} never appeared"
        time.sleep(0.01)


CLIENT = """
import sys, lakecat as lc
from lakecat.instance import current
lc.connect(sys.argv[1])
lc.ULabel(name="from-client").save()
print(current().backend.mode, lc.ULabel.get(name="from-holder").name)
"""


def test_a_second_process_is_served_by_the_holder(tmp_path):
    root = tmp_path / "inst"
    lc.init(storage=str(root))
    lc.ULabel(name="from-holder").save()
    backend = lc.connect(root).backend
    with backend.session():  # hold the file for the whole child run
        out = _run(CLIENT, root)
        assert out.returncode == 0, out.stderr
        assert out.stdout.split() == ["client", "from-holder"]
        # the client's write is visible to the holder at once, in the same open database
        assert lc.ULabel.get(name="from-client").name == "from-client"
    assert backend.mode == "holder"


def test_without_sharing_the_second_process_waits_for_the_file(tmp_path):
    root = tmp_path / "inst"
    lc.init(storage=str(root))
    lc.ULabel(name="from-holder").save()
    out = _run(CLIENT, root, env={"LAKECAT_SHARE": "0"})  # we are idle: the file is handed over
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["holder", "from-holder"]


HOLDER = """
import sys, time, lakecat as lc
from pathlib import Path
from lakecat.instance import current
lc.connect(sys.argv[1])
with current().backend.session():
    Path(sys.argv[2]).touch()
    time.sleep(600)
"""

LOSES_HOLDER = """
import sys, time, lakecat as lc
from pathlib import Path
from lakecat.instance import current
lc.connect(sys.argv[1])
backend = current().backend
try:
    with backend.transaction():
        lc.ULabel(name="a").save()
        print(backend.mode, flush=True)
        Path(sys.argv[2]).touch()
        while not Path(sys.argv[3]).exists():
            time.sleep(0.01)
        lc.ULabel(name="b").save()
except lc.ConflictError as err:
    print("conflict:", err, flush=True)
lc.ULabel(name="c").save()
print("after:", backend.mode, flush=True)
"""


def test_a_killed_holder_loses_only_the_open_transaction_of_its_client(tmp_path):
    root = tmp_path / "inst"
    lc.init(storage=str(root))
    lc.disconnect()
    env = {**os.environ, "LAKECAT_LOCK_TIMEOUT": "30"}
    holding, in_tx, go = tmp_path / "holding", tmp_path / "in_tx", tmp_path / "go"
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(root), str(holding)],
                              stderr=subprocess.PIPE, text=True, env=env)  # fmt: skip
    try:
        _wait_for(holding, holder)
        client = subprocess.Popen(
            [sys.executable, "-c", LOSES_HOLDER, str(root), str(in_tx), str(go)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
        )  # fmt: skip
        _wait_for(in_tx, client)
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    go.touch()
    out, err = client.communicate(timeout=120)
    assert client.returncode == 0, err
    lines = out.splitlines()
    assert lines[0] == "client"
    assert lines[1].startswith("conflict:") and "nothing of it was written" in lines[1]
    assert lines[2] == "after: holder"
    lc.connect(root)
    names = set(lc.ULabel.filter().values_list("name", flat=True))
    assert names == {"c"}  # "a" and "b" were in the lost transaction; "c" landed once


FOREIGN = """
import os, socket, sys
from catalog_sql import sharing
from pathlib import Path
name = sharing.address(Path(sys.argv[1]))
if sys.argv[2] == "other":
    os.setgid(65534); os.setuid(65534)
sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
sock.settimeout(10)
sock.connect(name)
remote = sharing.RemoteConnection(sock)
try:
    print("served", remote.execute("SELECT 42").fetchall()[0][0])
except sharing.ConnectionLost:
    print("refused")
"""


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to run a process as another user")
def test_another_user_is_not_served(tmp_path):
    root = tmp_path / "inst"
    lc.init(storage=str(root))
    backend = lc.connect(root).backend
    with backend.session():
        mine = _run(FOREIGN, backend.path, "same")
        theirs = _run(FOREIGN, backend.path, "other")
    assert mine.stdout.strip() == "served 42", mine.stderr
    assert theirs.stdout.strip() == "refused", theirs.stderr


def test_a_message_that_would_run_code_is_refused(tmp_path):
    root = tmp_path / "inst"
    lc.init(storage=str(root))
    backend = lc.connect(root).backend
    marker = tmp_path / "pwned"

    class Evil:
        def __reduce__(self):
            return (os.system, (f"touch {marker}",))

    with backend.session():
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(10)
        sock.connect(sharing.address(backend.path))
        data = pickle.dumps(("exec", Evil(), None, None))
        sock.sendall(sharing._HEADER.pack(len(data)) + data)
        assert sock.recv(1) == b""  # the holder hung up without unpickling the payload
        sock.close()
        assert lc.ULabel.filter().count() == 0  # and still serves its own process
    assert not marker.exists()


def test_a_forked_child_does_not_use_the_parents_connection(tmp_path):
    root = tmp_path / "inst"
    lc.init(storage=str(root))
    lc.ULabel(name="parent").save()
    backend = lc.connect(root).backend
    assert isinstance(backend, DuckDBBackend)
    with backend.session():
        pid = os.fork()
        if pid == 0:  # the child: served by its parent, never touching the parent's handle
            code = 1
            try:
                lc.ULabel(name="child").save()
                code = 0 if backend.mode == "client" else 3
            finally:
                os._exit(code)
        _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == 0
        assert sorted(lc.ULabel.filter().values_list("name", flat=True)) == ["child", "parent"]


DIES_IN_COMMIT = """
import os, sys, time, lakecat as lc
from pathlib import Path
from catalog_sql import sharing
from lakecat.instance import current
when = sys.argv[3]
original = sharing._ClientSession.op_commit

def dying_commit(self, token):
    if when == "before":
        os._exit(9)  # killed before COMMIT: nothing of the client's transaction lands
    original(self, token)
    os._exit(9)  # killed after COMMIT, before the client hears it

sharing._ClientSession.op_commit = dying_commit
lc.connect(sys.argv[1])
with current().backend.session():
    Path(sys.argv[2]).touch()
    time.sleep(600)
"""

SAVES_ONE = """
import sys, lakecat as lc
from lakecat.instance import current
lc.connect(sys.argv[1])
lc.ULabel.filter().count()
mode = current().backend.mode
lc.ULabel(name="once").save()
print(mode, current().backend.mode)
"""


@pytest.mark.parametrize("when", ["before", "after"])
def test_a_holder_dying_in_commit_leaves_the_write_exactly_once(tmp_path, when):
    """The client cannot hear the answer; the commit receipt tells it whether its write
    landed (after: done) or not (before: retried), so the label exists exactly once."""
    root = tmp_path / "inst"
    lc.init(storage=str(root))
    lc.disconnect()
    env = {**os.environ, "LAKECAT_LOCK_TIMEOUT": "30"}
    holding = tmp_path / "holding"
    holder = subprocess.Popen([sys.executable, "-c", DIES_IN_COMMIT, str(root), str(holding),
                               when], stderr=subprocess.PIPE, text=True, env=env)  # fmt: skip
    try:
        _wait_for(holding, holder)
        out = _run(SAVES_ONE, root)
    finally:
        holder.kill()
        holder.wait()
    assert holder.returncode == 9  # it died in the commit, as arranged
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["client", "holder"]
    lc.connect(root)
    assert lc.ULabel.filter(name="once").count() == 1


def test_a_commit_that_fails_gives_the_write_turn_back(tmp_path):
    """Found by 4 processes versioning one key: a queued insert that failed at COMMIT left
    the holder's write turn taken, and the next writer waited for LAKECAT_LOCK_TIMEOUT."""
    import duckdb

    root = tmp_path / "inst"
    lc.init(storage=str(root))
    lc.ULabel(name="taken").save()
    backend = lc.connect(root).backend
    with backend.session():
        remote = sharing.connect(backend.path)
        assert remote is not None
        remote.begin(5)
        remote.queue("INSERT INTO ulabel (id, uid, name, created_at) "
                     "VALUES (999, 'dupuid01', 'taken', now())")  # fmt: skip
        with pytest.raises(duckdb.ConstraintException):
            remote.commit("abc123")
        start = time.monotonic()
        remote.begin(5)  # the turn is free again at once
        assert remote.query("SELECT count(*) FROM ulabel", "rows").fetchall() == [(1,)]
        remote.commit("abc124")
        assert time.monotonic() - start < 2
        lc.ULabel(name="after").save()  # and the holder itself can write
        remote.close()
    assert lc.ULabel.filter().count() == 2
