"""The registry's machinery: `Case`, the `Spec` base of `OpSpec` and `StepSpec`, the two tables
(`REGISTRY`, `STEPS`), lookups, and the case builders several chapters share."""
from __future__ import annotations

import zlib
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np


@dataclass(frozen=True)
class Case:
    """One input to an op: arrays by argument name (in the forward's order) plus keyword args."""

    label: str
    inputs: dict
    kwargs: dict = field(default_factory=dict)
    smooth: bool = True  # False when an input sits on a kink (relu at 0): no numerical gradient
    hidden: bool = False  # one of the extra cases only the autograder runs

    def describe(self) -> str:
        shapes = ", ".join(f"{k} {None if v is None else v.shape}" for k, v in self.inputs.items())
        extra = "".join(f", {k}={v!r}" for k, v in self.kwargs.items())
        return f"{self.label} [{shapes}{extra}]"


@dataclass(frozen=True)
class Mistake:
    """A known wrong answer to an op, for feedback that names it ("This looks like <name>: ...").

    `produce(spec, case, mode)` returns the mistaken answer on `case` in the form the student's
    function returns it for `mode` (a forward's output or outputs, without the cache; a backward's
    gradients), or None where the mistake says nothing about that mode.
    """

    name: str
    explanation: str  # what went wrong and how to fix it
    produce: Callable


def mistake(name: str, explanation: str, *, forward=None, backward=None, carry: bool = False) -> Mistake:
    """A `Mistake` from a mistaken forward `(*args, **kwargs) -> (out, cache)` and/or a mistaken
    backward `(dout, cache) -> grads` (None: the reference's). Its backward answer uses the cache of
    the mistaken forward when `carry` (the forward's mistake reaches the gradients) or when it has
    no mistaken backward of its own to pair with the reference's cache."""

    def produce(spec, case, mode):
        if mode == "forward":
            return None if forward is None else forward(*spec.args(case), **case.kwargs)[0]
        if mode != "backward" or (backward is None and not carry):
            return None
        out, cache = spec.run_forward(case)
        dout = spec.dout(case, out)
        if forward is not None and (carry or backward is None):
            cache = forward(*spec.args(case), **case.kwargs)[1]
        douts = dout if spec.multi else (dout,)
        return (backward or spec.backward)(*douts, cache)

    return Mistake(name, explanation, produce)


def backward_mistake(name: str, explanation: str, grads: Callable) -> Mistake:
    """A mistake of the backward alone, `grads(spec, case, dout, cache) -> the mistaken gradients`
    with the reference's cache and the case's upstream gradient `dout`."""

    def produce(spec, case, mode):
        if mode != "backward":
            return None
        out, cache = spec.run_forward(case)
        return grads(spec, case, spec.dout(case, out), cache)

    return Mistake(name, explanation, produce)


def forgot_dout(what: str = "the local derivative") -> Mistake:
    """The backward returns `what` without multiplying by the upstream gradient `dout`."""
    return backward_mistake(
        "the upstream gradient left out",
        f"your backward returns {what} without multiplying by dout; the chain rule needs dx = dout * (local "
        "derivative), so multiply by dout (check() passes a random one, not ones).",
        lambda spec, case, dout, cache: spec.backward(np.ones_like(dout), cache))


def sign_flipped() -> Mistake:
    """The backward's gradients with the wrong sign."""
    return backward_mistake(
        "the gradient's sign flipped",
        "your gradient is the exact negative of the right one (e.g. t - p where it is p - t): "
        "a step along it would climb the loss; swap the order of the subtraction.",
        lambda spec, case, dout, cache: as_neg(spec.backward(dout, cache)))


def trajectory(step: Callable, case) -> np.ndarray:
    """The params after each step of the update rule `step` over a case's gradients, shape (steps, *param.shape)."""
    param, state, out = case.inputs["param"], None, []
    for g in case.inputs["grads"]:
        param, state = step(param, g, state, **case.kwargs)
        out.append(param)
    return np.stack(out)


def step_mistake(name: str, explanation: str, step: Callable) -> Mistake:
    """A mistake of an update rule: the mistaken `step(param, grad, state, **hyper) -> (param, state)`
    taken over the case's gradients as `StepSpec.run_steps` takes the reference's (mode "step" only)."""
    return Mistake(name, explanation, lambda spec, case, mode: trajectory(step, case) if mode == "step" else None)


