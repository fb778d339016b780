"""Collaborator roles: the same queries as the instance's owner and as a ``read``
collaborator (``lc.collaborators.add``), on one Postgres registry, in one run.

Issue #14's target: a read-role query within 1.2x of the owner's. Rounds alternate
between the two roles (owner, reader, owner, …) so drift on a shared machine hits both.

Managing roles needs CREATEROLE. When the role of ``--pg`` lacks it (the test role does),
the benchmark asks the local superuser (``runuser -u postgres psql``, as root) for a
throwaway catalog owner that has it, as an administrator would grant an owner; both are
dropped at the end.

Run by hand:  python benchmarks/bench_roles.py --pg postgresql://… [--rows 100000]
Writes its section of benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

from bench_core import label_name, write_section
from bench_serve import settle_postgres
from results import target

ROOT = Path(__file__).resolve().parents[1]
TITLE = "Collaborator roles (`benchmarks/bench_roles.py`)"
TARGET = 1.2


def superuser(url: str, sql: str) -> None:
    """Run ``sql`` in ``url``'s database as the local Postgres superuser."""
    database = urlsplit(url).path.lstrip("/")
    command = ["runuser", "-u", "postgres", "--", "psql", "-qAt", "-v", "ON_ERROR_STOP=1"]
    subprocess.run([*command, "-d", database, "-c", sql], check=True, capture_output=True,
                   timeout=120)  # fmt: skip


def with_user(url: str, user: str, password: str) -> str:
    """``url`` with other credentials."""
    parts = urlsplit(url)
    return parts._replace(netloc=f"{user}:{password}@{parts.netloc.rpartition('@')[2]}").geturl()


def owner_with_createrole(url: str) -> tuple[str, str | None]:
    """A catalog owner URL that may create roles, and the throwaway role made for it
    (None when ``url``'s own role has CREATEROLE)."""
    import lakecat as lc

    probe = lc.init(storage=tempfile.mkdtemp(), db=url, name=f"bench_roles_probe_{os.getpid()}")
    try:
        lc.collaborators.remove(f"bench_probe_{os.getpid()}")
    except lc.RolePrivilegeError:
        owner = f"bench_roles_owner_{os.getpid()}"
        database = urlsplit(url).path.lstrip("/")
        superuser(url, f"CREATE ROLE {owner} LOGIN CREATEROLE PASSWORD 'bench'; "
                       f'GRANT CREATE ON DATABASE "{database}" TO {owner};')  # fmt: skip
        print(f"{urlsplit(url).username} lacks CREATEROLE: using {owner}", flush=True)
        return with_user(url, owner, "bench"), owner
    except lc.RoleNotFoundError:
        return url, None
    finally:
        probe.backend.native(f'DROP SCHEMA "{probe.config.schema}" CASCADE')
        lc.disconnect()


def fill(rows: int) -> None:
    """``rows`` labels, bulk-saved by the owner."""
    import lakecat as lc

    for first in range(0, rows, 100_000):
        batch = range(first, min(rows, first + 100_000))
        lc.save([lc.ULabel(name=label_name(i), description=f"bulk {i % 97}") for i in batch])


def queries(rows: int) -> dict[str, Callable[[int], object]]:
    """The reads a collaborator runs, each called with a varying number."""
    import lakecat as lc

    return {
        "`filter(name=…).one()`": lambda i: lc.ULabel.filter(name=label_name(i % rows)).one(),
        "`filter(name__startswith=…).count()`": lambda i: lc.ULabel.filter(
            name__startswith=label_name(i % rows)[:4]
        ).count(),
        "`filter(description=…).df()` (1/97 of the rows)": lambda i: lc.ULabel.filter(
            description=f"bulk {i % 97}"
        ).df(),
        "`search(…)` top 20": lambda i: lc.ULabel.search(label_name(i % rows)[:6], limit=20),
    }


