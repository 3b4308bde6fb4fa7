"""THE REGISTRY: every op taught in the course, declared once.

An `OpSpec` names the reference forward/backward, the PyTorch equivalent (its backward comes from
autograd), the input cases (random shapes plus the edge cases that catch real bugs) and the
tolerances. Tests, `check()`, benchmarks and the docs' op list all read this table.

Adding an op: write `<op>_forward` / `<op>_backward` in its chapter's module under
`coursekit/reference/`, then add one `register(OpSpec(...))` below.
"""
from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from .reference import activations as act
from .reference import neurons


@dataclass(frozen=True)
class Case:
    """One input to an op: arrays by argument name (in the forward's order) plus keyword args."""

    label: str
    inputs: dict
    kwargs: dict = field(default_factory=dict)
    smooth: bool = True  # False when an input sits on a kink (relu at 0): no numerical gradient

    def describe(self) -> str:
        shapes = ", ".join(f"{k} {None if v is None else v.shape}" for k, v in self.inputs.items())
        extra = "".join(f", {k}={v!r}" for k, v in self.kwargs.items())
        return f"{self.label} [{shapes}{extra}]"


@dataclass(frozen=True)
class OpSpec:
    name: str
    chapter: str
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

    def make_cases(self, hidden: bool = False) -> list:
        """The fixed cases `check()` runs: visible ones, plus more when `hidden`."""
        rng = np.random.default_rng(zlib.crc32(self.name.encode()))
        cases = self.cases(rng, False)
        if hidden:
            cases += self.cases(np.random.default_rng(zlib.crc32(self.name.encode()) + 1), True)
        return cases

    def args(self, case: Case) -> list:
        return [case.inputs[n] for n in self.inputs]

    def dout(self, case: Case, out: np.ndarray) -> np.ndarray:
        """The fixed random upstream gradient used for a case's backward."""
        rng = np.random.default_rng(zlib.crc32((self.name + case.label).encode()))
        return rng.standard_normal(np.shape(out))

    def run_forward(self, case: Case):
        """Reference output and cache for a case."""
        return self.forward(*self.args(case), **case.kwargs)

    def run_backward(self, case: Case, dout) -> tuple:
        """Reference gradients for a case, always as a tuple in the order of `inputs`."""
        _, cache = self.run_forward(case)
        return as_grads(self.backward(dout, cache))

    def torch_forward(self, case: Case, dev=None):
        from . import backend

        dev = dev or backend.device()
        tensors = [backend.to_torch(a, dev=dev) for a in self.args(case)]
        return backend.to_numpy(self.torch(*tensors, **case.kwargs))

    def torch_backward(self, case: Case, dout, dev=None) -> tuple:
        """Gradients by PyTorch autograd on `dev`, in the order of `inputs` (None for None inputs)."""
        from . import backend

        dev = dev or backend.device()
        tensors = [
            backend.to_torch(a, requires_grad=a is not None and a.dtype.kind == "f", dev=dev)
            for a in self.args(case)
        ]
        out = self.torch(*tensors, **case.kwargs)
        out.backward(backend.to_torch(dout, dev=dev))
        return tuple(None if t is None or not t.requires_grad else backend.to_numpy(t.grad) for t in tensors)


def as_grads(g) -> tuple:
    """A backward's return value as a tuple (one-input ops return a bare array)."""
    return tuple(g) if isinstance(g, (tuple, list)) else (g,)


REGISTRY: dict = {}


def register(spec: OpSpec) -> OpSpec:
    if spec.name in REGISTRY:
        raise ValueError(f"op {spec.name!r} is registered twice")
    REGISTRY[spec.name] = spec
    return spec


