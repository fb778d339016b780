"""Random registries for the search index's property tests: names, and the writes
(adds, renames, deletes, rebuilds) applied after a first build."""

from __future__ import annotations

import itertools

from hypothesis import strategies as st

import lakecat as lc

# Few letters, so that names share prefixes, words and substrings; spaces make words,
# capitals test lower(), "é" a two-byte character in the keys.
LETTERS = st.sampled_from(list("abcab é") + ["A", "B"])
NAME = st.text(LETTERS, min_size=1, max_size=40).map(str.strip).filter(bool)
OPS = st.lists(
    st.one_of(
        st.tuples(st.just("add"), NAME),
        st.tuples(st.just("rename"), st.integers(0, 10**6), NAME),
        st.tuples(st.just("delete"), st.integers(0, 10**6)),
        st.tuples(st.just("build")),
    ),
    max_size=12,
)
UNIQUE = itertools.count()  # hypothesis examples share one instance: names stay unique


def apply_ops(ops: list[tuple], ids: list[int], **build) -> None:
    """Run ``ops`` on ``ULabel`` (``ids``: the labels written so far, kept up to date);
    ``build``: the arguments of each ``build_search_index``."""
    for op in ops:
        if op[0] == "add":
            ids.append(lc.ULabel(name=f"{op[1]} a{next(UNIQUE)}").save().id)
        elif op[0] == "build":
            lc.ULabel.build_search_index(**build)
        elif ids and op[0] == "rename":
            label = lc.ULabel.get(id=ids[op[1] % len(ids)])
            label.name = f"{op[2]} r{next(UNIQUE)}"
            label.save()
        elif ids and op[0] == "delete":
            lc.ULabel.get(id=ids.pop(op[1] % len(ids))).delete()
