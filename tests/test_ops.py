"""Every registry op against PyTorch, autograd and numerical gradients - driven by `REGISTRY`.

Adding an op to `coursekit.ops` adds its cases here; its hypothesis tests need a strategy in
`tests/strategies.py` only when its inputs are not a single array `x` (or linear's).
All PyTorch comparisons run on the CPU in float64 (`backend.device("cpu")`).
"""

from __future__ import annotations

import importlib
import warnings

import numpy as np
import pytest
import strategies
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coursekit import backend
from coursekit.compare import compare
from coursekit.gradcheck import gradcheck
from coursekit.ops import REGISTRY, Case, get

DEV = backend.device("cpu")
SPECS = [pytest.param(spec, id=spec.name) for spec in REGISTRY.values()]
CASES = [
    pytest.param(spec, case, id=f"{spec.name}-{case.label}")
    for spec in REGISTRY.values()
    for case in spec.make_cases(hidden=True)
]
# numerical gradients only where the function is differentiable at every input point
SMOOTH_CASES = [p for p in CASES if p.values[1].smooth]


def _check(got, expected, *, atol, rtol, name):
    report = compare(got, expected, atol=atol, rtol=rtol, name=name)
    assert report.ok, str(report)
    return report


def _ordered(spec, case) -> dict:
    return {n: case.inputs[n] for n in spec.inputs}


# ---------------------------------------------------------------- registry cases vs PyTorch


def assert_forward_matches_torch(spec, case, dev, where=""):
    """The reference forward equals PyTorch's on `dev`, every output (used by test_gpu.py too)."""
    out, _ = spec.run_forward(case)
    expected = spec.torch_forward(case, dev=dev)
    for name, o, e in zip(spec.outputs, spec.outs_of(out), spec.outs_of(expected)):
        _check(o, e, atol=spec.atol, rtol=spec.rtol, name=f"{spec.name} forward {name}{where}, {case.describe()}")


def assert_backward_matches_autograd(spec, case, dev, where=""):
    """The reference backward equals PyTorch autograd's on `dev`, every gradient."""
    out, _ = spec.run_forward(case)
    dout = spec.dout(case, out)
    grads = spec.run_backward(case, dout)
    expected = spec.torch_backward(case, dout, dev=dev)
    assert len(grads) == len(expected) == len(spec.grad_names), (
        f"{spec.name} backward returned {len(grads)} gradients for {spec.grad_names}"
    )
    for name, g, e in zip(spec.grad_names, grads, expected):
        _check(g, e, atol=spec.atol, rtol=spec.rtol, name=f"{spec.name} {name}{where}, {case.describe()}")


@pytest.mark.parametrize("spec, case", CASES)
def test_forward_matches_torch(spec, case):
    assert_forward_matches_torch(spec, case, DEV)


@pytest.mark.parametrize("spec, case", CASES)
def test_backward_matches_autograd(spec, case):
    assert_backward_matches_autograd(spec, case, DEV)


@pytest.mark.parametrize("spec, case", SMOOTH_CASES)
def test_backward_matches_numerical_gradient(spec, case):
    out, _ = spec.run_forward(case)
    dout = spec.dout(case, out)
    grads = spec.run_backward(case, dout)
    reports = gradcheck(
        spec.forward, _ordered(spec, case), dict(zip(spec.grad_inputs, grads)), dout, kwargs=case.kwargs
    )
    assert reports, f"{spec.name}: no gradient was checked for {case.describe()}"
    for report in reports.values():
        assert report.ok, f"{spec.name}, {case.describe()}: {report}"


def test_only_kinked_ops_have_non_smooth_cases():
    for spec in REGISTRY.values():
        rough = [c.label for c in spec.make_cases(hidden=True) if not c.smooth]
        assert spec.kinks or not rough, f"{spec.name} has no kinks but non-smooth cases {rough}"


# ---------------------------------------------------------------- hypothesis-drawn inputs


def _mag(a) -> float:
    return 0.0 if a is None or not a.size else float(np.max(np.abs(a)))


