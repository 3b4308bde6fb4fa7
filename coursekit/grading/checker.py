"""`check(name, fn)`: grade a student's function against the NumPy reference and PyTorch.

    check("relu_forward", relu_forward)
    check("relu_backward", relu_backward, forward=relu_forward)   # the cache comes from your forward
    check("relu_forward", relu_forward, hidden=True)              # more cases (nbgrader's hidden tests)

A short table goes to stdout; a failure raises AssertionError naming the case, the argument, the
shapes, the worst index, expected vs got, and a hint. Nothing is written to stderr (nbgrader
scores a cell 0 when anything is). `regrade()` is the authoritative grade used by the autograder:
it re-runs a notebook's test cells in a fresh process where the answer cells exist only in a
sandbox (see `coursekit.grading.sandbox`), so patching numpy, `check` or the registry from an answer cell
cannot turn a wrong answer into a right one.
"""
from __future__ import annotations

import contextlib
import io
import math
import os
import re
import warnings
from dataclasses import dataclass, field

import numpy as np

from .. import ops
from ..compare import compare
from . import diagnosis, expectations
from .outcomes import HIDDEN_ENV, HIDDEN_POLICIES, Kind, failed, kind_of
from .sandbox import (
    Foreign,
    InProcess,
    SandboxDied,
    SandboxedFunction,
    SandboxUnavailable,
    StudentCode,
    run_case,
    split_source,
    step_result,
)


@dataclass
class Row:
    case: str
    ok: bool
    vs_numpy: str
    vs_torch: str
    max_abs: float
    problem: str = ""
    details: list = field(default_factory=list)  # one line per gradient, vs PyTorch (Karpathy's cmp)
    kind: Kind | None = None  # why the case failed


@dataclass
class CheckResult:
    name: str
    passed: bool
    rows: list = field(default_factory=list)

    def __bool__(self):
        return self.passed

    def __repr__(self):
        n_ok = sum(r.ok for r in self.rows)
        return f"<check {self.name}: {'passed' if self.passed else 'failed'}, {n_ok}/{len(self.rows)} cases>"

    def _ipython_display_(self):
        """No Out[] in a notebook: the table is printed already, and nbgrader would read a test
        cell's Out[] as a partial grade (logging a warning per cell when it is not a number)."""


_AGAINST = {"forward": "PyTorch", "backward": "PyTorch autograd", "step": "torch.optim"}


def _grad_names(spec) -> list:
    """What a backward returns; with intermediates, those first, in the order backprop meets them."""
    k = len(spec.grad_inputs)
    return list(spec.grad_names[k:] + spec.grad_names[:k])


def _describe(v) -> str:
    if isinstance(v, Foreign):
        return str(v)
    if isinstance(v, np.ndarray):
        return f"an ndarray of shape {v.shape}"
    if isinstance(v, (tuple, list)):
        return f"a {type(v).__name__} of {len(v)} item(s)"
    return "None" if v is None else f"a {type(v).__name__}"


def _expected_parts(spec, mode, value):
    """Split a student's return value into named arrays, or return (None, message) when malformed."""
    if mode == "step":
        return {"param": value}, ""
    if mode == "forward":
        if not (isinstance(value, (tuple, list)) and len(value) == 2):
            shape = f"(({', '.join(spec.outputs)}), cache): its outputs" if spec.multi else "(out, cache): the output"
            return None, (f"{spec.name}_forward should return {shape}, then whatever your backward needs; "
                          f"it returned {_describe(value)}")
        if spec.multi:
            outs = value[0]
            if not (isinstance(outs, (tuple, list)) and len(outs) == len(spec.outputs)):
                names = ", ".join(spec.outputs)
                return None, (f"{spec.name}_forward should return (({names}), cache): its {len(spec.outputs)} "
                              f"outputs, then the cache; its first item is {_describe(outs)}")
            return dict(zip(spec.outputs, outs)), ""
        return {"out": value[0]}, ""
    names = _grad_names(spec)
    if spec.intermediates:
        if not isinstance(value, dict):
            return None, (f"{spec.name}_backward should return a dict of gradients with keys {', '.join(names)}; "
                          f"it returned {_describe(value)}")
        missing = [k for k in names if k not in value]
        if missing:
            return None, f"{spec.name}_backward's dict lacks {', '.join(missing)} (it needs {', '.join(names)})"
        return {k: value[k] for k in names}, ""
    if len(names) == 1:
        if isinstance(value, (tuple, list)):
            return None, (f"{spec.name}_backward should return dx, a single ndarray, not {_describe(value)}")
        return {"dx" if names[0] == "dx" else names[0]: value}, ""
    if not (isinstance(value, (tuple, list)) and len(value) == len(names)):
        return None, (f"{spec.name}_backward should return a tuple ({', '.join(names)}), "
                      f"one gradient per input; it returned {_describe(value)}")
    return dict(zip(names, value)), ""


