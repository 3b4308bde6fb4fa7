"""On a CUDA device: the registry against PyTorch, check(), one real autograde run, and the guards.

Every test here is marked `gpu`: `make test` deselects them (-m "not gpu") and `make test-gpu` runs them
(`COURSEKIT_DEVICE=cuda pytest -m gpu`). Without CUDA each of them FAILS at setup with one clear line:
a GPU run that skipped everything would read as a pass. How to run this on a CUDA machine that has
PyTorch but not the Jupyter stack: /work/shared/GPU.md.

The comparisons reuse the CPU tests' cases and helpers (tests/test_ops.py, tests/test_grading.py) with
dev = cuda, in float64 with TF32 off, to the registry's own tolerances.
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_grading import STUDENT
from test_ops import CASES, _check, assert_backward_matches_autograd, assert_forward_matches_torch

from coursekit import backend, ops
from coursekit.grading import check

pytestmark = pytest.mark.gpu

CUDA = torch.device("cuda")
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module", autouse=True)
def _needs_cuda():
    if not torch.cuda.is_available():
        pytest.fail(
            f"no CUDA device: torch.cuda.is_available() is False (torch {torch.__version__}, CUDA build "
            f"{torch.version.cuda}); tests/test_gpu.py (-m gpu) runs only on a CUDA machine, see "
            "/work/shared/GPU.md", pytrace=False)


@pytest.fixture
def on_cuda(monkeypatch):
    """check() and the registry's default device: cuda, as in `coursekit autograde --device cuda`."""
    monkeypatch.setenv("COURSEKIT_DEVICE", "cuda")
    assert backend.device().type == "cuda"


# ---------------------------------------------------------------- a. the registry against PyTorch on cuda

STEP_CASES = [
    pytest.param(spec, case, id=f"{spec.name}-{case.label}")
    for spec in ops.STEPS.values()
    for case in spec.make_cases(hidden=True)
]


@pytest.mark.parametrize("spec, case", CASES)
def test_forward_matches_torch_on_cuda(spec, case):
    assert_forward_matches_torch(spec, case, CUDA, " on cuda")


@pytest.mark.parametrize("spec, case", CASES)
def test_backward_matches_autograd_on_cuda(spec, case):
    assert_backward_matches_autograd(spec, case, CUDA, " on cuda")


@pytest.mark.parametrize("spec, case", STEP_CASES)
def test_update_rule_trajectory_matches_torch_optim_on_cuda(spec, case):
    _check(spec.run_steps(case), spec.torch_steps(case, dev=CUDA), atol=spec.atol, rtol=spec.rtol,
           name=f"{spec.name}_step on cuda, {case.describe()}")


# ---------------------------------------------------------------- b. check() on cuda

def _scaled(g, k):
    """A backward's return value (array, tuple of arrays or None, dict of arrays) times k."""
    if g is None:
        return None
    if isinstance(g, dict):
        return {n: _scaled(v, k) for n, v in g.items()}
    if isinstance(g, (tuple, list)):
        return type(g)(_scaled(v, k) for v in g)
    return g * k


ON_CUDA = r"\(compared with the NumPy reference and {} on cuda, float64\)"


@pytest.mark.parametrize("name", sorted(ops.REGISTRY))
def test_check_passes_a_right_answer_on_cuda(name, on_cuda):
    fwd, bwd = STUDENT[f"{name}_forward"], STUDENT[f"{name}_backward"]
    n_cases = len(ops.REGISTRY[name].make_cases(hidden=True))
    r1 = check(f"{name}_forward", fwd, hidden=True, quiet=True)
    r2 = check(f"{name}_backward", bwd, forward=fwd, hidden=True, quiet=True)
    assert r1.passed and r2.passed and len(r1.rows) == len(r2.rows) == n_cases


