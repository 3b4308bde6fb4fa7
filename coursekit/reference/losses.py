"""Chapter 03 - losses, each forward beside its backward (as `torch.nn.functional`).

Forwards take `(input, target, ..., reduction="mean")` and return `(loss, cache)`: a 0-d array for
"mean" and "sum", an array shaped like the per-element loss for "none". Backwards take
`(dout, cache)` (dout shaped like the loss) and return `dinput`, the gradient for `input` only:
targets are data, not parameters, in this course.
"""
from __future__ import annotations

import numpy as np

from ._validate import array, indices, same_shape
from .activations import sigmoid_forward

REDUCTIONS = ("mean", "sum", "none")
_EPS = 1e-12  # PyTorch's clamp in the binary cross-entropy gradient


def _reduction(reduction):
    if reduction not in REDUCTIONS:
        raise ValueError(f"reduction must be one of {', '.join(REDUCTIONS)}, got {reduction!r}")
    return reduction


def _reduce(loss, reduction, count=None):
    if reduction == "none":
        return loss
    total = loss.sum()
    if reduction == "mean":  # PyTorch: the mean over zero counted elements is nan
        n = loss.size if count is None else count
        total = total / n if n else total * np.nan
    return np.asarray(total)


def _dloss(dout, shape, reduction, count):
    """Upstream gradient of the per-element loss: dout itself for "none"; for "mean" and "sum" a
    Python float (dout, / count for the mean) that scales every element without an array of copies."""
    dout = array("dout", dout)
    if reduction == "none":
        if dout.shape != shape:
            raise ValueError(f"dout must have the loss's shape {shape} (reduction='none'), got {dout.shape}")
        return dout
    if dout.shape != ():
        raise ValueError(f"dout must have the loss's shape () (a 0-d array, reduction={reduction!r}), "
                         f"got {dout.shape}")
    return float(dout) / (max(count, 1) if reduction == "mean" else 1)


def _pair(input, target):
    input, target = array("input", input), array("target", target)
    same_shape("input", input, "target", target)
    return input, target


# ------------------------------------------------------------------ regression losses

def mse_loss_forward(input, target, reduction="mean"):
    """Mean squared error: (input - target)^2, reduced. input, target: same shape (any)."""
    input, target = _pair(input, target)
    diff = input - target
    return _reduce(np.square(diff), _reduction(reduction)), (diff, reduction)


def mse_loss_backward(dout, cache):
    """dinput = 2 (input - target) * dout (/ n for the mean)."""
    diff, reduction = cache
    return diff * (2.0 * _dloss(dout, diff.shape, reduction, diff.size))


def l1_loss_forward(input, target, reduction="mean"):
    """Mean absolute error |input - target|, reduced."""
    input, target = _pair(input, target)
    diff = input - target
    return _reduce(np.abs(diff), _reduction(reduction)), (diff, reduction)


def l1_loss_backward(dout, cache):
    """dinput = sign(input - target) * dout: 0 where input == target, as PyTorch."""
    diff, reduction = cache
    g = np.sign(diff)
    g *= _dloss(dout, diff.shape, reduction, diff.size)
    return g


def smooth_l1_loss_forward(input, target, reduction="mean", beta=1.0):
    """Huber-like loss: 0.5 d^2 / beta where |d| < beta, |d| - 0.5 beta elsewhere (d = input - target).

    Both zones in one formula, c (|d| - c / 2) / beta with c = min(|d|, beta): no np.where, which
    computes both zones and then branches per element.
    """
    input, target = _pair(input, target)
    if beta < 0:
        raise ValueError(f"beta must be >= 0, got {beta}")
    diff = input - target
    loss = np.abs(diff)
    if beta > 0:
        c = np.minimum(loss, beta)
        loss -= 0.5 * c
        loss *= c
        loss *= 1.0 / beta
    return _reduce(loss, _reduction(reduction)), (diff, reduction, beta)


def smooth_l1_loss_backward(dout, cache):
    """d / beta inside the quadratic zone, sign(d) outside: clip(d / beta, -1, 1), one formula for both."""
    diff, reduction, beta = cache
    g = np.sign(diff) if beta == 0 else np.clip(diff * (1.0 / beta), -1.0, 1.0)
    g *= _dloss(dout, diff.shape, reduction, diff.size)
    return g


# ------------------------------------------------------------------ binary classification

def binary_cross_entropy_forward(input, target, reduction="mean"):
    """-(t log p + (1 - t) log(1 - p)) on probabilities p = input in [0, 1].

    Each log is clamped at -100, as PyTorch does, so p = 0 or 1 gives a finite loss.
    """
    p, t = _pair(input, target)
    if p.size and (p.min() < 0 or p.max() > 1):
        raise ValueError(f"input must hold probabilities in [0, 1] (got values in [{p.min():.3g}, {p.max():.3g}]); "
                         "for logits use binary_cross_entropy_with_logits")
    with np.errstate(divide="ignore"):
        logp, log1mp = np.maximum(np.log(p), -100.0), np.maximum(np.log1p(-p), -100.0)
    loss = -(t * logp + (1.0 - t) * log1mp)
    return _reduce(loss, _reduction(reduction)), (p, t, reduction)