def _mutated(before: list, after: list, names: list) -> str:
    for n, b, a in zip(names, before, after):
        if isinstance(b, np.ndarray) and (not isinstance(a, np.ndarray) or a.shape != b.shape
                                          or not np.array_equal(a, b, equal_nan=True)):
            return n
    return ""


def check(name: str, fn, *, forward=None, hidden: bool = False, forbid=(), quiet: bool = False) -> CheckResult:
    """Grade `fn` as the op `name` ("relu_forward", "linear_backward", ...).

    forward: for a backward, your forward function, whose cache your backward receives (without it,
    the reference forward's cache is passed). hidden: run the extra cases too. forbid: dotted names
    ("numpy.einsum") your function may not call; torch and coursekit.reference are always forbidden.
    """
    spec, mode = ops.get(name)
    if mode is None:
        raise ValueError(f"check() needs a function name ending in _forward or _backward, e.g. {name}_forward")
    if mode == "step" and forward is not None:
        raise TypeError(f"check({name!r}, ...) grades an update rule: it takes no forward=")
    student = fn if isinstance(fn, SandboxedFunction) else None
    if student is None and not callable(fn):
        raise TypeError(f"check({name!r}, fn): fn must be your function, got {type(fn).__name__}")
    if forward is not None and not (callable(forward) or isinstance(forward, SandboxedFunction)):
        raise TypeError(f"forward= must be your forward function, got {type(forward).__name__}")
    exp = expectations.get(spec, mode, hidden)
    # a student's forward makes its own cache: the reference's is passed only without one
    jobs = exp.jobs if forward is None else [(a, kw, dout, None) for a, kw, dout, _ in exp.jobs]

    if student is not None:  # the autograder: the answer cells live in a sandbox process
        if mode in ("forward", "step"):
            fwd_name, bwd_name = student.__name__, None
        else:
            fwd_name, bwd_name = getattr(forward, "__name__", None), student.__name__
        try:
            reply = student.code.run(fwd_name, bwd_name, mode, jobs, forbid=forbid)
        except SandboxDied as e:
            raise failed(f"{name}: {e}", e.kind) from None
        if "missing" in reply:
            errors = "; ".join(student.code.errors + student.code.load_errors())
            kind = Kind.FORBIDDEN_CALL if student.code.load_forbidden() else Kind.ERROR  # an import of the reference
            raise failed(f"{name}: {reply['missing']}" + (f" ({errors})" if errors else ""), kind) from None
        results = reply["results"]
    else:
        runner = InProcess(forbid)
        fwd = fn if mode in ("forward", "step") else forward
        results = runner.run(fwd, fn if mode == "backward" else None, mode, jobs)
    return _judge(name, spec, mode, exp, jobs, results, hidden, quiet)


def _judge(name, spec, mode, exp, jobs, results, hidden, quiet) -> CheckResult:
    """Rows of the table, one per case of `exp` (an expectations.Expected), and the verdict."""
    arg_names = list(spec.inputs) + ([f"d{o}" for o in spec.outputs] if spec.multi else ["dout"])
    names = _grad_names(spec) if mode == "backward" else None  # the order a backward returns them in
    expected = [(ref, tor) if names is None else ({k: ref[k] for k in names}, {k: tor[k] for k in names})
                for ref, tor in exp.values]
    rows = [_judge_case(spec, mode, case, job, want, res, arg_names)
            for case, job, want, res in zip(exp.cases, jobs, expected, results)]
    failure = next(((case, row) for case, row in zip(exp.cases, rows) if not row.ok), None)
    shown = failure[1] if failure else rows[0]
    per_grad = ""
    if spec.intermediates and mode == "backward" and shown.details:
        per_grad = (f"  each gradient on case '{shown.case}', vs PyTorch autograd (retain_grad):\n    "
                    + "\n    ".join(shown.details))
    policy = hidden_policy()
    if not quiet:
        _print_table(name, mode, rows, exp, hidden, policy)
        if per_grad:
            print(per_grad)
    if failure is not None:
        found = diagnose(spec, mode, exp.cases, results, rows)
        named = found.name if found else ""
        said = f"This looks like {found.name}: {found.explanation}\n" if found else ""  # no case, no values
        clue = None if found else _clue(spec, mode, exp.cases, results, rows, expected)
        said += f"A clue ({clue.name}): {clue.explanation}\n" if clue else ""
        if failure[0].hidden and policy != "names":  # the instructor's choice: the case stays hidden
            raise failed(said + _hidden_failure(name, mode, exp, *failure, policy), failure[1].kind, named)
        raise failed(said + _failure_message(name, spec, mode, *failure, exp.device, per_grad), failure[1].kind, named)
    return CheckResult(name, True, rows)


