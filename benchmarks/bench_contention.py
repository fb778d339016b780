"""Write throughput under contention: P processes x N single saves on one instance.

Run by hand:  python benchmarks/bench_contention.py [--procs 8] [--saves 1000] [--pg URL]
              [--mixed] [--readers 1]
Each writer saves one record at a time (labels; with ``--mixed`` also small Files and
dataset appends) and records the latency of every save; readers run point queries.
Prints aggregate saves/s and p50/p99/max latency, and writes them to RESULTS.md
(section "Contention") unless ``--no-write``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from results import machine_line, results_path

RESULTS = results_path()

WRITER = r"""
import json, os, sys, time
import lakecat as lc
lc.settings.verbosity = "error"
root, worker, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
mixed, start_at = sys.argv[4] == "1", float(sys.argv[5])
lc.connect(root)
while time.time() < start_at:
    time.sleep(0.001)
lat = []
kinds = []
for i in range(n):
    kind = "label"
    if mixed and i % 10 == 3:
        kind = "file"
    elif mixed and i % 50 == 7:
        kind = "append"
    t0 = time.perf_counter()
    if kind == "label":
        lc.ULabel(name=f"w{worker}-{i}").save()
    elif kind == "file":
        p = os.path.join(root, f"src-{worker}-{i}.txt")
        with open(p, "w") as fh:
            fh.write(f"{worker} {i}\n")
        lc.File(p, key=f"bench/{worker}/{i}.txt").save()
    else:
        import pandas as pd
        lc.Dataset.latest("shared").append(pd.DataFrame({"w": [int(worker)], "i": [i]}))
    lat.append(time.perf_counter() - t0)
    kinds.append(kind)
from lakecat.instance import current
times = os.times()
print(json.dumps({"lat": lat, "kinds": kinds, "cpu": times.user + times.system,
                  "holder": getattr(current().backend, "mode", "") == "holder"}))
"""

READER = r"""
import json, sys, time
import lakecat as lc
import os
root, stop_file = sys.argv[1], sys.argv[2]
lc.connect(root)
lat = []
while not os.path.exists(stop_file):
    t0 = time.perf_counter()
    lc.ULabel.filter(name__startswith="w0-1").count()
    lat.append(time.perf_counter() - t0)
    time.sleep(0.01)
print(json.dumps({"lat": lat}))
"""


def percentile(values: list[float], q: float) -> float:
    """The ``q`` quantile (0..1) of ``values`` (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def run(procs: int, saves: int, *, pg: str | None, mixed: bool, readers: int) -> dict:
    """Spawn the writers (and readers) and collect their latencies."""
    import lakecat as lc

    tmp = Path(tempfile.mkdtemp(prefix="lakecat-contention-"))
    root = tmp / "inst"
    kwargs = {"db": pg, "name": f"contention_{os.getpid()}"} if pg else {}
    lc.init(storage=str(root), **kwargs)
    if mixed:
        import pandas as pd

        lc.Dataset(pd.DataFrame({"w": [-1], "i": [-1]}), name="shared").save()
    lc.disconnect()
    env = {**os.environ, "LAKECAT_LOCK_TIMEOUT": "600"}
    stop_file = tmp / "stop"
    start_at = time.time() + 3.0
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(root), str(w), str(saves), "1" if mixed else "0",
             str(start_at)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True,
        )
        for w in range(procs)
    ]  # fmt: skip
    reader_procs = [
        subprocess.Popen([sys.executable, "-c", READER, str(root), str(stop_file)],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True)
        for _ in range(readers)
    ]  # fmt: skip
    outputs = [w.communicate() for w in writers]
    wall = time.time() - start_at
    stop_file.touch()
    read_lat = []
    for proc in reader_procs:
        out, err = proc.communicate()
        if proc.returncode != 0:
            raise SystemExit(f"reader failed: {err[-2000:]}")
        read_lat += json.loads(out.strip().splitlines()[-1])["lat"]
    for proc, (_, err) in zip(writers, outputs):
        if proc.returncode != 0:
            raise SystemExit(f"writer failed: {err[-2000:]}")
    lat, kinds, cpu = [], [], []
    for out, _ in outputs:
        data = json.loads(out.strip().splitlines()[-1])
        lat += data["lat"]
        kinds += data["kinds"]
        cpu.append((round(data["cpu"], 2), data["holder"]))
    lc.connect(root)
    total = lc.ULabel.filter(name__startswith="w").count()
    expected = sum(1 for k in kinds if k == "label")
    result = {
        "backend": "postgres" if pg else "duckdb",
        "procs": procs,
        "saves": len(lat),
        "wall_s": wall,
        "per_s": len(lat) / wall,
        "p50_ms": 1000 * statistics.median(lat),
        "p99_ms": 1000 * percentile(lat, 0.99),
        "max_ms": 1000 * max(lat),
        "labels_ok": total == expected,
        "cpu_s_per_process": cpu,
    }
    if read_lat:
        result["reads"] = len(read_lat)
        result["p99_read_ms"] = 1000 * percentile(read_lat, 0.99)
    for kind in sorted(set(kinds)):
        sample = [x for x, k in zip(lat, kinds) if k == kind]
        result[f"p99_{kind}_ms"] = 1000 * percentile(sample, 0.99)
    if mixed:
        versions = lc.Dataset.filter(name="shared").values_list("version", flat=True)
        numbers = sorted(int(v) for v in versions)
        result["dataset_versions_gap_free"] = numbers == list(range(len(numbers)))
        result["dataset_latest"] = lc.Dataset.filter(name="shared", is_latest=True).count()
    if pg:  # the run's schema: nothing to keep (the test database would fill up)
        backend = lc.instance.current().backend
        backend.native(f'DROP SCHEMA IF EXISTS "{backend.schema}" CASCADE')
    lc.disconnect()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--procs", type=int, default=8)
    parser.add_argument("--saves", type=int, default=1000)
    parser.add_argument("--pg", default=None, help="postgresql:// URL for the Postgres back end")
    parser.add_argument("--mixed", action="store_true")
    parser.add_argument("--readers", type=int, default=0)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    result = run(args.procs, args.saves, pg=args.pg, mixed=args.mixed, readers=args.readers)
    print(json.dumps(result, indent=1))
    if not args.no_write:
        write_results(result)


