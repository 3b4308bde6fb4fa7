"""From submit to feedback on the class hub (as root): one submission alone, then N at once.

A real hub (tests/hub_helpers.py: new OS users, `coursekit hub`, `coursekit serve`); each student
runs `nbgrader submit` in their sandbox; the time runs from the start of that command to the
moment the service has released the feedback to the exchange (the queue's `released`).
Goals: one submission <= 60 s; N = 40 at once, every one within 5 min. Prints p50 and p95.

    python benchmarks/bench_hub.py [--students 40] [--json results/hub.json]
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
from hub_helpers import class_hub  # noqa: E402
from report import print_table, write_json  # noqa: E402

GOAL_ONE, GOAL_ALL = 60.0, 300.0


def released_after(hub, starts: dict, timeout: float) -> dict:
    """student -> seconds from their submit's start to their feedback's release."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        rows = {r.student: r for r in hub.rows() if r.student in starts and r.released}
        if len(rows) == len(starts):
            return {s: rows[s].released - starts[s] for s in starts}
        time.sleep(0.5)
    raise TimeoutError(f"{len(starts) - len(rows)} of {len(starts)} not released within {timeout:.0f} s")


def quantile(values, q: float) -> float:
    v = sorted(values)
    return v[min(len(v) - 1, int(q * (len(v) - 1) + 0.5))]


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--students", type=int, default=40, help="how many submit at once (default 40)")
    p.add_argument("--json", metavar="PATH", help="write the results here")
    args = p.parse_args(argv)
    if os.geteuid() != 0:
        raise SystemExit("bench_hub.py runs as root: it makes OS users and runs JupyterHub")
    with tempfile.TemporaryDirectory() as tmp, class_hub(Path(tmp), n_students=1, n_load=args.students) as hub:
        one = hub.students[0]
        hub.answer(one)
        starts = {one: time.time()}
        hub.submit(one)
        single = released_after(hub, starts, GOAL_ALL)[one]
        with ThreadPoolExecutor(4) as pool:
            list(pool.map(hub.answer, hub.load))
        starts, lock = {}, threading.Lock()

        def submit(student):
            with lock:
                starts[student] = time.time()
            hub.submit(student)

        with ThreadPoolExecutor(args.students) as pool:
            list(pool.map(submit, hub.load))
        waits = released_after(hub, starts, 3 * GOAL_ALL)
    result = {"one_submission_s": round(single, 1), "students": args.students,
              "p50_s": round(quantile(waits.values(), 0.5), 1), "p95_s": round(quantile(waits.values(), 0.95), 1),
              "max_s": round(max(waits.values()), 1)}
    print(f"## Submit to feedback released, class hub on {os.cpu_count()} CPUs\n")
    n = args.students
    print_table(("what", "seconds", "goal"), [
        ("one submission", result["one_submission_s"], f"<= {GOAL_ONE:.0f}"),
        (f"{n} at once: p50", result["p50_s"], "-"), (f"{n} at once: p95", result["p95_s"], "-"),
        (f"{n} at once: the last", result["max_s"], f"<= {GOAL_ALL:.0f}")])
    write_json(args.json, result)
    return result


if __name__ == "__main__":
    main()
