"""Reference NumPy ops vs PyTorch on the CPU: forward and backward time of every registry op.

    python benchmarks/bench_ops.py           # every op, float64 and float32 (`make bench`)
    python benchmarks/bench_ops.py --ops relu,linear --json benchmarks/results/ops.json
    python benchmarks/bench_ops.py --quick   # 1 call each: a smoke test, not a measurement

Inputs are each op's `spec.bench(rng)` case, cast to the dtype (the reference runs in its input's
dtype; PyTorch gets tensors of the same dtype). What is timed, per op and dtype:

- ref fwd:   `spec.forward(*args)`                    (the output and the cache for backward)
- torch fwd: `spec.torch(*tensors)` with inputs that require grad (records the autograd graph,
             PyTorch's analogue of the cache)
- ref bwd:   `spec.backward(dout, cache)`             (cache from an untimed forward)
- torch bwd: `out.backward(dout)` only                (a fresh untimed forward before each call,
             the inputs' .grad reset to None: each call allocates its gradients, as the reference)

Each number is the minimum over `--repeat` single calls after `--warmup` calls (timeit-style, GC
off while timing): the least-disturbed run. The median goes to the JSON too.
ratio = reference time / PyTorch time: below 1 the NumPy reference is faster.

The goal (issue 19): every op's fwd+bwd ratio at most 3 in each dtype, the median at most 1. The
"goal" column marks an op over it ("✗ over 3×"); the lines under the table give each dtype's median
and the ops over. Naive ops (`*_naive`, loops on purpose) are timed but held to no goal.

"1-thread ratio": the same fwd+bwd ratio measured again with PyTorch and NumPy's BLAS on one thread
each. NumPy's elementwise code always runs on one thread, and so do the notebooks and the autograder
(one BLAS and one torch thread): this column compares like with like, the other one compares with
PyTorch as it runs by default. The summary gives both.
"""

from __future__ import annotations

import argparse
import gc
import math
import os
import platform
import statistics
import sys
import time

import numpy as np
from report import one_thread, write_json

from coursekit import ops

DTYPES = ("float64", "float32")
COLUMNS = (
    "op",
    "dtype",
    "ref fwd ms",
    "torch fwd ms",
    "fwd ratio",
    "ref bwd ms",
    "torch bwd ms",
    "bwd ratio",
    "fwd+bwd ratio",
    "goal",
    "1-thread ratio",
)
SEED = 0
GOAL = 3.0  # every op's fwd+bwd ratio, in each dtype, at most this (issue 19)
GOAL_MEDIAN = 1.0  # and the median over the ops, per dtype, at most this
OVER = "✗ over 3×"


def is_naive(name: str) -> bool:
    """A deliberately naive op (`conv2d_naive`, loops by the definition): timed, but not held to the goal."""
    return name.endswith("_naive")


def goal_cell(row) -> str:
    """The goal column: "≤ 3×", with the marker when the fwd+bwd ratio is over it (naive ops: no goal)."""
    if is_naive(row["op"]):
        return "none (naive on purpose)"
    return f"≤ {GOAL:g}×" + (f" {OVER}" if row["fwd+bwd_ratio"] > GOAL else "")


def goal_summary(rows, key="fwd+bwd_ratio", label="") -> list:
    """Lines per dtype: the median of `key` (a fwd+bwd ratio) against GOAL_MEDIAN and the ops over GOAL."""
    lines = []
    for dtype in dict.fromkeys(r["dtype"] for r in rows):
        held = [r for r in rows if r["dtype"] == dtype and not is_naive(r["op"]) and key in r]
        if not held:
            continue
        median = statistics.median(r[key] for r in held)
        over = [f"{r['op']} {r[key]:.2f}" for r in held if r[key] > GOAL]
        lines.append(f"{dtype}{label}: median fwd+bwd ratio {median:.2f} over {len(held)} ops (goal ≤ {GOAL_MEDIAN:g}"
                     f"{'' if median <= GOAL_MEDIAN else ', ' + OVER.replace('3×', f'{GOAL_MEDIAN:g}×')}); "
                     + (f"{len(over)} over {GOAL:g}×: {', '.join(over)}" if over else f"every op ≤ {GOAL:g}×"))
    return lines


