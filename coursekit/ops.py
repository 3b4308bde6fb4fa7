"""THE REGISTRY: every op taught in the course, declared once.

An `OpSpec` names the reference forward/backward, the PyTorch equivalent (its backward comes from
autograd), the input cases (random shapes plus the edge cases that catch real bugs) and the
tolerances. Tests, `check()`, benchmarks and the docs' op list all read this table.

Adding an op: write `<op>_forward` / `<op>_backward` in its chapter's module under
`coursekit/reference/`, then add one `register(OpSpec(...))` below.
"""
from __future__ import annotations

import zlib
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from .reference import activations as act
from .reference import attention, backprop, cnn, losses, neurons, optim, rnn


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
    differentiable: tuple | None = None  # inputs the backward returns gradients for (default: all)
    intermediates: tuple = ()  # inner tensors whose gradients the backward also returns (then as a dict)
    outputs: tuple = ("out",)  # several (an LSTM's out, h_n, c_n): the forward returns (tuple, cache), the
    # torch function a tuple, and the backward takes one upstream gradient per output, backward(*douts, cache)

    @property
    def multi(self) -> bool:
        return len(self.outputs) > 1

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

    def make_cases(self, hidden: bool = False) -> list:
        """The fixed cases `check()` runs: visible ones, plus more when `hidden`."""
        rng = np.random.default_rng(zlib.crc32(self.name.encode()))
        cases = self.cases(rng, False)
        if hidden:
            cases += self.cases(np.random.default_rng(zlib.crc32(self.name.encode()) + 1), True)
        return cases

    def args(self, case: Case) -> list:
        return [case.inputs[n] for n in self.inputs]

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

    def torch_forward(self, case: Case, dev=None):
        from . import backend

        dev = dev or backend.device()
        tensors = [backend.to_torch(a, dev=dev) for a in self.args(case)]
        out = self.torch(*tensors, **case.kwargs)
        if self.multi:
            return tuple(backend.to_numpy(o) for o in out)
        return backend.to_numpy(out[0] if self.intermediates else out)

    def torch_backward(self, case: Case, dout, dev=None) -> tuple:
        """Gradients by PyTorch autograd on `dev`, in the order of `grad_inputs` (None for None inputs)."""
        from . import backend

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


# ---------------------------------------------------------------- chapter 03: losses

def _F(name):
    """`torch.nn.functional.<name>`, imported when first called."""

    def call(*args, **kwargs):
        import torch.nn.functional as F

        return getattr(F, name)(*args, **kwargs)

    call.__name__ = name
    return call


def _pair_cases(make_input, make_target, *, kinks=False, extra=()):
    """Cases for a loss of (input, target) arrays of one shape, over every reduction."""

    def cases(rng, hidden):
        def c(label, shape, reduction, **kw):
            inp, tgt = make_input(rng, shape), make_target(rng, shape)
            return Case(f"{label}, {reduction}", {"input": inp, "target": tgt}, {"reduction": reduction, **kw})

        if not hidden:
            out = [
                c("random (4, 5)", (4, 5), "mean"),
                c("batch of one (1, 3)", (1, 3), "sum"),
                c("non-square 3-D (2, 3, 4)", (2, 3, 4), "none"),
            ]
            inp = make_input(rng, (2, 3))
            if make_input is _normal:
                inp[0, 0] = 0.0
            out.append(Case("exact ties input == target, with zeros (2, 3), mean", {"input": inp, "target": inp.copy()},
                            {"reduction": "mean"}, smooth=not kinks))
            big = make_input(rng, (2, 4))
            out.append(Case("large magnitudes, mean", {"input": 1000 * big if make_input is _normal else big,
                                                       "target": make_target(rng, (2, 4))}, {"reduction": "mean"}))
            return out
        return [c("1-D (7,)", (7,), "mean"), c("4-D (2, 2, 3, 2)", (2, 2, 3, 2), "sum"),
                c("wide (3, 40)", (3, 40), "none"), c("single element (1,)", (1,), "mean")] + \
            [c(label, shape, red, **kw) for label, shape, red, kw in extra]

    return cases


def _normal(rng, shape):
    return rng.standard_normal(shape)


def _probs(rng, shape):
    return rng.uniform(0.02, 0.98, shape)


def _labels01(rng, shape):
    return (rng.random(shape) < 0.5).astype(np.float64)


def _bce_cases(rng, hidden):
    cases = _pair_cases(_probs, _labels01, kinks=True)(rng, hidden)
    if not hidden:
        cases.append(Case("certain and right: p in {0, 1}, mean",
                          {"input": np.array([[0.0, 1.0, 0.3]]), "target": np.array([[0.0, 1.0, 0.0]])},
                          {"reduction": "mean"}, smooth=False))
    else:
        cases += [Case("soft targets (3, 4), mean", {"input": _probs(rng, (3, 4)), "target": rng.random((3, 4))},
                       {"reduction": "mean"}),
                  Case("confident and wrong p = 1e-6, sum", {"input": np.array([1e-6, 1 - 1e-6]),
                                                             "target": np.array([1.0, 0.0])}, {"reduction": "sum"},
                       smooth=False)]  # a step of 1e-6 reaches the clamp at p = 1
    return cases


def _bce_logits_cases(rng, hidden):
    cases = _pair_cases(lambda r, s: 3 * r.standard_normal(s), _labels01)(rng, hidden)
    if not hidden:
        cases[-1] = Case("logits at +-1000, mean", {"input": np.array([[1000.0, -1000.0, 1000.0, -1000.0, 0.0]]),
                                                    "target": np.array([[1.0, 0.0, 0.0, 1.0, 1.0]])},
                         {"reduction": "mean"})
    else:
        cases.append(Case("soft targets (3, 4), sum", {"input": rng.standard_normal((3, 4)),
                                                       "target": rng.random((3, 4))}, {"reduction": "sum"}))
    return cases


def _class_cases(log_probs):
    def prep(x):
        return act.log_softmax_forward(x, dim=1)[0] if log_probs else x

    def cases(rng, hidden):
        n = rng.standard_normal

        def c(label, x, t, reduction="mean", **kw):
            return Case(label, {"input": prep(x), "target": np.asarray(t, dtype=np.int64)},
                        {"reduction": reduction, **kw})

        if not hidden:
            return [
                c("random (4, 5), mean", n((4, 5)), rng.integers(0, 5, 4)),
                c("batch of one (1, 3), sum", n((1, 3)), [2], "sum"),
                c("non-square (6, 2), none", n((6, 2)), rng.integers(0, 2, 6), "none"),
                c("ties: equal logits (3, 4), mean", np.zeros((3, 4)), [0, 3, 1]),
                c("large magnitudes (+-1000), mean", np.array([[1000.0, -1000.0, 0.0], [-1000.0, 1000.0, 999.0]]),
                  [1, 2]),
                c("ignore_index rows (-100), mean", n((4, 3)), [0, -100, 2, -100]),
            ]
        return [
            c("many classes (3, 50), sum", 5 * n((3, 50)), rng.integers(0, 50, 3), "sum"),
            c("one class (4, 1), mean", n((4, 1)), [0, 0, 0, 0]),
            c("ignore_index=1, none", n((5, 3)), [1, 0, 1, 2, 1], "none", ignore_index=1),
            c("all ignored, sum", n((2, 3)), [-100, -100], "sum"),
            c("confident logits x30 (8, 4), mean", 30 * n((8, 4)), rng.integers(0, 4, 8)),
        ]

    return cases


def _penalty_cases(kinks):
    def cases(rng, hidden):
        n = rng.standard_normal
        if not hidden:
            return [
                Case("matrix (4, 3)", {"weight": n((4, 3))}, {"lam": 0.1}),
                Case("batch of one (1, 5)", {"weight": n((1, 5))}, {"lam": 1.0}),
                Case("non-square 3-D (2, 3, 4)", {"weight": n((2, 3, 4))}, {"lam": 1e-3}),
                Case("exact zeros (2, 3)", {"weight": np.array([[0.0, 1.0, -2.0], [0.0, 0.0, 3.0]])}, {"lam": 0.5},
                     smooth=not kinks),
                Case("large magnitudes (3,)", {"weight": np.array([1000.0, -1000.0, 0.5])}, {"lam": 0.01}),
            ]
        return [Case("vector (9,)", {"weight": n(9)}, {"lam": 2.0}), Case("lam = 0 (3, 3)", {"weight": n((3, 3))},
                                                                        {"lam": 0.0})]

    return cases


