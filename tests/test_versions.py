"""The version rule (lakecat/versions.py) on both back ends, also under concurrent writers.

Invariants: a family has exactly one latest; version numbers are unique and increasing;
a new version goes after the family's newest; deleting a version promotes the previous
one; ``get(key=)`` means the latest.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections import defaultdict

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import lakecat as lc

_counter = iter(range(10**9))


def data() -> pd.DataFrame:
    """Bytes never saved before (so every save is a new blob, not a duplicate)."""
    return pd.DataFrame({"n": [next(_counter)]})


def families(cls) -> dict[int, list[tuple]]:
    """root → [(id, version, is_latest)] straight from the catalog."""
    found = defaultdict(list)
    rows = cls.filter().values_list("id", "initial_version_id", "version", "is_latest")
    for row_id, initial, version, latest in rows:
        found[initial or row_id].append((row_id, version, latest))
    return found


def assert_invariants(cls) -> None:
    for root, members in families(cls).items():
        latest = [m for m in members if m[2]]
        assert len(latest) == 1, f"family {root}: latest rows {latest}"
        versions = [m[1] for m in members]
        assert len(set(versions)) == len(versions), f"family {root}: versions {versions}"
        numbers = [int(v) for v in versions]
        assert int(latest[0][1]) == max(numbers), f"family {root}: latest is not the newest"
        assert root == min(m[0] for m in members), f"family {root} is not rooted at its first"


def test_new_version_of_an_old_version_goes_after_the_newest(instance):
    v1 = lc.File(data(), key="t.parquet").save()
    lc.File(data(), key="t.parquet").save()
    v3 = lc.File(data(), key="t.parquet").save()
    v4 = lc.File(data(), is_new_version_of=v1).save()  # before: a second "2", two latest
    assert v4.version == "4" and v4.key == "t.parquet"
    assert [(f.version, f.is_latest) for f in v1.versions] == [
        ("1", False), ("2", False), ("3", False), ("4", True),
    ]  # fmt: skip
    assert not lc.File.get(v3.uid).is_latest
    assert_invariants(lc.File)


def test_get_by_key_means_latest_and_version_picks_another(instance):
    v1 = lc.File(data(), key="k.parquet").save()
    v2 = lc.File(data(), key="k.parquet").save()
    assert lc.File.get(key="k.parquet") == v2  # before: MultipleResultsError
    assert lc.File.get(key="k.parquet", version="1") == v1
    assert lc.File.get(key="k.parquet", is_latest=False) == v1


def test_deleting_the_latest_promotes_the_previous(instance):
    v1 = lc.File(data(), key="d.parquet").save()
    v2 = lc.File(data(), key="d.parquet").save()
    v2.delete()  # before: the family was left without a latest
    assert lc.File.get(key="d.parquet") == v1 and lc.File.get(v1.uid).is_latest
    v3 = lc.File(data(), key="d.parquet").save()
    assert v3.version == "2" and [f.version for f in v3.versions] == ["1", "2"]
    assert_invariants(lc.File)


def test_deleting_the_first_version_reroots_the_family(instance):
    v1 = lc.File(data(), key="r.parquet").save()
    v2 = lc.File(data(), key="r.parquet").save()
    v3 = lc.File(data(), key="r.parquet").save()
    v1.delete()  # before: refused, v2 and v3 point at it
    fresh = lc.File.get(v3.uid)
    assert fresh.initial_version_id == v2.id and lc.File.get(v2.uid).initial_version_id is None
    assert [f.version for f in fresh.versions] == ["2", "3"]
    assert lc.File.get(key="r.parquet") == v3
    assert_invariants(lc.File)


def test_transform_versions_follow_the_same_rule(instance):
    t1 = lc.Transform(name="qc", version="1.0").save()
    t2 = lc.Transform(name="qc", version="1.0", is_new_version_of=t1).save()
    t3 = lc.Transform(name="qc", version="2.0", is_new_version_of=t1).save()
    assert (t1.version, t2.version, t3.version) == ("1.0", "1.0.1", "2.0")
    assert [t.is_latest for t in t1.versions] == [False, False, True]
    t3.delete()
    assert lc.Transform.get(t2.uid).is_latest


def test_dataset_versions_and_own_version_reads(instance):
    ds = lc.Dataset(pd.DataFrame({"x": [1]}), name="dv").save()
    v1 = ds.append(pd.DataFrame({"x": [2]}))
    v2 = ds.append(pd.DataFrame({"x": [3]}))  # appended after the newest, not after ds
    assert v2.version == "2" and sorted(v2.load()["x"]) == [1, 2, 3]
    assert sorted(ds.load()["x"]) == [1] and sorted(v1.load()["x"]) == [1, 2]
    assert lc.Dataset.get(name="dv") == v2
    assert_invariants(lc.Dataset)


OPS = st.lists(
    st.tuples(
        st.sampled_from(["save", "new_version", "delete"]), st.integers(0, 2), st.integers(0, 1000)
    ),  # fmt: skip
    min_size=1,
    max_size=10,
)


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(ops=OPS)
def test_random_sequences_keep_the_invariants(instance, ops):
    """Save under one of three keys / derive a new version from any record / delete any
    record, in random order: the invariants hold after every step."""
    prefix = f"p{next(_counter)}"
    for op, key, pick in ops:
        saved = lc.File.filter(key__startswith=prefix).order_by("id").list()
        if op == "save" or not saved:
            lc.File(data(), key=f"{prefix}/{key}.parquet").save()
        elif op == "new_version":
            lc.File(data(), is_new_version_of=saved[pick % len(saved)]).save()
        else:
            saved[pick % len(saved)].delete()
        assert_invariants(lc.File)
        for k in range(3):
            matches = lc.File.filter(key=f"{prefix}/{k}.parquet", is_latest=True).count()
            assert matches <= 1


WORKER = """
import sys, pandas as pd, lakecat as lc
lc.connect(sys.argv[1])
worker, n = int(sys.argv[2]), int(sys.argv[3])
for i in range(n):
    lc.File(pd.DataFrame({"w": [worker], "i": [i]}), key="shared/table.parquet").save()
    if i % 2:
        lc.ULabel(name=f"same-{i}").save()  # the same names from every process
