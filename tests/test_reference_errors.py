"""Bad input to a reference op raises a clear error: TypeError or ValueError naming the argument,
and for shape problems the shapes involved."""

from __future__ import annotations

import inspect
import re

import numpy as np
import pytest
import torch

from coursekit.ops import REGISTRY
from coursekit.reference import activations, neurons

SPECS = [pytest.param(s, id=s.name) for s in REGISTRY.values()]
ROW_OPS = [pytest.param(REGISTRY[n], id=n) for n in ("softmax", "log_softmax")]


def mentions(*parts: str) -> str:
    """A regex that matches a message containing every literal part, in any order."""
    return "(?s)^" + "".join(f"(?=.*{re.escape(p)})" for p in parts)


def first_case(spec):
    return spec.make_cases()[0]


def array_inputs(spec):
    case = next(
        c for c in spec.make_cases(hidden=True) if all(v is not None for v in c.inputs.values())
    )
    return case, [n for n in spec.inputs if isinstance(case.inputs[n], np.ndarray)]


# ---------------------------------------------------------------- non-arrays -> TypeError

BAD_TYPES = {
    "list": (lambda a: a.tolist(), r"got (builtins\.)?list"),
    "torch tensor": (lambda a: torch.from_numpy(a), r"got torch\.Tensor"),
    "string": (lambda a: "x", r"got (builtins\.)?str"),
    "python float": (lambda a: 1.5, r"got (builtins\.)?float"),
    "string array": (lambda a: np.full(a.shape, "a"), r"got dtype <U1"),
    "complex array": (lambda a: a.astype(complex), r"got dtype complex128"),
}


@pytest.mark.parametrize("bad", list(BAD_TYPES))
@pytest.mark.parametrize("spec", SPECS)
def test_forward_refuses_non_arrays_naming_the_argument(spec, bad):
    make, pattern = BAD_TYPES[bad]
    case, names = array_inputs(spec)
    if bad in (
        "string array",
        "complex array",
    ):  # a wrong dtype for float inputs (not class indices)
        names = [n for n in names if case.inputs[n].dtype.kind == "f"]
    for name in names:
        args = {**case.inputs, name: make(case.inputs[name])}
        with pytest.raises(
            TypeError, match=rf"^{name} must (be a numpy\.ndarray|hold real numbers), {pattern}"
        ):
            spec.forward(*[args[n] for n in spec.inputs], **case.kwargs)


@pytest.mark.parametrize("bad", ["list", "torch tensor", "string"])
@pytest.mark.parametrize("spec", SPECS)
def test_backward_refuses_a_non_array_dout(spec, bad):
    make, pattern = BAD_TYPES[bad]
    out, cache = spec.run_forward(first_case(spec))
    douts = spec.outs_of(spec.dout(first_case(spec), out))
    for k, name in enumerate(dout_names(spec)):  # each upstream gradient in turn (an LSTM's dout, dh_n, dc_n)
        if douts[k].ndim == 0 and bad == "list":  # a 0-d array's tolist() is a float
            pattern = r"got (builtins\.)?float"
        args = list(douts)
        args[k] = make(douts[k])
        with pytest.raises(TypeError, match=rf"^{name} must be a numpy\.ndarray, {pattern}"):
            spec.backward(*args, cache)


def dout_names(spec):
    """The backward's names for its upstream gradients: dout, or dh_next, (dout, dh_n, dc_n), ..."""
    return list(inspect.signature(spec.backward).parameters)[: len(spec.outputs)]


def test_integer_arrays_are_promoted_not_refused():
    out, _ = activations.relu_forward(np.array([[-2, 0, 3]]))
    assert out.dtype == np.float64 and out.tolist() == [[0.0, 0.0, 3.0]]
    y, _ = neurons.linear_forward(
        np.ones((2, 3), dtype=int), np.ones((4, 3)), np.zeros(4, dtype=int)
    )
    assert y.dtype == np.float64 and (y == 3).all()


# ---------------------------------------------------------------- wrong dout shape -> ValueError