def _loss_bench(make_target):
    return lambda rng: Case("bench (512, 1024), mean", {"input": rng.standard_normal((512, 1024)),
                                                        "target": make_target(rng, (512, 1024))}, {"reduction": "mean"})


_LOSS_HINT_RED = " Reduce with reduction='mean' (average), 'sum' or 'none' (per element)."
_LOSSES = [
    ("mse_loss", _F("mse_loss"), _pair_cases(_normal, _normal), False, _loss_bench(_normal), {
        "forward": "(input - target)^2 per element, then reduced." + _LOSS_HINT_RED,
        "backward": "2 (input - target) * dout, divided by the number of elements for the mean."}),
    ("l1_loss", _F("l1_loss"), _pair_cases(_normal, _normal, kinks=True), True, _loss_bench(_normal), {
        "forward": "|input - target| per element, then reduced." + _LOSS_HINT_RED,
        "backward": "sign(input - target) * dout (0 where they are equal, as PyTorch), / n for the mean."}),
    ("smooth_l1_loss", _F("smooth_l1_loss"),
     _pair_cases(_normal, _normal, extra=[("beta = 0.5 (3, 4)", (3, 4), "mean", {"beta": 0.5}),
                                          ("beta = 2 (3, 4)", (3, 4), "sum", {"beta": 2.0})]), False,
     _loss_bench(_normal), {
         "forward": "0.5 d^2 / beta where |d| < beta, else |d| - 0.5 beta, with d = input - target.",
         "backward": "d / beta inside |d| < beta, sign(d) outside, times dout (/ n for the mean)."}),
    ("binary_cross_entropy", _F("binary_cross_entropy"), _bce_cases, True,
     lambda rng: Case("bench (512, 1024), mean", {"input": _probs(rng, (512, 1024)),
                                                  "target": _labels01(rng, (512, 1024))}, {"reduction": "mean"}), {
         "forward": "-(t log p + (1 - t) log(1 - p)): brackets around both terms; clamp each log at -100 as PyTorch.",
         "backward": "(p - t) / (p (1 - p)) * dout, with the denominator clamped at 1e-12, / n for the mean."}),
    ("binary_cross_entropy_with_logits", _F("binary_cross_entropy_with_logits"), _bce_logits_cases, False,
     _loss_bench(_labels01), {
         "forward": "max(z, 0) - z t + log(1 + exp(-|z|)): never exp of a large positive z (z = 1000).",
         "backward": "(sigmoid(z) - t) * dout, / n for the mean; use a stable sigmoid."}),
    ("cross_entropy", _F("cross_entropy"), _class_cases(log_probs=False), False,
     lambda rng: Case("bench (512, 1000), mean", {"input": rng.standard_normal((512, 1000)),
                                                  "target": rng.integers(0, 1000, 512)}, {"reduction": "mean"}), {
         "forward": "log_softmax over classes (subtract the row max, log-sum-exp), pick -log p[n, target[n]]; "
                    "rows with target == ignore_index count for nothing, also in the mean's denominator.",
         "backward": "(softmax(x) - onehot(target)) * dout per row, / number of counted rows for the mean; "
                     "zero rows for ignored targets."}),
    ("nll_loss", _F("nll_loss"), _class_cases(log_probs=True), False,
     lambda rng: Case("bench (512, 1000), mean", {"input": act.log_softmax_forward(rng.standard_normal((512, 1000)))[0],
                                                  "target": rng.integers(0, 1000, 512)}, {"reduction": "mean"}), {
         "forward": "-input[n, target[n]] (input holds log-probabilities), reduced over the counted rows.",
         "backward": "-dout at [n, target[n]] (/ counted rows for the mean), zero elsewhere."}),
]

for _name, _torch_fn, _cases, _kinks, _bench, _hints in _LOSSES:
    register(OpSpec(
        name=_name, chapter="03_losses",
        forward=getattr(losses, f"{_name}_forward"), backward=getattr(losses, f"{_name}_backward"),
        torch=_torch_fn, inputs=("input", "target"), differentiable=("input",), cases=_cases, bench=_bench,
        kinks=_kinks, hints=_hints,
    ))


def _torch_l1_penalty(weight, lam=1e-3):
    return lam * weight.abs().sum()


def _torch_l2_penalty(weight, lam=1e-3):
    return 0.5 * lam * (weight * weight).sum()


for _name, _torch_fn, _kinks, _hints in [
    ("l1_penalty", _torch_l1_penalty, True, {"forward": "lam * sum(|weight|).",
                                              "backward": "lam * sign(weight) * dout (0 at exactly 0)."}),
    ("l2_penalty", _torch_l2_penalty, False, {"forward": "lam / 2 * sum(weight^2).",
                                               "backward": "lam * weight * dout."}),
]:
    register(OpSpec(
        name=_name, chapter="03_losses",
        forward=getattr(losses, f"{_name}_forward"), backward=getattr(losses, f"{_name}_backward"),
        torch=_torch_fn, inputs=("weight",), cases=_penalty_cases(_kinks),
        bench=lambda rng: Case("bench (1024, 1024)", {"weight": rng.standard_normal((1024, 1024))}, {"lam": 1e-3}),
        kinks=_kinks, hints=_hints,
    ))


# ---------------------------------------------------------------- chapter 04: backprop by hand

def _torch_two_layer_mlp(x, w1, b1, w2, b2, target):
    import torch.nn.functional as F

    z1 = F.linear(x, w1, b1)
    h = z1.relu()
    logits = F.linear(h, w2, b2)
    return F.cross_entropy(logits, target), {"logits": logits, "h": h, "z1": z1}


def _two_layer_cases(rng, hidden):
    n = rng.standard_normal

    def c(label, N, D, H, C, scale=1.0, zero=False):
        x = np.zeros((N, D)) if zero else n((N, D))
        b1 = np.zeros(H) if zero else n(H)
        b2 = n(C) * (scale if scale > 100 else 1.0)  # logits ~ +-1000 need the bias too: h may be mostly 0
        return Case(label, {"x": x, "w1": n((H, D)) / np.sqrt(D), "b1": b1, "w2": scale * n((C, H)) / np.sqrt(H),
                            "b2": b2, "target": rng.integers(0, C, N)}, smooth=not zero)

    if not hidden:
        return [c("random N=4, D=5, H=6, C=3", 4, 5, 6, 3), c("batch of one, D=3, H=4, C=2", 1, 3, 4, 2),
                c("non-square N=6, D=2, H=7, C=4", 6, 2, 7, 4),
                c("exact zeros: z1 = 0 (relu at 0)", 3, 4, 5, 3, zero=True),
                c("large magnitudes: logits ~ +-1000", 5, 4, 3, 3, scale=1000.0)]
    return [c("wide N=8, D=16, H=32, C=10", 8, 16, 32, 10), c("one hidden unit", 5, 3, 1, 4),
            c("one feature", 6, 1, 5, 3), c("confident, scale 30", 7, 4, 6, 5, scale=30.0)]


register(OpSpec(
    name="two_layer_mlp", chapter="04_backprop",
    forward=backprop.two_layer_mlp_forward, backward=backprop.two_layer_mlp_backward, torch=_torch_two_layer_mlp,
    inputs=("x", "w1", "b1", "w2", "b2", "target"), differentiable=("x", "w1", "b1", "w2", "b2"),
    intermediates=("logits", "h", "z1"), cases=_two_layer_cases, kinks=True,
    bench=lambda rng: Case("bench N=256, D=64, H=128, C=10", {
        "x": rng.standard_normal((256, 64)), "w1": rng.standard_normal((128, 64)) / 8, "b1": rng.standard_normal(128),
        "w2": rng.standard_normal((10, 128)) / 11, "b2": rng.standard_normal(10), "target": rng.integers(0, 10, 256)}),
    hints={
        "forward": "z1 = x w1^T + b1, h = relu(z1), logits = h w2^T + b2, loss = mean cross-entropy (log-sum-exp).",
        "backward": "Go backwards one layer at a time: dlogits = (softmax(logits) - onehot(target)) / N; "
                    "dh = dlogits w2, dw2 = dlogits^T h, db2 = sum of dlogits over rows; dz1 = dh * (z1 > 0); "
                    "dx = dz1 w1, dw1 = dz1^T x, db1 = sum of dz1 over rows.",
    },
))