@pytest.mark.parametrize("name", sorted(ops.REGISTRY))
def test_check_rejects_a_backward_off_by_one_percent_on_cuda(name, on_cuda):
    fwd, bwd = STUDENT[f"{name}_forward"], STUDENT[f"{name}_backward"]

    def broken(*douts_and_cache):
        return _scaled(bwd(*douts_and_cache), 1.01)

    with pytest.raises(AssertionError, match=ON_CUDA.format("PyTorch autograd")):
        check(f"{name}_backward", broken, forward=fwd, hidden=True, quiet=True)


@pytest.mark.parametrize("name", sorted(ops.STEPS))
def test_check_grades_update_rules_against_torch_optim_on_cuda(name, on_cuda):
    right = STUDENT[f"{name}_step"]
    result = check(f"{name}_step", right, hidden=True, quiet=True)
    assert result.passed and len(result.rows) == len(ops.STEPS[name].make_cases(hidden=True))

    def broken(param, grad, state=None, **hyper):
        new, state = right(param, grad, state, **hyper)
        return param + 1.01 * (new - param), state

    with pytest.raises(AssertionError, match=ON_CUDA.format("torch.optim")):
        check(f"{name}_step", broken, hidden=True, quiet=True)


def test_check_prints_the_device(on_cuda, capsys):
    check("relu_forward", STUDENT["relu_forward"])
    assert "(vs NumPy reference and PyTorch on cuda, float64)" in capsys.readouterr().out


# ---------------------------------------------------------------- c. one real nbgrader pipeline on cuda

ASSIGNMENT = "02_activations"
WRONG, VALID = "mutant_softmax_axis0", "valid_relu_where"  # tests/mutants/02_activations/<name>.py


def _run(args, *, timeout):
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    return subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout, check=False)