def _atol(spec, case, dout=None) -> float:
    """spec.atol plus the float64 rounding expected of a sum of products of the inputs' magnitudes
    (hypothesis draws values up to 1e3, where a fixed atol of 1e-10 is below one ulp of a sum)."""
    x = case.inputs[spec.inputs[0]]
    if spec.name == "linear":
        w, b = case.inputs["weight"], case.inputs["bias"]
        terms = max(x.shape[-1], x.size // x.shape[-1], w.shape[0]) + 1
        scale = (
            _mag(x) * _mag(w) + _mag(b) + 1
            if dout is None
            else _mag(dout) * max(_mag(x), _mag(w), 1.0)
        )
    else:
        # elementwise, a reduction along one dim, or over every dim but the channels (batch_norm's dweight)
        terms = max(max(x.shape, default=1), x.size // (x.shape[1] if x.ndim > 1 else 1))
        dmag = 1.0 if dout is None else max(1.0, *(_mag(d) for d in (dout if isinstance(dout, tuple) else (dout,))))
        scale = max(1.0, _mag(x)) * dmag
    return spec.atol + 1e-14 * terms * scale


@pytest.mark.parametrize("spec", SPECS)
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_hypothesis_forward_and_backward_match_torch(spec, data):
    strategy = strategies.op_inputs(spec)
    if strategy is None:
        pytest.skip(
            f"no hypothesis strategy for {spec.name} inputs {spec.inputs} in tests/strategies.py"
        )
    case = data.draw(strategy, label="case")
    dout_seed = data.draw(strategies.seeds(), label="dout seed")

    out, _ = spec.run_forward(case)
    for name, o, e in zip(spec.outputs, spec.outs_of(out), spec.outs_of(spec.torch_forward(case, dev=DEV))):
        _check(o, e, atol=_atol(spec, case), rtol=spec.rtol, name=f"{spec.name} forward {name}, {case.describe()}")

    douts = tuple(strategies.douts(o.shape, dout_seed + k) for k, o in enumerate(spec.outs_of(out)))
    dout = douts if spec.multi else douts[0]
    grads = spec.run_backward(case, dout)
    expected = spec.torch_backward(case, dout, dev=DEV)
    for name, g, e in zip(spec.grad_names, grads, expected):
        _check(
            g,
            e,
            atol=_atol(spec, case, dout),
            rtol=spec.rtol,
            name=f"{spec.name} {name}, {case.describe()}",
        )


# ---------------------------------------------------------------- purity and dtype


def _is_float(v) -> bool:
    return isinstance(v, np.ndarray) and v.dtype.kind == "f"


def _copy(v):
    return None if v is None else np.array(v, copy=True)


@pytest.mark.parametrize("spec, case", CASES)
def test_reference_never_modifies_its_inputs(spec, case):
    before = {k: _copy(v) for k, v in case.inputs.items()}
    out, cache = spec.run_forward(case)
    dout = spec.dout(case, out)
    douts_before = [d.copy() for d in spec.outs_of(dout)]
    outs_before = [o.copy() for o in spec.outs_of(out)]
    spec.call_backward(dout, cache)
    for k, v in case.inputs.items():
        if v is None:
            continue
        assert np.array_equal(v, before[k], equal_nan=True), (
            f"{spec.name} modified input {k} ({case.describe()})"
        )
    for d, b in zip(spec.outs_of(dout), douts_before):
        assert np.array_equal(d, b), f"{spec.name}_backward modified dout ({case.describe()})"
    for o, b in zip(spec.outs_of(out), outs_before):
        assert np.array_equal(o, b), f"{spec.name}_backward modified the forward output ({case.describe()})"


@pytest.mark.parametrize("spec", SPECS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_reference_keeps_the_input_dtype(spec, dtype):
    """The reference runs in its input's precision (the benchmark times float32 this way)."""
    case = spec.make_cases()[0]
    # float inputs only: integer inputs (class indices) keep their dtype
    inputs = {k: v.astype(dtype) if _is_float(v) else v for k, v in case.inputs.items()}
    case = Case(case.label, inputs, case.kwargs, case.smooth)
    out, cache = spec.run_forward(case)
    for o in spec.outs_of(out):
        assert o.dtype == dtype, f"{spec.name}_forward returned {o.dtype} for {np.dtype(dtype)} inputs"
    douts = tuple(d.astype(dtype) for d in spec.outs_of(spec.dout(case, out)))
    for name, g in zip(
        spec.grad_names, spec.grads_of(spec.call_backward(douts if spec.multi else douts[0], cache))
    ):
        if g is not None:
            assert g.dtype == dtype, (
                f"{spec.name}_backward returned d{name} as {g.dtype} for {np.dtype(dtype)}"
            )


# ---------------------------------------------------------------- numerical stability

# elementwise and row-wise ops of one array (pooling needs a window, dropout a seed: their large
# magnitudes are among their registry cases)
UNARY = [pytest.param(s, id=s.name) for s in REGISTRY.values()
         if tuple(s.inputs) == ("x",) and s.chapter == "02_activations"]
HUGE = np.array(
    [[-1000.0, 1000.0], [1000.0, -1000.0], [-1000.0, -1000.0], [1000.0, 1000.0], [0.0, 1000.0]]
)


def test_stable_ops_are_registered():
    assert {"sigmoid", "softmax", "log_softmax"} <= {p.values[0].name for p in UNARY}


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("spec", UNARY)
def test_finite_at_plus_minus_1000_without_warnings(spec, dtype):
    # Underflow (exp(-1000) == 0) is the intended result and stays ignored, as NumPy's default;
    # overflow, division by zero and invalid operations raise, and so does any warning.
    x = HUGE.astype(dtype)
    dout = np.ones_like(x)
    with warnings.catch_warnings(), np.errstate(all="raise", under="ignore"):
        warnings.simplefilter("error")
        out, cache = spec.forward(x)
        dx = spec.backward(dout, cache)
    assert np.isfinite(out).all(), f"{spec.name}({x.tolist()}) = {out.tolist()}"
    assert np.isfinite(dx).all(), f"d{spec.name} at {x.tolist()} = {dx.tolist()}"
    if dtype == np.float64:
        case = Case("+-1000", {"x": x})
        _check(
            out,
            spec.torch_forward(case, dev=DEV),
            atol=spec.atol,
            rtol=spec.rtol,
            name=f"{spec.name} at +-1000",
        )
        _check(
            dx,
            spec.torch_backward(case, dout, dev=DEV)[0],
            atol=spec.atol,
            rtol=spec.rtol,
            name=f"d{spec.name} at +-1000",
        )


def test_log_softmax_is_finite_at_gaps_of_1000():
    x = np.array([[0.0, 1000.0, -1000.0], [-1000.0, 0.0, 1000.0], [2000.0, 1000.0, 0.0]])
    with np.errstate(all="raise", under="ignore"):
        out, cache = get("log_softmax")[0].forward(x)
        dx = get("log_softmax")[0].backward(np.ones_like(x), cache)
    assert np.isfinite(out).all() and np.isfinite(dx).all(), out
    np.testing.assert_allclose(
        out, [[-1000.0, 0.0, -2000.0], [-2000.0, -1000.0, 0.0], [0.0, -1000.0, -2000.0]]
    )


def test_softmax_rows_sum_to_one_at_plus_minus_1000():
    out, _ = get("softmax")[0].forward(HUGE)
    np.testing.assert_allclose(out.sum(axis=-1), 1.0)


# ---------------------------------------------------------------- gelu, approximate="tanh"

GELU_TANH = [
    pytest.param(Case(c.label, c.inputs, {**c.kwargs, "approximate": "tanh"}, c.smooth), id=c.label)
    for c in REGISTRY["gelu"].make_cases(hidden=True)
]


@pytest.mark.parametrize("case", GELU_TANH)
def test_gelu_tanh_matches_torch(case):
    import torch.nn.functional as F

    spec = REGISTRY["gelu"]
    out, _ = spec.run_forward(case)
    x = backend.to_torch(case.inputs["x"], requires_grad=True, dev=DEV)
    y = F.gelu(x, approximate="tanh")
    _check(
        out,
        backend.to_numpy(y),
        atol=spec.atol,
        rtol=spec.rtol,
        name=f"gelu tanh, {case.describe()}",
    )
    dout = spec.dout(case, out)
    y.backward(backend.to_torch(dout, dev=DEV))
    (dx,) = spec.run_backward(case, dout)
    _check(
        dx,
        backend.to_numpy(x.grad),
        atol=spec.atol,
        rtol=spec.rtol,
        name=f"dgelu tanh, {case.describe()}",
    )
    reports = gradcheck(spec.forward, {"x": case.inputs["x"]}, {"x": dx}, dout, kwargs=case.kwargs)
    assert reports["x"].ok, str(reports["x"])


def test_gelu_tanh_differs_from_exact():
    x = np.linspace(-3, 3, 13)
    exact, _ = get("gelu")[0].forward(x)
    approx, _ = get("gelu")[0].forward(x, approximate="tanh")
    assert 1e-5 < np.abs(exact - approx).max() < 1e-2


# ---------------------------------------------------------------- registry sanity


def _float_arrays(case):
    return [v for v in case.inputs.values() if isinstance(v, np.ndarray) and v.dtype.kind == "f"]


EDGE_CASES = {
    "batch of one": lambda c: any(a.ndim >= 2 and a.shape[0] == 1 for a in _float_arrays(c)[:1]),
    "exact zeros": lambda c: any((a == 0).any() for a in _float_arrays(c)),
    "large magnitudes": lambda c: any(np.abs(a).max() >= 100 for a in _float_arrays(c) if a.size),
    "non-square": lambda c: any(a.ndim >= 2 and len(set(a.shape)) > 1 for a in _float_arrays(c)),
}


# where an edge case cannot exist, its analogue: probabilities cannot be large, but can be exactly 0 and 1
EDGE_ANALOGUES = {
    # an embedding's batch is its index array
    ("embedding", "batch of one"): lambda c: c.inputs["input"].ndim >= 2 and c.inputs["input"].shape[0] == 1,
    ("binary_cross_entropy", "large magnitudes"): lambda c: any(
        (a == 0).any() and (a == 1).any() for a in _float_arrays(c)[:1]
    ),
}


@pytest.mark.parametrize("kind", list(EDGE_CASES))
@pytest.mark.parametrize("spec", SPECS)
def test_every_op_has_the_edge_cases(spec, kind):
    cases = spec.make_cases(hidden=True)
    has = EDGE_ANALOGUES.get((spec.name, kind), EDGE_CASES[kind])
    assert any(has(c) for c in cases), (
        f"{spec.name} has no {kind} case: {[c.label for c in cases]}"
    )


@pytest.mark.parametrize("spec", SPECS)
def test_cases_are_deterministic_and_well_formed(spec):
    visible, hidden = spec.make_cases(), spec.make_cases(hidden=True)
    assert visible and len(hidden) > len(visible), (
        f"{spec.name}: hidden cases must add to the visible ones"
    )
    labels = [c.label for c in hidden]
    assert len(set(labels)) == len(labels), f"{spec.name}: duplicate case labels {labels}"
    for a, b in zip(hidden, spec.make_cases(hidden=True)):
        assert a.label == b.label and a.kwargs == b.kwargs
        for k in spec.inputs:
            assert (a.inputs[k] is None and b.inputs[k] is None) or np.array_equal(
                a.inputs[k], b.inputs[k]
            )
    for c in hidden:
        assert set(c.inputs) == set(spec.inputs), (
            f"{spec.name} case {c.label!r} inputs {list(c.inputs)}"
        )
    bench = spec.bench(np.random.default_rng(0))
    assert set(bench.inputs) == set(spec.inputs)
    assert (
        spec.atol > 0
        and spec.rtol > 0
        and spec.grade_atol >= spec.atol
        and spec.grade_rtol >= spec.rtol
    )


@pytest.mark.parametrize("spec", SPECS)
def test_spec_maps_to_reference_functions(spec):
    assert spec.chapter[:2].isdigit() and "_" in spec.chapter, spec.chapter
    module = importlib.import_module(f"coursekit.reference.{spec.chapter.split('_', 1)[1]}")
    assert getattr(module, f"{spec.name}_forward") is spec.forward
    assert getattr(module, f"{spec.name}_backward") is spec.backward
    assert get(f"{spec.name}_forward") == (spec, "forward")
    assert get(f"{spec.name}_backward") == (spec, "backward")
    assert get(spec.name) == (spec, None)
    assert set(spec.hints) <= {"forward", "backward"}


def test_get():
    assert get("relu_forward") == (REGISTRY["relu"], "forward")
    assert get("log_softmax_backward") == (REGISTRY["log_softmax"], "backward")
    assert get("softmax_backward") == (REGISTRY["softmax"], "backward")
    assert get("linear") == (REGISTRY["linear"], None)
    with pytest.raises(KeyError, match="no op named 'relu_fwd'.*relu"):
        get("relu_fwd")


def test_chapters_01_and_02_are_registered():
    assert {
        "linear",
        "sigmoid",
        "tanh",
        "relu",
        "leaky_relu",
        "gelu",
        "softmax",
        "log_softmax",
    } <= set(REGISTRY)