def as_neg(grads):
    """Every gradient of a backward's return value negated (None stays None)."""
    if isinstance(grads, (tuple, list)):
        return type(grads)(None if g is None else -g for g in grads)
    return -grads


def forward_mistake(name: str, explanation: str, forward: Callable) -> Mistake:
    """A mistake of the forward alone, `forward(*args, **kwargs) -> the mistaken output(s)`, that says
    nothing about the backward (whose answer on the student's own cache is not predictable)."""
    return Mistake(name, explanation,
                   lambda spec, case, mode: forward(*spec.args(case), **case.kwargs) if mode == "forward" else None)


@dataclass(frozen=True)
class Spec:
    """What an op and an update rule share: a name, a chapter, fixed cases built from `cases`
    (rng, hidden) -> list[Case], whose arrays are passed in the order of `inputs`, and `outputs`."""

    name: str
    chapter: str

    @property
    def multi(self) -> bool:
        return len(self.outputs) > 1

    def make_cases(self, hidden: bool = False) -> list:
        """The fixed cases `check()` runs: visible ones, plus more when `hidden`."""
        rng = np.random.default_rng(zlib.crc32(self.name.encode()))
        cases = self.cases(rng, False)
        if hidden:
            more = self.cases(np.random.default_rng(zlib.crc32(self.name.encode()) + 1), True)
            cases += [replace(c, hidden=True) for c in more]
        return cases

    def args(self, case: Case) -> list:
        return [case.inputs[n] for n in self.inputs]


@dataclass(frozen=True)
class OpSpec(Spec):
    forward: Callable
    backward: Callable
    torch: Callable  # (tensors..., **kwargs) -> tensor, by argument name like `forward`
    inputs: tuple  # names of the array arguments, in order
    cases: Callable  # (rng, hidden) -> list[Case]
    bench: Callable  # rng -> Case, a realistic size for `make bench`
    atol: float = 1e-10  # reference vs PyTorch (float64)
    rtol: float = 1e-8
    grade_atol: float = 1e-7  # a student's answer vs the reference
    grade_rtol: float = 1e-6
    kinks: bool = False  # non-differentiable points exist (numerical gradients skip those cases)
    hints: dict = field(default_factory=dict)  # "forward"/"backward" -> a tip shown on failure
    differentiable: tuple | None = None  # inputs the backward returns gradients for (default: all)
    intermediates: tuple = ()  # inner tensors whose gradients the backward also returns (then as a dict)
    outputs: tuple = ("out",)  # several (an LSTM's out, h_n, c_n): the forward returns (tuple, cache), the
    # torch function a tuple, and the backward takes one upstream gradient per output, backward(*douts, cache)
    mistakes: tuple = ()  # known wrong answers (`Mistake`): a failing check() names the one a student's matches

    def outs_of(self, value) -> tuple:
        """A forward's output as a tuple in the order of `outputs`."""
        return tuple(value) if self.multi else (value,)

    @property
    def grad_inputs(self) -> tuple:
        """Names of the inputs whose gradients the backward returns, in order (losses: `input` only)."""
        return tuple(self.differentiable or self.inputs)

    @property
    def grad_names(self) -> tuple:
        """Names of everything the backward returns: "d" + each input of `grad_inputs`, then, for an
        op with `intermediates`, "d" + each intermediate (its backward returns a dict by these names)."""
        return tuple(f"d{n}" for n in self.grad_inputs + self.intermediates)

    def grads_of(self, value) -> tuple:
        """A backward's return value as a tuple in the order of `grad_names`."""
        if self.intermediates:
            return tuple(value[k] for k in self.grad_names)
        return as_grads(value)

    def dout(self, case: Case, out):
        """The fixed random upstream gradient used for a case's backward (a tuple, one per output,
        for an op of several outputs)."""
        rng = np.random.default_rng(zlib.crc32((self.name + case.label).encode()))
        douts = tuple(np.asarray(rng.standard_normal(np.shape(o))) for o in self.outs_of(out))
        return douts if self.multi else douts[0]

    def call_backward(self, dout, cache):
        """The reference backward on the upstream gradient(s) `dout` (as made by `dout()`)."""
        return self.backward(*dout, cache) if self.multi else self.backward(dout, cache)

    def run_forward(self, case: Case):
        """Reference output and cache for a case."""
        return self.forward(*self.args(case), **case.kwargs)

    def run_backward(self, case: Case, dout) -> tuple:
        """Reference gradients for a case, always as a tuple in the order of `grad_inputs`."""
        _, cache = self.run_forward(case)
        return self.grads_of(self.call_backward(dout, cache))

    def torch_tensors(self, case: Case, dev=None) -> tuple:
        """What the torch side computes for a case on `dev`, as tensors: the outputs, then the intermediates."""
        from .. import backend

        dev = dev or backend.device()
        out = self.torch(*[backend.to_torch(a, dev=dev) for a in self.args(case)], **case.kwargs)
        out, inner = out if self.intermediates else (out, {})
        return (*(out if self.multi else (out,)), *inner.values())

    def torch_forward(self, case: Case, dev=None):
        """The torch side's output(s) for a case on `dev`, as NumPy arrays."""
        from .. import backend

        outs = [backend.to_numpy(o) for o in self.torch_tensors(case, dev)[:len(self.outputs)]]
        return tuple(outs) if self.multi else outs[0]

    def torch_backward(self, case: Case, dout, dev=None) -> tuple:
        """Gradients by PyTorch autograd on `dev`, in the order of `grad_inputs` (None for None inputs)."""
        from .. import backend

        dev = dev or backend.device()
        wanted = self.grad_inputs
        tensors = {
            n: backend.to_torch(a, requires_grad=n in wanted and a is not None and a.dtype.kind == "f", dev=dev)
            for n, a in zip(self.inputs, self.args(case))
        }
        out = self.torch(*tensors.values(), **case.kwargs)
        inner = {}
        if self.intermediates:  # the torch function returns (out, {name: inner tensor})
            out, inner = out
            for t in inner.values():
                t.retain_grad()
        if self.multi:
            import torch

            torch.autograd.backward(list(out), [backend.to_torch(d, dev=dev) for d in dout])
        else:
            out.backward(backend.to_torch(dout, dev=dev))
        grads = [None if tensors[n] is None else backend.to_numpy(tensors[n].grad) for n in wanted]
        return tuple(grads + [backend.to_numpy(inner[n].grad) for n in self.intermediates])