def diagnose(spec, mode, cases, results, rows):
    """The one known mistake of `spec.mistakes` whose answers match the student's `results` on every
    failing case, or None: when a failure is not a wrong value (a crash, a forbidden call, a modified
    input), when no mistake matches, or when several do (a wrong name is worse than none)."""
    failing = [(case, res) for case, res, row in zip(cases, results, rows) if not row.ok]
    if not failing or any(row.kind is not Kind.WRONG for row in rows if not row.ok):
        return None
    found = [m for m in spec.mistakes if all(_matches(spec, mode, m, case, res) for case, res in failing)]
    return found[0] if len(found) == 1 else None


def _clue(spec, mode, cases, results, rows, expected):
    """A generic diagnosis (`diagnosis.generic`) when every failing case is a wrong value."""
    if any(row.kind is not Kind.WRONG for row in rows if not row.ok):
        return None
    failing = []
    for case, res, row, (ref, _) in zip(cases, results, rows, expected):
        if not row.ok:
            got, _ = _expected_parts(spec, mode, res["value"])
            if got is None:
                return None
            failing.append(diagnosis.Seen(case, got, ref))
    passing = [case for case, row in zip(cases, rows) if row.ok]
    with np.errstate(all="ignore"):
        return diagnosis.generic(failing, passing, spec.grade_atol, spec.grade_rtol)


def _matches(spec, mode, mistake, case, res) -> bool:
    """Does the student's result `res` on `case` equal `mistake`'s answer (at the grading tolerance)?"""
    got, _ = _expected_parts(spec, mode, res["value"])
    try:
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            value = mistake.produce(spec, case, mode)
    except Exception:  # noqa: BLE001 - a mistake that cannot be made on this case does not match it
        return False
    if got is None or value is None:
        return False
    wrong, _ = _expected_parts(spec, mode, (value, None) if mode == "forward" else value)
    if wrong is None or set(wrong) != set(got):
        return False
    for key, want in wrong.items():
        mine = np.asarray(got[key]) if isinstance(got[key], float) and np.ndim(want) == 0 else got[key]
        if isinstance(mine, Foreign) or not compare(mine, want, atol=spec.grade_atol, rtol=spec.grade_rtol,
                                                    dtype=True).ok:
            return False
    return True


def hidden_policy() -> str:
    """What feedback shows of the hidden cases ($COURSEKIT_HIDDEN_CASES, the autograder's
    --hidden-cases): "none" (not even that there are any), "count" (how many, how many pass, and
    what went wrong on a failing one, without its inputs; the default) or "names" (each case's
    name, shapes and values)."""
    policy = os.environ.get(HIDDEN_ENV, "count")
    return policy if policy in HIDDEN_POLICIES else "count"


def _hidden_failure(name, mode, exp, case, row, policy) -> str:
    if policy == "none":
        return f"{name} is wrong on a case the autograder checks beyond the visible ones: make it right for every shape"
    n_hidden = sum(c.hidden for c in exp.cases)
    k = [c for c in exp.cases if c.hidden].index(case) + 1
    first = row.problem.splitlines()[0].split(";")[0] if row.problem else "wrong"  # no index, no values
    first = re.sub(r"shape \([^)]*\), expected \([^)]*\)", "the wrong shape", first)  # nor the case's shapes
    first = re.sub(r"\d+ of \d+ values differ", "values differ", first)
    return (f"{name} is wrong on hidden case {k} of {n_hidden}: {first}\n"
            f"  (compared with the NumPy reference and {_AGAINST[mode]} on {exp.device}, float64; "
            "the hidden cases' inputs are not shown)")


