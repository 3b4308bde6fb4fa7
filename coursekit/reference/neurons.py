"""Chapter 01 - neurons: the affine map `y = x W^T + b` (as `torch.nn.functional.linear`)."""
from __future__ import annotations

from ._validate import array


def linear_forward(x, weight, bias=None):
    """Affine layer, `F.linear`: y = x @ weight.T + bias.

    x: (..., in_features); weight: (out_features, in_features); bias: (out_features,) or None.
    Returns y: (..., out_features) and a cache for `linear_backward`.
    """
    x = array("x", x, min_ndim=1)
    weight = array("weight", weight, ndim=2)
    if x.shape[-1] != weight.shape[1]:
        raise ValueError(
            f"x has {x.shape[-1]} features (shape {x.shape}) but weight expects "
            f"{weight.shape[1]} (shape {weight.shape} is (out_features, in_features))"
        )
    out = x @ weight.T
    if bias is not None:
        bias = array("bias", bias, ndim=1)
        if bias.shape[0] != weight.shape[0]:
            raise ValueError(f"bias must have shape ({weight.shape[0]},) to match weight {weight.shape}, "
                             f"got {bias.shape}")
        out = out + bias
    return out, (x, weight, bias)


def linear_backward(dout, cache):
    """Gradients of `linear_forward`. dout: (..., out_features).

    Returns (dx, dweight, dbias): shapes of x, weight and bias (dbias is None without bias).
    """
    x, weight, bias = cache
    dout = array("dout", dout)
    if dout.shape != x.shape[:-1] + (weight.shape[0],):
        raise ValueError(f"dout must have shape {x.shape[:-1] + (weight.shape[0],)}, got {dout.shape}")
    dx = dout @ weight
    x2 = x.reshape(-1, x.shape[-1])
    d2 = dout.reshape(-1, weight.shape[0])
    dweight = d2.T @ x2
    dbias = None if bias is None else d2.sum(axis=0)
    return dx, dweight, dbias


def neuron_forward(x, w, b, activation=None):
    """One neuron, y = f(x . w + b). x: (N, D); w: (D,); b: float. Returns y: (N,).

    `activation` is a name from `coursekit.reference.activations` ("sigmoid", "relu", ...) or None.
    """
    x = array("x", x, ndim=2)
    w = array("w", w, ndim=1)
    if x.shape[1] != w.shape[0]:
        raise ValueError(f"x has {x.shape[1]} features (shape {x.shape}) but w has shape {w.shape}")
    z = x @ w + float(b)
    if activation is None:
        return z
    from . import activations

    return getattr(activations, f"{activation}_forward")(z)[0]


def two_layer_forward(x, w1, b1, w2, b2, activation="relu"):
    """A 2-layer network: linear -> activation -> linear. x: (N, D) -> (N, out2)."""
    from . import activations

    h, _ = linear_forward(x, w1, b1)
    a, _ = getattr(activations, f"{activation}_forward")(h)
    return linear_forward(a, w2, b2)[0]