def timeit(fn, setup=None, *, repeat: int, warmup: int) -> dict:
    """Seconds of single calls `fn(setup())`: {"min", "median"} over `repeat` calls after `warmup`.

    `setup` (untimed) runs before every call; the garbage collector is off while timing.
    """
    times = []
    gc_was_enabled = gc.isenabled()
    try:
        for i in range(warmup + repeat):
            state = setup() if setup is not None else None
            gc.disable()
            t0 = time.perf_counter()
            fn(state)
            t1 = time.perf_counter()
            if gc_was_enabled:
                gc.enable()
            if i >= warmup:
                times.append(t1 - t0)
    finally:
        if gc_was_enabled:
            gc.enable()
    return {"min": min(times), "median": statistics.median(times)}


def _cast(a, dtype):
    """Float arrays to `dtype`; integer/boolean inputs (class indices, masks) stay as they are."""
    if a is None or a.dtype.kind != "f":
        return a
    return a.astype(dtype)


def _tensor(torch, a, dtype, grad=True):
    """A tensor of `a`; float inputs require grad when `grad` (not running statistics, targets)."""
    if a is None:
        return None
    if a.dtype.kind == "f":
        return torch.tensor(a, dtype=getattr(torch, dtype), requires_grad=grad)
    return torch.as_tensor(a.astype(np.int64) if a.dtype.kind in "iu" else a)


def bench_op(spec, dtype: str, *, repeat: int, warmup: int) -> dict:
    """Time one op in one dtype; returns a result row (times in milliseconds)."""
    import torch

    case = spec.bench(np.random.default_rng(SEED))
    args = [_cast(a, dtype) for a in spec.args(case)]
    kw = case.kwargs

    out, cache = spec.forward(*args, **kw)
    douts = tuple(d.astype(dtype) for d in spec.outs_of(spec.dout(case, out)))  # one per output
    dout = douts if spec.multi else douts[0]
    ref_fwd = timeit(lambda _: spec.forward(*args, **kw), repeat=repeat, warmup=warmup)
    ref_bwd = timeit(lambda _: spec.call_backward(dout, cache), repeat=repeat, warmup=warmup)

    leaves = [_tensor(torch, a, dtype, n in spec.grad_inputs) for n, a in zip(spec.inputs, args)]
    grad_leaves = [t for t in leaves if t is not None and t.requires_grad]
    tdouts = [torch.from_numpy(d) for d in douts]

    def torch_out():  # an op with intermediates returns (out, {name: tensor})
        out = spec.torch(*leaves, **kw)
        return out[0] if spec.intermediates else out

    def fresh_forward():
        for t in grad_leaves:
            t.grad = None
        return torch_out()

    torch_fwd = timeit(lambda _: torch_out(), repeat=repeat, warmup=warmup)
    torch_bwd = timeit(lambda y: torch.autograd.backward(list(spec.outs_of(y)), tdouts), fresh_forward,
                       repeat=repeat, warmup=warmup)

    ms = {
        k: {s: 1e3 * v for s, v in t.items()}
        for k, t in (
            ("ref_fwd", ref_fwd),
            ("torch_fwd", torch_fwd),
            ("ref_bwd", ref_bwd),
            ("torch_bwd", torch_bwd),
        )
    }
    grads = spec.grads_of(spec.call_backward(dout, cache))
    return {
        "op": spec.name,
        "dtype": dtype,
        "case": case.describe(),
        "ref_fwd_ms": ms["ref_fwd"]["min"],
        "torch_fwd_ms": ms["torch_fwd"]["min"],
        "fwd_ratio": ms["ref_fwd"]["min"] / ms["torch_fwd"]["min"],
        "ref_bwd_ms": ms["ref_bwd"]["min"],
        "torch_bwd_ms": ms["torch_bwd"]["min"],
        "bwd_ratio": ms["ref_bwd"]["min"] / ms["torch_bwd"]["min"],
        "fwd+bwd_ratio": (ms["ref_fwd"]["min"] + ms["ref_bwd"]["min"])
        / (ms["torch_fwd"]["min"] + ms["torch_bwd"]["min"]),
        "median_ms": {k: v["median"] for k, v in ms.items()},
        # the reference should keep the input's precision; anything else makes float32 rows unfair
        "ref_dtypes": sorted({str(a.dtype) for a in (*spec.outs_of(out), *grads) if a is not None}),
    }