def _judge_case(spec, mode, case, job, want, res, arg_names) -> Row:
    """One case: the student's result `res` against the reference's and PyTorch's answers `want`."""
    before = list(job[0]) + (list(job[2]) if isinstance(job[2], tuple) else [job[2]])
    problem, kind = "", Kind.WRONG
    if res["forbidden"]:
        used = " and ".join(res["forbidden"])
        problem = f"your function calls {used} while it runs: implement this yourself (NumPy only, no {used})"
        kind = Kind.FORBIDDEN_CALL
    elif res["error"]:
        etype, emsg, tb = res["error"]
        problem = f"raised {etype}: {emsg}" + (f" (in your {res['stage']})" if res["stage"] != mode else "")
        if tb:
            problem += "\n" + tb.rstrip()
        kind = {"MemoryError": Kind.MEMORY, "KeyboardInterrupt": Kind.TIMEOUT}.get(etype, Kind.ERROR)
    elif bad := _mutated(before, res["inputs_after"], arg_names):
        problem = (f"modified its input `{bad}` in place; leave inputs untouched "
                   f"(build a new array, or work on {bad}.copy())")
        kind = Kind.MODIFIED_INPUT
    else:
        parts, problem = _expected_parts(spec, mode, res["value"])
        if parts is not None:
            return _compare_parts(spec, case, parts, *want)
    return Row(case.label, False, "FAIL", "FAIL", float("nan"), problem, kind=kind)


def _compare_parts(spec, case, parts, ref, tor) -> Row:
    """The student's named arrays against the reference's (`ref`) and PyTorch's (`tor`)."""
    problem, worst, details = "", 0.0, []
    status = {"numpy": "ok", "torch": "ok"}
    for key, want in ref.items():
        got = parts[key]
        if isinstance(got, float) and np.ndim(want) == 0:  # a scalar loss as a Python float
            got = np.asarray(got)
        if isinstance(got, Foreign):
            problem = f"{key}: expected a numpy.ndarray, got {_describe(got)}"
            break
        tol = dict(atol=spec.grade_atol, rtol=spec.grade_rtol, name=key, dtype=True)
        r_np, r_t = compare(got, want, **tol), compare(got, tor[key], **tol)
        details.append(str(r_t))
        status["numpy"] = status["numpy"] if r_np.ok else "FAIL"
        status["torch"] = status["torch"] if r_t.ok else "FAIL"
        if r_np.ok and r_t.ok:
            worst = max(worst, r_np.max_abs, r_t.max_abs)
        elif not problem:
            problem = str(r_np if not r_np.ok else r_t)
            worst = r_np.max_abs if not r_np.ok else r_t.max_abs
    return Row(case.label, not problem, status["numpy"], status["torch"], worst, problem, details, Kind.WRONG)


def _failure_message(name, spec, mode, case, row, device, per_grad) -> str:
    what = "the NumPy reference and " + _AGAINST[mode]
    msg = (f"{name} is wrong on case '{case.describe()}':\n  {row.problem}\n"
           f"  (compared with {what} on {device}, float64)")
    if per_grad:
        msg += "\n" + per_grad
    hint = spec.hints.get(mode)
    if hint and row.vs_numpy == "FAIL" and not math.isnan(row.max_abs):  # a wrong value, not a crash
        msg += f"\nHint: {hint}"
    if mode == "step" and not math.isnan(row.max_abs):
        msg += ("\n  (between two of your steps check() steps a second parameter with its own state, as an "
                "optimiser does over a model: keep all that carries over in `state`, not in globals)")
    return msg


def _print_table(name, mode, rows, exp, hidden, policy):
    """The cases' table; the hidden cases' rows as the policy says (see hidden_policy)."""
    shown = [(c, r) for c, r in zip(exp.cases, rows) if not c.hidden or policy == "names"]
    secret = [r for c, r in zip(exp.cases, rows) if c.hidden and policy != "names"]
    n_ok = sum(r.ok for _, r in shown)
    kind = "hidden + visible" if hidden and policy == "names" else "visible"
    lines = [f"check {name}: {n_ok}/{len(shown)} {kind} cases pass "
             f"(vs NumPy reference and {_AGAINST[mode]} on {exp.device}, float64)"]
    width = max(len(r.case) for _, r in shown)
    lines.append(f"  {'case':<{width}}  numpy  torch  max abs diff")
    for _, r in shown:
        diff = "-" if np.isnan(r.max_abs) else f"{r.max_abs:.1e}"
        lines.append(f"  {r.case:<{width}}  {r.vs_numpy:<5}  {r.vs_torch:<5}  {diff}")
    if secret and policy == "count":
        lines.append(f"  and {sum(r.ok for r in secret)}/{len(secret)} hidden cases pass")
    print("\n".join(lines))


