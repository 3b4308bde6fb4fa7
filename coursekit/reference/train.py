"""Chapter 05 - training utilities: a NumPy MLP, mini-batches, metrics, standardisation, `fit`.

The MLP is built from the reference ops of the earlier chapters (`linear_forward/backward`,
`relu_forward/backward`, `cross_entropy_forward/backward`, `l2_penalty_*`), nothing new. Its
parameters are a plain list `[W1, b1, W2, b2, ...]` with W of shape (out_features, in_features),
the order of `list(nn.Sequential(nn.Linear, nn.ReLU, ..., nn.Linear).parameters())`.
"""
from __future__ import annotations

import itertools
import numbers
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from . import activations as A
from . import init as I
from ._validate import generator
from .losses import (
    cross_entropy_backward,
    cross_entropy_forward,
    l2_penalty_backward,
    l2_penalty_forward,
)
from .neurons import linear_backward, linear_forward
from .optim import Optimizer

__all__ = ["Model", "Recipe", "Standardizer", "accuracy", "confusion_matrix", "fit", "init_mlp", "minibatches",
           "mlp_backward", "mlp_forward", "mlp_loss", "mlp_model", "precision_recall_f1", "predict"]


# ------------------------------------------------------------------ the MLP

def init_mlp(sizes, init="kaiming_uniform", rng=None, **kwargs):
    """Parameters [W1, b1, ..., WL, bL] of an MLP with layer widths `sizes` (e.g. (64, 128, 64, 10)).

    Weights from `coursekit.reference.init` by name ("kaiming_uniform", "xavier_normal", "zeros",
    "small_random", "linear_default" = nn.Linear's default, ...; extra kwargs go to it); biases
    zero, except with "linear_default", whose biases are drawn as nn.Linear draws them.
    """
    if len(sizes) < 2 or not all(isinstance(s, numbers.Integral) and s >= 1 for s in sizes):
        raise ValueError(f"sizes must list at least 2 positive layer widths, got {sizes!r}")
    rng = generator(rng)
    params = []
    for fan_in, fan_out in itertools.pairwise(sizes):
        params.append(I.init(init, (fan_out, fan_in), rng=rng, **kwargs))
        if init == "linear_default":
            params.append(I.linear_default((fan_out,), fan_in=fan_in, rng=rng))
        else:
            params.append(np.zeros(fan_out))
    return params


def _check_params(params):
    if not isinstance(params, (list, tuple)) or len(params) < 2 or len(params) % 2:
        raise ValueError("params must be a list [W1, b1, W2, b2, ...] (an even number of arrays)")


def mlp_forward(params, x, activation="relu"):
    """Logits of the MLP: (linear -> activation) for every layer but the last, then linear.

    x: (N, in_features). Returns logits (N, out_features) and the caches for `mlp_backward`.
    """
    _check_params(params)
    act_forward = getattr(A, f"{activation}_forward")
    caches, h = [], x
    n_layers = len(params) // 2
    for i in range(n_layers):
        h, c_lin = linear_forward(h, params[2 * i], params[2 * i + 1])
        c_act = None
        if i < n_layers - 1:
            h, c_act = act_forward(h)
        caches.append((c_lin, c_act))
    return h, (caches, activation)


def mlp_backward(dlogits, cache):
    """Gradients [dW1, db1, ..., dWL, dbL] of the MLP for an upstream gradient on the logits."""
    caches, activation = cache
    act_backward = getattr(A, f"{activation}_backward")
    grads = [None] * (2 * len(caches))
    d = dlogits
    for i in reversed(range(len(caches))):
        c_lin, c_act = caches[i]
        if c_act is not None:
            d = act_backward(d, c_act)
        d, grads[2 * i], grads[2 * i + 1] = linear_backward(d, c_lin)
    return grads


def mlp_loss(params, x, y, l2=0.0, activation="relu"):
    """Mean cross-entropy of the MLP on (x, y), plus l2 / 2 * sum of squared WEIGHTS (not biases).

    Returns (loss as a float, grads [dW1, db1, ...]).
    """
    logits, cache = mlp_forward(params, x, activation)
    loss, ce_cache = cross_entropy_forward(logits, y)
    grads = mlp_backward(cross_entropy_backward(np.ones_like(loss), ce_cache), cache)
    loss = float(loss)
    if l2:
        for i in range(0, len(params), 2):
            pen, pen_cache = l2_penalty_forward(params[i], lam=l2)
            loss += float(pen)
            grads[i] = grads[i] + l2_penalty_backward(np.ones_like(pen), pen_cache)
    return loss, grads


class Model(NamedTuple):
    """A network `fit` can train: forward(params, x) -> (logits, cache) and
    loss(params, x, y, l2=0.0) -> (mean cross-entropy + penalty as a float, grads like params)."""

    forward: Callable
    loss: Callable


def mlp_model(activation="relu") -> Model:
    """The MLP of this module with the given hidden activation, as a `Model`."""
    return Model(lambda params, x: mlp_forward(params, x, activation),
                 lambda params, x, y, l2=0.0: mlp_loss(params, x, y, l2=l2, activation=activation))