# ---------------------------------------------------------------- chapter 06: convolutional networks

def _conv_cases(rng, hidden):
    """Cases for conv2d (naive and vectorised share them): NCHW x, (C_out, C_in, kH, kW) weight."""
    n = rng.standard_normal

    def c(label, x_shape, w_shape, bias=True, x=None, **kw):
        return Case(label, {"x": n(x_shape) if x is None else x, "weight": n(w_shape) / np.sqrt(np.prod(w_shape[1:])),
                            "bias": n(w_shape[0]) if bias else None}, kw)

    if not hidden:
        zeros = n((2, 2, 5, 5))
        zeros[:, :, 1:4, 1:4] = 0.0
        return [
            c("random (2, 3, 5, 5) * (4, 3, 3, 3)", (2, 3, 5, 5), (4, 3, 3, 3)),
            c("batch of one, padding=1, no bias", (1, 2, 6, 4), (3, 2, 3, 3), bias=False, padding=1),
            c("non-square 2x3 kernel, stride=2", (2, 2, 7, 8), (3, 2, 2, 3), stride=2),
            c("stride and padding as pairs (2, 1), (0, 2)", (2, 2, 6, 5), (2, 2, 3, 3), stride=(2, 1),
              padding=(0, 2)),
            c("exact zeros in x, padding=2", None, (3, 2, 3, 3), x=zeros, padding=2),
            c("large magnitudes (x * 1000)", None, (2, 3, 2, 2), x=1000 * n((2, 3, 4, 4))),
        ]
    return [
        c("dilation=2", (2, 2, 7, 7), (3, 2, 3, 3), dilation=2),
        c("1x1 kernel (channel mixing)", (2, 5, 3, 4), (6, 5, 1, 1)),
        c("kernel covers the whole image", (3, 2, 4, 4), (5, 2, 4, 4)),
        c("one input channel, stride=3, padding=1", (2, 1, 9, 7), (4, 1, 3, 3), stride=3, padding=1),
        c("stride larger than the kernel", (1, 2, 8, 8), (2, 2, 2, 2), stride=3),
        c("wide (2, 8, 6, 6) * (16, 8, 3, 3), padding=1", (2, 8, 6, 6), (16, 8, 3, 3), padding=1),
        c("padding (2, 0), dilation (1, 2), no bias", (2, 3, 5, 9), (2, 3, 3, 3), bias=False, padding=(2, 0),
          dilation=(1, 2)),
    ]


def _torch_conv2d(x, weight, bias=None, stride=1, padding=0, dilation=1):
    import torch.nn.functional as F

    return F.conv2d(x, weight, bias, stride=stride, padding=padding, dilation=dilation)


_CONV_HINTS = {
    "forward": "out[n, f, i, j] = bias[f] + sum of x_padded[n, :, i*sh : i*sh + kH, j*sw : j*sw + kW] * weight[f] "
               "(a cross-correlation: do not flip the kernel); pad both sides; "
               "OH = (H + 2 ph - dh (kH - 1) - 1) // sh + 1.",
    "backward": "Each output position sends dout[n, f, i, j] * weight[f] back into dx over its window (+=, windows "
                "overlap), and dweight[f] += window * dout[n, f, i, j]; dbias sums dout over n, i, j; crop the "
                "padding off dx.",
}
for _name, _bench in [
    ("conv2d", lambda rng: Case("bench (64, 16, 32, 32) * (32, 16, 3, 3), padding=1", {
        "x": rng.standard_normal((64, 16, 32, 32)), "weight": rng.standard_normal((32, 16, 3, 3)) / 12,
        "bias": rng.standard_normal(32)}, {"padding": 1})),
    ("conv2d_naive", lambda rng: Case("bench (4, 3, 16, 16) * (8, 3, 3, 3), padding=1", {
        "x": rng.standard_normal((4, 3, 16, 16)), "weight": rng.standard_normal((8, 3, 3, 3)) / 5,
        "bias": rng.standard_normal(8)}, {"padding": 1})),
]:
    register(OpSpec(
        name=_name, chapter="06_cnn", forward=getattr(cnn, f"{_name}_forward"),
        backward=getattr(cnn, f"{_name}_backward"), torch=_torch_conv2d, inputs=("x", "weight", "bias"),
        cases=_conv_cases, bench=_bench, hints=_CONV_HINTS,
    ))


def _pool_cases(kind):
    def cases(rng, hidden):
        n = rng.standard_normal
        extra = {"count_include_pad": False} if kind == "avg" else {"dilation": 2}
        ties = np.repeat(np.repeat(np.round(n((1, 2, 3, 3))), 2, axis=2), 2, axis=3)  # 2x2 blocks of equal values
        if not hidden:
            return [
                Case("random (2, 3, 6, 6), kernel 2", {"x": n((2, 3, 6, 6))}, {"kernel_size": 2}),
                Case("batch of one, kernel 3, stride 2, padding 1", {"x": n((1, 2, 7, 5))},
                     {"kernel_size": 3, "stride": 2, "padding": 1}),
                Case("non-square kernel (2, 3), stride (1, 2)", {"x": n((2, 2, 5, 8))},
                     {"kernel_size": (2, 3), "stride": (1, 2)}),
                Case("exact ties: 2x2 blocks of equal values, overlapping windows", {"x": ties},
                     {"kernel_size": 2, "stride": 1}, smooth=kind == "avg"),
                Case("large magnitudes, all negative, padding 1", {"x": -1000 * np.abs(n((2, 2, 4, 4))) - 1},
                     {"kernel_size": 3, "stride": 1, "padding": 1}),
            ]
        return [
            Case(f"{next(iter(extra))}={next(iter(extra.values()))}, kernel 3, padding 1", {"x": n((2, 2, 7, 7))},
                 {"kernel_size": 3, "stride": 2, "padding": 1, **extra}),
            Case("kernel covers the image", {"x": n((3, 2, 4, 4))}, {"kernel_size": 4}),
            Case("uneven size, leftover rows dropped", {"x": n((2, 1, 7, 9))}, {"kernel_size": 2}),
            Case("kernel 1 (identity)", {"x": n((2, 2, 3, 3))}, {"kernel_size": 1}),
            Case("zeros with one peak per window", {"x": np.where(rng.random((2, 2, 6, 6)) < 0.2, 5.0, 0.0)},
                 {"kernel_size": 2}, smooth=kind == "avg"),
        ]

    return cases


def _torch_max_pool2d(x, kernel_size, stride=None, padding=0, dilation=1):
    import torch.nn.functional as F

    return F.max_pool2d(x, kernel_size, stride, padding, dilation)


def _torch_avg_pool2d(x, kernel_size, stride=None, padding=0, count_include_pad=True):
    import torch.nn.functional as F

    return F.avg_pool2d(x, kernel_size, stride, padding, count_include_pad=count_include_pad)


_POOL_BENCH = lambda rng: Case("bench (64, 32, 32, 32), kernel 2", {"x": rng.standard_normal((64, 32, 32, 32))},  # noqa: E731
                               {"kernel_size": 2})
register(OpSpec(
    name="max_pool2d", chapter="06_cnn", forward=cnn.max_pool2d_forward, backward=cnn.max_pool2d_backward,
    torch=_torch_max_pool2d, inputs=("x",), cases=_pool_cases("max"), bench=_POOL_BENCH, kinks=True, hints={
        "forward": "The maximum of each window; padding counts as -inf (not 0); stride defaults to kernel_size.",
        "backward": "Only the window's maximum gets dout (the FIRST one in row-major order when values tie, as "
                    "PyTorch); add up where windows overlap."}))