# ---------------------------------------------------------------------------- a training run

class _StudentRule:
    """An optimiser for `train.fit` whose update is the student's rule (in process or in the sandbox)."""

    def __init__(self, name, fn, hyper, forbid):
        self.name, self.fn, self.hyper, self.forbid = name, fn, dict(hyper), tuple(forbid)
        self.states, self.first, self.problem = None, True, ""

    @property
    def lr(self):
        return self.hyper["lr"]

    def step(self, params, grads):
        if isinstance(self.fn, SandboxedFunction):
            try:
                reply = self.fn.code.step(self.fn.__name__, params, grads, self.hyper, reset=self.first,
                                          forbid=self.forbid)
            except SandboxDied as e:
                raise _TrainingFailed(str(e)) from None
            self.first = False
            if "error" in reply:
                raise _TrainingFailed(f"raised {reply['error'][0]}: {reply['error'][1]}")
            new = reply["params"]
        else:
            new = self._step_here(params, grads)
        for p, q in zip(params, new):
            if not isinstance(q, np.ndarray) or q.shape != p.shape:
                raise _TrainingFailed(f"returned {_describe(q)} as the new param, "
                                      f"expected an ndarray of shape {p.shape}")
        return new

    def _step_here(self, params, grads):
        if self.states is None:
            self.states = [None] * len(params)
        res = run_case(self._all, None, "forward", [params, grads], {})
        if res["forbidden"]:
            raise _TrainingFailed(f"calls {' and '.join(res['forbidden'])}: implement this yourself")
        if res["error"]:
            raise _TrainingFailed(f"raised {res['error'][0]}: {res['error'][1]}")
        return res["value"]

    def _all(self, params, grads):
        out = []
        for i, (p, g) in enumerate(zip(params, grads)):
            param, self.states[i] = step_result(self.fn(p, g, self.states[i], **self.hyper))
            out.append(param)
        return out


class _TrainingFailed(Exception):
    def __init__(self, message: str, kind: Kind = Kind.ERROR):
        super().__init__(message)
        self.kind = kind


def train_check(name: str, fn, *, target: float = 0.95, epochs: int = 15, hidden: bool = False,
                forbid=(), quiet: bool = False):
    """Train chapter 05's NumPy MLP (64-128-64-10, ReLU, batch 32) on digits with your update rule.

    Passes when the test accuracy after `epochs` reaches `target`; the same run with the reference
    rule is printed beside yours. hidden=True trains from another initialisation and batch order.

    Chapter 09's VAE: train_check("vae", {"reparameterize": (fwd, bwd), "gaussian_kl": (fwd, bwd),
    "bernoulli_recon": (fwd, bwd)}), or train_check("bernoulli_recon_backward", bernoulli_recon_backward)
    (any of those six functions: the other five are taken from beside it, the notebook a grade cell
    runs in). See `_train_vae`; target and epochs do not apply.
    """
    if name in _VAE_NAMES:
        return _train_vae(name, fn, hidden=hidden, forbid=forbid, quiet=quiet)
    spec, mode = ops.get(name)
    if mode != "step":
        raise ValueError(f"train_check() takes an update rule such as 'adam_step', got {name!r}")
    if not (callable(fn) or isinstance(fn, SandboxedFunction)):
        raise TypeError(f"train_check({name!r}, fn): fn must be your function, got {type(fn).__name__}")
    from .. import data
    from ..reference import train

    X_tr, X_te, y_tr, y_te = data.digits(seed=0)
    seed = 1 if hidden else 0
    runs = {}
    from ..reference.optim import Optimizer

    for who in ("reference", "yours"):
        opt = Optimizer(spec.name, **spec.train_hyper) if who == "reference" else \
            _StudentRule(spec.name, fn, spec.train_hyper, forbid)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                _, hist = train.fit(train.init_mlp((64, 128, 64, 10), rng=seed), X_tr, y_tr,
                                    train.Recipe(epochs=epochs, batch_size=32, optimizer=opt, seed=seed),
                                    test=(X_te, y_te))
            runs[who] = hist["test_acc"]
        except _TrainingFailed as e:
            runs[who] = None
            problem = f"{name} failed during training: {e}"
    hyper = ops.fmt_hyper(spec.train_hyper, sep=", ")
    if not quiet:
        lines = [f"train_check {name}: MLP 64-128-64-10 on digits, {epochs} epochs, {hyper}, target {target:.0%}",
                 "  epoch  reference  yours"]
        for i, ref in enumerate(runs["reference"]):
            mine = "-" if runs["yours"] is None or i >= len(runs["yours"]) else f"{runs['yours'][i]:.4f}"
            lines.append(f"  {i + 1:>5}  {ref:.4f}     {mine}")
        print("\n".join(lines))
    if runs["yours"] is None:
        raise AssertionError(problem)
    acc, ref = runs["yours"][-1], runs["reference"][-1]
    if acc < target:
        raise AssertionError(f"{name} trained the MLP to {acc:.2%} test accuracy after {epochs} epochs ({hyper}); "
                             f"the target is {target:.0%} and the reference rule reaches {ref:.2%}."
                             + (f"\nHint: {spec.hints['step']}" if spec.hints.get("step") else ""))
    return CheckResult(name, True, [])