@dataclass(frozen=True)
class StepSpec(Spec):
    """An optimiser's update rule, `param, state = <name>_step(param, grad, state, **hyper)`.

    A case holds the start `param` and `grads`, one gradient per step (steps, *param.shape); the
    rule is judged on the whole trajectory of params, against the reference and `torch.optim`.
    """

    step: Callable
    torch_optimizer: Callable  # (list of tensors, **hyper) -> torch.optim.Optimizer
    cases: Callable  # (rng, hidden) -> list[Case] with inputs {"param", "grads"} and hyper as kwargs
    atol: float = 1e-10
    rtol: float = 1e-8
    grade_atol: float = 1e-8
    grade_rtol: float = 1e-7
    hints: dict = field(default_factory=dict)
    mistakes: tuple = ()  # known wrong answers (`Mistake`), as on OpSpec
    train_hyper: dict = field(default_factory=dict)  # hyper-parameters of the digits training run
    inputs: tuple = ("param", "grads")
    grad_inputs: tuple = ()
    intermediates: tuple = ()

    outputs: tuple = ("param",)

    def run_steps(self, case: Case) -> np.ndarray:
        """The reference trajectory: params after each step, shape (steps, *param.shape)."""
        return trajectory(self.step, case)

    def torch_steps(self, case: Case, dev=None) -> np.ndarray:
        """The same steps taken by `torch.optim` on `dev`, float64."""
        from .. import backend

        dev = dev or backend.device()
        p = backend.to_torch(case.inputs["param"], requires_grad=True, dev=dev)
        opt = self.torch_optimizer([p], **case.kwargs)
        out = []
        for g in case.inputs["grads"]:
            p.grad = backend.to_torch(g, dev=dev)
            opt.step()
            out.append(backend.to_numpy(p))
        return np.stack(out)


def as_grads(g) -> tuple:
    """A backward's return value as a tuple (one-input ops return a bare array)."""
    return tuple(g) if isinstance(g, (tuple, list)) else (g,)


REGISTRY: dict = {}
STEPS: dict = {}


