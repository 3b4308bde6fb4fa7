"""Chapter 01, neurons: the registry's `linear`."""
from __future__ import annotations

import numpy as np

from ..reference import neurons
from .spec import Case, OpSpec, register


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