register(OpSpec(
    name="avg_pool2d", chapter="06_cnn", forward=cnn.avg_pool2d_forward, backward=cnn.avg_pool2d_backward,
    torch=_torch_avg_pool2d, inputs=("x",), cases=_pool_cases("avg"), bench=_POOL_BENCH, hints={
        "forward": "The mean of each window; padding counts as 0 and, with count_include_pad=False, is not counted "
                   "in the divisor.",
        "backward": "Every pixel of a window gets dout / window size; add up where windows overlap."}))


def _bn_cases(rng, hidden):
    n = rng.standard_normal

    def c(label, shape, affine=True, stats=True, **kw):
        ch = shape[1]
        return Case(label, {"x": 2 * n(shape) + 1, "weight": n(ch) if affine else None,
                            "bias": n(ch) if affine else None,
                            "running_mean": n(ch) if stats else None,
                            "running_var": rng.uniform(0.5, 2.0, ch) if stats else None}, kw)

    if not hidden:
        const = c("a constant channel (exact zeros), training, (4, 3)", (4, 3))
        const.inputs["x"][:, 1] = 0.0
        big = c("large magnitudes (x * 1000 + 500), training, (6, 2, 3)", (6, 2, 3))
        big.inputs["x"][...] = 1000 * big.inputs["x"] + 500
        return [
            c("1-D, training (8, 4)", (8, 4)),
            c("2-D, training (3, 2, 4, 5), momentum 0.2", (3, 2, 4, 5), momentum=0.2),
            c("batch of one image, training (1, 3, 4, 4)", (1, 3, 4, 4)),
            c("eval with running statistics (5, 3, 2, 2)", (5, 3, 2, 2), training=False),
            const, big,
        ]
    return [
        c("no weight, no bias, no running stats, training (6, 5)", (6, 5), affine=False, stats=False),
        c("eval, 1-D (4, 6)", (4, 6), training=False),
        c("eps 1e-3, training (2, 4, 3, 3)", (2, 4, 3, 3), eps=1e-3),
        c("batch of two, training (2, 3)", (2, 3)),
        c("momentum 1.0: running stats = batch stats, (5, 2, 6)", (5, 2, 6), momentum=1.0),
    ]


def _torch_batch_norm(x, weight=None, bias=None, running_mean=None, running_var=None, training=True, momentum=0.1,
                      eps=1e-5):
    import torch.nn.functional as F

    return F.batch_norm(x, running_mean, running_var, weight, bias, training=training, momentum=momentum, eps=eps)


register(OpSpec(
    name="batch_norm", chapter="06_cnn", forward=cnn.batch_norm_forward, backward=cnn.batch_norm_backward,
    torch=_torch_batch_norm, inputs=("x", "weight", "bias", "running_mean", "running_var"),
    differentiable=("x", "weight", "bias"), cases=_bn_cases,
    bench=lambda rng: Case("bench (64, 32, 32, 32), training", {
        "x": rng.standard_normal((64, 32, 32, 32)), "weight": rng.standard_normal(32), "bias": rng.standard_normal(32),
        "running_mean": np.zeros(32), "running_var": np.ones(32)}),
    hints={"forward": "Per channel (dim 1): mean and BIASED variance over every other dim; (x - mean) / "
                      "sqrt(var + eps) * weight + bias. In eval, use running_mean and running_var instead.",
           "backward": "In training the mean and variance depend on x: dx = inv_std / m * (m g - sum(g) - "
                       "xhat sum(g xhat)) with g = dout * weight, sums per channel; dweight = sum(dout xhat), "
                       "dbias = sum(dout)."}))


def _dropout_cases(rng, hidden):
    n = rng.standard_normal
    if not hidden:
        return [
            Case("p=0.5 (4, 6)", {"x": n((4, 6))}, {"p": 0.5, "seed": 1}),
            Case("batch of one, p=0.2 (1, 3, 4, 4)", {"x": n((1, 3, 4, 4))}, {"p": 0.2, "seed": 2}),
            Case("exact zeros and large magnitudes, p=0.3", {"x": np.array([[0.0, 1000.0, -1000.0, 0.0, 3.0]])},
                 {"p": 0.3, "seed": 3}),
            Case("eval: training=False (3, 5)", {"x": n((3, 5))}, {"p": 0.5, "training": False, "seed": 4}),
        ]
    return [
        Case("p=0 keeps everything (2, 7)", {"x": n((2, 7))}, {"p": 0.0, "seed": 5}),
        Case("p=1 drops everything (3, 3)", {"x": n((3, 3))}, {"p": 1.0, "seed": 6}),
        Case("p=0.9 (8, 8)", {"x": n((8, 8))}, {"p": 0.9, "seed": 7}),
    ]


def _torch_dropout(x, p=0.5, training=True, seed=None):
    """F.dropout's arithmetic with the reference's mask: PyTorch's random generator is not NumPy's,
    so the mask is drawn as the reference draws it (tests/test_cnn.py checks F.dropout itself)."""
    if not training or p == 0:
        return x * 1.0
    import torch

    keep = torch.as_tensor(cnn.dropout_mask(tuple(x.shape), p, seed), device=x.device)
    return x * keep / (1.0 - p) if p < 1 else x * 0.0


register(OpSpec(
    name="dropout", chapter="06_cnn", forward=cnn.dropout_forward, backward=cnn.dropout_backward,
    torch=_torch_dropout, inputs=("x",), cases=_dropout_cases,
    bench=lambda rng: Case("bench (512, 1024), p=0.5", {"x": rng.standard_normal((512, 1024))}, {"p": 0.5, "seed": 0}),
    hints={"forward": "Inverted dropout: mask = rng.random(x.shape) >= p, out = x * mask / (1 - p); identity when "
                      "training=False.",
           "backward": "dout * mask / (1 - p), the same mask as the forward."}))


def _flatten_cases(rng, hidden):
    n = rng.standard_normal
    if not hidden:
        return [
            Case("images (2, 3, 4, 4) -> (2, 48)", {"x": n((2, 3, 4, 4))}),
            Case("batch of one (1, 5, 2)", {"x": n((1, 5, 2))}),
            Case("exact zeros and large magnitudes, start_dim=0", {"x": np.array([[0.0, 1000.0], [-1000.0, 0.0]])},
                 {"start_dim": 0}),
            Case("middle dims 1..2 of (2, 3, 4, 5)", {"x": n((2, 3, 4, 5))}, {"start_dim": 1, "end_dim": 2}),
        ]
    return [Case("already flat (4, 6)", {"x": n((4, 6))}),
            Case("negative dims -3..-2 of (2, 3, 4, 5)", {"x": n((2, 3, 4, 5))}, {"start_dim": -3, "end_dim": -2})]


def _torch_flatten(x, start_dim=1, end_dim=-1):
    return x.flatten(start_dim, end_dim)


register(OpSpec(
    name="flatten", chapter="06_cnn", forward=cnn.flatten_forward, backward=cnn.flatten_backward,
    torch=_torch_flatten, inputs=("x",), cases=_flatten_cases,
    bench=lambda rng: Case("bench (64, 32, 16, 16)", {"x": rng.standard_normal((64, 32, 16, 16))}),
    hints={"forward": "x.reshape(x.shape[:start_dim] + (-1,) + x.shape[end_dim + 1:]).",
           "backward": "dout.reshape(the shape of x)."}))


# ---------------------------------------------------------------- chapter 07: recurrent networks

_TORCH_RECURRENT = {"rnn_cell": "RNNCell", "lstm_cell": "LSTMCell", "gru_cell": "GRUCell", "rnn": "RNN",
                    "lstm": "LSTM", "gru": "GRU"}