# ---------------------------------------------------------------------------- a training run of the VAE

VAE_OPS = ("reparameterize", "gaussian_kl", "bernoulli_recon")  # (forward, backward) pairs: chapter 09
_VAE_NAMES = {"vae"} | {f"{op}_{m}" for op in VAE_OPS for m in ("forward", "backward")}
_VAE_RUN = {"steps": 400, "batch_size": 64, "lr": 3e-3}  # genmodels.GenRecipe: under a second on one core
_VAE_MARGIN = 1.0  # nats per image: how much worse than the reference run's test -ELBO yours may end


class _StudentOp:
    """A student's (forward, backward) pair as genmodels' VAE calls one. Each call goes through `run_case`
    (in process) or the sandbox's `code.run` (the autograder: SandboxedFunctions); the backward reruns the
    forward on the same inputs, there or in the sandbox, so the student's cache never crosses a process."""

    N_GRADS = {"reparameterize": 2, "gaussian_kl": 2, "bernoulli_recon": 1}  # gradients of the first inputs

    def __init__(self, op, fwd, bwd, forbid):
        self.op, self.fwd, self.bwd, self.forbid = op, fwd, bwd, tuple(forbid)
        self.pair = (self.forward, self.backward)

    def forward(self, *args, **kwargs):
        value = self._call("forward", args, kwargs, None)
        out = value[0] if isinstance(value, (tuple, list)) and len(value) == 2 else None
        out = np.asarray(out) if isinstance(out, float) else out  # a loss as a Python float
        want = args[0].shape if self.op == "reparameterize" else ()
        if not (isinstance(value, (tuple, list)) and len(value) == 2 and isinstance(out, np.ndarray)
                and out.shape == want):
            raise _TrainingFailed(f"{self.op}_forward should return (out, cache) with out an ndarray of shape "
                                  f"{want}; it returned {_describe(value)}"
                                  + (f" whose out is {_describe(out)}" if out is not None else ""))
        return self._finite(out, "forward"), (args, kwargs)

    def backward(self, dout, cache):
        args, kwargs = cache
        value = self._call("backward", args, kwargs, dout)
        k = self.N_GRADS[self.op]
        grads = [value] if k == 1 else list(value) if isinstance(value, (tuple, list)) and len(value) == k else None
        if grads is None or any(not isinstance(g, np.ndarray) or g.shape != a.shape for g, a in zip(grads, args)):
            shapes = " and ".join(str(a.shape) for a in args[:k])
            raise _TrainingFailed(f"{self.op}_backward should return {k} ndarray(s) of shape {shapes}; "
                                  f"it returned {_describe(value)}")
        grads = [self._finite(g, "backward") for g in grads]
        return grads[0] if k == 1 else tuple(grads)

    def _finite(self, a, stage):
        if not np.all(np.isfinite(a)):
            raise _TrainingFailed(f"{self.op}_{stage} returned nan or inf during training", Kind.WRONG)
        return a

    def _call(self, mode, args, kwargs, dout):
        job = (list(args), dict(kwargs), dout, None)
        bwd = self.bwd if mode == "backward" else None
        stage = f"{self.op}_{mode}"
        if isinstance(self.fwd, SandboxedFunction):
            try:
                reply = self.fwd.code.run(self.fwd.__name__, getattr(bwd, "__name__", None), mode, [job],
                                          forbid=self.forbid)
            except SandboxDied as e:
                raise _TrainingFailed(str(e), e.kind) from None
            if "missing" in reply:
                raise _TrainingFailed(reply["missing"], Kind.ERROR)
            res = reply["results"][0]
        else:
            res = InProcess(self.forbid).run(self.fwd, bwd, mode, [job])[0]
        if res["forbidden"]:
            used = " and ".join(res["forbidden"])
            raise _TrainingFailed(f"your {stage} calls {used} while it runs: implement this yourself "
                                  f"(NumPy only, no {used})", Kind.FORBIDDEN_CALL)
        if res["error"]:
            etype, emsg, tb = res["error"]
            where = f"your {stage}" if res["stage"] == mode else f"your {self.op}_forward (rerun for the backward)"
            raise _TrainingFailed(f"{where} raised {etype}: {emsg}" + (f"\n{tb.rstrip()}" if tb else ""),
                                  {"MemoryError": Kind.MEMORY}.get(etype, Kind.ERROR))
        return res["value"]


