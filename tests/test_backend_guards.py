"""The guards of coursekit/backend.py that hold without a GPU: TF32 off, float64 on the PyTorch side,
and no silent fallback when the device asked for does not exist.

Their CUDA counterparts (the same flags read on a GPU, to_torch onto cuda, a float32 matmul with and
without TF32) are in tests/test_gpu.py, run by `make test-gpu`.
"""
from __future__ import annotations

import numpy as np
import pytest
import torch

from coursekit import backend, ops
from coursekit.grading import check

CPU = torch.device("cpu")


@pytest.fixture
def tf32_flags():
    """Whatever a test does to the TF32 flags, they are as before afterwards."""
    saved = torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32
    yield
    torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32 = saved


@pytest.fixture
def no_cuda(monkeypatch):
    """A machine without CUDA, also where there is one (the guard must hold on both)."""
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)


# ---------------------------------------------------------------- TF32 off

def test_torch_turns_tf32_off(tf32_flags):
    torch.backends.cuda.matmul.allow_tf32 = True
    torch.backends.cudnn.allow_tf32 = True
    t = backend.torch()
    assert t is torch
    assert torch.backends.cuda.matmul.allow_tf32 is False
    assert torch.backends.cudnn.allow_tf32 is False


@pytest.mark.skipif(not hasattr(torch.backends.cuda.matmul, "fp32_precision"),
                    reason="torch before 2.9 has no fp32_precision API")
def test_torch_turns_tf32_off_when_set_through_the_new_api(tf32_flags):
    """torch >= 2.9 also sets TF32 through `fp32_precision`; backend.torch() turns that off too."""
    torch.backends.cuda.matmul.fp32_precision = "tf32"
    torch.backends.cudnn.conv.fp32_precision = "tf32"
    torch.backends.cudnn.rnn.fp32_precision = "tf32"
    backend.torch()
    assert torch.backends.cuda.matmul.fp32_precision != "tf32"
    assert torch.backends.cudnn.conv.fp32_precision != "tf32"
    assert torch.backends.cudnn.rnn.fp32_precision != "tf32"
    assert torch.backends.cuda.matmul.allow_tf32 is False and torch.backends.cudnn.allow_tf32 is False


def test_every_comparison_goes_through_the_guard(tf32_flags, monkeypatch):
    """TF32 switched on between two checks (by a notebook, a library) is off again for the next."""
    monkeypatch.setenv("COURSEKIT_DEVICE", "cpu")
    spec = ops.REGISTRY["linear"]
    case = spec.make_cases()[0]
    torch.backends.cuda.matmul.allow_tf32 = True
    torch.backends.cudnn.allow_tf32 = True
    spec.torch_forward(case)
    assert torch.backends.cuda.matmul.allow_tf32 is False and torch.backends.cudnn.allow_tf32 is False


# ---------------------------------------------------------------- float64 on the PyTorch side

@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_to_torch_makes_floats_float64(dtype):
    a = (np.arange(6).reshape(2, 3) / 4).astype(dtype)
    t = backend.to_torch(a, dev=CPU)
    assert t.dtype == torch.float64 and t.device == CPU
    np.testing.assert_array_equal(t.numpy(), a.astype(np.float64))
    leaf = backend.to_torch(a, requires_grad=True, dev=CPU)
    assert leaf.dtype == torch.float64 and leaf.requires_grad and leaf.is_leaf


def test_to_torch_makes_float_scalars_and_lists_float64():
    assert backend.to_torch(np.float32(1.5), dev=CPU).dtype == torch.float64
    assert backend.to_torch([0.5, 1.0], dev=CPU).dtype == torch.float64


@pytest.mark.parametrize("dtype", [np.int8, np.uint8, np.int32, np.int64])
def test_to_torch_makes_integers_int64(dtype):
    t = backend.to_torch(np.array([0, 3, 1], dtype=dtype), dev=CPU)
    assert t.dtype == torch.int64 and t.tolist() == [0, 3, 1]


def test_to_torch_keeps_masks_bool():
    t = backend.to_torch(np.array([[True, False], [False, True]]), dev=CPU)
    assert t.dtype == torch.bool and t.tolist() == [[True, False], [False, True]]


def test_to_numpy_gives_float64():
    for t in (torch.ones(2, dtype=torch.float32), torch.ones(2, dtype=torch.float16), torch.ones(2, dtype=torch.int64)):
        assert backend.to_numpy(t).dtype == np.float64


@pytest.mark.parametrize("spec", [pytest.param(s, id=s.name) for s in ops.REGISTRY.values()])
def test_the_torch_side_of_every_op_computes_in_float64(spec):
    """Not only the inputs: no torch function of the registry falls back to float32 inside (a module
    built in the default dtype, a tensor made without dtype=)."""
    for o in spec.torch_tensors(spec.make_cases()[0], CPU):
        assert isinstance(o, torch.Tensor) and o.dtype == torch.float64, (spec.name, type(o), getattr(o, "dtype", None))


# ---------------------------------------------------------------- no silent fallback of the device

def test_cuda_without_cuda_raises_a_clear_runtime_error(no_cuda, monkeypatch):
    monkeypatch.delenv("COURSEKIT_DEVICE", raising=False)
    with pytest.raises(RuntimeError, match=r"torch sees no CUDA device; use cpu or auto"):
        backend.device("cuda")
    monkeypatch.setenv("COURSEKIT_DEVICE", "cuda")
    with pytest.raises(RuntimeError, match=r"^COURSEKIT_DEVICE=cuda but torch sees no CUDA device"):
        backend.device()
    with pytest.raises(RuntimeError, match="no CUDA device"):  # not a quiet comparison on the CPU
        backend.to_torch(np.ones(2))


@pytest.mark.parametrize("value", ["bogus", "gpu", "cuda:0"])
def test_an_unknown_device_raises_value_error_naming_the_variable(monkeypatch, value):
    monkeypatch.setenv("COURSEKIT_DEVICE", value)
    with pytest.raises(ValueError, match=rf"COURSEKIT_DEVICE must be one of auto, cpu, cuda, got '{value}'"):
        backend.device()
    with pytest.raises(ValueError, match="COURSEKIT_DEVICE"):
        backend.to_torch(np.ones(2))


def test_check_refuses_an_unknown_device(monkeypatch):
    monkeypatch.setenv("COURSEKIT_DEVICE", "bogus")

    def relu_forward(x):
        return np.maximum(x, 0.0), x

    with pytest.raises(ValueError, match="COURSEKIT_DEVICE"):
        check("relu_forward", relu_forward, quiet=True)
