"""Chapter 05 - weight initialisation, with the formulas of `torch.nn.init`.

Weights have PyTorch's layout: a linear layer's weight is (out_features, in_features), so
fan_in = shape[1] and fan_out = shape[0]; for a conv weight (C_out, C_in, kH, kW) both are
multiplied by the receptive field kH * kW.

Every random initialiser takes `rng`: a `np.random.Generator` (reproducible), an int seed, or None
(fresh entropy). Each returns a new float64 array of `shape`.

    fan_in, fan_out = fans(shape)
    xavier (Glorot):  std = gain * sqrt(2 / (fan_in + fan_out))
    kaiming (He):     std = gain / sqrt(fan)         fan = fan_in or fan_out (`mode`)
    uniform variants: U(-bound, bound) with bound = sqrt(3) * std (same variance)
"""
from __future__ import annotations

import math
import numbers

import numpy as np

from ._validate import generator

__all__ = ["INITS", "calculate_gain", "fans", "glorot_normal", "glorot_uniform", "he_normal",
           "he_uniform", "init", "kaiming_normal", "kaiming_std", "kaiming_uniform", "linear_default",
           "small_random", "xavier_normal", "xavier_std", "xavier_uniform", "zeros"]

_SQRT3 = math.sqrt(3.0)
NONLINEARITIES = ("linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
                  "conv_transpose3d", "sigmoid", "tanh", "relu", "leaky_relu", "selu")


def _shape(shape):
    if isinstance(shape, numbers.Integral) and not isinstance(shape, bool):
        shape = (shape,)
    if not isinstance(shape, (tuple, list)) or not all(
            isinstance(s, numbers.Integral) and not isinstance(s, bool) and s >= 0 for s in shape):
        raise ValueError(f"shape must be a tuple of non-negative ints, got {shape!r}")
    return tuple(int(s) for s in shape)




def _positive(name, v):
    if isinstance(v, bool) or not isinstance(v, numbers.Real) or not math.isfinite(v) or v < 0:
        raise ValueError(f"{name} must be a finite number >= 0, got {v!r}")
    return float(v)


def calculate_gain(nonlinearity, param=None):
    """The gain `torch.nn.init.calculate_gain` recommends for an activation:
    1 for linear/conv/sigmoid, 5/3 for tanh, sqrt(2) for relu,
    sqrt(2 / (1 + negative_slope^2)) for leaky_relu (param = negative_slope, default 0.01), 3/4 for selu."""
    if nonlinearity not in NONLINEARITIES:
        raise ValueError(f"nonlinearity must be one of {', '.join(NONLINEARITIES)}, got {nonlinearity!r}")
    if nonlinearity in ("linear", "sigmoid") or nonlinearity.startswith("conv"):
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "selu":
        return 3.0 / 4
    slope = 0.01 if param is None else param
    if isinstance(slope, bool) or not isinstance(slope, numbers.Real):
        raise ValueError(f"param (negative_slope) must be a number, got {slope!r}")  # noqa: TRY004
    return math.sqrt(2.0 / (1 + slope**2))


def fans(shape):
    """(fan_in, fan_out) of a weight of `shape` (at least 2-D): shape[1] and shape[0], each times
    the receptive field (the product of shape[2:])."""
    shape = _shape(shape)
    if len(shape) < 2:
        raise ValueError(f"fan_in and fan_out need a weight of at least 2 dimensions, got shape {shape}")
    receptive = math.prod(shape[2:])
    return shape[1] * receptive, shape[0] * receptive


def xavier_std(shape, gain=1.0):
    """gain * sqrt(2 / (fan_in + fan_out)): Glorot's std, which keeps the variance of the
    activations (forward) and of the gradients (backward) about constant through linear layers."""
    fan_in, fan_out = fans(shape)
    return _positive("gain", gain) * math.sqrt(2.0 / (fan_in + fan_out))


def kaiming_std(shape, a=0.0, mode="fan_in", nonlinearity="leaky_relu"):
    """gain / sqrt(fan): He's std; relu halves the variance, the gain sqrt(2) restores it.
    mode "fan_in" keeps the forward activations' variance, "fan_out" the backward gradients'."""
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"mode must be 'fan_in' or 'fan_out', got {mode!r}")
    fan_in, fan_out = fans(shape)
    fan = fan_in if mode == "fan_in" else fan_out
    return calculate_gain(nonlinearity, a) / math.sqrt(fan)


def zeros(shape):
    """All zeros: fine for biases, fatal for weights (every hidden unit stays identical)."""
    return np.zeros(_shape(shape))


def small_random(shape, std=0.01, rng=None):
    """N(0, std^2), the classic 'small random numbers' (std 0.01): signals shrink with depth."""
    return _positive("std", std) * generator(rng).standard_normal(_shape(shape))


def xavier_uniform(shape, gain=1.0, rng=None):
    """`nn.init.xavier_uniform_`: U(-b, b) with b = sqrt(3) * xavier_std(shape, gain)."""
    bound = _SQRT3 * xavier_std(shape, gain)
    return generator(rng).uniform(-bound, bound, _shape(shape))


def xavier_normal(shape, gain=1.0, rng=None):
    """`nn.init.xavier_normal_`: N(0, xavier_std(shape, gain)^2)."""
    return xavier_std(shape, gain) * generator(rng).standard_normal(_shape(shape))


def kaiming_uniform(shape, a=0.0, mode="fan_in", nonlinearity="leaky_relu", rng=None):
    """`nn.init.kaiming_uniform_`: U(-b, b) with b = sqrt(3) * kaiming_std(...).
    (With a = 0, nonlinearity "leaky_relu" has relu's gain sqrt(2), as in PyTorch.)"""
    bound = _SQRT3 * kaiming_std(shape, a, mode, nonlinearity)
    return generator(rng).uniform(-bound, bound, _shape(shape))


def kaiming_normal(shape, a=0.0, mode="fan_in", nonlinearity="leaky_relu", rng=None):
    """`nn.init.kaiming_normal_`: N(0, kaiming_std(...)^2)."""
    return kaiming_std(shape, a, mode, nonlinearity) * generator(rng).standard_normal(_shape(shape))


def linear_default(shape, fan_in=None, rng=None):
    """What `nn.Linear` does by default: U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for the weight
    (kaiming_uniform with a = sqrt(5)) and for the bias (pass the bias's shape and fan_in)."""
    shape = _shape(shape)
    if fan_in is None:
        fan_in = fans(shape)[0]
    bound = 1.0 / math.sqrt(fan_in) if fan_in > 0 else 0.0
    return generator(rng).uniform(-bound, bound, shape)


glorot_uniform, glorot_normal = xavier_uniform, xavier_normal
he_uniform, he_normal = kaiming_uniform, kaiming_normal

INITS = {"zeros": zeros, "small_random": small_random, "xavier_uniform": xavier_uniform,
         "xavier_normal": xavier_normal, "kaiming_uniform": kaiming_uniform,
         "kaiming_normal": kaiming_normal, "linear_default": linear_default}


def init(name, shape, rng=None, **kwargs):
    """An initialiser by name (a key of INITS; "he_*" and "glorot_*" work too)."""
    name = {"he_uniform": "kaiming_uniform", "he_normal": "kaiming_normal",
            "glorot_uniform": "xavier_uniform", "glorot_normal": "xavier_normal"}.get(name, name)
    if name not in INITS:
        raise ValueError(f"name must be one of {', '.join(INITS)}, got {name!r}")
    if name == "zeros":
        return zeros(shape, **kwargs)
    return INITS[name](shape, rng=rng, **kwargs)