def one_round(fn: Callable[[int], object], repeat: int, offset: int) -> float:
    """Median seconds of ``repeat`` calls (after two warm-ups)."""
    fn(offset)
    fn(offset + 1)
    samples = []
    for i in range(repeat):
        start = time.perf_counter()
        fn(offset + 7 * i)
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def measure(storage: str, urls: dict[str, str], rows: int, repeat: int, rounds: int) -> dict:
    """``{query: {who: [median seconds per round]}}``; rounds alternate between roles."""
    import lakecat as lc

    found: dict[str, dict[str, list[float]]] = {}
    order = list(urls.items())
    for r in range(rounds):
        for who, url in order if r % 2 == 0 else order[::-1]:  # ABBA: no order bias
            lc.disconnect()
            lc.connect(storage, db=url)
            for name, fn in queries(rows).items():
                seconds = one_round(fn, repeat, offset=r * 1000)
                print(f"round {r} {who:6s} {name}: {seconds * 1e3:.2f} ms", flush=True)
                found.setdefault(name, {}).setdefault(who, []).append(seconds)
    lc.disconnect()
    return found


def lines_for(found: dict, rows: int) -> list[str]:
    """Table rows: the reader's median, the owner's as the baseline, their ratio, and the
    spread of the per-round ratios (the noise)."""
    out = []
    for name, by in found.items():
        reader, owner = statistics.median(by["reader"]), statistics.median(by["owner"])
        ratio = reader / owner
        per_round = [a / b for a, b in zip(by["reader"], by["owner"])]
        mark = target(ratio, TARGET, f"≤ {TARGET}x")
        out.append(f"| {name}, {rows:,} rows, read role | {reader * 1e3:.2f} ms | owner "
                   f"{owner * 1e3:.2f} ms | {ratio:.2f}x (rounds {min(per_round):.2f}–"
                   f"{max(per_round):.2f}) | {mark} |")  # fmt: skip
    return out


NOTES = [
    "- Both roles run the same lakecat calls on the same connection path (statements sent "
    "natively with `postgres_query`); the read role was made by `lc.collaborators.add(…, "
    "role='read')`. Each round connects as one role and takes the median of `--repeat` calls "
    "per query; rounds go owner, reader, reader, owner, … (no order bias); the table shows "
    "the median over rounds and the range of the per-round ratios. Postgres checks "
    "privileges once per statement, not per row, so the ratio should be 1.0 up to noise; "
    "on this shared 2-core machine one round differs from the next by up to ±30%.",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pg", required=True, help="postgresql:// URL of a catalog owner")
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=30, help="calls per query and round")
    parser.add_argument("--rounds", type=int, default=6)
    args = parser.parse_args()
    os.environ.setdefault("LAKECAT_HOME", tempfile.mkdtemp())
    logging.getLogger("lakecat").setLevel(logging.ERROR)
    import lakecat as lc

    url, made_owner = owner_with_createrole(args.pg)
    storage = tempfile.mkdtemp(prefix="lakecat-roles-")
    inst = lc.init(storage=storage, db=url, name=f"bench_roles_{os.getpid()}")
    schema, reader = inst.config.schema, f"bench_reader_{os.getpid()}"
    try:
        fill(args.rows)
        settle_postgres(url, schema)
        added = lc.collaborators.add(reader, role="read")
        found = measure(storage, {"owner": url, "reader": added.url}, args.rows,
                          args.repeat, args.rounds)  # fmt: skip
    finally:
        owner = lc.connect(storage, db=url)
        if reader in {c.name for c in lc.collaborators.list()}:
            lc.collaborators.remove(reader)
        owner.backend.native(f'DROP SCHEMA "{schema}" CASCADE')
        lc.disconnect()
        if made_owner:
            superuser(args.pg, f"DROP OWNED BY {made_owner} CASCADE; REVOKE ALL ON DATABASE "
                               f'"{urlsplit(args.pg).path.lstrip("/")}" FROM {made_owner}; '
                               f"DROP ROLE {made_owner};")  # fmt: skip
    lines = lines_for(found, args.rows)
    print("\n".join(lines), flush=True)
    write_section(TITLE, [*lines, "", *NOTES])


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()