SECTION = "## Contention (`benchmarks/bench_contention.py`)"
HEADER = (
    "| back end | writers x saves | kind | saves/s | p50 / p99 / max per save | by kind (p99) "
    "| checks | target |\n|---|---|---|---|---|---|---|---|"
)


def target(result: dict, kind: str) -> str:
    """The issue's target for this row (#11: 8 x 1,000 single saves on an idle machine),
    marked met / not met; other rows check correctness only."""
    ok = result["labels_ok"] and result.get("dataset_latest", 1) == 1
    ok = ok and result.get("dataset_versions_gap_free", True)
    if kind == "mixed" or result["procs"] != 8:
        return "correctness: " + ("met" if ok else "NOT MET")
    if result["backend"] == "duckdb":
        met = ok and result["per_s"] >= 200 and result["p99_ms"] <= 250
        return "≥ 200 saves/s, p99 ≤ 250 ms: " + ("met" if met else "not met")
    return "p99 ≤ 100 ms: " + ("met" if ok and result["p99_ms"] <= 100 else "not met")


def write_results(result: dict) -> None:
    """Put this run's row into the Contention section of RESULTS.md (one row per back end
    and kind of workload; the machine and date above the table)."""
    kind = "mixed" if "p99_file_ms" in result else "labels"
    kinds = ", ".join(f"{k[4:-3]} {v:.0f} ms" for k, v in sorted(result.items())
                      if k.startswith("p99_") and k.endswith("_ms") and k != "p99_ms")  # fmt: skip
    checks = "every record once" if result["labels_ok"] else "MISSING RECORDS"
    if kind == "mixed":
        checks += ", versions gap-free" if result["dataset_versions_gap_free"] else ", GAPS"
        checks += f", {result['dataset_latest']} latest"
    row = (
        f"| {result['backend']} | {result['procs']} x {result['saves'] // result['procs']} | "
        f"{kind} | {result['per_s']:.0f} | {result['p50_ms']:.0f} / {result['p99_ms']:.0f} / "
        f"{result['max_ms']:.0f} ms | {kinds} | {checks} | {target(result, kind)} |"
    )
    print(row)
    text = RESULTS.read_text() if RESULTS.exists() else "# Benchmark results\n"
    machine = machine_line()
    if SECTION not in text:
        block = f"{SECTION}\n\n{machine}\n\n{HEADER}\n{row}\n"
        marker = text.find("\n## Notes")
        text = text[:marker] + "\n" + block + text[marker:] if marker != -1 else text + "\n" + block
    else:
        start = text.index(SECTION)
        end = text.find("\n## ", start + 1)
        body = text[start : end if end != -1 else len(text)].rstrip("\n").splitlines()
        key = f"| {result['backend']} | {result['procs']} x"
        rows = [
            r
            for r in body
            if r.startswith("| ")
            and not r.startswith(("| back end", "|---"))
            and not (r.startswith(key) and f"| {kind} |" in r)
        ]
        block = "\n".join([SECTION, "", machine, "", HEADER, *rows, row]) + "\n"
        text = text[:start] + block + ("\n" + text[end + 1 :] if end != -1 else "")
    RESULTS.write_text(text)


if __name__ == "__main__":
    main()
