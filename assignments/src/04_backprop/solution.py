"""Assignment 04_backprop: the solutions of its answer cells.

assignments/build_sources.py copies each function below, from its `def` line to its
`### END SOLUTION`, into the answer cell of the same name (assignment.md places the cells):
edit here, then run `python assignments/build_sources.py`.
"""
import numpy as np


def two_layer_mlp_forward(x, w1, b1, w2, b2, target):
    """Two-layer MLP with mean softmax cross-entropy, like
    F.cross_entropy(F.linear(F.linear(x, w1, b1).relu(), w2, b2), target).

    x: (N, D); w1: (H, D); b1: (H,); w2: (C, H); b2: (C,); target: (N,) integer classes.
    Returns (loss, cache): loss is a 0-d array, cache whatever two_layer_mlp_backward needs.
    """
    ### BEGIN SOLUTION
    n = x.shape[0]
    z1 = x @ w1.T + b1
    h = np.maximum(z1, 0.0)
    logits = h @ w2.T + b2
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    loss = np.asarray(-log_probs[np.arange(n), target].mean())
    return loss, (x, w1, w2, z1, h, log_probs, target)
    ### END SOLUTION


def two_layer_mlp_backward(dloss, cache):
    """Backprop through two_layer_mlp_forward, step by step.

    dloss: 0-d upstream gradient of the loss. cache: what your forward returned.
    Returns a dict with keys dlogits (N, C), dh (N, H), dz1 (N, H), dx (N, D), dw1 (H, D),
    db1 (H,), dw2 (C, H), db2 (C,).
    """
    ### BEGIN SOLUTION
    x, w1, w2, z1, h, log_probs, target = cache
    n = x.shape[0]
    dlogits = np.exp(log_probs)
    dlogits[np.arange(n), target] -= 1.0
    dlogits = dlogits * (dloss / n)
    dh = dlogits @ w2
    dw2 = dlogits.T @ h
    db2 = dlogits.sum(axis=0)
    dz1 = dh * (z1 > 0)
    dx = dz1 @ w1
    dw1 = dz1.T @ x
    db1 = dz1.sum(axis=0)
    return {"dlogits": dlogits, "dh": dh, "dz1": dz1, "dx": dx, "dw1": dw1, "db1": db1,
            "dw2": dw2, "db2": db2}
    ### END SOLUTION
