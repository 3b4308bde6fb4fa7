"""Chapter 04, backprop by hand: `two_layer_mlp`, whose backward also returns inner gradients."""
from __future__ import annotations

import numpy as np

from ..reference import backprop
from .spec import Case, OpSpec, register


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
