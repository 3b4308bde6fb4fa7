"""Chapter 04, backprop by hand: `two_layer_mlp`, whose backward also returns inner gradients."""
from __future__ import annotations

import numpy as np

from ..reference import activations, backprop, losses, neurons
from .losses import _ce_no_max
from .spec import Case, OpSpec, backward_mistake, forgot_dout, mistake, register


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


# ---------------------------------------------------------------- known mistakes

def _mlp(x, w1, b1, w2, b2, target, *, relu=True, loss=losses.cross_entropy_forward):
    """The forward with the reference's layers and cache; without the ReLU, or with another `loss`."""
    z1, c1 = neurons.linear_forward(x, w1, b1)
    h, c2 = activations.relu_forward(z1) if relu else (z1, z1)
    logits, c3 = neurons.linear_forward(h, w2, b2)
    out, c4 = loss(logits, target)
    return out, (c1, c2, c3, c4)


def _changed(spec, dout, cache, **grads):
    """The reference's gradients with some replaced: each keyword a function of the reference's dict."""
    g = spec.backward(dout, cache)
    return g | {k: f(g) for k, f in grads.items()}


def _gate_at_zero(spec, case, dout, cache):
    """The ReLU's gradient 1 at z1 = 0 (z1 >= 0): dz1, and dx, dw1, db1 after it."""
    g = spec.backward(dout, cache)
    c1, z1 = cache[0], cache[1]
    dz1 = g["dh"] * (z1 >= 0)
    return g | {"dz1": dz1} | dict(zip(("dx", "dw1", "db1"), neurons.linear_backward(dz1, c1)))


_MISTAKES = (
    mistake("softmax without the row max subtracted", "exp(1000) is inf, then NaN: subtract each row's max from the "
            "logits before exp (the log-probabilities are unchanged).",
            forward=lambda *args: _mlp(*args, loss=_ce_no_max), carry=True),
    mistake("the loss summed over the batch", "the loss is the mean over the N rows, as F.cross_entropy's: divide "
            "the sum of the rows' losses by N.",
            forward=lambda *args: (_mlp(*args)[0] * len(args[0]), None)),
    mistake("the ReLU left out", "h = relu(z1) = max(z1, 0) goes between the two layers: without it the network "
            "is a single linear map.", forward=lambda *args: _mlp(*args, relu=False)),
    forgot_dout("(softmax(logits) - onehot(target)) / N"),
    backward_mistake("the 1/N of the mean forgotten", "the loss is the mean over N rows, so dlogits = (softmax - "
                     "onehot) * dloss / N: divide by the batch size.",
                     lambda spec, case, dout, cache: spec.backward(np.asarray(dout * len(case.inputs["x"])), cache)),
    backward_mistake("db2 as a mean", "your db2 averages dlogits over the batch; b2 is added to every row, so db2 is "
                     "the sum of dlogits over the rows (the 1/N is in dlogits already).",
                     lambda spec, case, dout, cache: _changed(spec, dout, cache, db2=lambda g: g["dlogits"].mean(0))),
    backward_mistake("a transposed dw2", "your dw2 is h^T dlogits, shape (H, C); w2 is (C, H), so dw2 = dlogits^T h.",
                     lambda spec, case, dout, cache: _changed(spec, dout, cache, dw2=lambda g: g["dw2"].T)),
    backward_mistake("dw1 and db1 not gated by the ReLU", "dw1 and db1 come from dz1 = dh * (z1 > 0), not from dh: "
                     "the ReLU passes no gradient where z1 <= 0.", lambda spec, case, dout, cache: _changed(
                         spec, dout, cache, dw1=lambda g: g["dh"].T @ case.inputs["x"], db1=lambda g: g["dh"].sum(0))),
    backward_mistake("dh gated in place", "dz1 = dh makes dz1 the same array as dh, so dz1[z1 <= 0] = 0 zeroes dh "
                     "too: write dz1 = dh * (z1 > 0) (or start from dh.copy()).",
                     lambda spec, case, dout, cache: _changed(spec, dout, cache, dh=lambda g: g["dz1"])),
    backward_mistake("a ReLU gradient of 1 at z1 = 0", "relu's derivative at exactly z1 = 0 is 0 in PyTorch: gate with "
                     "z1 > 0, not z1 >= 0.", _gate_at_zero),
)


register(OpSpec(
    name="two_layer_mlp", chapter="04_backprop",
    forward=backprop.two_layer_mlp_forward, backward=backprop.two_layer_mlp_backward, torch=_torch_two_layer_mlp,
    inputs=("x", "w1", "b1", "w2", "b2", "target"), differentiable=("x", "w1", "b1", "w2", "b2"),
    intermediates=("logits", "h", "z1"), cases=_two_layer_cases, kinks=True, mistakes=_MISTAKES,
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
