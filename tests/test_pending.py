"""Records a query returns are filled from their row when first read (lakecat.core.pending):
whatever is done to such a record, in whatever order, it behaves as one filled at once."""

from __future__ import annotations

import copy
import operator
import pickle
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import lakecat as lc
from lakecat.core.pending import Pending, Shape, fill


@pytest.fixture
def rows(instance):
    """Five labels and three runs (JSON params, a to-one relation, naive-free timestamps)."""
    lc.save([lc.ULabel(name=f"label {i}", description=f"d{i}") for i in range(5)])
    transform = lc.Transform(name="pending.py", type="script").save()
    for i in range(3):
        lc.Run(transform=transform, name=f"run {i}", params={"i": i, "tags": ["a", i]}).save()
    return instance


def unread(model, pk: int):
    (record,) = model.filter(id=pk).list()
    assert type(record.__dict__) is Pending and dict.__len__(record.__dict__) == 0
    return record


def test_a_listed_record_reads_what_the_row_holds(rows):
    """Every column of every listed record equals the table's value (timestamps aware UTC,
    JSON parsed), and reading one attribute fills the rest."""
    for model in (lc.ULabel, lc.Run):
        table = model.all().order_by("id").to_arrow().to_pylist()
        records = model.all().order_by("id").list()
        assert [type(r.__dict__) for r in records] == [Pending] * len(table)
        for record, row in zip(records, table):
            assert record.id == row["id"]
            assert dict.__len__(record.__dict__) > len(row)  # filled: columns + snapshot
            for column, value in row.items():
                got = record.__dict__[column]
                if column in ("params", "environment"):
                    assert got == eval_json(value), column
                elif hasattr(value, "tzinfo") and value is not None:
                    assert got == value and got.utcoffset() == timedelta(0)
                else:
                    assert got == value, column
            assert record._changes() == {}


def eval_json(text):
    import json

    return json.loads(text) if isinstance(text, str) else text


def test_a_write_before_any_read_is_kept_and_saved(rows):
    (first,) = lc.ULabel.filter(name="label 1").list()
    first.description = "changed before reading"  # CPython writes into the empty dict
    assert first._changes() == {"description": "changed before reading"}
    assert first.name == "label 1"
    first.save()
    assert lc.ULabel.get(name="label 1").description == "changed before reading"
    (run,) = lc.Run.filter(name="run 2").list()
    run.params["i"] = 20  # an in-place edit of a JSON value read from the row
    assert run._changes() == {"params": {"i": 20, "tags": ["a", 2]}}
    run.save()
    assert lc.Run.get(name="run 2").params == {"i": 20, "tags": ["a", 2]}


def test_unread_records_pickle_copy_and_compare(rows):
    pk = lc.ULabel.get(name="label 3").id
    for take in (lambda r: pickle.loads(pickle.dumps(r)), copy.copy, copy.deepcopy):
        other = take(unread(lc.ULabel, pk))
        assert type(other.__dict__) is dict and other.name == "label 3"
        assert other.to_dict() == lc.ULabel.get(id=pk).to_dict()
    assert unread(lc.ULabel, pk) == unread(lc.ULabel, pk)
    assert len({unread(lc.ULabel, pk), lc.ULabel.get(id=pk)}) == 1
    record = unread(lc.Run, lc.Run.get(name="run 0").id)
    assert record.transform.name == "pending.py" and record.created_by_id == rows.user_id


_READS = ["id", "uid", "name", "description", "created_at", "created_by_id", "created_by",
          "_saved", "files"]  # fmt: skip
_RUN_READS = ["id", "name", "params", "transform", "transform_id", "started_at", "_saved_json"]
_TEXT = st.text(st.characters(codec="utf-8", exclude_characters="\x00"), min_size=1, max_size=6)
_DICT_CALLS = ["get", "item", "in", "keys", "len", "items", "dict", "copy", "values", "setdefault"]
_OPS = st.one_of(
    st.tuples(st.just("read"), st.integers(0, 8)),
    st.tuples(st.just("write"), st.sampled_from(["name", "description", "reference"]), _TEXT),
    st.tuples(st.just("params"), st.text(max_size=3), st.integers(-3, 3)),
    st.tuples(st.just("dict"), st.sampled_from(_DICT_CALLS)),
    st.tuples(st.just("changes")),
    st.tuples(st.just("to_dict")),
    st.tuples(st.just("pickle")),
    st.tuples(st.just("repr")),
)