def _torch_recurrent(name):
    """`nn.<Module>` (batch_first for sequences) called with the given tensors as its weights
    (`torch.func.functional_call`, so autograd reaches them): PyTorch's own code, our weights."""

    def call(x, *rest):
        import torch
        from torch.func import functional_call

        states, (w_ih, w_hh, b_ih, b_hh) = rest[:-4], rest[-4:]
        if (b_ih is None) != (b_hh is None):
            raise ValueError("PyTorch's recurrent modules take both biases or neither")
        seq = not name.endswith("_cell")
        kw = {"batch_first": True} if seq else {}
        module = getattr(torch.nn, _TORCH_RECURRENT[name])(w_ih.shape[1], w_hh.shape[1], bias=b_ih is not None,
                                                            device="meta", **kw)
        suffix = "_l0" if seq else ""
        params = {f"weight_ih{suffix}": w_ih, f"weight_hh{suffix}": w_hh}
        if b_ih is not None:
            params.update({f"bias_ih{suffix}": b_ih, f"bias_hh{suffix}": b_hh})
        given = [s for s in states if s is not None]
        states = [torch.zeros_like(given[0]) if s is None and given else s for s in states]  # a None state is zeros
        if seq:
            states = [None if s is None else s[None] for s in states]  # (num_layers=1, N, H)
        hx = (tuple(states) if None not in states else None) if name.startswith("lstm") else states[0]
        out = functional_call(module, params, (x, hx))
        if name == "lstm":
            return out[0], out[1][0][0], out[1][1][0]
        if seq:
            return out[0], out[1][0]
        return out

    return call


def _recurrent_cases(kind, seq):
    g = {"rnn": 1, "lstm": 4, "gru": 3}[kind]

    def cases(rng, hidden):
        n = rng.standard_normal

        def c(label, N, D, H, T=None, scale=1.0, bias=True, states=True, x=None, zero_state=False):
            k = scale / np.sqrt(H)
            w = {"weight_ih": rng.uniform(-k, k, (g * H, D)), "weight_hh": rng.uniform(-k, k, (g * H, H)),
                 "bias_ih": rng.uniform(-k, k, g * H) if bias else None,
                 "bias_hh": rng.uniform(-k, k, g * H) if bias else None}
            xs = n((N, T, D) if seq else (N, D)) if x is None else x
            names = (("h0", "c0") if seq else ("h", "c"))[:2 if kind == "lstm" else 1]
            st = {s: (np.zeros((N, H)) if zero_state else n((N, H))) if states or not seq else None for s in names}
            return Case(label, {"x": xs, **st, **w})

        t = {} if not seq else {"T": 5}
        if not hidden:
            return [
                c("random N=3, D=4, H=5", 3, 4, 5, **t),
                c("batch of one, D=3, H=2", 1, 3, 2, **({"T": 1} if seq else {})),
                c("non-square N=2, D=6, H=3, no biases", 2, 6, 3, bias=False, **t),
                c("exact zeros: x and the state 0", 2, 3, 4, x=np.zeros((2, 5, 3) if seq else (2, 3)), zero_state=True,
                  **t),
                c("large magnitudes: x * 1000 (saturated gates)", 2, 3, 4, x=1000 * n((2, 5, 3) if seq else (2, 3)),
                  **t),
            ] + ([c("no initial state (zeros)", 2, 3, 4, states=False, **t)] if seq else [])
        return [
            c("one hidden unit", 4, 3, 1, **t),
            c("one input feature", 3, 1, 4, **t),
            c("wide N=4, D=16, H=12", 4, 16, 12, **t),
            c("big weights x 3 (exploding)", 2, 3, 4, scale=3.0, **({"T": 12} if seq else {})),
        ] + ([c("long T=30, small weights x 0.5 (vanishing)", 2, 3, 4, T=30, scale=0.5)] if seq else [])

    return cases


def _recurrent_bench(kind, seq):
    g = {"rnn": 1, "lstm": 4, "gru": 3}[kind]

    def bench(rng):
        N, T, D, H = 32, 50, 128, 128
        k = 1 / np.sqrt(H)
        names = (("h0", "c0") if seq else ("h", "c"))[:2 if kind == "lstm" else 1]
        return Case(f"bench N={N}, {'T=' + str(T) + ', ' if seq else ''}D={D}, H={H}", {
            "x": rng.standard_normal((N, T, D) if seq else (N, D)), **{s: rng.standard_normal((N, H)) for s in names},
            "weight_ih": rng.uniform(-k, k, (g * H, D)), "weight_hh": rng.uniform(-k, k, (g * H, H)),
            "bias_ih": rng.uniform(-k, k, g * H), "bias_hh": rng.uniform(-k, k, g * H)})

    return bench


_RECURRENT_HINTS = {
    "rnn_cell": {"forward": "h_next = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh); a None bias adds nothing.",
                 "backward": "da = dh_next * (1 - h_next^2); dx = da W_ih, dh = da W_hh, dW_ih = da^T x, "
                             "dW_hh = da^T h, db_ih = db_hh = da summed over the batch."},
    "lstm_cell": {"forward": "Split the 4H pre-activations in PyTorch's order i, f, g, o; c_next = f c + i g, "
                             "h_next = o tanh(c_next), with sigmoid for i, f, o and tanh for g.",
                  "backward": "The cell state gets both gradients: dc = dc_next + dh_next * o * (1 - tanh(c_next)^2); "
                              "then di = dc g, df = dc c, dg = dc i, do = dh_next tanh(c_next), each times its "
                              "activation's derivative, concatenated in the order i, f, g, o; dc_prev = dc f."},
    "gru_cell": {"forward": "r, z from sigmoid; n = tanh(x W_in^T + b_in + r * (h W_hn^T + b_hn)); "
                            "h_next = (1 - z) n + z h (PyTorch's order r, z, n).",
                 "backward": "The hidden part of n is multiplied by r: its pre-activation gradient is "
                             "dn (1 - n^2) * r, the input part's dn (1 - n^2); dh gets dh_next * z directly too."},
}
_SEQ_HINTS = {"forward": "Run the cell for t = 0..T-1, feeding each step's state to the next; out[:, t] is h_t, "
                         "h_n the last state; a None initial state is zeros.",
              "backward": "From t = T-1 down to 0: the state's gradient is dout[:, t] plus what step t+1 sent back "
                          "(dh_n at the last step); add up the weight gradients of every step."}

for _kind in ("rnn", "lstm", "gru"):
    for _seq in (False, True):
        _name = _kind if _seq else f"{_kind}_cell"
        _states = (("h0", "c0") if _seq else ("h", "c"))[:2 if _kind == "lstm" else 1]
        _outs = (("out", "h_n", "c_n") if _kind == "lstm" else ("out", "h_n")) if _seq else \
            (("h_next", "c_next") if _kind == "lstm" else ("out",))
        register(OpSpec(
            name=_name, chapter="07_rnn", forward=getattr(rnn, f"{_name}_forward"),
            backward=getattr(rnn, f"{_name}_backward"), torch=_torch_recurrent(_name),
            inputs=("x", *_states, "weight_ih", "weight_hh", "bias_ih", "bias_hh"), outputs=_outs,
            cases=_recurrent_cases(_kind, _seq), bench=_recurrent_bench(_kind, _seq),
            hints=_SEQ_HINTS if _seq else _RECURRENT_HINTS[_name],
        ))


def _embedding_cases(rng, hidden):
    n = rng.standard_normal

    def c(label, idx, v, d, **kw):  # padding_idx: a zero gradient by definition, not d/dweight (no numerical check)
        return Case(label, {"input": np.asarray(idx, dtype=np.int64), "weight": n((v, d))}, kw,
                    smooth="padding_idx" not in kw)

    if not hidden:
        return [
            c("random (3, 4) indices into (10, 5)", rng.integers(0, 10, (3, 4)), 10, 5),
            c("batch of one, repeated index", [[2, 2, 2]], 4, 3),
            c("padding_idx=0 gets no gradient", [[0, 1, 0], [3, 0, 2]], 4, 6, padding_idx=0),
            Case("exact zeros and large magnitudes", {"input": np.array([[1, 0], [2, 1]]),
                                                      "weight": np.array([[0.0, 1000.0], [-1000.0, 0.0], [5.0, 0.0]])}),
        ]
    return [c("1-D indices (7,)", rng.integers(0, 6, 7), 6, 4),
            c("3-D indices (2, 3, 2)", rng.integers(0, 5, (2, 3, 2)), 5, 3),
            c("negative padding_idx=-1", [[3, 1, 3]], 4, 2, padding_idx=-1)]


def _torch_embedding(input, weight, padding_idx=None):
    import torch.nn.functional as F

    return F.embedding(input, weight, padding_idx=padding_idx)


