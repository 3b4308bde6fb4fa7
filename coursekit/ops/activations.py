"""Chapter 02, activations: sigmoid, tanh, relu, leaky_relu, gelu, softmax, log_softmax."""
from __future__ import annotations

import math

import numpy as np
from scipy.special import erf

from ..reference import activations as act
from .spec import (
    Case,
    OpSpec,
    backward_mistake,
    forgot_dout,
    mistake,
    register,
    rowwise_cases,
    unary_bench,
    unary_cases,
)


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


def _sig(x):
    return act.sigmoid_forward(x)[0]


def _naive_sigmoid(x):
    out = np.exp(x) / (1.0 + np.exp(x))
    return out, out


def _naive_tanh(x):
    out = (np.exp(x) - np.exp(-x)) / (np.exp(x) + np.exp(-x))
    return out, out


def _naive_softmax(x, dim=-1):
    e = np.exp(x)
    out = e / e.sum(axis=dim, keepdims=True)
    return out, (out, dim)


def _naive_log_softmax(x, dim=-1):
    out = x - np.log(np.exp(x).sum(axis=dim, keepdims=True))
    return out, (out, dim)


def _log_of_softmax(x, dim=-1):
    out = np.log(act.softmax_forward(x, dim)[0])
    return out, (out, dim)


def _on_axis(forward, axis):
    """`forward` along `axis` whatever `dim` says, its cache still naming `dim` (as a student's would)."""

    def wrong(x, dim=-1):
        out = forward(x, dim=axis)[0]
        return out, (out, dim)

    return wrong


def _axis_mistakes(forward, what):
    """The two wrong-axis slips of a softmax-like op, the backward fed their outputs."""
    fix = f"reduce along `dim` (axis=dim, keepdims=True) so {what}"
    return (
        mistake("a reduction over axis 0 whatever dim says", f"you normalise over axis 0; {fix}.",
                forward=_on_axis(forward, 0), carry=True),
        mistake("a reduction over the last axis whatever dim says",
                f"you normalise over the last axis and ignore `dim`; {fix}.",
                forward=_on_axis(forward, -1), carry=True),
    )


