"""Chapter 01, neurons: the registry's `linear`."""
from __future__ import annotations

import numpy as np

from ..reference import neurons
from .spec import Case, OpSpec, backward_mistake, mistake, register


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


def _rows(a, width):
    return a.reshape(-1, width)


def _no_flatten_grads(spec, case, dout, cache):
    """dweight and dbias over the first axis only, as if x were always 2-D (mutant_backward_no_flatten)."""
    x, weight, bias = cache
    dweight = np.swapaxes(dout, -1, -2) @ x if dout.ndim > 1 else np.outer(dout, x)
    return dout @ weight, dweight, None if bias is None else dout.sum(axis=0)


def _grads_with(dweight=None, dbias=None):
    """A linear backward whose dweight or dbias comes from the given `(x2, d2, bias) -> array` function
    (x2, d2: x and dout flattened to rows) instead of the right formula."""

    def grads(spec, case, dout, cache):
        x, weight, bias = cache
        x2, d2 = _rows(x, weight.shape[1]), _rows(dout, weight.shape[0])
        right = neurons.linear_backward(dout, cache)
        return (right[0], right[1] if dweight is None else dweight(x2, d2, bias),
                right[2] if dbias is None else dbias(x2, d2, bias))

    return grads


def _linear_2d_only(x, weight, bias=None):
    out = _rows(x, weight.shape[1]) @ weight.T
    return (out if bias is None else out + bias), (x, weight, bias)


_LINEAR_MISTAKES = (
    mistake("the bias left out", "your output lacks the bias: add it, y = x @ weight.T + bias, when bias is not None.",
            forward=lambda x, weight, bias=None: (x @ weight.T, (x, weight, bias))),
    mistake("a float32 result", "your values are right but your output is float32: keep the inputs' float64 "
            "(no astype(np.float32), no np.float32 constants).",
            forward=lambda x, weight, bias=None: (neurons.linear_forward(x, weight, bias)[0].astype(np.float32), None)),
    mistake("the leading dimensions flattened away", "you reshape x to 2-D (N, in_features) and keep that shape: "
            "the output must keep x's leading dimensions, shape x.shape[:-1] + (out_features,).",
            forward=_linear_2d_only),
    backward_mistake("a transposed dweight", "your dweight is x^T dout, shape (in_features, out_features); weight "
                     "is (out_features, in_features), so dweight = dout^T x (rows flattened).",
                     _grads_with(dweight=lambda x2, d2, *_: x2.T @ d2)),
    backward_mistake("dbias as a mean", "your dbias averages dout over the batch; the bias is added to every row, "
                     "so its gradient is the sum over every dimension but the last.",
                     _grads_with(dbias=lambda x2, d2, bias: None if bias is None else d2.mean(axis=0))),
    backward_mistake("a dbias without a bias", "without a bias (bias=None) there is nothing to differentiate: "
                     "return None as dbias, as PyTorch does, not an array of zeros or sums.",
                     _grads_with(dbias=lambda x2, d2, *_: d2.sum(axis=0))),
    backward_mistake("the leading dimensions not flattened", "your dweight and dbias sum over the first axis only: "
                     "for x of 3 or more dimensions (or 1-D), flatten x and dout to rows (reshape(-1, features)) "
                     "before dweight = dout^T x and dbias = dout.sum(axis=0).", _no_flatten_grads),
)


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
    mistakes=_LINEAR_MISTAKES,
))