register(OpSpec(
    name="embedding", chapter="07_rnn", forward=rnn.embedding_forward, backward=rnn.embedding_backward,
    torch=_torch_embedding, inputs=("input", "weight"), differentiable=("weight",), cases=_embedding_cases, kinks=True,
    bench=lambda rng: Case("bench (32, 50) indices into (1000, 128)", {"input": rng.integers(0, 1000, (32, 50)),
                                                                       "weight": rng.standard_normal((1000, 128))}),
    hints={"forward": "weight[input]: fancy indexing picks one row per index, out has shape input.shape + (D,).",
           "backward": "np.add.at(dweight, input.ravel(), dout.reshape(-1, D)): repeated indices add up "
                       "(dweight[input] += ... would keep only one); the padding_idx row stays 0."}))


def _seq_ce_cases(rng, hidden):
    n = rng.standard_normal

    def c(label, N, T, V, mask=None, scale=1.0):
        m = np.ones((N, T), dtype=bool) if mask is None else np.asarray(mask, dtype=bool)
        return Case(label, {"input": scale * n((N, T, V)), "target": rng.integers(0, V, (N, T)), "mask": m})

    if not hidden:
        return [c("random (2, 4, 5), no padding", 2, 4, 5),
                c("batch of one, padded tail", 1, 5, 3, mask=[[1, 1, 1, 0, 0]]),
                c("padding of different lengths (3, 4, 6)", 3, 4, 6, mask=[[1, 1, 1, 1], [1, 1, 0, 0], [1, 0, 0, 0]]),
                c("large magnitudes: logits x 1000", 2, 3, 4, scale=1000.0),
                Case("exact zeros: equal logits", {"input": np.zeros((2, 3, 4)), "target": rng.integers(0, 4, (2, 3)),
                                                   "mask": np.array([[1, 1, 0], [1, 1, 1]], dtype=bool)})]
    return [c("one class", 2, 3, 1), c("long (2, 20, 7), half padded", 2, 20, 7,
                                                     mask=np.arange(20) < 10 + np.zeros((2, 1))),
            c("mask of 0 and 1", 2, 3, 4, mask=[[1, 0, 1], [0, 1, 1]])]


def _torch_seq_ce(input, target, mask):
    import torch.nn.functional as F

    m = mask.to(input.dtype)
    return (F.cross_entropy(input.transpose(1, 2), target, reduction="none") * m).sum() / m.sum()


register(OpSpec(
    name="sequence_cross_entropy", chapter="07_rnn", forward=rnn.sequence_cross_entropy_forward,
    backward=rnn.sequence_cross_entropy_backward, torch=_torch_seq_ce, inputs=("input", "target", "mask"),
    differentiable=("input",), cases=_seq_ce_cases,
    bench=lambda rng: Case("bench (32, 50, 1000)", {"input": rng.standard_normal((32, 50, 1000)),
                                                    "target": rng.integers(0, 1000, (32, 50)),
                                                    "mask": np.ones((32, 50), dtype=bool)}),
    hints={"forward": "log_softmax over the last axis (log-sum-exp), pick the target's log-probability, average "
                      "-logp over the steps where mask is True only.",
           "backward": "(softmax - onehot(target)) * mask / mask.sum() * dout."}))


# ---------------------------------------------------------------- chapter 08: attention

def _torch_sdpa(query, key, value, attn_mask=None, is_causal=False, scale=None):
    import torch.nn.functional as F

    return F.scaled_dot_product_attention(query, key, value, attn_mask=attn_mask, is_causal=is_causal, scale=scale)


def _sdpa_cases(rng, hidden):
    n = rng.standard_normal

    def c(label, lead, L, S, E, Ev=None, mask=None, **kw):
        return Case(label, {"query": n((*lead, L, E)), "key": n((*lead, S, E)), "value": n((*lead, S, Ev or E)),
                            "attn_mask": mask}, kw)

    if not hidden:
        bool_mask = rng.random((3, 5)) < 0.6
        bool_mask[:, 0] = True
        dead = np.ones((4, 4), dtype=bool)
        dead[2] = False
        cases = [
            c("random (2, 3, 4) x (2, 5, 4)", (2,), 3, 5, 4),
            c("batch of one, heads (1, 2, 4, 8)", (1, 2), 4, 4, 8),
            c("non-square: L=3, S=6, E=5, Ev=2", (2,), 3, 6, 5, Ev=2),
            c("causal (2, 5, 5)", (2,), 5, 5, 4, is_causal=True),
            c("boolean mask: True may attend", (2,), 3, 5, 4, mask=bool_mask),
            c("additive float mask", (2,), 3, 5, 4, mask=n((3, 5))),
            c("a fully masked row: output 0, no gradient", (1,), 4, 4, 3, mask=dead),
        ]
        cases.append(Case("exact zeros and large magnitudes (x 1000 keys)", {
            "query": np.zeros((2, 3, 4)), "key": 1000 * n((2, 3, 4)), "value": n((2, 3, 4)), "attn_mask": None}))
        return cases
    return [c("scale=0.2", (2,), 4, 4, 6, scale=0.2), c("one key", (3,), 4, 1, 2),
            c("causal, L < S (3 x 6)", (2,), 3, 6, 4, is_causal=True),
            c("4-D mask per head (2, 2, 3, 4)", (2, 2), 3, 4, 4, mask=rng.random((2, 2, 3, 4)) < 0.7),
            c("wide E=32", (2,), 6, 7, 32)]


register(OpSpec(
    name="scaled_dot_product_attention", chapter="08_attention",
    forward=attention.scaled_dot_product_attention_forward, backward=attention.scaled_dot_product_attention_backward,
    torch=_torch_sdpa, inputs=("query", "key", "value", "attn_mask"), differentiable=("query", "key", "value"),
    cases=_sdpa_cases,
    bench=lambda rng: Case("bench N=8, heads=4, T=128, d=64", {
        "query": rng.standard_normal((8, 4, 128, 64)), "key": rng.standard_normal((8, 4, 128, 64)),
        "value": rng.standard_normal((8, 4, 128, 64)), "attn_mask": None}),
    hints={"forward": "scores = q @ k^T * scale (scale = 1/sqrt(E)); a boolean mask keeps scores where it is True "
                      "and puts -inf elsewhere BEFORE the softmax over the last axis (keys); a float mask is added; "
                      "a row with no key allowed gives 0. out = softmax @ v.",
           "backward": "dv = P^T dout; dP = dout v^T; dS = P * (dP - sum(dP * P, -1, keepdims)); "
                       "dq = dS k * scale; dk = dS^T q * scale."}))


def _torch_mha(query, key, value, in_proj_weight, in_proj_bias, out_proj_weight, out_proj_bias,
               key_padding_mask=None, attn_mask=None, num_heads=1, average_attn_weights=True):
    import torch
    from torch.func import functional_call

    E = query.shape[-1]
    bias = in_proj_bias is not None
    module = torch.nn.MultiheadAttention(E, num_heads, bias=bias, batch_first=True, device="meta")
    params = {"in_proj_weight": in_proj_weight, "out_proj.weight": out_proj_weight}
    if bias:
        params.update({"in_proj_bias": in_proj_bias, "out_proj.bias": out_proj_bias})
    return functional_call(module, params, (query, key, value), {
        "key_padding_mask": key_padding_mask, "attn_mask": attn_mask, "need_weights": True,
        "average_attn_weights": average_attn_weights})


