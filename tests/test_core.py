"""The spine under every test and grade: compare(), gradcheck / numerical_gradient, backend."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from coursekit import backend
from coursekit.compare import cmp, compare
from coursekit.gradcheck import gradcheck, numerical_gradient
from coursekit.ops import REGISTRY
from coursekit.reference import activations, neurons

A = np.arange(12, dtype=np.float64).reshape(3, 4) / 7


# ---------------------------------------------------------------- compare


def test_identical_is_exact():
    r = compare(A, A.copy())
    assert r.ok and r.exact and bool(r) and r.problem == ""
    assert r.max_abs == 0 and r.max_rel == 0
    assert "exact" in str(r)


def test_close_is_ok_but_not_exact():
    r = compare(A + 1e-9, A, name="dx")
    assert r.ok and not r.exact
    assert 0 < r.max_abs < 2e-9
    assert str(r).startswith("dx: close")


def test_tolerance_is_atol_plus_rtol_times_expected():
    e = np.array([100.0])
    assert compare(e + 0.9e-3, e, atol=0.0, rtol=1e-5).ok
    assert not compare(e + 1.1e-3, e, atol=0.0, rtol=1e-5).ok
    assert compare(np.array([1e-8]), np.array([0.0]), atol=1e-7, rtol=0).ok
    assert not compare(np.array([1e-6]), np.array([0.0]), atol=1e-7, rtol=0).ok


def test_worst_index_is_reported():
    got = A.copy()
    got[0, 1] += 1e-3
    got[2, 3] += 5.0
    got[1, 2] -= 0.5
    r = compare(got, A)
    assert not r.ok and not bool(r)
    assert r.worst_index == (2, 3)
    assert r.got_value == pytest.approx(got[2, 3]) and r.expected_value == pytest.approx(A[2, 3])
    assert r.max_abs == pytest.approx(5.0)
    assert "3 of 12 values differ" in r.problem and "(2, 3)" in r.problem


def test_worst_index_in_3d():
    e = np.zeros((2, 3, 4))
    g = e.copy()
    g[1, 2, 0] = -7.0
    r = compare(g, e)
    assert r.worst_index == (1, 2, 0) and r.got_value == -7.0 and r.expected_value == 0.0


def test_shape_mismatch():
    r = compare(A.T, A)
    assert not r.ok
    assert r.got_shape == (4, 3) and r.expected_shape == (3, 4)
    assert "(4, 3)" in r.problem and "(3, 4)" in r.problem


def test_broadcastable_shape_is_still_a_mismatch():
    assert not compare(A[:1], A).ok
    assert not compare(A.reshape(-1), A).ok


@pytest.mark.parametrize(
    "got, word",
    [
        (A.tolist(), "list"),
        (torch.from_numpy(A), "torch"),
        (None, "None"),
        (3.0, "float"),
    ],
)
def test_wrong_type(got, word):
    r = compare(got, A)
    assert not r.ok and word in r.problem and "(3, 4)" in r.problem, r.problem


def test_torch_tensor_gets_a_hint():
    assert "NumPy" in compare(torch.from_numpy(A), A).problem


def test_none_expected():
    assert compare(None, None).ok
    r = compare(A, None)
    assert not r.ok and "expected None" in r.problem


def test_non_numeric_dtype():
    r = compare(np.full((3, 4), "a"), A)
    assert not r.ok and "dtype" in r.problem


def test_integer_got_is_compared_by_value():
    assert compare(np.array([1, 2]), np.array([1.0, 2.0])).exact


def test_nan_in_got_is_reported_first():
    got = A.copy()
    got[2, 0] += 100.0
    got[1, 1] = np.nan
    r = compare(got, A)
    assert not r.ok
    assert "non-finite" in r.problem and "(1, 1)" in r.problem
    assert r.worst_index == (1, 1) and np.isnan(r.got_value)


def test_inf_in_got():
    got = A.copy()
    got[0, 3] = -np.inf
    r = compare(got, A)
    assert not r.ok and "non-finite" in r.problem and r.worst_index == (0, 3)


def test_nan_matches_nan_and_inf_matches_the_same_inf():
    e = np.array([np.nan, np.inf, -np.inf, 1.0])
    assert compare(e.copy(), e).ok
    assert not compare(np.array([np.nan, -np.inf, -np.inf, 1.0]), e).ok
    assert not compare(np.array([0.0, np.inf, -np.inf, 1.0]), e).ok  # finite where NaN expected
    assert not compare(np.array([np.nan, np.inf, -np.inf, 1.0]), np.ones(4)).ok


def test_empty_arrays_are_exact():
    assert compare(np.zeros((0, 3)), np.zeros((0, 3))).exact


def test_compare_does_not_modify_its_arguments():
    g, e = A + 1.0, A.copy()
    g0, e0 = g.copy(), e.copy()
    compare(g, e)
    assert np.array_equal(g, g0) and np.array_equal(e, e0)


def test_cmp_prints_one_line_and_accepts_a_tensor(capsys):
    r = cmp("dW", A, torch.from_numpy(A).float().requires_grad_())
    assert r.ok
    out = capsys.readouterr().out
    assert out.count("\n") == 1 and out.startswith("dW: ")


# ---------------------------------------------------------------- gradcheck


def _linear_case(rng):
    x, w, b = rng.standard_normal((4, 3)), rng.standard_normal((5, 3)), rng.standard_normal(5)
    out, cache = neurons.linear_forward(x, w, b)
    dout = rng.standard_normal(out.shape)
    dx, dw, db = neurons.linear_backward(dout, cache)
    return {"x": x, "weight": w, "bias": b}, {"x": dx, "weight": dw, "bias": db}, dout


def test_gradcheck_passes_a_correct_backward():
    inputs, grads, dout = _linear_case(np.random.default_rng(0))
    reports = gradcheck(neurons.linear_forward, inputs, grads, dout)
    assert set(reports) == {"x", "weight", "bias"}
    assert all(r.ok for r in reports.values()), reports


def test_gradcheck_catches_a_transposed_gradient():
    inputs, grads, dout = _linear_case(np.random.default_rng(1))
    wrong = {
        **grads,
        "weight": grads["weight"].T.reshape(grads["weight"].shape),
    }  # right size, wrong layout
    reports = gradcheck(neurons.linear_forward, inputs, wrong, dout)
    assert reports["x"].ok and reports["bias"].ok
    assert not reports["weight"].ok and "differ" in reports["weight"].problem


def test_gradcheck_catches_a_scaled_gradient():
    x = np.random.default_rng(2).standard_normal((3, 4))
    out, cache = activations.sigmoid_forward(x)
    dout = np.ones_like(out)
    right = activations.sigmoid_backward(dout, cache)
    assert gradcheck(activations.sigmoid_forward, {"x": x}, {"x": right}, dout)["x"].ok
    assert not gradcheck(activations.sigmoid_forward, {"x": x}, {"x": 2 * right}, dout)["x"].ok
    assert not gradcheck(activations.sigmoid_forward, {"x": x}, {"x": out}, dout)[
        "x"
    ].ok  # sigma, not sigma'


def test_gradcheck_cannot_see_the_value_at_a_kink():
    """relu with gradient 1 at x = 0 is wrong only at 0; away from 0 it agrees with numerics -
    which is why cases on a kink are marked non-smooth and checked against autograd instead."""
    x = np.array([[-1.0, 0.5, 2.0]])

    def sloppy_backward(dout, x):
        return dout * (x >= 0)

    dout = np.ones_like(x)
    assert gradcheck(activations.relu_forward, {"x": x}, {"x": sloppy_backward(dout, x)}, dout)[
        "x"
    ].ok
    assert any(not c.smooth for c in REGISTRY["relu"].make_cases())


def test_gradcheck_reports_a_wrong_sized_gradient():
    x = np.ones((2, 3))
    reports = gradcheck(activations.tanh_forward, {"x": x}, {"x": np.ones(5)}, np.ones((2, 3)))
    assert not reports["x"].ok and "5 values" in reports["x"].problem


def test_gradcheck_skips_none_inputs():
    rng = np.random.default_rng(3)
    x, w = rng.standard_normal((2, 3)), rng.standard_normal((4, 3))
    out, cache = neurons.linear_forward(x, w, None)
    dout = rng.standard_normal(out.shape)
    dx, dw, db = neurons.linear_backward(dout, cache)
    assert db is None
    reports = gradcheck(
        neurons.linear_forward,
        {"x": x, "weight": w, "bias": None},
        {"x": dx, "weight": dw, "bias": db},
        dout,
    )
    assert set(reports) == {"x", "weight"} and all(r.ok for r in reports.values())


def test_gradcheck_passes_kwargs():
    x = np.random.default_rng(4).standard_normal((3, 4))
    out, cache = activations.softmax_forward(x, dim=0)
    dout = np.random.default_rng(5).standard_normal(out.shape)
    dx = activations.softmax_backward(dout, cache)
    assert gradcheck(activations.softmax_forward, {"x": x}, {"x": dx}, dout, kwargs={"dim": 0})[
        "x"
    ].ok
    assert not gradcheck(activations.softmax_forward, {"x": x}, {"x": dx}, dout, kwargs={"dim": 1})[
        "x"
    ].ok


def test_numerical_gradient_samples_coordinates_for_large_inputs():
    x = np.random.default_rng(6).standard_normal((40, 50))
    dout = np.random.default_rng(7).standard_normal(x.shape)
    calls = []

    def f(v):
        calls.append(1)
        return np.tanh(v)

    idx, num = numerical_gradient(f, x, dout, max_coords=64)
    assert idx.shape == (64,) and num.shape == (64,)
    assert (
        len(np.unique(idx)) == 64
        and (np.diff(idx) > 0).all()
        and idx.min() >= 0
        and idx.max() < x.size
    )
    assert len(calls) == 2 * 64  # two evaluations per sampled coordinate, not per element
    exact = (dout * (1 - np.tanh(x) ** 2)).reshape(-1)[idx]
    np.testing.assert_allclose(num, exact, rtol=1e-6, atol=1e-8)


def test_numerical_gradient_is_reproducible_and_seeded():
    x = np.ones(500)
    i1, _ = numerical_gradient(np.sin, x, np.ones(500), max_coords=10, rng=np.random.default_rng(1))
    i2, _ = numerical_gradient(np.sin, x, np.ones(500), max_coords=10, rng=np.random.default_rng(1))
    i3, _ = numerical_gradient(np.sin, x, np.ones(500), max_coords=10)
    assert np.array_equal(i1, i2) and i3.shape == (10,)


def test_numerical_gradient_covers_small_inputs_fully():
    x = np.arange(6.0).reshape(2, 3)
    idx, num = numerical_gradient(lambda v: v**2, x, np.ones_like(x), max_coords=64)
    assert idx.tolist() == list(range(6))
    np.testing.assert_allclose(num, 2 * x.reshape(-1), atol=1e-6)
    idx, _ = numerical_gradient(lambda v: v**2, np.ones(100), np.ones(100), max_coords=None)
    assert idx.size == 100


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_numerical_gradient_never_modifies_its_input(dtype):
    x = np.random.default_rng(8).standard_normal((10, 10)).astype(dtype)
    before = x.copy()
    seen = []

    def f(v):
        seen.append(v is x)
        return v * 3

    numerical_gradient(f, x, np.ones((10, 10)), max_coords=20)
    assert np.array_equal(x, before) and x.dtype == dtype
    assert not any(seen), "f was called with the caller's array itself"
    inputs = {"x": x}
    gradcheck(activations.tanh_forward, inputs, {"x": np.ones((10, 10))}, np.ones((10, 10)))
    assert inputs["x"] is x and np.array_equal(x, before)


# ---------------------------------------------------------------- backend


@pytest.fixture
def no_cuda(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)


@pytest.mark.parametrize("value", ["cpu", "CPU", " cpu "])
def test_device_respects_the_environment(monkeypatch, value):
    monkeypatch.setenv("COURSEKIT_DEVICE", value)
    assert backend.device() == torch.device("cpu")


def test_device_rejects_a_bad_value(monkeypatch):
    monkeypatch.setenv("COURSEKIT_DEVICE", "tpu")
    with pytest.raises(
        ValueError, match=r"COURSEKIT_DEVICE must be one of auto, cpu, cuda, got 'tpu'"
    ):
        backend.device()
    with pytest.raises(ValueError, match="'gpu'"):
        backend.device("gpu")


def test_cuda_without_cuda_is_a_runtime_error(monkeypatch, no_cuda):
    monkeypatch.setenv("COURSEKIT_DEVICE", "cuda")
    with pytest.raises(RuntimeError, match="no CUDA device"):
        backend.device()
    with pytest.raises(RuntimeError, match="no CUDA device"):
        backend.device("cuda")


def test_auto_picks_cpu_without_cuda(monkeypatch, no_cuda):
    monkeypatch.delenv("COURSEKIT_DEVICE", raising=False)
    assert backend.device() == torch.device("cpu")
    monkeypatch.setenv("COURSEKIT_DEVICE", "auto")
    assert backend.device() == torch.device("cpu")
    monkeypatch.setenv("COURSEKIT_DEVICE", "")
    assert backend.device() == torch.device("cpu")


def test_auto_picks_cuda_when_present(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.delenv("COURSEKIT_DEVICE", raising=False)
    assert backend.device().type == "cuda"
    monkeypatch.setenv("COURSEKIT_DEVICE", "cpu")
    assert backend.device().type == "cpu"


def test_explicit_choice_beats_the_environment(monkeypatch, no_cuda):
    monkeypatch.setenv("COURSEKIT_DEVICE", "cuda")
    assert backend.device("cpu") == torch.device("cpu")


def test_tf32_is_off():
    t = backend.torch()
    assert t.backends.cuda.matmul.allow_tf32 is False and t.backends.cudnn.allow_tf32 is False


def test_to_torch_and_back(monkeypatch):
    monkeypatch.setenv("COURSEKIT_DEVICE", "cpu")
    a = np.arange(6, dtype=np.float32).reshape(2, 3)
    t = backend.to_torch(a, requires_grad=True)
    assert t.dtype == torch.float64 and t.requires_grad and t.is_leaf and t.device.type == "cpu"
    with torch.no_grad():
        t += 1
    assert a[0, 0] == 0  # a fresh copy
    assert backend.to_torch(np.array([1, 2], dtype=np.int32)).dtype == torch.int64
    assert backend.to_torch(np.array([True, False])).dtype == torch.bool
    assert backend.to_torch(None) is None and backend.to_numpy(None) is None
    back = backend.to_numpy(t)
    assert back.dtype == np.float64 and back[0, 0] == 1.0
    back[0, 0] = 99
    assert t[0, 0].item() == 1.0  # to_numpy copies too


@pytest.mark.parametrize("name", ["linear", "softmax"])
def test_comparisons_run_on_the_forced_cpu_device(monkeypatch, name):
    monkeypatch.setenv("COURSEKIT_DEVICE", "cpu")
    spec = REGISTRY[name]
    case = spec.make_cases()[0]
    out, _ = spec.run_forward(case)
    assert compare(out, spec.torch_forward(case), atol=spec.atol, rtol=spec.rtol).ok
    dout = spec.dout(case, out)
    for g, e in zip(spec.run_backward(case, dout), spec.torch_backward(case, dout)):
        assert compare(g, e, atol=spec.atol, rtol=spec.rtol).ok