def _apply(record, op) -> object:
    kind, *args = op
    data = record.__dict__
    if kind == "read":
        names = _RUN_READS if isinstance(record, lc.Run) else _READS
        value = getattr(record, names[args[0] % len(names)])
        return value.list() if hasattr(value, "list") else value
    if kind == "write":
        field = args[0] if not isinstance(record, lc.Run) or args[0] != "description" else "status"
        setattr(record, field, args[1])
        return None
    if kind == "params":
        if isinstance(record, lc.Run):
            record.params[args[0]] = args[1]
        return None
    if kind == "dict":
        method = args[0]
        return {
            "get": lambda: data.get("name"), "item": lambda: data["uid"],
            "in": lambda: "created_at" in data, "keys": lambda: sorted(data.keys()),
            "len": lambda: len(data), "items": lambda: sorted(data.items(), key=str),
            "dict": lambda: sorted(dict(data), key=str), "copy": lambda: sorted(data.copy()),
            "values": lambda: sorted(map(str, data.values())),
            "setdefault": lambda: data.setdefault("name", "unused"),
        }[method]()  # fmt: skip
    if kind == "changes":
        return record._changes()
    if kind == "to_dict":
        return record.to_dict()
    if kind == "pickle":
        return pickle.loads(pickle.dumps(record)).to_dict()
    return repr(record)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(which=st.sampled_from(["label", "run"]), ops=st.lists(_OPS, max_size=12))
def test_any_order_of_use_behaves_as_filled_at_once(rows, which, ops):
    """The same operations on an unread record and on one filled before the first: each
    returns the same, and both end with the same attributes and the same changes."""
    model = lc.Run if which == "run" else lc.ULabel
    pk = model.all().order_by("id").first().id
    lazy, eager = unread(model, pk), unread(model, pk)
    assert fill(eager.__dict__) and not fill(eager.__dict__)
    for op in ops:
        assert _apply(lazy, op) == _apply(eager, op), op
    assert dict(lazy.__dict__) == dict(eager.__dict__)
    assert lazy._changes() == eager._changes()


def test_a_shape_makes_the_attributes_an_eager_read_made():
    """The generated builder (registries without JSON) and the general path (with JSON)
    give the same attributes: naive timestamps made UTC (one object per instant, None
    kept), the saved snapshot holding the values as read."""
    from datetime import datetime, timezone

    naive = datetime(2026, 12, 3, 10, 0)
    row = (7, naive, "it's", None)
    plain = Shape(("id", "at", "na'me", "gone"), (1, 3), ())
    with_json = Shape(("id", "at", "na'me", "gone"), (1, 3), ("meta",))
    assert plain.build is not None and with_json.build is None
    one, other = plain.data(row), plain.data(row)
    aware = naive.replace(tzinfo=timezone.utc)
    assert one == {"id": 7, "at": aware, "na'me": "it's", "gone": None,
                   "_saved": (7, aware, "it's", None)}  # fmt: skip
    assert one["at"] is other["at"] and one["at"].tzinfo is timezone.utc
    general = with_json.data(row)
    assert general.pop("_saved_json") == {"meta": "null"}
    assert general == one


def test_unread_records_compare_delete_and_list_as_filled_ones(rows):
    """Two unread dicts compare by their items (C reads the other side's directly); an
    attribute deleted or listed (``dir``) before any read; a write before any read leaves
    the attributes in the order an eager read has them."""
    first, second = unread(lc.ULabel, 1), unread(lc.ULabel, 1)
    assert vars(first) == vars(second)
    third, fourth = unread(lc.ULabel, 1), unread(lc.ULabel, 1)
    assert operator.ne(vars(third), vars(fourth)) is False
    other = unread(lc.ULabel, 2)
    assert vars(first) != vars(other)
    gone = unread(lc.ULabel, 3)
    del gone.description
    assert "description" not in vars(gone) and gone.name == "label 2"
    listed = unread(lc.ULabel, 4)
    assert {"_saved", "name", "uid"} <= set(dir(listed))
    written = unread(lc.ULabel, 5)
    written.description = "new"
    eager = lc.ULabel.get(id=5)
    assert list(vars(written))[: len(eager._meta.columns)] == list(eager._meta.columns)
    assert written.description == "new" and written._changes() == {"description": "new"}
