"""Assignment 03_losses: the solutions of its answer cells.

assignments/build_sources.py copies each function below, from its `def` line to its
`### END SOLUTION`, into the answer cell of the same name (assignment.md places the cells):
edit here, then run `python assignments/build_sources.py`.
"""
import numpy as np


def mse_loss_forward(input, target, reduction="mean"):
    """Mean squared error, like F.mse_loss.

    input, target: ndarrays of one shape (any). reduction: "mean", "sum" or "none".
    Returns (loss, cache): loss is a 0-d array for "mean" and "sum" and has the shape of
    input for "none"; cache is whatever mse_loss_backward needs. Do not modify the inputs.
    """
    ### BEGIN SOLUTION
    diff = input - target
    loss = diff * diff
    if reduction == "mean":
        loss = np.asarray(loss.mean())
    elif reduction == "sum":
        loss = np.asarray(loss.sum())
    return loss, (diff, reduction)
    ### END SOLUTION


def mse_loss_backward(dout, cache):
    """Gradient of mse_loss_forward with respect to input.

    dout: the loss's shape (0-d for "mean" and "sum"). Returns dinput, the shape of input:
    2 * (input - target) * dout, divided by input.size for "mean".
    """
    ### BEGIN SOLUTION
    diff, reduction = cache
    dinput = 2.0 * diff * dout
    if reduction == "mean":
        dinput = dinput / diff.size
    return dinput
    ### END SOLUTION


def binary_cross_entropy_forward(input, target, reduction="mean"):
    """Binary cross-entropy on probabilities, like F.binary_cross_entropy.

    input: probabilities p in [0, 1]; target: labels t in [0, 1], the shape of input.
    loss = -(t * log(p) + (1 - t) * log(1 - p)), each log clamped at -100, then reduced.
    Returns (loss, cache).
    """
    ### BEGIN SOLUTION
    p, t = input, target
    with np.errstate(divide="ignore"):
        log_p = np.maximum(np.log(p), -100.0)
        log_1mp = np.maximum(np.log(1.0 - p), -100.0)
    loss = -(t * log_p + (1.0 - t) * log_1mp)
    if reduction == "mean":
        loss = np.asarray(loss.mean())
    elif reduction == "sum":
        loss = np.asarray(loss.sum())
    return loss, (p, t, reduction)
    ### END SOLUTION


def binary_cross_entropy_backward(dout, cache):
    """Gradient of binary_cross_entropy_forward with respect to input (the probabilities).

    Returns dinput = (p - t) / max(p * (1 - p), 1e-12) * dout, divided by p.size for "mean".
    """
    ### BEGIN SOLUTION
    p, t, reduction = cache
    dinput = (p - t) / np.maximum(p * (1.0 - p), 1e-12) * dout
    if reduction == "mean":
        dinput = dinput / p.size
    return dinput
    ### END SOLUTION


def binary_cross_entropy_with_logits_forward(input, target, reduction="mean"):
    """Binary cross-entropy on logits, like F.binary_cross_entropy_with_logits.

    input: logits z (any real numbers, stable at |z| = 1000); target: labels t, the shape of z.
    loss = max(z, 0) - z * t + log(1 + exp(-|z|)), then reduced. Returns (loss, cache).
    """
    ### BEGIN SOLUTION
    z, t = input, target
    loss = np.maximum(z, 0.0) - z * t + np.log1p(np.exp(-np.abs(z)))
    if reduction == "mean":
        loss = np.asarray(loss.mean())
    elif reduction == "sum":
        loss = np.asarray(loss.sum())
    return loss, (z, t, reduction)
    ### END SOLUTION


def binary_cross_entropy_with_logits_backward(dout, cache):
    """Gradient of binary_cross_entropy_with_logits_forward with respect to the logits.

    Returns dinput = (sigmoid(z) - t) * dout, divided by z.size for "mean".
    """
    ### BEGIN SOLUTION
    z, t, reduction = cache
    e = np.exp(-np.abs(z))
    sig = np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
    dinput = (sig - t) * dout
    if reduction == "mean":
        dinput = dinput / z.size
    return dinput
    ### END SOLUTION


def cross_entropy_forward(input, target, reduction="mean", ignore_index=-100):
    """Softmax cross-entropy on logits, like F.cross_entropy.

    input: (N, C) logits (stable at |x| = 1000); target: (N,) integer class indices in [0, C),
    or ignore_index for rows that count for nothing (not in the mean's denominator either).
    Returns (loss, cache): loss is 0-d for "mean" and "sum", shape (N,) for "none".
    """
    ### BEGIN SOLUTION
    n = input.shape[0]
    keep = target != ignore_index
    safe = np.where(keep, target, 0)
    shifted = input - input.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    loss = -log_probs[np.arange(n), safe] * keep
    count = int(keep.sum())
    if reduction == "mean":
        loss = np.asarray(loss.sum() / count) if count else np.asarray(np.nan)
    elif reduction == "sum":
        loss = np.asarray(loss.sum())
    return loss, (log_probs, safe, keep, reduction, count)
    ### END SOLUTION


def cross_entropy_backward(dout, cache):
    """Gradient of cross_entropy_forward with respect to the logits, shape (N, C).

    Row n: (softmax(x_n) - onehot(target[n])) * dout[n] ("none"), * dout ("sum"),
    * dout / count ("mean", count = rows not ignored); zero rows where target is ignore_index.
    """
    ### BEGIN SOLUTION
    log_probs, safe, keep, reduction, count = cache
    n = log_probs.shape[0]
    dlogits = np.exp(log_probs)
    dlogits[np.arange(n), safe] -= 1.0
    g = dout * keep
    if reduction == "mean":
        g = g / max(count, 1)
    return dlogits * g[:, None]
    ### END SOLUTION
