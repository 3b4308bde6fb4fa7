"""Chapter 02, activations: sigmoid, tanh, relu, leaky_relu, gelu, softmax, log_softmax."""
from __future__ import annotations

from ..reference import activations as act
from .spec import Case, OpSpec, register, rowwise_cases, unary_bench, unary_cases


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