def predict(params, x, activation="relu"):
    """Predicted class of each row of x: argmax of the logits. Returns (N,) int64."""
    return mlp_forward(params, x, activation)[0].argmax(axis=1)


# ------------------------------------------------------------------ data handling

def minibatches(X, y, batch_size, shuffle=True, rng=None, drop_last=False):
    """Yield (X_batch, y_batch) covering the data once (one epoch), in a random order when shuffle.

    The last batch is smaller when batch_size does not divide N (dropped with drop_last).
    """
    if len(X) != len(y):
        raise ValueError(f"X and y must have the same length, got X {np.shape(X)} and y {np.shape(y)}")
    if isinstance(batch_size, bool) or not isinstance(batch_size, numbers.Integral) or batch_size < 1:
        raise ValueError(f"batch_size must be an int >= 1, got {batch_size!r}")
    n = len(X)
    order = generator(rng).permutation(n) if shuffle else np.arange(n)
    stop = n - n % batch_size if drop_last else n
    for start in range(0, stop, batch_size):
        idx = order[start:start + batch_size]
        yield X[idx], y[idx]


class Standardizer:
    """Per-feature standardisation (x - mean) / std, with mean and std fit on the TRAINING set only
    (as sklearn's StandardScaler: population std; constant features get std 1, not a division by 0).

        scaler = Standardizer().fit(X_train)
        X_train_s, X_test_s = scaler.transform(X_train), scaler.transform(X_test)
    """

    def fit(self, X):
        X = np.asarray(X, dtype=np.float64)
        if X.ndim != 2 or len(X) == 0:
            raise ValueError(f"X must be a non-empty 2-D array (N, features), got shape {X.shape}")
        self.mean = X.mean(axis=0)
        std = X.std(axis=0)
        self.std = np.where(std < 10 * np.finfo(np.float64).eps * np.maximum(np.abs(self.mean), 1.0), 1.0, std)
        return self

    def transform(self, X):
        if not hasattr(self, "mean"):
            raise ValueError("call fit(X_train) before transform")
        X = np.asarray(X, dtype=np.float64)
        if X.ndim != 2 or X.shape[1] != self.mean.shape[0]:
            raise ValueError(f"X must have shape (N, {self.mean.shape[0]}), got {X.shape}")
        return (X - self.mean) / self.std

    def fit_transform(self, X):
        return self.fit(X).transform(X)


# ------------------------------------------------------------------ metrics

def _labels(name, y):
    y = np.asarray(y)
    if y.ndim == 2:  # scores or logits: the predicted class is the argmax
        y = y.argmax(axis=1)
    if y.ndim != 1 or (y.size and y.dtype.kind not in "iu"):
        raise ValueError(f"{name} must be 1-D integer class labels (or 2-D scores), got shape {y.shape}, "
                         f"dtype {y.dtype}")
    return y.astype(np.int64)


def _pair(y_true, y_pred):
    y_true, y_pred = _labels("y_true", y_true), _labels("y_pred", y_pred)
    if y_true.shape != y_pred.shape:
        raise ValueError(f"y_true and y_pred must have the same length, got {y_true.shape} and {y_pred.shape}")
    return y_true, y_pred


def accuracy(y_true, y_pred):
    """Fraction of labels predicted right. y_pred may be labels (N,) or scores (N, C)."""
    y_true, y_pred = _pair(y_true, y_pred)
    return float(np.mean(y_true == y_pred)) if y_true.size else float("nan")


def confusion_matrix(y_true, y_pred, num_classes):
    """C[i, j] = number of examples of true class i predicted as class j (sklearn's layout)."""
    y_true, y_pred = _pair(y_true, y_pred)
    if isinstance(num_classes, bool) or not isinstance(num_classes, numbers.Integral) or num_classes < 1:
        raise ValueError(f"num_classes must be an int >= 1, got {num_classes!r}")
    for name, y in (("y_true", y_true), ("y_pred", y_pred)):
        if y.size and (y.min() < 0 or y.max() >= num_classes):
            raise ValueError(f"{name} holds labels outside [0, {num_classes}): min {y.min()}, max {y.max()}")
    return np.bincount(y_true * num_classes + y_pred, minlength=num_classes**2).reshape(num_classes, num_classes)


