"""Hypothesis strategies shared by the tests: shapes, float64 arrays and per-op inputs.

`op_inputs(spec)` draws a `Case` for a registry op: one array `x` for ops whose only input is `x`
(plus the op's keyword arguments, see `KWARGS`), `(x, weight, bias)` for linear. An op with other
inputs needs an entry in `INPUTS`; until then `op_inputs` returns None and its property tests skip.
"""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from coursekit.ops import Case

MAX_MAGNITUDE = 1e3

# finite float64 values up to 1e3 in magnitude, with exact zeros (and ties) drawn often
values = st.one_of(
    st.just(0.0),
    st.sampled_from([1.0, -1.0, MAX_MAGNITUDE, -MAX_MAGNITUDE]),
    st.floats(-MAX_MAGNITUDE, MAX_MAGNITUDE, allow_nan=False, allow_infinity=False, width=64),
)


def shapes(min_dims: int = 1, max_dims: int = 4):
    """Shapes of 1-4 dimensions, each of size 1-6."""
    return hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=1, max_side=6)


def arrays(shape) -> st.SearchStrategy:
    """float64 arrays of `shape` (a tuple or a strategy of tuples) filled from `values`."""
    return hnp.arrays(np.float64, shape, elements=values)


def seeds():
    return st.integers(0, 2**32 - 1)


# ---------------------------------------------------------------- keyword arguments per op


def _dim(x):
    return st.fixed_dictionaries({"dim": st.integers(-x.ndim, x.ndim - 1)})


KWARGS = {
    # name -> (x -> strategy of a kwargs dict); ops not listed take no keyword arguments
    "softmax": _dim,
    "log_softmax": _dim,
    "leaky_relu": lambda x: st.fixed_dictionaries(
        {}, optional={"negative_slope": st.sampled_from([0.0, 0.01, 0.2, 1.0])}
    ),
    "gelu": lambda x: st.fixed_dictionaries(
        {}, optional={"approximate": st.sampled_from(["none", "tanh"])}
    ),
}


@st.composite
def unary_inputs(draw, spec):
    x = draw(arrays(shapes()))
    kwargs = draw(KWARGS[spec.name](x)) if spec.name in KWARGS else {}
    return Case("hypothesis", {"x": x}, kwargs)


@st.composite
def linear_inputs(draw, spec=None):
    """x (..., in), weight (out, in), bias (out,) or None; x has 1-4 dimensions."""
    in_f = draw(st.integers(1, 6))
    out_f = draw(st.integers(1, 6))
    lead = draw(hnp.array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=6))
    x = draw(arrays(lead + (in_f,)))
    weight = draw(arrays((out_f, in_f)))
    bias = draw(st.one_of(st.none(), arrays((out_f,))))
    return Case("hypothesis", {"x": x, "weight": weight, "bias": bias})


REDUCTIONS = st.sampled_from(["mean", "sum", "none"])


@st.composite
def pair_loss_inputs(draw, spec):
    """input and target of one shape (regression and binary losses), any reduction."""
    shape = draw(shapes())
    if spec.name == "binary_cross_entropy":  # probabilities, with exact 0 and 1 drawn often
        unit = st.one_of(st.sampled_from([0.0, 1.0, 0.5]), st.floats(0.0, 1.0, width=64))
        inp = draw(hnp.arrays(np.float64, shape, elements=unit))
    else:
        inp = draw(arrays(shape))
    if spec.name.startswith("binary_cross_entropy"):
        target = draw(hnp.arrays(np.float64, shape, elements=st.one_of(st.sampled_from([0.0, 1.0]),
                                                                        st.floats(0.0, 1.0, width=64))))
    else:
        target = draw(st.one_of(arrays(shape), st.just(inp.copy())))  # ties: input == target
    kwargs = {"reduction": draw(REDUCTIONS)}
    if spec.name == "smooth_l1_loss":
        kwargs.update(draw(st.fixed_dictionaries({}, optional={"beta": st.sampled_from([0.0, 0.5, 1.0, 2.0])})))
    return Case("hypothesis", {"input": inp, "target": target}, kwargs)


@st.composite
def class_loss_inputs(draw, spec):
    """(N, C) logits or log-probabilities and (N,) class indices, some set to ignore_index."""
    n, c = draw(st.integers(1, 6)), draw(st.integers(1, 6))
    inp = draw(arrays((n, c)))
    ignore = draw(st.sampled_from([-100, 0]))
    labels = st.one_of(st.integers(0, c - 1), st.just(ignore))
    target = np.array(draw(st.lists(labels, min_size=n, max_size=n)), dtype=np.int64)
    reduction = draw(REDUCTIONS)
    if reduction == "mean" and (target == ignore).all():
        target[0] = c - 1 if ignore != c - 1 else 0  # PyTorch's mean over nothing is nan, its gradient too
    kwargs = {"reduction": reduction} | ({"ignore_index": ignore} if ignore != -100 else {})
    return Case("hypothesis", {"input": inp, "target": target}, kwargs)


@st.composite
def penalty_inputs(draw, spec):
    weight = draw(arrays(shapes()))
    return Case("hypothesis", {"weight": weight}, {"lam": draw(st.sampled_from([0.0, 1e-3, 0.1, 1.0]))})


@st.composite
def two_layer_mlp_inputs(draw, spec):
    """x (N, D), w1 (H, D), b1 (H,), w2 (C, H), b2 (C,), target (N,) for the hand-written MLP."""
    n, d, h, c = (draw(st.integers(1, 6)) for _ in range(4))
    arr = lambda shape: draw(hnp.arrays(np.float64, shape, elements=st.floats(-3, 3, width=64)))  # noqa: E731
    target = np.array(draw(st.lists(st.integers(0, c - 1), min_size=n, max_size=n)), dtype=np.int64)
    return Case("hypothesis", {"x": arr((n, d)), "w1": arr((h, d)), "b1": arr((h,)), "w2": arr((c, h)),
                               "b2": arr((c,)), "target": target})


INPUTS = {
    "linear": linear_inputs,
    "two_layer_mlp": two_layer_mlp_inputs,
    **{name: pair_loss_inputs for name in ("mse_loss", "l1_loss", "smooth_l1_loss", "binary_cross_entropy",
                                           "binary_cross_entropy_with_logits")},
    "cross_entropy": class_loss_inputs,
    "nll_loss": class_loss_inputs,
    "l1_penalty": penalty_inputs,
    "l2_penalty": penalty_inputs,
}


def op_inputs(spec):
    """A strategy of `Case`s for `spec`, or None when no strategy fits its inputs yet."""
    if spec.name in INPUTS:
        return INPUTS[spec.name](spec)
    if tuple(spec.inputs) == ("x",):
        return unary_inputs(spec)
    return None


def douts(shape, seed: int) -> np.ndarray:
    """A standard-normal upstream gradient of `shape` from `seed`."""
    return np.asarray(np.random.default_rng(seed).standard_normal(shape))