def bench_naive(spec, fast, dtype: str, *, repeat: int, warmup: int) -> dict:
    """Forward + backward of a naive op (`conv2d_naive`) vs its vectorised twin (`conv2d`), both on the
    naive op's (small) bench case: the lesson in vectorisation, in numbers."""
    case = spec.bench(np.random.default_rng(SEED))
    args = [_cast(a, dtype) for a in spec.args(case)]
    times = {}
    for s in (spec, fast):
        out, cache = s.forward(*args, **case.kwargs)
        dout = spec.dout(case, out).astype(dtype)
        t = timeit(lambda _, s=s, dout=dout: s.backward(dout, s.forward(*args, **case.kwargs)[1]),
                   repeat=repeat, warmup=warmup)
        times[s.name] = 1e3 * t["min"]
    return {"op": spec.name, "vs": fast.name, "dtype": dtype, "case": case.label,
            "naive_ms": times[spec.name], "vectorised_ms": times[fast.name],
            "ratio": times[spec.name] / times[fast.name]}


def format_table(rows) -> str:
    """A Markdown table, one row per op and dtype."""

    def cell(r, c):
        if c == "goal":
            return goal_cell(r)
        if c == "1-thread ratio":  # held to the same goal, marked the same way
            v = r["1-thread_ratio"]
            return f"{v:.2f}" + (" ✗" if v > GOAL and not is_naive(r["op"]) else "")
        key = c.replace(" ", "_")
        v = r[key]
        if isinstance(v, str):
            return v
        return f"{v:.2f}" if "ratio" in c else f"{v:.3f}"

    lines = [
        "| " + " | ".join(COLUMNS) + " |",
        "|" + "|".join("---" if i < 2 else "---:" for i in range(len(COLUMNS))) + "|",
    ]
    lines += ["| " + " | ".join(cell(r, c) for c in COLUMNS) + " |" for r in rows]
    return "\n".join(lines)


def blas_threads():
    """Threads of NumPy's BLAS (linear's matmuls), or None when threadpoolctl is missing."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return None
    counts = [i["num_threads"] for i in threadpool_info() if i.get("user_api") == "blas"]
    return max(counts) if counts else None


def load_average():
    try:
        return os.getloadavg()[0]
    except (AttributeError, OSError):  # not on Windows
        return None


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--ops", help="comma-separated op names (default: every op in the registry)")
    p.add_argument(
        "--dtypes", default=",".join(DTYPES), help="comma-separated, default float64,float32"
    )
    p.add_argument(
        "--repeat", type=int, default=15, help="timed calls per measurement (default 15)"
    )
    p.add_argument("--warmup", type=int, default=3, help="untimed calls first (default 3)")
    p.add_argument(
        "--quick", action="store_true", help="1 call, no warm-up: checks the code runs"
    )
    p.add_argument(
        "--threads", type=int, help="torch.set_num_threads (default: torch's own choice)"
    )
    p.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    args = p.parse_args(argv)
    names = (
        [n.strip() for n in args.ops.split(",") if n.strip()] if args.ops else list(ops.REGISTRY)
    )
    unknown = [n for n in names if n not in ops.REGISTRY]
    if unknown:
        p.error(f"unknown op(s) {', '.join(unknown)}; known: {', '.join(ops.REGISTRY)}")
    args.names = names
    args.dtype_list = [d.strip() for d in args.dtypes.split(",") if d.strip()]
    bad = [d for d in args.dtype_list if d not in DTYPES]
    if bad:
        p.error(f"unknown dtype(s) {', '.join(bad)}; use {', '.join(DTYPES)}")
    if args.quick:
        args.repeat, args.warmup = 1, 0
    if args.repeat < 1 or args.warmup < 0:
        p.error("--repeat must be >= 1 and --warmup >= 0")
    return args


def header(args) -> dict:
    """Print what the run is measured on; return it, for the JSON's meta."""
    import torch

    if args.threads:
        torch.set_num_threads(args.threads)
    meta = {"torch": torch.__version__, "numpy": np.__version__, "python": platform.python_version(),
            "machine": platform.machine(), "torch_threads": torch.get_num_threads(),
            "numpy_blas_threads": blas_threads(), "load_average_1min": load_average(), "cpus": os.cpu_count(),
            "repeat": args.repeat, "warmup": args.warmup, "statistic": "min", "units": "ms",
            "ratio": "reference time / PyTorch time; < 1 means NumPy is faster"}
    print(f"coursekit reference (NumPy {meta['numpy']}) vs PyTorch {meta['torch']} on the CPU, "
          f"torch threads: {meta['torch_threads']}, NumPy BLAS threads: {meta['numpy_blas_threads']}; "
          f"min of {args.repeat} calls after {args.warmup} warm-up")
    if meta["load_average_1min"] is not None:
        print(f"load average before the run: {meta['load_average_1min']:.2f} on {meta['cpus']} CPUs "
              "(busy => noisy torch times)")
    print("ratio = reference time / PyTorch time (< 1: the NumPy reference is faster)\n")
    return meta