def _mha_cases(rng, hidden):
    n = rng.standard_normal

    def c(label, N, L, S, E, heads, bias=True, kpm=None, am=None, self_attention=False, scale=1.0, **kw):
        q = scale * n((N, L, E))
        k, v = (q.copy(), q.copy()) if self_attention else (n((N, S, E)), n((N, S, E)))
        return Case(label, {"query": q, "key": k, "value": v, "in_proj_weight": n((3 * E, E)) / np.sqrt(E),
                            "in_proj_bias": n(3 * E) if bias else None, "out_proj_weight": n((E, E)) / np.sqrt(E),
                            "out_proj_bias": n(E) if bias else None, "key_padding_mask": kpm, "attn_mask": am},
                    {"num_heads": heads, **kw})

    if not hidden:
        return [
            c("self-attention N=2, T=4, E=6, 2 heads", 2, 4, 4, 6, 2, self_attention=True),
            c("batch of one, cross-attention L=3, S=5, 1 head", 1, 3, 5, 4, 1),
            c("key_padding_mask (True: padding)", 2, 3, 4, 4, 2, kpm=np.array([[0, 0, 0, 1], [0, 0, 1, 1]], bool)),
            c("causal attn_mask (True: may NOT attend), no biases", 2, 4, 4, 6, 3, bias=False,
              am=np.triu(np.ones((4, 4), dtype=bool), 1)),
            c("per-head weights (average_attn_weights=False)", 2, 3, 3, 4, 2, average_attn_weights=False),
            c("large magnitudes (x 1000 queries)", 2, 3, 3, 4, 2, scale=1000.0),
        ] + [Case("exact zeros: zero inputs", {**c("", 2, 3, 3, 4, 2).inputs, "query": np.zeros((2, 3, 4))},
                  {"num_heads": 2})]
    return [c("float attn_mask per head (N * heads, L, S)", 2, 3, 4, 4, 2, am=n((4, 3, 4))),
            c("both masks: padding and causal", 2, 4, 4, 4, 2, kpm=np.array([[0, 0, 0, 0], [0, 0, 0, 1]], bool),
              am=np.triu(np.ones((4, 4), dtype=bool), 1), self_attention=True),
            c("4 heads, E=8", 3, 5, 5, 8, 4, self_attention=True),
            c("float key_padding_mask", 2, 3, 3, 4, 1, kpm=n((2, 3)))]


register(OpSpec(
    name="multi_head_attention", chapter="08_attention", forward=attention.multi_head_attention_forward,
    backward=attention.multi_head_attention_backward, torch=_torch_mha,
    inputs=("query", "key", "value", "in_proj_weight", "in_proj_bias", "out_proj_weight", "out_proj_bias",
            "key_padding_mask", "attn_mask"),
    differentiable=("query", "key", "value", "in_proj_weight", "in_proj_bias", "out_proj_weight", "out_proj_bias"),
    outputs=("out", "attn_weights"), cases=_mha_cases,
    bench=lambda rng: Case("bench N=8, T=128, E=256, 4 heads", {
        "query": rng.standard_normal((8, 128, 256)), "key": rng.standard_normal((8, 128, 256)),
        "value": rng.standard_normal((8, 128, 256)), "in_proj_weight": rng.standard_normal((768, 256)) / 16,
        "in_proj_bias": rng.standard_normal(768), "out_proj_weight": rng.standard_normal((256, 256)) / 16,
        "out_proj_bias": rng.standard_normal(256), "key_padding_mask": None, "attn_mask": None}, {"num_heads": 4}),
    hints={"forward": "Project q, k, v with the three blocks of in_proj_weight ([W_q; W_k; W_v]); split E into "
                      "num_heads heads of E / num_heads along the LAST axis, (N, L, E) -> (N, heads, L, d); "
                      "attention per head (nn.MultiheadAttention's boolean masks are True where a query may NOT "
                      "attend); concatenate the heads, then out_proj. attn_weights: the softmax, averaged over heads.",
           "backward": "Back through out_proj, merge -> split of the heads, the attention of each head (plus the "
                       "gradient of the averaged weights, / num_heads per head), then the three projections."}))


def _torch_layer_norm(x, weight=None, bias=None, normalized_shape=None, eps=1e-5):
    import torch.nn.functional as F

    shape = (x.shape[-1],) if normalized_shape is None else (
        (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape))
    return F.layer_norm(x, shape, weight, bias, eps)


def _layer_norm_cases(rng, hidden):
    n = rng.standard_normal

    def c(label, shape, ns=None, affine=True, x=None, **kw):
        norm = shape[-1:] if ns is None else ((ns,) if isinstance(ns, int) else ns)
        return Case(label, {"x": n(shape) if x is None else x, "weight": n(norm) if affine else None,
                            "bias": n(norm) if affine else None},
                    ({"normalized_shape": ns} if ns is not None else {}) | kw)

    if not hidden:
        const = n((3, 5))
        const[1] = 0.0
        return [c("tokens (2, 4, 6)", (2, 4, 6)), c("batch of one (1, 5)", (1, 5)),
                c("last two dims (2, 3, 4)", (2, 3, 4), ns=(3, 4)),
                c("a constant row (exact zeros)", (3, 5), x=const),
                c("large magnitudes (x * 1000 + 500)", (2, 6), x=1000 * n((2, 6)) + 500)]
    return [c("no weight, no bias", (4, 7), affine=False), c("eps 1e-3", (3, 2, 5), eps=1e-3),
            c("normalized_shape as int", (2, 6), ns=6)]


register(OpSpec(
    name="layer_norm", chapter="08_attention", forward=attention.layer_norm_forward,
    backward=attention.layer_norm_backward, torch=_torch_layer_norm, inputs=("x", "weight", "bias"),
    cases=_layer_norm_cases,
    bench=lambda rng: Case("bench (8, 128, 256)", {
        "x": rng.standard_normal((8, 128, 256)), "weight": rng.standard_normal(256), "bias": rng.standard_normal(256)}),
    hints={"forward": "Per sample: mean and BIASED variance over the normalized (last) dims; "
                      "(x - mean) / sqrt(var + eps) * weight + bias.",
           "backward": "dx = inv_std / m * (m g - sum(g) - xhat sum(g xhat)) with g = dout * weight; "
                       "dweight = sum over the batch dims of dout * xhat, dbias = sum of dout."}))


def _torch_encoder_layer(x, *rest, num_heads=1, eps=1e-5):
    import torch
    from torch.func import functional_call

    *params, src_key_padding_mask, src_mask = rest
    E, ff = x.shape[-1], params[4].shape[0]
    layer = torch.nn.TransformerEncoderLayer(E, num_heads, ff, dropout=0.0, batch_first=True, norm_first=True,
                                             layer_norm_eps=eps, device="meta")
    names = ["self_attn.in_proj_weight", "self_attn.in_proj_bias", "self_attn.out_proj.weight",
             "self_attn.out_proj.bias", "linear1.weight", "linear1.bias", "linear2.weight", "linear2.bias",
             "norm1.weight", "norm1.bias", "norm2.weight", "norm2.bias"]
    return functional_call(layer, dict(zip(names, params)), (x,),
                           {"src_key_padding_mask": src_key_padding_mask, "src_mask": src_mask})


def _encoder_cases(rng, hidden):
    n = rng.standard_normal

    def c(label, N, T, E, heads, ff, kpm=None, mask=None, x=None):
        p = {"in_proj_weight": n((3 * E, E)) / np.sqrt(E), "in_proj_bias": 0.1 * n(3 * E),
             "out_proj_weight": n((E, E)) / np.sqrt(E), "out_proj_bias": 0.1 * n(E),
             "linear1_weight": n((ff, E)) / np.sqrt(E), "linear1_bias": 0.1 * n(ff),
             "linear2_weight": n((E, ff)) / np.sqrt(ff), "linear2_bias": 0.1 * n(E),
             "norm1_weight": 1 + 0.1 * n(E), "norm1_bias": 0.1 * n(E), "norm2_weight": 1 + 0.1 * n(E),
             "norm2_bias": 0.1 * n(E)}
        return Case(label, {"x": n((N, T, E)) if x is None else x, **p, "src_key_padding_mask": kpm,
                            "src_mask": mask}, {"num_heads": heads}, smooth=False)  # relu: kinks

    if not hidden:
        return [c("N=2, T=4, E=6, 2 heads, ff=12", 2, 4, 6, 2, 12),
                c("batch of one, causal src_mask", 1, 5, 4, 1, 8, mask=np.triu(np.ones((5, 5), dtype=bool), 1)),
                c("padding: src_key_padding_mask", 2, 4, 4, 2, 6, kpm=np.array([[0, 0, 0, 1], [0, 0, 0, 0]], bool)),
                c("exact zeros and large magnitudes", 2, 3, 4, 2, 8,
                  x=np.concatenate([np.zeros((1, 3, 4)), 1000 * n((1, 3, 4))]))]
    return [c("4 heads, E=8, ff=32", 2, 6, 8, 4, 32), c("one token", 3, 1, 4, 2, 4),
            c("both masks", 2, 3, 4, 2, 8, kpm=np.array([[0, 0, 1], [0, 0, 0]], bool),
              mask=np.triu(np.ones((3, 3), dtype=bool), 1))]