def _vae_pairs(name, fn) -> dict:
    """op -> (forward, backward) of the student's: from the dict of train_check("vae", ...), or found
    beside `fn` (its module's globals in process, the same sandbox in the autograder's re-run)."""
    if name == "vae":
        if not (isinstance(fn, dict) and set(fn) == set(VAE_OPS)
                and all(isinstance(p, (tuple, list)) and len(p) == 2 for p in fn.values())):
            raise TypeError("train_check('vae', fns): fns must be a dict {op: (forward, backward)} for the ops "
                            + ", ".join(VAE_OPS))
        pairs = {op: tuple(fn[op]) for op in VAE_OPS}
    elif isinstance(fn, SandboxedFunction):
        pairs = {op: (fn.code.function(f"{op}_forward"), fn.code.function(f"{op}_backward")) for op in VAE_OPS}
    elif callable(fn):
        here = {**getattr(fn, "__globals__", {}), name: fn}
        missing = [f"{op}_{m}" for op in VAE_OPS for m in ("forward", "backward") if f"{op}_{m}" not in here]
        if missing:
            raise failed(f"vae training run: {', '.join(missing)} not defined beside your {name} "
                         "(renamed or deleted?)", Kind.ERROR)
        pairs = {op: (here[f"{op}_forward"], here[f"{op}_backward"]) for op in VAE_OPS}
    else:
        raise TypeError(f"train_check({name!r}, fn): fn must be your function, got {type(fn).__name__}")
    for f in (f for pair in pairs.values() for f in pair):
        if not (callable(f) or isinstance(f, SandboxedFunction)):
            raise TypeError(f"train_check({name!r}, ...): expected your functions, got {type(f).__name__}")
    return pairs


def _train_vae(name, fn, *, hidden, forbid, quiet):
    """Train genmodels' VAE (64-64-2 and back, Bernoulli pixels) on the digits in [0, 1] for a fixed budget of
    Adam steps with the student's reparameterize, gaussian_kl and bernoulli_recon, from the same start and
    the same batches and noise as a run with the reference ops; both scored by `vae_elbo` on the test set."""
    from threadpoolctl import threadpool_limits

    from .. import data
    from ..reference import genmodels as gm

    pairs = _vae_pairs(name, fn)
    X_tr, X_te, _, _ = data.digits(seed=0)
    seed = 1 if hidden else 0
    recipe = gm.GenRecipe(seed=seed, **_VAE_RUN)
    mine = {op: _StudentOp(op, f, b, forbid).pair for op, (f, b) in pairs.items()}
    runs, problem = {"untrained": gm.vae_elbo(gm.init_vae(rng=seed), X_te)}, None
    with threadpool_limits(1), warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        runs["reference"] = gm.vae_elbo(gm.train_vae(gm.init_vae(rng=seed), X_tr, recipe)[0], X_te)
        loss = gm.make_vae_loss(bernoulli_recon=mine["bernoulli_recon"], gaussian_kl=mine["gaussian_kl"])
        try:
            params, _ = gm.train_vae(gm.init_vae(rng=seed), X_tr, recipe, loss=loss,
                                     reparameterize=mine["reparameterize"])
            runs["yours"] = gm.vae_elbo(params, X_te)
        except _TrainingFailed as e:
            problem = e
    if not quiet:
        _print_vae_table(runs)
    if problem is not None:
        raise failed(f"vae training run failed: {problem}", problem.kind)
    mine_loss, ref, start = runs["yours"]["loss"], runs["reference"]["loss"], runs["untrained"]["loss"]
    if not (mine_loss <= ref + _VAE_MARGIN and mine_loss <= start - 0.5 * (start - ref)):
        raise failed(f"your VAE did not learn like the reference's: after {_VAE_RUN['steps']} steps its test "
                     f"-ELBO is {_nats(mine_loss)} nats per image (reconstruction {_nats(runs['yours']['recon'])}, "
                     f"KL {_nats(runs['yours']['kl'])}); with the reference's ops the same run reaches {ref:.2f} "
                     f"(yours may be {_VAE_MARGIN:g} worse), and the untrained model scores {start:.2f}.\n"
                     "Hint: training follows only your backwards' gradients (the forwards' caches feed them): "
                     "check each gradient's sign and its 1/N for reduction='mean', and sigma = exp(logvar / 2).",
                     Kind.WRONG)
    return CheckResult(name, True, [])


