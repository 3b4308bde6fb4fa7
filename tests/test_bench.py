"""Smoke test of benchmarks/bench_ops.py: it runs and prints a sound table.

No assertions about speed."""

from __future__ import annotations

import importlib.util
import json
import math
import re
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_ops.py"
TIMES = ("ref fwd ms", "torch fwd ms", "ref bwd ms", "torch bwd ms")


def load(name: str):
    """benchmarks/<name>.py as a module (benchmarks/ on sys.path, for the modules they share)."""
    if str(BENCH.parent) not in sys.path:
        sys.path.insert(0, str(BENCH.parent))
    spec = importlib.util.spec_from_file_location(name, BENCH.parent / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def bench():
    return load("bench_ops")


def parse_table(text: str) -> list:
    lines = [ln for ln in text.splitlines() if ln.startswith("|")]
    header = [c.strip() for c in lines[0].strip("|").split("|")]
    return [dict(zip(header, (c.strip() for c in ln.strip("|").split("|")))) for ln in lines[2:]]


def test_every_registered_op_benchmarks(bench, capsys):
    """A quick run over the whole registry: a new op whose bench case or torch side breaks fails here."""
    from coursekit.ops import REGISTRY

    bench.main(["--quick"])
    text = capsys.readouterr().out
    table = parse_table(text)
    assert {r["op"] for r in table} == set(REGISTRY)
    assert all(math.isfinite(float(r[col])) for r in table for col in TIMES + ("fwd+bwd ratio",))
    # every naive op is also timed against its vectorised twin
    naive = re.findall(r"^  (\w+)_naive / (\w+) (float\d+): ([\d.]+) ms / ([\d.]+) ms = (\d+)x", text, re.M)
    expected = {(n[: -len("_naive")], d) for n in REGISTRY if n.endswith("_naive") for d in ("float64", "float32")}
    assert expected and {(a, d) for a, b, d, *_ in naive if a == b} == expected
    assert all(float(t_naive) > 0 and float(t_fast) > 0 for *_, t_naive, t_fast, _ in naive)


def test_quick_run_prints_a_row_per_op_and_dtype(bench, capsys, tmp_path):
    out_json = tmp_path / "results" / "ops.json"
    rows = bench.main(["--quick", "--ops", "relu,linear", "--json", str(out_json)])
    text = capsys.readouterr().out

    assert "torch threads:" in text and "ratio = reference time / PyTorch time" in text
    table = parse_table(text)
    assert list(table[0]) == list(bench.COLUMNS)
    assert all(r["goal"] in ("≤ 3×", "≤ 3× ✗ over 3×") for r in table)
    assert re.search(r"^float64: median fwd\+bwd ratio [\d.]+ over 2 ops \(goal ≤ 1", text, re.M)
    assert [(r["op"], r["dtype"]) for r in table] == [
        ("relu", "float64"),
        ("relu", "float32"),
        ("linear", "float64"),
        ("linear", "float32"),
    ]
    for r in table:
        for col in TIMES:
            v = float(r[col])
            assert math.isfinite(v) and v >= 0, (
                r["op"],
                r["dtype"],
                col,
                v,
            )  # printed to 3 decimals
        for col in ("fwd ratio", "bwd ratio", "1-thread ratio"):
            v = float(r[col].removesuffix(" ✗"))
            assert math.isfinite(v) and v > 0
            assert r[col].endswith(" ✗") == (col == "1-thread ratio" and v > bench.GOAL)
    # the like-for-like measure: one torch thread, one BLAS thread, and its own summary per dtype
    assert re.search(r"^float32, 1 thread each: median fwd\+bwd ratio [\d.]+ over 2 ops \(goal ≤ 1", text, re.M)

    assert len(rows) == 4
    for row in rows:
        for key in (
            "ref_fwd_ms",
            "torch_fwd_ms",
            "ref_bwd_ms",
            "torch_bwd_ms",
            "fwd_ratio",
            "bwd_ratio",
        ):
            assert math.isfinite(row[key]) and row[key] > 0, (
                row["op"],
                row["dtype"],
                key,
                row[key],
            )
        assert row["fwd_ratio"] == pytest.approx(row["ref_fwd_ms"] / row["torch_fwd_ms"])
        one = row["1_thread"]
        assert row["1-thread_ratio"] == pytest.approx((one["ref_fwd_ms"] + one["ref_bwd_ms"])
                                                      / (one["torch_fwd_ms"] + one["torch_bwd_ms"]))
        assert row["ref_dtypes"] == [row["dtype"]], "the reference must run in the input's dtype"

    saved = json.loads(out_json.read_text())
    assert saved["meta"]["torch_threads"] >= 1 and saved["meta"]["statistic"] == "min"
    assert [(r["op"], r["dtype"]) for r in saved["results"]] == [
        (r["op"], r["dtype"]) for r in rows
    ]


def test_goal_column_marks_ops_over_three_times_and_the_medians(bench):
    """The goal column: "≤ 3×", plus the marker over 3×; naive ops have no goal; the summary gives
    each dtype's median (naive ops left out) against 1 and names the ops over 3×."""
    def row(op, dtype, ratio):
        return {"op": op, "dtype": dtype, "fwd+bwd_ratio": ratio}

    assert bench.goal_cell(row("relu", "float64", 2.99)) == "≤ 3×"
    assert bench.goal_cell(row("relu", "float64", 3.0)) == "≤ 3×"
    assert bench.goal_cell(row("gelu", "float32", 3.01)) == "≤ 3× ✗ over 3×"
    assert "over" not in bench.goal_cell(row("conv2d_naive", "float64", 400.0))
    rows = [row("a", "float64", 0.5), row("b", "float64", 0.9), row("c", "float64", 4.0),
            row("conv2d_naive", "float64", 400.0), row("a", "float32", 1.5), row("b", "float32", 2.0)]
    f64, f32 = bench.goal_summary(rows)
    assert bench.goal_summary([dict(r, one=r["fwd+bwd_ratio"] / 2) for r in rows], "one", ", 1 thread each")[0] \
        .startswith("float64, 1 thread each: median fwd+bwd ratio 0.45 over 3 ops (goal ≤ 1); every op ≤ 3×")
    assert f64.startswith("float64: median fwd+bwd ratio 0.90 over 3 ops (goal ≤ 1)")
    assert "1 over 3×: c 4.00" in f64 and "conv2d_naive" not in f64
    assert f32.startswith("float32: median fwd+bwd ratio 1.75 over 2 ops (goal ≤ 1, ✗ over 1×)")
    assert f32.endswith("every op ≤ 3×")


def test_timer_returns_min_and_median(bench):
    calls = []
    t = bench.timeit(lambda s: calls.append(s), lambda: "state", repeat=3, warmup=2)
    assert calls == ["state"] * 5
    assert 0 <= t["min"] <= t["median"]


def test_unknown_op_is_an_error(bench, capsys):
    with pytest.raises(SystemExit):
        bench.main(["--quick", "--ops", "relu,nope"])
    assert "unknown op(s) nope" in capsys.readouterr().err


def test_training_benchmark_reports_every_model(capsys):
    module = load("bench_training")
    rows = module.main(["--target", "0.5", "--epochs", "3"])
    assert set(rows) == {f"{m} {lib} {dt}" for m in ("mlp", "cnn") for lib, dt in
                         (("numpy", "float64"), ("torch", "float32"), ("torch", "float64"))}
    for r in rows.values():  # 50% is reached in the first epochs: a finite time, no speed claim
        assert r["epoch"] is not None and math.isfinite(r["time"]) and r["time"] > 0 and r["acc"] >= 0.5
    assert "time to 50% test accuracy" in capsys.readouterr().out


def test_training_benchmark_times_the_lectures_runs():
    """bench_training --lectures' runs, shortened: each model trains and reports a time and a result."""
    runs = load("bench_training").lectures(scale=0.01)
    assert {k.split(" (")[0] for k in runs} == {"06 cnn numpy float64", "07 char lstm numpy float32",
                                                "07 char lstm numpy float64", "07 char lstm torch float32",
                                                "08 gpt numpy float64"}
    assert all(math.isfinite(r["time"]) and r["time"] > 0 and math.isfinite(r["result"]) for r in runs.values())


@pytest.mark.pipeline
def test_grading_benchmark_compares_stock_and_dask_on_the_same_submissions(capsys, tmp_path):
    """A small run of benchmarks/bench_grading.py (3 submissions): the three runs happen, every
    submission is graded, the scores agree. Its speed is measured by `make bench`, not here."""
    module = load("bench_grading")
    out = tmp_path / "grading.json"
    result = module.main(["--submissions", "3", "--json", str(out)])
    text = capsys.readouterr().out
    assert result["identical_scores"] is True and result["graded_by_coursekit"] == 3
    assert json.loads(out.read_text()) == result
    assert "| `coursekit autograde --workers 2` (Dask) |" in text
    assert all(result[k] > 0 for k in ("stock_sequential_s", "coursekit_sequential_s", "coursekit_workers_s"))


@pytest.mark.pipeline
def test_cost_benchmark_measures_autograde_and_the_first_check(tmp_path, capsys):
    """benchmarks/bench_cost.py with 1 and 2 submissions of the smallest assignment: every run grades all it was given (it
    raises otherwise), and the first check() in a fresh kernel is timed. No speed claim here."""
    module = load("bench_cost")
    out = tmp_path / "results" / "cost.json"
    result = module.main(["--assignment", "01_neurons", "--few", "1", "--many", "2", "--json", str(out)])
    assert json.loads(out.read_text()) == result
    for key in ("autograde_per_submission_cpu_s", "autograde_per_submission_cpu_unisolated_s", "isolation_ratio"):
        assert math.isfinite(result[key])
    assert all(result["check_cpu"][k] > 0 for k in ("first_check_s", "second_op_s", "same_op_again_s"))
    assert "| sandboxed / not |" in capsys.readouterr().out

