"""What one student costs: `coursekit autograde` per submission (CPU, and CUDA when present; in the
sandbox and, for comparison, without it), and a student's first `check()` in a fresh kernel.

Per-submission cost: the same course graded twice, with FEW and MANY correct submissions, in one
run each; (time(MANY) - time(FEW)) / (MANY - FEW) leaves out what a run pays once (nbgrader's
start, the zygote, PyTorch's expected answers). First check(): a new ipykernel (as JupyterLab
starts one), then `from coursekit import check` and `check("relu_forward", ...)`, timed inside
the kernel; then another op, then the same one again (the answers of an op are computed once
per kernel session).

Run: `python benchmarks/bench_cost.py [--assignment 03_losses] [--json FILE]`.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
from pipeline_helpers import coursekit_cmd, make_course, solutions, submission, submit  # noqa: E402
from report import write_json  # noqa: E402

GOAL_CPU_S, GOAL_CUDA_RATIO = 0.5, 1.2  # issue 8's goals: seconds a submission, CUDA / CPU
GOAL_ISOLATION = 1.10  # issue 9's: the sandbox adds at most 10 % a submission


def autograde_seconds(assignment: str, n: int, device: str, extra=()) -> float:
    """Wall time of `coursekit autograde` over `n` correct submissions in a fresh course."""
    with tempfile.TemporaryDirectory(prefix="bench-cost-") as tmp:
        course = make_course(Path(tmp) / "course")
        subprocess.run(coursekit_cmd("--course", str(course), "release", assignment), cwd=ROOT, check=True,
                       capture_output=True)
        release_nb = nbformat.read(course / "release" / assignment / f"{assignment}.ipynb", as_version=4)
        sols = solutions(nbformat.read(course / "source" / assignment / f"{assignment}.ipynb", as_version=4))
        for i in range(n):
            submit(course, assignment, f"s{i:02d}", submission(release_nb, sols))
        t0 = time.perf_counter()
        run = subprocess.run(coursekit_cmd("--course", str(course), "autograde", assignment, "--device", device,
                                           *extra), cwd=ROOT, capture_output=True, text=True, check=False)
        seconds = time.perf_counter() - t0
        if run.returncode or f"{n} graded, 0 failed" not in run.stdout:
            raise SystemExit(f"autograde on {device} did not grade all {n}:\n{run.stdout}\n{run.stderr}")
        return seconds


def per_submission(assignment: str, device: str, few: int, many: int, extra=()) -> float:
    return (autograde_seconds(assignment, many, device, extra) - autograde_seconds(assignment, few, device, extra)) \
        / (many - few)


FIRST_CHECK = """
import time
t0 = time.perf_counter()
from coursekit import check
import numpy as np
def relu_forward(x):
    return np.maximum(x, 0), x
def relu_backward(dout, cache):
    return dout * (cache > 0)
check("relu_forward", relu_forward, quiet=True)
t1 = time.perf_counter()
check("relu_backward", relu_backward, forward=relu_forward, quiet=True)
t2 = time.perf_counter()
check("relu_forward", relu_forward, quiet=True)
t3 = time.perf_counter()
print("TIMES", t1 - t0, t2 - t1, t3 - t2)
"""


def first_check(device: str) -> dict:
    """Seconds of the first check() in a new kernel (imports included), of a second op, and of
    the first op again."""
    from jupyter_client.manager import start_new_kernel

    km, kc = start_new_kernel(env={**os.environ, "COURSEKIT_DEVICE": device, "PYTHONPATH": str(ROOT)})
    try:
        out = []
        kc.execute_interactive(FIRST_CHECK, timeout=300, output_hook=lambda m: out.append(
            m["content"].get("text", "") if m["msg_type"] == "stream" else ""))
        line = next(ln for ln in "".join(out).splitlines() if ln.startswith("TIMES"))
        first, other, again = (float(x) for x in line.split()[1:])
        return {"first_check_s": round(first, 3), "second_op_s": round(other, 3), "same_op_again_s": round(again, 4)}
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--assignment", default="03_losses")
    ap.add_argument("--few", type=int, default=2)
    ap.add_argument("--many", type=int, default=12)
    ap.add_argument("--json", help="write the results to this file")
    args = ap.parse_args(argv)
    import torch

    devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    result = {"assignment": args.assignment, "machine": "cuda: " + torch.cuda.get_device_name(0)
              if "cuda" in devices else "cpu only"}
    print(f"## What one student costs ({args.assignment}, {result['machine']})\n")
    print("| measure | seconds | goal |")
    print("|---|---|---|")
    for dev in devices:
        s = per_submission(args.assignment, dev, args.few, args.many)
        result[f"autograde_per_submission_{dev}_s"] = round(s, 3)
        goal = f"<= {GOAL_CPU_S}" if dev == "cpu" else f"<= {GOAL_CUDA_RATIO} x cpu"
        print(f"| autograde, one more submission, {dev} | {s:.2f} | {goal} |")
    if "cuda" in devices:
        ratio = result["autograde_per_submission_cuda_s"] / result["autograde_per_submission_cpu_s"]
        result["cuda_over_cpu"] = round(ratio, 2)
        print(f"| cuda / cpu | {ratio:.2f}x | <= {GOAL_CUDA_RATIO}x |")
    bare = per_submission(args.assignment, "cpu", args.few, args.many, ["--unsafe-same-user"])
    result["autograde_per_submission_cpu_unisolated_s"] = round(bare, 3)
    result["isolation_ratio"] = round(result["autograde_per_submission_cpu_s"] / bare, 2)
    print(f"| autograde, one more submission, cpu, --unsafe-same-user (no sandbox) | {bare:.2f} | - |")
    print(f"| sandboxed / not | {result['isolation_ratio']:.2f}x | <= {GOAL_ISOLATION:.2f}x |")
    cold = per_submission(args.assignment, "cpu", args.few, args.many, ["--cold-kernels"])
    result["autograde_per_submission_cpu_cold_kernels_s"] = round(cold, 3)
    print(f"| autograde, one more submission, cpu, --cold-kernels | {cold:.2f} | - |")
    for dev in devices:
        fc = first_check(dev)
        result[f"check_{dev}"] = fc
        print(f"| first check() in a fresh kernel, {dev} (imports included) | {fc['first_check_s']:.2f} | - |")
        print(f"| check() of a second op, {dev} | {fc['second_op_s']:.3f} | - |")
        print(f"| the same check() again, {dev} | {fc['same_op_again_s']:.4f} | - |")
    write_json(args.json, result)
    return result


if __name__ == "__main__":
    main()