print("done")
"""


def _run_workers(root, n_procs: int, n: int) -> None:
    env = {**os.environ, "LAKECAT_LOCK_TIMEOUT": "120"}
    procs = [
        subprocess.Popen([sys.executable, "-c", WORKER, str(root), str(w), str(n)],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        for w in range(n_procs)
    ]  # fmt: skip
    for proc in procs:
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err[-2000:]


def test_concurrent_processes_version_one_key(instance):
    """4 processes add versions of one key and save the same label names at once."""
    root = instance.path.parent
    _run_workers(root, 4, 8)
    rows = lc.File.filter(key="shared/table.parquet").values_list("version", "is_latest")
    assert sorted(int(v) for v, _ in rows) == list(range(1, 33))
    assert sum(1 for _, latest in rows if latest) == 1
    assert_invariants(lc.File)
    assert lc.ULabel.filter(name__startswith="same-").count() == 4


DATASET_WORKER = """
import sys, pandas as pd, lakecat as lc
lc.connect(sys.argv[1])
worker, n = int(sys.argv[2]), int(sys.argv[3])
for i in range(n):
    lc.Dataset.latest("shared").append(pd.DataFrame({"w": [worker], "i": [i]}))
print("done")
"""


def test_concurrent_appends_to_one_dataset(instance):
    """3 processes x 4 appends: every append lands, versions gap-free, one latest."""
    lc.Dataset(pd.DataFrame({"w": [-1], "i": [-1]}), name="shared").save()
    root = instance.path.parent
    env = {**os.environ, "LAKECAT_LOCK_TIMEOUT": "120"}
    procs = [
        subprocess.Popen([sys.executable, "-c", DATASET_WORKER, str(root), str(w), "4"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        for w in range(3)
    ]  # fmt: skip
    for proc in procs:
        _, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err[-2000:]
    latest = lc.Dataset.latest("shared")
    assert latest.version == "12" and latest.n_rows == 13
    frame = latest.load()
    assert len(frame) == 13 and sorted(frame["w"].tolist()).count(0) == 4
    versions = latest.versions()
    assert list(versions["version"]) == list(range(13))
    assert list(versions["rows"]) == list(range(1, 14))
    assert_invariants(lc.Dataset)


SAME_FILES = """
import sys, pandas as pd, lakecat as lc
lc.connect(sys.argv[1])
for i in range(10):
    lc.File(pd.DataFrame({"same": [i]}), key=f"same/{i}.parquet").save()
print("done")
"""


def test_concurrent_saves_of_the_same_bytes_make_one_record(instance):
    """4 processes save the same 10 files: 10 records, one per hash (insert-or-get)."""
    root = instance.path.parent
    env = {**os.environ, "LAKECAT_LOCK_TIMEOUT": "120"}
    procs = [
        subprocess.Popen([sys.executable, "-c", SAME_FILES, str(root)], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True, env=env)
        for _ in range(4)
    ]  # fmt: skip
    for proc in procs:
        _, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err[-2000:]
    hashes = lc.File.filter(key__startswith="same/").values_list("hash")
    assert len(hashes) == 10 and len(set(hashes)) == 10  # before (Postgres): 72 rows
    again = lc.File(pd.DataFrame({"same": [3]}), key="same/3.parquet").save()
    assert again.key == "same/3.parquet" and again.version == "1"
    assert_invariants(lc.File)
