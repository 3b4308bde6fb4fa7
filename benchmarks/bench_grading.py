"""Grading 40 generated submissions of one assignment: stock sequential `nbgrader autograde` vs
`coursekit autograde --workers 2`, in the same run, on two copies of one course; then a check that
both gave identical grades.

The submissions cycle through the assignment's answer files (tests/mutants/<assignment>/: correct
solutions, right answers written differently, buggy ones, hostile and tampered ones) on top of the
instructor's solution; every fourth is the plain solution. Two are left out: the memory bomb
(stock nbgrader has no memory limit: it would take the machine's memory) and the answer that
kills nbgrader (stock nbgrader's run would end there: its time would not be comparable). `coursekit autograde`
without --workers (warm kernels, one submission after another) is timed too, to split the gain
between cheaper submissions and parallel workers.

Run: `python benchmarks/bench_grading.py [--submissions 40] [--assignment 03_losses] [--json FILE]`.
"""
from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
from pipeline_helpers import answers, coursekit_cmd, make_course, solutions, submission, submit  # noqa: E402
from report import write_json  # noqa: E402

from coursekit.grading.course import Course  # noqa: E402
from coursekit.grading.dask import scored_submissions  # noqa: E402

LEFT_OUT = ("hostile_memory_bomb", "hostile_kill_grader")  # see the module docstring


def build(course: Path, assignment: str, n: int) -> dict:
    """Release `assignment` in a new course and submit `n` students; returns student -> answer name."""
    make_course(course)
    run = subprocess.run(coursekit_cmd("--course", str(course), "release", assignment), cwd=ROOT,
                         capture_output=True, text=True, check=False)
    if run.returncode:
        raise SystemExit(run.stdout + run.stderr)
    release_nb = nbformat.read(course / "release" / assignment / f"{assignment}.ipynb", as_version=4)
    sols = solutions(nbformat.read(course / "source" / assignment / f"{assignment}.ipynb", as_version=4))
    pool = [a for a in answers(assignment) if a.name not in LEFT_OUT and a.kind != "timeout"]
    who = {}
    for i in range(n):
        ans = None if i % 4 == 0 else pool[(i - i // 4 - 1) % len(pool)]
        student = f"s{i:02d}"
        submit(course, assignment, student, submission(release_nb, sols, ans.edits if ans else ()))
        who[student] = ans.name if ans else "solution"
    return who


def timed(args, cwd, env=None) -> tuple:
    t0 = time.perf_counter()
    run = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    return time.perf_counter() - t0, run


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--submissions", type=int, default=40)
    ap.add_argument("--assignment", default="03_losses")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--json", help="write the results to this file")
    args = ap.parse_args(argv)
    a = args.assignment
    with tempfile.TemporaryDirectory(prefix="bench-grading-") as tmp:
        base = Path(tmp) / "course"
        who = build(base, a, args.submissions)
        copies = {k: Path(tmp) / k for k in ("stock", "sequential", "workers")}
        for path in copies.values():
            shutil.copytree(base, path)
        stock_s, stock = timed([sys.executable, "-m", "nbgrader", "autograde", a], copies["stock"],
                               Course(copies["stock"]).env())
        seq_s, seq = timed(coursekit_cmd("--course", str(copies["sequential"]), "autograde", a, "--device", "cpu"),
                           ROOT)
        par_s, par = timed(coursekit_cmd("--course", str(copies["workers"]), "autograde", a, "--device", "cpu",
                                         "--workers", str(args.workers)), ROOT)
        for name, run in (("coursekit autograde", seq), ("coursekit autograde --workers", par)):
            if run.returncode:
                raise SystemExit(f"{name} failed:\n{run.stdout}\n{run.stderr}")
        by = {k: scored_submissions(Course(p), a) for k, p in copies.items()}
        lost_by_stock = sorted(set(who) - set(by["stock"]))
        same = all(by["workers"].get(s) == v and by["sequential"].get(s) == v for s, v in by["stock"].items())
        complete = set(by["workers"]) == set(who) == set(by["sequential"])
    kinds = {}
    for name in who.values():
        kind = "solution" if name == "solution" else name.split("_", 1)[0]
        kinds[kind] = kinds.get(kind, 0) + 1
    result = {"assignment": a, "submissions": args.submissions, "kinds": kinds, "workers": args.workers,
              "stock_sequential_s": round(stock_s, 1), "coursekit_sequential_s": round(seq_s, 1),
              "coursekit_workers_s": round(par_s, 1), "ratio": round(stock_s / par_s, 2),
              "ratio_sequential": round(stock_s / seq_s, 2), "identical_scores": same,
              "graded_by_stock": len(by["stock"]), "graded_by_coursekit": len(by["workers"]),
              "lost_by_stock": [f"{s} ({who[s]})" for s in lost_by_stock]}
    print(f"## Autograding {args.submissions} submissions of {a} ({', '.join(f'{v} {k}' for k, v in kinds.items())})\n")
    print("| run | wall s | vs stock |")
    print("|---|---|---|")
    print(f"| stock `nbgrader autograde` (sequential) | {stock_s:.1f} | 1.00 |")
    print(f"| `coursekit autograde` (sequential, warm kernels) | {seq_s:.1f} | {stock_s / seq_s:.2f}x |")
    print(f"| `coursekit autograde --workers {args.workers}` (Dask) | {par_s:.1f} | {stock_s / par_s:.2f}x |")
    print(f"\nidentical scores on the {len(by['stock'])} submissions stock nbgrader graded: {same}")
    print(f"every submission graded or given 0 with a reason by coursekit: {complete}")
    print(f"lost by stock nbgrader (no grade recorded): {', '.join(result['lost_by_stock']) or 'none'}")
    write_json(args.json, result)
    if not (same and complete):
        raise SystemExit("the runs disagree: see above")
    return result


if __name__ == "__main__":
    main()