def precision_recall_f1(y_true, y_pred, num_classes, average="macro"):
    """(precision, recall, f1), as sklearn's precision_recall_fscore_support(zero_division=0).

    Per class c: precision = TP / (TP + FP) (of the predicted c, how many are c),
    recall = TP / (TP + FN) (of the true c, how many were found), f1 = their harmonic mean;
    0 where a denominator is 0. average: "macro" (plain mean over classes), "weighted" (mean
    weighted by each class's number of true examples), "micro" (from the summed counts; equals
    the accuracy for single-label data) or None (per-class arrays).
    """
    if average not in ("macro", "micro", "weighted", None):
        raise ValueError(f"average must be 'macro', 'micro', 'weighted' or None, got {average!r}")
    cm = confusion_matrix(y_true, y_pred, num_classes)
    tp = np.diag(cm).astype(np.float64)
    pred_pos, true_pos = cm.sum(axis=0).astype(np.float64), cm.sum(axis=1).astype(np.float64)
    if average == "micro":
        tp, pred_pos, true_pos = tp.sum(keepdims=True), pred_pos.sum(keepdims=True), true_pos.sum(keepdims=True)

    def ratio(a, b):
        return np.divide(a, b, out=np.zeros_like(a), where=b > 0)

    precision, recall = ratio(tp, pred_pos), ratio(tp, true_pos)
    f1 = ratio(2 * precision * recall, precision + recall)
    if average is None:
        return precision, recall, f1
    if average == "micro":
        return float(precision[0]), float(recall[0]), float(f1[0])
    weights = true_pos / true_pos.sum() if average == "weighted" else np.full(num_classes, 1.0 / num_classes)
    return float(precision @ weights), float(recall @ weights), float(f1 @ weights)


# ------------------------------------------------------------------ training loop

@dataclass(frozen=True)
class Recipe:
    """How `fit` trains, all of it: the epochs, the mini-batch size and order (`seed`), the optimizer
    (a name of `coursekit.reference.optim.OPTIMIZERS` with its keyword `hyper`, e.g. {"lr": 1e-3},
    or an object with `.step(params, grads) -> params` and `.lr` like `Optimizer`), a schedule
    (a function epoch -> lr, applied at the start of each epoch) and an L2 penalty in the loss.
    The same recipe on the same data and parameters gives the same run."""

    epochs: int = 10
    batch_size: int = 64
    optimizer: object = "adam"
    hyper: dict | None = None
    schedule: Callable | None = None
    l2: float = 0.0
    seed: int = 0

    def __post_init__(self):
        for name in ("epochs", "batch_size"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, numbers.Integral) or v < (name == "batch_size"):
                raise ValueError(f"{name} must be an int >= {int(name == 'batch_size')}, got {v!r}")


def fit(params, X, y, recipe=Recipe(), *, test=None, model=None, progress=False, callback=None):
    """Train the MLP (or another `Model`, e.g. `cnn.CNN`) with mini-batches; return (new params, history).

    recipe: a `Recipe` (epochs, batch_size, optimizer, hyper, schedule, l2, seed).
    test: (X_test, y_test), evaluated after each epoch. model: a `Model` (default: the relu MLP).
    progress: a tqdm.auto bar over the epochs. callback(epoch, history) after each epoch (a live plot, say).

    history: lists per epoch "train_loss" (mean over the epoch's batches), "train_acc",
    "test_loss", "test_acc" (with `test`), "lr"; per step "step_loss"; "time": seconds spent
    training and evaluating (the progress bar and the callback are not counted).
    """
    if not isinstance(recipe, Recipe):
        raise TypeError(f"recipe must be a Recipe(epochs=..., batch_size=..., optimizer=...), got "
                        f"{type(recipe).__name__}")
    if test is not None and (not isinstance(test, (tuple, list)) or len(test) != 2):
        raise TypeError(f"test must be a pair (X_test, y_test), got {type(test).__name__}")
    X_test, y_test = test if test is not None else (None, None)
    epochs, optimizer = recipe.epochs, recipe.optimizer
    opt = optimizer if hasattr(optimizer, "step") else Optimizer(optimizer, **(recipe.hyper or {}))
    model = model or mlp_model()
    rng = np.random.default_rng(recipe.seed)
    params = [np.array(p, dtype=np.float64) for p in params]
    hist = {"epoch": [], "train_loss": [], "train_acc": [], "test_loss": [], "test_acc": [], "lr": [],
            "step_loss": [], "time": 0.0}
    epochs_iter = range(1, epochs + 1)
    bar = None
    if progress:
        from tqdm.auto import tqdm

        epochs_iter = bar = tqdm(epochs_iter, desc=f"{getattr(opt, 'name', optimizer)}", unit="epoch")
    for epoch in epochs_iter:
        start = time.perf_counter()
        if recipe.schedule is not None:
            opt.lr = recipe.schedule(epoch - 1)
        losses = []
        for xb, yb in minibatches(X, y, recipe.batch_size, rng=rng):
            loss, grads = model.loss(params, xb, yb, l2=recipe.l2)
            params = opt.step(params, grads)
            losses.append(loss)
        hist["step_loss"] += losses
        hist["epoch"].append(epoch)
        hist["lr"].append(opt.lr)
        hist["train_loss"].append(float(np.mean(losses)))
        hist["train_acc"].append(accuracy(y, model.forward(params, X)[0]))
        if X_test is not None:
            logits, _ = model.forward(params, X_test)
            hist["test_loss"].append(float(cross_entropy_forward(logits, y_test)[0]))
            hist["test_acc"].append(accuracy(y_test, logits))
        hist["time"] += time.perf_counter() - start
        if bar is not None:
            bar.set_postfix(loss=f"{hist['train_loss'][-1]:.4f}",
                            **({"test_acc": f"{hist['test_acc'][-1]:.3f}"} if X_test is not None else {}))
        if callback is not None:
            callback(epoch, hist)
    return params, hist