_TWICE = "the cache already holds {0}(x): use it as it is, do not apply {0} to it again."
_SIGMOID_MISTAKES = (
    mistake("exp(x) / (1 + exp(x)) overflowing", "for x = 1000, exp(x) is inf and inf / inf is NaN: use "
            "exp(-|x|) only, 1 / (1 + e) for x >= 0 and e / (1 + e) below (np.where).",
            forward=_naive_sigmoid, carry=True),
    mistake("the (1 - s) factor forgotten", "sigmoid'(x) = s (1 - s): your backward returns dout * s.",
            backward=lambda dout, s: dout * s),
    backward_mistake("x cached where the backward expects sigmoid(x)", "your forward caches x but your backward "
                     "treats the cache as s = sigmoid(x): cache the output, or recompute s from x in the backward.",
                     lambda spec, case, dout, cache: act.sigmoid_backward(dout, case.inputs["x"])),
    mistake("sigmoid applied twice in the backward", _TWICE.format("sigmoid"),
            backward=lambda dout, s: dout * _sig(s) * (1.0 - _sig(s))),
    forgot_dout("s (1 - s)"),
)
_TANH_MISTAKES = (
    mistake("exponentials overflowing in tanh", "(exp(x) - exp(-x)) / (exp(x) + exp(-x)) is inf / inf = NaN for "
            "|x| = 1000: use np.tanh, or exp(-2|x|) only with the sign of x.", forward=_naive_tanh, carry=True),
    mistake("1 - tanh(x) instead of 1 - tanh(x)^2", "tanh'(x) = 1 - tanh(x)^2: square the cached output.",
            backward=lambda dout, t: dout * (1.0 - t)),
    mistake("tanh applied twice in the backward", _TWICE.format("tanh"),
            backward=lambda dout, t: dout * (1.0 - np.tanh(t) ** 2)),
    forgot_dout("1 - tanh(x)^2"),
)
_RELU_MISTAKES = (
    mistake("a gradient of 1 at x = 0", "your mask is x >= 0; PyTorch's relu gradient at exactly 0 is 0: use x > 0.",
            backward=lambda dout, x: dout * (x >= 0)),
    mistake("dout times relu(x)", "the local gradient is the mask (x > 0), not the forward's output: "
            "dx = dout * (x > 0).", backward=lambda dout, x: dout * np.maximum(x, 0.0)),
    forgot_dout("the mask (x > 0)"),
)
_LEAKY_MISTAKES = (
    mistake("negative_slope ignored", "you use 0.01 whatever negative_slope is passed: use the argument.",
            forward=lambda x, negative_slope=0.01: act.leaky_relu_forward(x, 0.01)),
    mistake("the negative side dropped (plain relu)", "for x <= 0 leaky_relu gives negative_slope * x, not 0.",
            forward=lambda x, negative_slope=0.01: (np.maximum(x, 0.0), None)),
    mistake("a gradient of 1 at x = 0", "your mask is x >= 0; at exactly 0 PyTorch uses negative_slope: use x > 0.",
            backward=lambda dout, c: np.where(c[0] >= 0, dout, c[1] * dout)),
    mistake("negative_slope ignored in the backward", "your backward uses 0.01 for x <= 0 whatever negative_slope "
            "was: keep the slope in the cache and use it.",
            backward=lambda dout, c: np.where(c[0] > 0, dout, 0.01 * dout)),
    forgot_dout("the local slopes (1 or negative_slope)"),
)
_GELU_MISTAKES = (
    mistake("the tanh approximation", "exact GELU is x * Phi(x) with Phi(x) = (1 + erf(x / sqrt(2))) / 2; the tanh "
            "formula is only an approximation (errors up to ~1e-3).",
            forward=lambda x: act.gelu_forward(x, approximate="tanh")),
    mistake("erf(x) without the 1 / sqrt(2)", "Phi(x) = (1 + erf(x / sqrt(2))) / 2: divide x by sqrt(2) inside erf.",
            forward=lambda x: (x * 0.5 * (1.0 + erf(x)), x)),
    mistake("the x * phi(x) term forgotten", "d/dx [x Phi(x)] = Phi(x) + x phi(x), phi(x) = exp(-x^2 / 2) / "
            "sqrt(2 pi): your backward returns dout * Phi(x) only.",
            backward=lambda dout, c: dout * 0.5 * (1.0 + erf(c[0] / math.sqrt(2.0)))),
    mistake("the tanh approximation's derivative", "your gradient is that of the tanh approximation: "
            "differentiate the exact x * Phi(x).",
            backward=lambda dout, c: act.gelu_backward(dout, act.gelu_forward(c[0], "tanh")[1])),
    forgot_dout("Phi(x) + x phi(x)"),
)
_SOFTMAX_MISTAKES = (
    mistake("exp without the max subtracted", "exp(1000) is inf and inf / inf is NaN: subtract the maximum along "
            "`dim` (keepdims=True) before exp; the result is unchanged.", forward=_naive_softmax, carry=True),
    *_axis_mistakes(act.softmax_forward, "each slice along dim sums to 1"),
    mistake("the Jacobian's diagonal only", "dout * s * (1 - s) leaves out the other entries of the softmax Jacobian: "
            "dx = s * (dout - sum(dout * s, dim, keepdims=True)).",
            backward=lambda dout, c: dout * c[0] * (1.0 - c[0])),
    mistake("a sum over every axis, not along dim", "sum(dout * s) runs along `dim` only, keepdims=True: "
            "dx = s * (dout - sum(dout * s, axis=dim, keepdims=True)).",
            backward=lambda dout, c: c[0] * (dout - (dout * c[0]).sum())),
)
_LOG_SOFTMAX_MISTAKES = (
    mistake("log(softmax(x)) computed literally", "the softmax underflows to 0 for gaps of ~1000 and log(0) = -inf: "
            "compute x - max - log(sum(exp(x - max))) along `dim` directly.", forward=_log_of_softmax),
    mistake("log-sum-exp without the max subtracted", "exp(1000) is inf: subtract the maximum along `dim` before "
            "exp, and add it back outside the log.", forward=_naive_log_softmax, carry=True),
    *_axis_mistakes(act.log_softmax_forward, "exp(output) sums to 1 along dim"),
    mistake("the sum of dout forgotten", "dx = dout - softmax(x) * sum(dout, dim, keepdims=True); your backward "
            "returns dout - softmax(x).", backward=lambda dout, c: dout - np.exp(c[0])),
    mistake("softmax times dout, not times its sum", "dx = dout - softmax(x) * sum(dout, dim, keepdims=True): "
            "multiply softmax by the sum of dout along dim, not by dout itself.",
            backward=lambda dout, c: dout - np.exp(c[0]) * dout),
    mistake("the cached log-probabilities used as probabilities", "the forward's output is log softmax(x): "
            "take exp of it before multiplying by sum(dout).",
            backward=lambda dout, c: dout - c[0] * dout.sum(axis=c[1], keepdims=True)),
)
_MISTAKES = {"sigmoid": _SIGMOID_MISTAKES, "tanh": _TANH_MISTAKES, "relu": _RELU_MISTAKES,
             "leaky_relu": _LEAKY_MISTAKES, "gelu": _GELU_MISTAKES, "softmax": _SOFTMAX_MISTAKES,
             "log_softmax": _LOG_SOFTMAX_MISTAKES}

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
        mistakes=_MISTAKES[_name],
    ))