def binary_cross_entropy_backward(dout, cache):
    """dinput = (p - t) / max(p (1 - p), 1e-12) * dout, PyTorch's clamped form."""
    p, t, reduction = cache
    denom = 1.0 - p
    denom *= p
    g = p - t
    g /= np.maximum(denom, _EPS)
    g *= _dloss(dout, p.shape, reduction, p.size)
    return g


def binary_cross_entropy_with_logits_forward(input, target, reduction="mean"):
    """Binary cross-entropy on logits z, stable for |z| = 1000:

    loss = max(z, 0) - z t + log(1 + exp(-|z|))  (never exp of a large positive number).
    """
    z, t = _pair(input, target)
    loss = np.log1p(np.exp(-np.abs(z)))
    loss += np.maximum(z, 0.0)
    loss -= z * t
    return _reduce(loss, _reduction(reduction)), (z, t, reduction)


def binary_cross_entropy_with_logits_backward(dout, cache):
    """dinput = (sigmoid(z) - t) * dout, with the stable sigmoid of chapter 02."""
    z, t, reduction = cache
    g = sigmoid_forward(z)[0]
    g -= t
    g *= _dloss(dout, z.shape, reduction, z.size)
    return g


# ------------------------------------------------------------------ multi-class classification

def _class_targets(input, target, ignore_index):
    input = array("input", input, ndim=2)
    target = indices("target", target, "integer class indices")
    if target.shape != input.shape[:1]:
        raise ValueError(f"target must have shape ({input.shape[0]},) for input of shape {input.shape} "
                         f"(N, C), got {target.shape}")
    keep = target != ignore_index
    bad = keep & ((target < 0) | (target >= input.shape[1]))
    if bad.any():
        raise ValueError(f"target holds class {int(target[bad][0])}, outside [0, {input.shape[1]}) for input "
                         f"of shape {input.shape}")
    return input, np.where(keep, target, 0), keep


def nll_loss_forward(input, target, reduction="mean", ignore_index=-100):
    """Negative log-likelihood: -input[n, target[n]]. input: (N, C) log-probabilities;
    target: (N,) class indices; rows whose target is ignore_index count for nothing (and not in the mean)."""
    input, safe, keep = _class_targets(input, target, ignore_index)
    picked = -input[np.arange(input.shape[0]), safe] * keep
    count = int(keep.sum())
    return _reduce(picked, _reduction(reduction), count), (input.shape, input.dtype, safe, keep, reduction, count)


def nll_loss_backward(dout, cache):
    """dinput[n, target[n]] = -dout (/ number of counted rows for the mean); zero elsewhere."""
    shape, dtype, safe, keep, reduction, count = cache
    g = _dloss(dout, shape[:1], reduction, count)
    dx = np.zeros(shape, dtype=dtype)
    dx[np.arange(shape[0]), safe] = -g * keep
    return dx


def cross_entropy_forward(input, target, reduction="mean", ignore_index=-100):
    """Softmax + negative log-likelihood on logits, via log-sum-exp (stable for |logits| = 1000).

    input: (N, C) logits; target: (N,) class indices. Returns the loss and a cache.
    """
    input, safe, keep = _class_targets(input, target, ignore_index)
    log_probs = input - input.max(axis=1, keepdims=True)  # shifted, then minus log-sum-exp in place
    log_probs -= np.log(np.exp(log_probs).sum(axis=1, keepdims=True))
    picked = -log_probs[np.arange(input.shape[0]), safe] * keep
    count = int(keep.sum())
    return _reduce(picked, _reduction(reduction), count), (log_probs, safe, keep, reduction, count)


def cross_entropy_backward(dout, cache):
    """dinput = (softmax(input) - onehot(target)) * dout per row (/ counted rows for the mean)."""
    log_probs, safe, keep, reduction, count = cache
    g = (_dloss(dout, log_probs.shape[:1], reduction, count) * keep).astype(log_probs.dtype, copy=False)
    dx = np.exp(log_probs)
    dx[np.arange(dx.shape[0]), safe] -= 1.0
    dx *= g[:, None]
    return dx


# ------------------------------------------------------------------ regularisation

def l1_penalty_forward(weight, lam=1e-3):
    """lam * sum |weight|, a 0-d array; added to a loss it pushes weights to exactly zero."""
    weight = array("weight", weight)
    return np.asarray(lam * np.abs(weight).sum(), dtype=weight.dtype), (weight, lam)


def _scalar_dout(dout):
    dout = array("dout", dout)
    if dout.shape != ():
        raise ValueError(f"dout must have the penalty's shape () (a 0-d array), got {dout.shape}")
    return float(dout)


def l1_penalty_backward(dout, cache):
    """dweight = lam * sign(weight) * dout."""
    weight, lam = cache
    g = np.sign(weight)
    g *= lam * _scalar_dout(dout)
    return g


def l2_penalty_forward(weight, lam=1e-3):
    """lam / 2 * sum weight^2, a 0-d array (weight decay: its gradient is lam * weight)."""
    weight = array("weight", weight)
    w = weight.reshape(-1)
    return np.asarray(0.5 * lam * (w @ w), dtype=weight.dtype), (weight, lam)  # w @ w: sum of squares, no temporary


def l2_penalty_backward(dout, cache):
    """dweight = lam * weight * dout."""
    weight, lam = cache
    return weight * (lam * _scalar_dout(dout))