register(OpSpec(
    name="transformer_encoder_layer", chapter="08_attention", forward=attention.transformer_encoder_layer_forward,
    backward=attention.transformer_encoder_layer_backward, torch=_torch_encoder_layer,
    inputs=("x", *attention.ENCODER_PARAMS, "src_key_padding_mask", "src_mask"),
    differentiable=("x", *attention.ENCODER_PARAMS), cases=_encoder_cases, kinks=True,
    bench=lambda rng: Case("bench N=8, T=128, E=256, 4 heads, ff=1024", {
        "x": rng.standard_normal((8, 128, 256)),
        **{k: rng.standard_normal(s) / np.sqrt(s[-1]) for k, s in zip(attention.ENCODER_PARAMS, [
            (768, 256), (768,), (256, 256), (256,), (1024, 256), (1024,), (256, 1024), (256,), (256,), (256,),
            (256,), (256,)])}, "src_key_padding_mask": None, "src_mask": None}, {"num_heads": 4}),
    hints={"forward": "Pre-norm: x + SelfAttention(LayerNorm1(x)), then + FFN(LayerNorm2(...)), FFN = linear2(relu("
                      "linear1)).",
           "backward": "Backward in reverse order; each residual connection adds the gradient that skips the branch "
                       "to the one that went through it."}))


# ---------------------------------------------------------------- chapter 05: update rules

@dataclass(frozen=True)
class StepSpec:
    """An optimiser's update rule, `param, state = <name>_step(param, grad, state, **hyper)`.

    A case holds the start `param` and `grads`, one gradient per step (steps, *param.shape); the
    rule is judged on the whole trajectory of params, against the reference and `torch.optim`.
    """

    name: str
    chapter: str
    step: Callable
    torch_optimizer: Callable  # (list of tensors, **hyper) -> torch.optim.Optimizer
    cases: Callable  # (rng, hidden) -> list[Case] with inputs {"param", "grads"} and hyper as kwargs
    atol: float = 1e-10
    rtol: float = 1e-8
    grade_atol: float = 1e-8
    grade_rtol: float = 1e-7
    hints: dict = field(default_factory=dict)
    train_hyper: dict = field(default_factory=dict)  # hyper-parameters of the digits training run
    inputs: tuple = ("param", "grads")
    grad_inputs: tuple = ()
    intermediates: tuple = ()

    outputs: tuple = ("param",)

    make_cases = OpSpec.make_cases
    args = OpSpec.args
    multi = OpSpec.multi

    def run_steps(self, case: Case) -> np.ndarray:
        """The reference trajectory: params after each step, shape (steps, *param.shape)."""
        param, state, out = case.inputs["param"], None, []
        for g in case.inputs["grads"]:
            param, state = self.step(param, g, state, **case.kwargs)
            out.append(param)
        return np.stack(out)

    def torch_steps(self, case: Case, dev=None) -> np.ndarray:
        """The same steps taken by `torch.optim` on `dev`, float64."""
        from . import backend

        dev = dev or backend.device()
        p = backend.to_torch(case.inputs["param"], requires_grad=True, dev=dev)
        opt = self.torch_optimizer([p], **case.kwargs)
        out = []
        for g in case.inputs["grads"]:
            p.grad = backend.to_torch(g, dev=dev)
            opt.step()
            out.append(backend.to_numpy(p))
        return np.stack(out)


STEPS: dict = {}


def register_step(spec: StepSpec) -> StepSpec:
    if spec.name in STEPS or spec.name in REGISTRY:
        raise ValueError(f"update rule {spec.name!r} is registered twice")
    STEPS[spec.name] = spec
    return spec


def _step_cases(variants):
    """Cases for an update rule: shapes and gradients that catch real bugs, under each hyper set."""

    def cases(rng, hidden):
        n = rng.standard_normal

        def c(label, param, grads, hyper):
            return Case(f"{label}, {_fmt_hyper(hyper)}", {"param": param, "grads": grads}, dict(hyper))

        if not hidden:
            base, *rest = variants
            out = [
                c("matrix (4, 3), 20 steps", n((4, 3)), n((20, 4, 3)), base),
                c("batch of one (1, 5), 10 steps", n((1, 5)), n((10, 1, 5)), base),
                c("zero gradients (2, 3), 5 steps", n((2, 3)), np.zeros((5, 2, 3)), base),
                c("large gradients (+-1000) (3, 2), 10 steps", n((3, 2)), 1000 * n((10, 3, 2)), base),
                c("tiny gradients (+-1e-8) (2, 4), 10 steps", n((2, 4)), 1e-8 * n((10, 2, 4)), base),
            ]
            return out + [c("non-square (2, 5), 20 steps", n((2, 5)), n((20, 2, 5)), h) for h in rest]
        return [c("vector (7,), 30 steps", n(7), n((30, 7)), h) for h in variants] + [
            c("constant gradient (3, 3), 25 steps", n((3, 3)), np.ones((25, 3, 3)), variants[-1]),
            c("tiny gradients (1e-8) (2, 2), 10 steps", n((2, 2)), 1e-8 * n((10, 2, 2)), variants[0]),
        ]

    return cases


def _fmt_hyper(hyper):
    return " ".join(f"{k}={v}" for k, v in hyper.items())


def _torch_optim(name):
    def make(params, **hyper):
        import torch

        return getattr(torch.optim, name)(params, **hyper)

    return make


_TRAIN_HYPER = {"sgd": {"lr": 0.05, "momentum": 0.9}, "rmsprop": {"lr": 1e-3}, "adam": {"lr": 1e-3},
                "adamw": {"lr": 1e-3, "weight_decay": 1e-2}}
_RULES = [
    ("sgd", "SGD", [
        {"lr": 0.1}, {"lr": 0.05, "momentum": 0.9}, {"lr": 0.05, "momentum": 0.9, "nesterov": True},
        {"lr": 0.1, "momentum": 0.5, "dampening": 0.5, "weight_decay": 0.01}], {
        "step": "p - lr * g; with momentum, buf = momentum * buf + (1 - dampening) * g (buf = g on the first "
                "step), and Nesterov uses g + momentum * buf; weight_decay adds weight_decay * p to g first."}),
    ("rmsprop", "RMSprop", [
        {"lr": 0.01}, {"lr": 0.01, "alpha": 0.9, "momentum": 0.5}, {"lr": 0.01, "centered": True},
        {"lr": 0.01, "weight_decay": 0.1, "eps": 1e-6}], {
        "step": "square_avg = alpha * square_avg + (1 - alpha) g^2, then p - lr * g / (sqrt(square_avg) + eps): "
                "eps goes outside the square root, as PyTorch."}),
    ("adam", "Adam", [
        {"lr": 0.01}, {"lr": 0.01, "betas": (0.8, 0.99)}, {"lr": 0.01, "weight_decay": 0.1},
        {"lr": 0.01, "amsgrad": True}], {
        "step": "m and v are running means of g and g^2; divide each by (1 - beta^t) (bias correction, t from 1), "
                "then p - lr * m_hat / (sqrt(v_hat) + eps); weight_decay is L2 added to g."}),
    ("adamw", "AdamW", [
        {"lr": 0.01}, {"lr": 0.01, "weight_decay": 0.1}, {"lr": 0.01, "weight_decay": 0.5, "betas": (0.8, 0.9)}], {
        "step": "Like Adam, but decay the weights directly, p = p * (1 - lr * weight_decay), before the Adam "
                "update; not through the gradient."}),
]

for _name, _torch_name, _variants, _hints in _RULES:
    register_step(StepSpec(
        name=_name, chapter="05_gradient_descent", step=getattr(optim, f"{_name}_step"),
        torch_optimizer=_torch_optim(_torch_name), cases=_step_cases(_variants), hints=_hints,
        train_hyper=_TRAIN_HYPER[_name],
    ))