def register(spec: OpSpec) -> OpSpec:
    if spec.name in REGISTRY or spec.name in STEPS:
        raise ValueError(f"op {spec.name!r} is registered twice")
    REGISTRY[spec.name] = spec
    return spec


def register_step(spec: StepSpec) -> StepSpec:
    if spec.name in STEPS or spec.name in REGISTRY:
        raise ValueError(f"update rule {spec.name!r} is registered twice")
    STEPS[spec.name] = spec
    return spec


def get(name: str):
    """`get("relu")` -> (spec, None); `get("relu_forward")` -> (spec, "forward"); same for _backward;
    `get("adam_step")` -> (the StepSpec of adam, "step")."""
    for mode in ("forward", "backward"):
        if name.endswith("_" + mode) and name[: -len(mode) - 1] in REGISTRY:
            return REGISTRY[name[: -len(mode) - 1]], mode
    if name.endswith("_step") and name[:-5] in STEPS:
        return STEPS[name[:-5]], "step"
    if name in REGISTRY:
        return REGISTRY[name], None
    known = ", ".join(sorted(REGISTRY)) + "; update rules: " + ", ".join(f"{n}_step" for n in sorted(STEPS))
    raise KeyError(f"no op named {name!r}; known ops: {known} (add _forward or _backward)")


def by_chapter(chapter: str) -> list:
    return [s for s in REGISTRY.values() if s.chapter == chapter]


def fmt_hyper(hyper: dict, sep: str = " ") -> str:
    """Hyper-parameters as `k=v` words joined by `sep`: {"lr": 0.1, "momentum": 0.9} -> "lr=0.1 momentum=0.9"."""
    return sep.join(f"{k}={v}" for k, v in hyper.items())


# ---------------------------------------------------------------- shared case builders

def unary_cases(rng, hidden, *, kinks=False, kwargs=None):
    """Cases for an elementwise (or row-wise) op of one array `x`, of any shape (1-D to 4-D)."""
    kw = kwargs or {}
    n = rng.standard_normal
    if not hidden:
        return [
            Case("random (4, 5)", {"x": n((4, 5))}, kw),
            Case("batch of one (1, 7)", {"x": n((1, 7))}, kw),
            Case("non-square 3-D (2, 3, 5)", {"x": n((2, 3, 5))}, kw),
            Case("exact zeros and ties",
                 {"x": np.array([[0.0, 0.0, 1.0, 1.0], [-2.0, 0.0, 0.0, 3.0], [0.5, 0.5, 0.5, 0.5]])},
                 kw, smooth=not kinks),
            Case("large magnitudes (+-1000)",
                 {"x": np.array([[-1000.0, -30.0, 30.0, 1000.0], [1000.0, 1000.0, -1000.0, 0.5]])}, kw),
        ]
    return [
        Case("random 1-D (9,)", {"x": n(9)}, kw),
        Case("wide (3, 64), scale 10", {"x": 10 * n((3, 64))}, kw),
        Case("4-D (2, 4, 3, 2)", {"x": n((2, 4, 3, 2))}, kw),
        Case("tiny values (+-1e-8)", {"x": 1e-8 * n((5, 3))}, kw, smooth=not kinks),  # within eps of a kink
        Case("all negative (3, 4)", {"x": -np.abs(n((3, 4))) - 0.1}, kw),
        Case("mixed huge and small", {"x": np.array([[-800.0, 1e-3, 2.0, 700.0, -5.0]])}, kw),
    ]


def rowwise_cases(rng, hidden):
    """`unary_cases` plus reductions along other dims (softmax, log_softmax): `dim` as a kwarg."""
    cases = unary_cases(rng, hidden)
    n = rng.standard_normal
    if not hidden:
        cases.append(Case("dim=0 on (3, 4)", {"x": n((3, 4))}, {"dim": 0}))
    else:
        cases += [
            Case("dim=1 on (2, 5, 3)", {"x": n((2, 5, 3))}, {"dim": 1}),
            Case("one class (4, 1)", {"x": n((4, 1))}),
            Case("scale 100 rows (3, 6)", {"x": 100 * n((3, 6))}),
        ]
    return cases


def unary_bench(rng):
    """The benchmark case of a one-array op: x of shape (512, 1024)."""
    return Case("bench (512, 1024)", {"x": rng.standard_normal((512, 1024))})