def get(name: str):
    """`get("relu")` -> (spec, None); `get("relu_forward")` -> (spec, "forward"); same for _backward."""
    for mode in ("forward", "backward"):
        if name.endswith("_" + mode) and name[: -len(mode) - 1] in REGISTRY:
            return REGISTRY[name[: -len(mode) - 1]], mode
    if name in REGISTRY:
        return REGISTRY[name], None
    known = ", ".join(sorted(REGISTRY))
    raise KeyError(f"no op named {name!r}; known ops: {known} (add _forward or _backward)")


def by_chapter(chapter: str) -> list:
    return [s for s in REGISTRY.values() if s.chapter == chapter]


# ---------------------------------------------------------------- shared case builders

def unary_cases(rng, hidden, *, kinks=False, kwargs=None):
    """Cases for an elementwise (or row-wise) op of one array `x`."""
    kw = kwargs or {}
    n = rng.standard_normal
    if not hidden:
        return [
            Case("random (4, 5)", {"x": n((4, 5))}, kw),
            Case("batch of one (1, 7)", {"x": n((1, 7))}, kw),
            Case("non-square 3-D (2, 3, 5)", {"x": n((2, 3, 5))}, kw),
            Case("exact zeros and ties", {"x": np.array([[0.0, 0.0, 1.0, 1.0], [-2.0, 0.0, 0.0, 3.0], [0.5, 0.5, 0.5, 0.5]])},
                 kw, smooth=not kinks),
            Case("large magnitudes (+-1000)", {"x": np.array([[-1000.0, -30.0, 30.0, 1000.0], [1000.0, 1000.0, -1000.0, 0.5]])}, kw),
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
    """`unary_cases` plus reductions along other dims (softmax, log_softmax)."""
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
    return Case("bench (512, 1024)", {"x": rng.standard_normal((512, 1024))})


# ---------------------------------------------------------------- chapter 01: neurons

def _linear_cases(rng, hidden):
    n = rng.standard_normal

    def c(label, x, w, b):
        return Case(label, {"x": x, "weight": w, "bias": b})

    if not hidden:
        return [
            c("random (4, 3) -> 5", n((4, 3)), n((5, 3)), n(5)),
            c("batch of one (1, 6) -> 2", n((1, 6)), n((2, 6)), n(2)),
            c("non-square, no bias (3, 7) -> 4", n((3, 7)), n((4, 7)), None),
            c("3-D input (2, 3, 4) -> 5", n((2, 3, 4)), n((5, 4)), n(5)),
            c("zero input (2, 3) -> 3", np.zeros((2, 3)), n((3, 3)), n(3)),
        ]
    return [
        c("one feature (5, 1) -> 3", n((5, 1)), n((3, 1)), n(3)),
        c("one output (6, 4) -> 1", n((6, 4)), n((1, 4)), n(1)),
        c("large magnitudes (3, 5) -> 2", 1000 * n((3, 5)), n((2, 5)), 1000 * n(2)),
        c("4-D input (2, 2, 3, 6) -> 3", n((2, 2, 3, 6)), n((3, 6)), n(3)),
        c("wide (8, 32) -> 16, no bias", n((8, 32)), n((16, 32)), None),
        c("1-D input (5,) -> 4", n(5), n((4, 5)), n(4)),
    ]


def _torch_linear(x, weight, bias):
    import torch.nn.functional as F

    return F.linear(x, weight, bias)


register(OpSpec(
    name="linear", chapter="01_neurons",
    forward=neurons.linear_forward, backward=neurons.linear_backward, torch=_torch_linear,
    inputs=("x", "weight", "bias"), cases=_linear_cases,
    bench=lambda rng: Case("bench (512, 1024) -> 1024", {
        "x": rng.standard_normal((512, 1024)), "weight": rng.standard_normal((1024, 1024)),
        "bias": rng.standard_normal(1024)}),
    hints={
        "forward": "y = x @ weight.T + bias: weight is (out_features, in_features), as in F.linear; "
                   "x may have extra leading dimensions; skip the bias when it is None.",
        "backward": "dx = dout @ weight, dweight = dout^T x and dbias = dout summed over every "
                    "dimension but the last (flatten leading dimensions first); dbias is None without a bias.",
    },
))


# ---------------------------------------------------------------- chapter 02: activations

def _torch_gelu(x, approximate="none"):
    import torch.nn.functional as F

    return F.gelu(x, approximate=approximate)


def _torch_leaky_relu(x, negative_slope=0.01):
    import torch.nn.functional as F

    return F.leaky_relu(x, negative_slope)


def _torch_softmax(x, dim=-1):
    return x.softmax(dim)


def _torch_log_softmax(x, dim=-1):
    return x.log_softmax(dim)


def _torch_sigmoid(x):
    return x.sigmoid()


def _torch_tanh(x):
    return x.tanh()


def _torch_relu(x):
    return x.relu()


def _leaky_cases(rng, hidden):
    cases = unary_cases(rng, hidden, kinks=True)
    if hidden:
        cases.append(Case("negative_slope=0.2 (4, 4)", {"x": rng.standard_normal((4, 4))}, {"negative_slope": 0.2}))
    return cases


_STABLE = "Use exp of -|x| only (two branches with np.where), never exp(x) of a large positive x."
_ACTIVATIONS = [
    ("sigmoid", _torch_sigmoid, lambda r, h: unary_cases(r, h), False, {
        "forward": "sigmoid(x) = 1 / (1 + exp(-x)); for x = -1000, exp(1000) overflows. " + _STABLE,
        "backward": "sigmoid'(x) = s (1 - s) with s the forward output: multiply by dout."}),
    ("tanh", _torch_tanh, lambda r, h: unary_cases(r, h), False, {
        "forward": "np.tanh is fine; from exponentials, keep them stable for |x| = 1000.",
        "backward": "tanh'(x) = 1 - tanh(x)^2: multiply by dout."}),
    ("relu", _torch_relu, lambda r, h: unary_cases(r, h, kinks=True), True, {
        "forward": "relu(x) = max(x, 0) elementwise: np.maximum, not Python's max; return a new array.",
        "backward": "The gradient is 1 where x > 0 and 0 elsewhere, including exactly x = 0 (as PyTorch)."}),
    ("leaky_relu", _torch_leaky_relu, _leaky_cases, True, {
        "forward": "x where x > 0, negative_slope * x elsewhere.",
        "backward": "1 where x > 0, negative_slope elsewhere (x = 0 gets negative_slope, as PyTorch)."}),
    ("gelu", _torch_gelu, lambda r, h: unary_cases(r, h), False, {
        "forward": "gelu(x) = x * Phi(x) with Phi(x) = (1 + erf(x / sqrt(2))) / 2 (exact, not the tanh approximation).",
        "backward": "gelu'(x) = Phi(x) + x * phi(x), phi(x) = exp(-x^2 / 2) / sqrt(2 pi)."}),
    ("softmax", _torch_softmax, rowwise_cases, False, {
        "forward": "Subtract the maximum along `dim` (keepdims=True) before exp, then divide by the sum along `dim`.",
        "backward": "dx = s * (dout - sum(dout * s, dim, keepdims=True)), s = softmax(x)."}),
    ("log_softmax", _torch_log_softmax, rowwise_cases, False, {
        "forward": "x - max - log(sum(exp(x - max))) along `dim`; log(softmax(x)) gives -inf for large gaps.",
        "backward": "dx = dout - softmax(x) * sum(dout, dim, keepdims=True)."}),
]

for _name, _torch_fn, _cases, _kinks, _hints in _ACTIVATIONS:
    register(OpSpec(
        name=_name, chapter="02_activations",
        forward=getattr(act, f"{_name}_forward"), backward=getattr(act, f"{_name}_backward"),
        torch=_torch_fn, inputs=("x",), cases=_cases, bench=unary_bench, kinks=_kinks, hints=_hints,
    ))