def _nats(v) -> str:
    return f"{v:.2f}" if abs(v) < 1e5 else f"{v:.2e}"  # a diverged run's too


def _print_vae_table(runs):
    r = _VAE_RUN
    lines = [f"train_check vae: VAE 64-64-2 on digits in [0, 1], {r['steps']} Adam steps (batch {r['batch_size']}, "
             f"lr {r['lr']:g}) with your reparameterize, gaussian_kl, bernoulli_recon",
             "  test set, nats per image  untrained  reference  yours"]
    for key, label in (("recon", "reconstruction"), ("kl", "KL"), ("loss", "-ELBO")):
        mine = "-" if "yours" not in runs else _nats(runs["yours"][key])
        lines.append(f"  {label:<24}  {runs['untrained'][key]:>9.2f}  {runs['reference'][key]:>9.2f}  {mine:>5}")
    lines.append(f"  passes with a -ELBO within {_VAE_MARGIN:g} of the reference's")
    print("\n".join(lines))


# ---------------------------------------------------------------------------- the autograder's re-run

@dataclass
class Verdict:
    passed: bool
    message: str
    output: str = ""
    kind: Kind | None = None  # why it failed (outcomes.Kind)
    mistake: str = ""  # the known mistake check() recognised ("" when none)


def regrade(setup, answers, tests: dict, *, timeout: float = 60.0, forbid=()) -> dict:
    """Re-run a notebook's test cells with its answer cells held in a sandbox process.

    setup: sources of the read-only cells (run here: instructor code); answers: sources of the
    answer cells (run only in the sandbox); tests: grade_id -> test-cell source. Returns
    grade_id -> Verdict. Student names seen by the tests are sandbox handles, so a test passes only
    when the student's functions, run in isolation, produce the right values.
    """
    verdicts = {}
    with StudentCode(setup, answers, forbid=forbid, timeout=timeout) as code:
        setup_ns: dict = {"__name__": "__grading__"}
        sink = io.StringIO()
        with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for src in setup:
                for _, chunk in split_source(src)[0]:
                    with contextlib.suppress(Exception):
                        exec(compile(chunk, "<setup>", "exec"), setup_ns)
        for grade_id, src in tests.items():
            ns = {n: code.function(n) for n in code.names}
            ns.update(setup_ns)  # instructor names (check, np, ...) win over the student's
            ns.setdefault("check", check)
            ns.setdefault("train_check", train_check)
            buf = io.StringIO()
            try:
                with contextlib.redirect_stdout(buf), contextlib.redirect_stderr(buf), warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    exec(compile(src, f"<test {grade_id}>", "exec"), ns)
                verdicts[grade_id] = Verdict(True, "", buf.getvalue())
            except AssertionError as e:
                verdicts[grade_id] = Verdict(False, str(e), buf.getvalue(), kind_of(e), getattr(e, "mistake", ""))
            except SandboxUnavailable:
                raise  # the grader's fault: no verdict at all, never a student's 0
            except NameError as e:
                load = "; ".join(code.errors + code.load_errors())
                verdicts[grade_id] = Verdict(False, f"{e}: did you rename or delete a function?"
                                             + (f" ({load})" if load else ""), buf.getvalue(), Kind.ERROR)
            except Exception as e:  # noqa: BLE001 - the verdict records whatever went wrong
                verdicts[grade_id] = Verdict(False, f"{type(e).__name__}: {e}", buf.getvalue(), kind_of(e))
    return verdicts