@pytest.mark.parametrize("spec", SPECS)
def test_backward_refuses_a_dout_of_the_wrong_shape(spec):
    out, cache = spec.run_forward(first_case(spec))
    douts = spec.outs_of(spec.dout(first_case(spec), out))
    for k, name in enumerate(dout_names(spec)):
        shape = douts[k].shape
        wrong = ((1,), (2, 1)) if shape == () else (shape[:-1] + (shape[-1] + 1,), shape[::-1], shape + (1,))
        for bad in wrong:
            if bad == shape:
                continue
            args = list(douts)
            args[k] = np.zeros(bad)
            with pytest.raises(ValueError, match=mentions(name, str(tuple(bad)), str(shape))):
                spec.backward(*args, cache)


# ---------------------------------------------------------------- linear

X, W, B = np.ones((4, 3)), np.ones((5, 3)), np.ones(5)


@pytest.mark.parametrize(
    "x, weight, bias, parts",
    [
        (np.array(1.0), W, B, ["x", "at least 1 dimension", "()"]),
        (X, np.ones(3), B, ["weight", "2-D", "(3,)"]),
        (X, np.ones((5, 3, 1)), B, ["weight", "2-D", "(5, 3, 1)"]),
        (X, W, np.ones((1, 5)), ["bias", "1-D", "(1, 5)"]),
        (X, np.ones((5, 4)), B, ["x", "weight", "(4, 3)", "(5, 4)"]),  # mismatched features
        (np.ones((2, 6, 7)), W, B, ["x", "weight", "(2, 6, 7)", "(5, 3)"]),
        (X, W, np.ones(4), ["bias", "weight", "(4,)", "(5,)", "(5, 3)"]),  # wrong bias shape
    ],
)
def test_linear_shape_errors_name_the_argument_and_shapes(x, weight, bias, parts):
    with pytest.raises(ValueError, match=mentions(*parts)):
        neurons.linear_forward(x, weight, bias)


def test_linear_backward_dout_shape_error():
    _, cache = neurons.linear_forward(np.ones((2, 4, 3)), W, None)
    with pytest.raises(ValueError, match=mentions("dout", "(2, 4, 5)", "(8, 5)")):
        neurons.linear_backward(np.ones((8, 5)), cache)


def test_neuron_errors():
    with pytest.raises(ValueError, match=mentions("x", "2-D", "(3,)")):
        neurons.neuron_forward(np.ones(3), np.ones(3), 0.0)
    with pytest.raises(ValueError, match=mentions("x", "w", "(4, 3)", "(5,)")):
        neurons.neuron_forward(np.ones((4, 3)), np.ones(5), 0.0)
    with pytest.raises(TypeError, match=r"^w must be a numpy\.ndarray, got (builtins\.)?list"):
        neurons.neuron_forward(np.ones((4, 3)), [1.0, 2.0, 3.0], 0.0)


# ---------------------------------------------------------------- dim and other keyword arguments


@pytest.mark.parametrize("spec", ROW_OPS)
@pytest.mark.parametrize("dim", [2, -3, 7])
def test_bad_dim_names_dim_and_the_shape(spec, dim):
    with pytest.raises(ValueError, match=mentions(f"dim={dim}", "(3, 4)")):
        spec.forward(np.ones((3, 4)), dim=dim)


@pytest.mark.parametrize("spec", ROW_OPS)
@pytest.mark.parametrize("dim", [1.0, "1", None, True])
def test_non_integer_dim_is_a_type_error(spec, dim):
    with pytest.raises(TypeError, match=r"^dim must be an int"):
        spec.forward(np.ones((3, 4)), dim=dim)


@pytest.mark.parametrize("spec", ROW_OPS)
def test_rowwise_ops_need_at_least_one_dimension(spec):
    with pytest.raises(ValueError, match=mentions("x", "at least 1 dimension", "()")):
        spec.forward(np.array(1.0))


def test_numpy_integer_dim_is_accepted():
    out, _ = activations.softmax_forward(np.zeros((2, 3)), dim=np.int64(0))
    np.testing.assert_allclose(out, 0.5)


def test_gelu_bad_approximate():
    with pytest.raises(ValueError, match=mentions("approximate", "'none'", "'tanh'", "'fast'")):
        activations.gelu_forward(np.ones(3), approximate="fast")