def footnotes(rows, naive) -> None:
    """Print the naive-vs-vectorised table and what looks off in the rows."""
    if naive:
        print("\nnaive loops vs vectorised, forward + backward on the naive op's bench case:")
        for r in naive:
            print(f"  {r['op']} / {r['vs']} {r['dtype']}: {r['naive_ms']:.1f} ms / {r['vectorised_ms']:.2f} ms "
                  f"= {r['ratio']:.0f}x  ({r['case']})")
    off = [f"{r['op']} {r['dtype']} (reference returned {', '.join(r['ref_dtypes'])})"
           for r in rows if r["ref_dtypes"] != [r["dtype"]]]
    if off:
        print("\nnote: the reference changed precision for " + "; ".join(off))
    bad = [r["op"] + " " + r["dtype"] for r in rows
           if not all(math.isfinite(r[k]) and r[k] > 0 for k in ("ref_fwd_ms", "torch_fwd_ms", "ref_bwd_ms",
                                                                  "torch_bwd_ms"))]
    if bad:
        print("\nwarning: timer gave non-positive times for " + ", ".join(bad))


def main(argv=None) -> list:
    """Run the benchmark, print the table, return the rows (and write --json)."""
    args = parse_args(argv)
    meta = header(args)
    rows = []
    for name in args.names:
        for dtype in args.dtype_list:
            row = bench_op(ops.REGISTRY[name], dtype, repeat=args.repeat, warmup=args.warmup)
            with one_thread():
                single = bench_op(ops.REGISTRY[name], dtype, repeat=args.repeat, warmup=args.warmup)
            row["1_thread"] = {k: single[k] for k in ("ref_fwd_ms", "torch_fwd_ms", "ref_bwd_ms", "torch_bwd_ms")}
            row["1-thread_ratio"] = single["fwd+bwd_ratio"]
            rows.append(row)
            print(f"  {name} {dtype}: done", file=sys.stderr, flush=True)
    print(format_table(rows))
    summary = goal_summary(rows) + goal_summary(rows, "1-thread_ratio", ", 1 thread each")
    print("\n" + "\n".join(summary))
    naive = [bench_naive(ops.REGISTRY[n], ops.REGISTRY[n[: -len("_naive")]], d, repeat=max(1, args.repeat // 3),
                         warmup=min(args.warmup, 1))
             for n in args.names if n.endswith("_naive") and n[: -len("_naive")] in ops.REGISTRY
             for d in args.dtype_list]
    footnotes(rows, naive)
    write_json(args.json, {"meta": meta, "results": rows, "naive_vs_vectorised": naive,
                           "goal": {"max_ratio": GOAL, "max_median": GOAL_MEDIAN, "summary": summary}})
    return rows


if __name__ == "__main__":
    main()