def _pipeline(tmp_path: Path, device: str) -> dict:
    """Release 02_activations, submit the solution, a right answer written differently and a wrong one,
    `coursekit autograde --device <device>`, `coursekit feedback`. Returns what the checks read."""
    try:
        import nbformat
        from pipeline_helpers import answers, coursekit_cmd, make_course, solutions, submission, submit
    except ImportError as e:
        pytest.fail(f"the autograde run needs the Jupyter stack ({e}); bring it as /work/shared/GPU.md says",
                    pytrace=False)
    # the course's own cell limits (60 s): on a GPU each kernel and each sandboxed re-run starts a CUDA context
    course = make_course(tmp_path / "course", timeout=60, regrade_timeout=60)
    res = _run(coursekit_cmd("--course", str(course), "release", ASSIGNMENT), timeout=300)
    assert res.returncode == 0, res.stdout + res.stderr
    release_nb = nbformat.read(course / "release" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
    sols = solutions(nbformat.read(course / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4))
    by_name = {a.name: a for a in answers(ASSIGNMENT)}
    submit(course, ASSIGNMENT, "solution", submission(release_nb, sols))
    for name in (VALID, WRONG):
        submit(course, ASSIGNMENT, name, submission(release_nb, sols, by_name[name].edits))
    res = _run(coursekit_cmd("--course", str(course), "autograde", ASSIGNMENT, "--device", device,
                             "--student-timeout", "150"), timeout=480)
    assert res.returncode == 0, res.stdout + res.stderr
    fb = _run(coursekit_cmd("--course", str(course), "feedback", ASSIGNMENT), timeout=300)
    assert fb.returncode == 0, fb.stdout + fb.stderr
    report = json.loads((course / "reports" / f"{ASSIGNMENT}.json").read_text())
    return {"out": res.stdout, "report": {r["student"]: r for r in report["students"]}, "wrong": by_name[WRONG],
            "feedback": {s: (course / "feedback" / s / ASSIGNMENT / f"{ASSIGNMENT}.html").read_text()
                         for s in ("solution", VALID, WRONG)}}


def _check_pipeline(run: dict, device: str):
    assert re.search(rf"^done in \d+ s on {device}; report: ", run["out"], flags=re.M), run["out"]
    report = run["report"]
    assert set(report) == {"solution", VALID, WRONG}
    for student in ("solution", VALID):
        row = report[student]
        assert row["status"] == "graded", row["reason"]
        assert row["score"] == row["max_score"] > 0, {g: (c["score"], c["message"]) for g, c in row["cells"].items()}
    row, lose = report[WRONG], run["wrong"].lose
    assert row["status"] == "graded", row["reason"]
    assert lose and set(lose) <= set(row["cells"]), (lose, list(row["cells"]))
    for gid, c in row["cells"].items():
        if gid in lose:
            assert c["score"] == 0 < c["max_score"] and c["message"], (gid, c)
        else:
            assert c["score"] == c["max_score"], (gid, c)
    lost = sum(row["cells"][g]["max_score"] for g in lose)
    assert row["score"] == pytest.approx(row["max_score"] - lost)
    for student, html in run["feedback"].items():
        assert f"on {device}, float64)" in html, f"{student}'s feedback does not name {device}"
        for leak in ("hidden=True", "BEGIN HIDDEN TESTS", "Traceback (most recent call last)"):
            assert leak not in html, f"{student}: {leak!r} in the feedback"
    assert "is wrong on case" in run["feedback"][WRONG]


def test_autograde_and_feedback_on_cuda(tmp_path):
    _check_pipeline(_pipeline(tmp_path, "cuda"), "cuda")


# ---------------------------------------------------------------- d. the guards on cuda: float64, TF32 off

def test_backend_turns_tf32_off_on_cuda():
    torch.backends.cuda.matmul.allow_tf32 = True
    torch.backends.cudnn.allow_tf32 = True
    t = backend.torch()
    assert t.backends.cuda.matmul.allow_tf32 is False
    assert t.backends.cudnn.allow_tf32 is False


def test_to_torch_gives_float64_on_cuda():
    for dtype in (np.float16, np.float32, np.float64):
        x = backend.to_torch(np.arange(6, dtype=dtype).reshape(2, 3), requires_grad=True, dev=CUDA)
        assert x.dtype == torch.float64 and x.device.type == CUDA.type and x.is_leaf and x.requires_grad, dtype
    assert backend.to_torch(np.array([1, 2], dtype=np.int32), dev=CUDA).dtype == torch.int64
    assert backend.to_torch(np.array([True, False]), dev=CUDA).dtype == torch.bool
    back = backend.to_numpy(backend.to_torch(np.ones(3, dtype=np.float32), dev=CUDA))
    assert back.dtype == np.float64


def test_the_torch_side_of_every_op_computes_in_float64_on_cuda():
    for spec in ops.REGISTRY.values():
        for o in spec.torch_tensors(spec.make_cases()[0], CUDA):
            assert o.device.type == CUDA.type and o.dtype == torch.float64, (spec.name, o.device, o.dtype)


def test_tf32_guard_holds_on_this_gpu():
    """The guard matters on this card: with TF32 allowed a float32 matmul rounds its inputs to 10-bit
    mantissas (here ~3e-4 of the largest entry, as simulated on the CPU); after backend.torch() it is
    IEEE float32 (~5e-7 on the CPU). The course itself compares in float64, which TF32 never touches."""
    g = torch.Generator(device="cpu").manual_seed(0)
    a, b = torch.randn(1024, 1024, generator=g), torch.randn(1024, 1024, generator=g)
    exact = (a.double() @ b.double()).numpy()

    def rel_err():
        got = (a.to(CUDA) @ b.to(CUDA)).cpu().double().numpy()
        return float(np.abs(got - exact).max() / np.abs(exact).max())

    try:
        if torch.cuda.get_device_capability() >= (8, 0):  # TF32 exists from Ampere on
            torch.backends.cuda.matmul.allow_tf32 = True
            assert rel_err() > 5e-5, "TF32 allowed, yet a float32 matmul was exact: the check below proves nothing"
        backend.torch()
        assert rel_err() < 1e-5
    finally:
        backend.torch()
