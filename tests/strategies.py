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


INPUTS = {"linear": linear_inputs}


def op_inputs(spec):
    """A strategy of `Case`s for `spec`, or None when no strategy fits its inputs yet."""
    if spec.name in INPUTS:
        return INPUTS[spec.name](spec)
    if tuple(spec.inputs) == ("x",):
        return unary_inputs(spec)
    return None


def douts(shape, seed: int) -> np.ndarray:
    """A standard-normal upstream gradient of `shape` from `seed`."""
    return np.random.default_rng(seed).standard_normal(shape)
