"""Data sets that need no network.

- `digits()`: scikit-learn's bundled 8x8 handwritten digits (1,797 real images), split train/test.
- `split()`: one random split of (X, y) into parts of given sizes (training / validation / test).
- `load_mnist_idx()` / `write_idx()`: MNIST-style IDX files a user already has on disk.
- Toy 2-D sets generated in code: `linear`, `blobs`, `moons`, `xor`, `spirals`, and `ring` (a mixture
  of Gaussians on a circle, for GANs). Each returns X (n, 2) float64 and y (n,) int64, and the same
  seed always gives the same points.
- `stdlib_text()`: an English text corpus built at run time from the docstrings of Python's
  standard library (for character-level language models), with `char_vocab` / `encode` / `decode`.
"""
from __future__ import annotations

import gzip
import math
import numbers
import os
import struct

import numpy as np

from .reference._validate import generator, integer

__all__ = ["STDLIB_MODULES", "TOY_SETS", "blobs", "char_vocab", "decode", "digits", "encode", "linear",
           "load_mnist_idx", "moons", "ring", "spirals", "split", "stdlib_text", "toy", "write_idx", "xor"]


# ---------------------------------------------------------------- argument checks



def _float(name, v, lo=0.0, hi=math.inf, lo_open=False, hi_open=False):
    if isinstance(v, bool) or not isinstance(v, numbers.Real) or not math.isfinite(v):
        raise ValueError(f"{name} must be a finite number, got {v!r}")
    v = float(v)
    if v < lo or v > hi or (lo_open and v == lo) or (hi_open and v == hi):
        left, right = "(" if lo_open else "[", ")" if hi_open else "]"
        raise ValueError(f"{name} must be in {left}{lo}, {hi}{right}, got {v}")
    return v




def _out(X, y, rng):
    """Shuffle so classes are interleaved; X float64 (n, 2), y int64 (n,)."""
    p = rng.permutation(len(y))
    return np.ascontiguousarray(X[p], dtype=np.float64), np.ascontiguousarray(y[p], dtype=np.int64)


# ---------------------------------------------------------------- real images

def digits(test_size=0.25, seed=0):
    """The 8x8 digits (bundled with scikit-learn), stratified split.

    Returns X_train (n_train, 64) float64 in [0, 1], X_test (n_test, 64), y_train (n_train,) int64,
    y_test (n_test,) int64 with labels 0..9. `X.reshape(-1, 8, 8)` gives the images.
    """
    test_size = _float("test_size", test_size, 0.0, 1.0, lo_open=True, hi_open=True)
    generator(seed, "seed")
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    d = load_digits()
    X = d.data.astype(np.float64) / 16.0
    y = d.target.astype(np.int64)
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=test_size, random_state=seed, stratify=y)
    return X_tr, X_te, y_tr, y_te


def split(X, y, sizes, seed=0, stratify=True):
    """Split (X, y) once, at random, into disjoint parts of `sizes` examples: e.g. training /
    validation / test.

    sizes: the number of examples in each part (ints >= 1), at most len(y) in all; examples left
    over belong to no part. stratify: each part keeps the class proportions of `y` as closely as
    its size allows. The same seed gives the same parts. Returns a list [(X_part, y_part), ...],
    one pair per size, in the order of `sizes`:

        (X_tr, y_tr), (X_val, y_val), (X_te, y_te) = split(X, y, (600, 200, 200), seed=0)
    """
    X, y = np.asarray(X), np.asarray(y)
    if y.ndim != 1:
        raise ValueError(f"y must be 1-D (N,), got shape {y.shape}")
    if X.ndim == 0 or len(X) != len(y):
        raise ValueError(f"X must hold one row per label: len(y) = {len(y)}, X has shape {X.shape}")
    if isinstance(sizes, (str, bytes)) or not hasattr(sizes, "__len__") or len(sizes) == 0:
        raise TypeError(f"sizes must be a non-empty sequence of ints, got {sizes!r}")
    sizes = [integer("sizes", k, 1) for k in sizes]
    if sum(sizes) > len(y):
        raise ValueError(f"sizes add up to {sum(sizes)}, more than the {len(y)} examples")
    seed = integer("seed", seed, 0)
    from sklearn.model_selection import train_test_split

    state = np.random.RandomState(seed)  # one stream for the whole split: the same seed, the same parts
    rest, parts = np.arange(len(y)), []
    for k in sizes:
        if k == len(rest):
            part, rest = rest[state.permutation(k)], rest[:0]
        else:
            try:
                part, rest = train_test_split(rest, train_size=k, random_state=state,
                                              stratify=y[rest] if stratify else None)
            except ValueError as err:  # e.g. a part smaller than the number of classes
                raise ValueError(f"sizes {sizes}: cannot split with stratify=True: {err}") from None
        parts.append((X[part], y[part]))
    return parts


_IDX_DTYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: np.dtype(">i2"), 0x0C: np.dtype(">i4"),
               0x0D: np.dtype(">f4"), 0x0E: np.dtype(">f8")}
_IDX_CODES = {np.dtype(np.uint8): 0x08, np.dtype(np.int8): 0x09, np.dtype(np.int16): 0x0B,
              np.dtype(np.int32): 0x0C, np.dtype(np.float32): 0x0D, np.dtype(np.float64): 0x0E}


def _open(path, mode):
    return gzip.open(path, mode) if os.fspath(path).endswith(".gz") else open(path, mode)


def _read_idx(name, path):
    with _open(path, "rb") as f:
        raw = f.read()
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _IDX_DTYPES:
        raise ValueError(f"{name}: {os.fspath(path)!r} is not an IDX file (bad magic number)")
    dtype, ndim = np.dtype(_IDX_DTYPES[raw[2]]), raw[3]
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise ValueError(f"{name}: {os.fspath(path)!r} is truncated (header)")
    shape = struct.unpack(f">{ndim}I", raw[4:header])
    count = int(np.prod(shape)) if ndim else 1
    if len(raw) - header != count * dtype.itemsize:
        raise ValueError(f"{name}: {os.fspath(path)!r} holds {len(raw) - header} data bytes, "
                         f"shape {shape} needs {count * dtype.itemsize}")
    return np.frombuffer(raw, dtype=dtype, offset=header).reshape(shape)


def load_mnist_idx(path_images, path_labels):
    """Read MNIST-style IDX files (optionally .gz) from disk; never downloads.

    Returns images (N, rows, cols) float64 scaled to [0, 1] (uint8 pixels / 255) and labels (N,) int64.
    """
    images = _read_idx("path_images", path_images)
    labels = _read_idx("path_labels", path_labels)
    if images.ndim != 3:
        raise ValueError(f"path_images must hold a 3-D array (N, rows, cols), got shape {images.shape}")
    if labels.ndim != 1:
        raise ValueError(f"path_labels must hold a 1-D array (N,), got shape {labels.shape}")
    if images.shape[0] != labels.shape[0]:
        raise ValueError(f"path_images holds {images.shape[0]} images but path_labels holds "
                         f"{labels.shape[0]} labels")
    scale = 255.0 if images.dtype == np.uint8 else 1.0
    return images.astype(np.float64) / scale, labels.astype(np.int64)


def write_idx(path, array):
    """Write `array` (uint8, int8, int16, int32, float32 or float64) as an IDX file (.gz compresses)."""
    a = np.asarray(array)
    if a.dtype not in _IDX_CODES:
        raise ValueError(f"array has dtype {a.dtype}; IDX stores uint8, int8, int16, int32, "
                         "float32 or float64")
    if not 1 <= a.ndim <= 255:
        raise ValueError(f"array must have 1 to 255 dimensions, got shape {a.shape}")
    header = bytes([0, 0, _IDX_CODES[a.dtype], a.ndim]) + struct.pack(f">{a.ndim}I", *a.shape)
    with _open(path, "wb") as f:
        f.write(header + a.astype(a.dtype.newbyteorder(">")).tobytes())


# ---------------------------------------------------------------- toy 2-D sets

def linear(n=200, margin=0.1, seed=0):
    """Linearly separable points in [-1, 1]^2: a random line splits them, none closer than `margin`.

    Returns X (n, 2) float64 and y (n,) int64 in {0, 1}. A perceptron converges on it.
    """
    n = integer("n", n, 2)
    margin = _float("margin", margin, 0.0, 0.5, hi_open=True)
    rng = generator(seed, "seed")
    angle = rng.uniform(0, 2 * np.pi)
    w = np.array([np.cos(angle), np.sin(angle)])
    b = rng.uniform(-0.3, 0.3)
    X = np.empty((0, 2))
    while len(X) < n:
        cand = rng.uniform(-1, 1, size=(2 * n, 2))
        X = np.concatenate([X, cand[np.abs(cand @ w + b) >= margin]])
    X = X[:n]
    y = (X @ w + b > 0).astype(np.int64)
    if y.min() == y.max():  # tiny n: make sure both classes appear
        y[0] = 1 - y[0]
        X[0] = X[0] - 2 * (X[0] @ w + b) * w
    return _out(X, y, rng)


def blobs(n=200, centers=2, std=0.5, seed=0):
    """Gaussian blobs around `centers` points on a circle of radius 2 (two blobs: nearly separable).

    Returns X (n, 2) float64 and y (n,) int64 in 0..centers-1.
    """
    n = integer("n", n, 2)
    centers = integer("centers", centers, 2)
    std = _float("std", std)
    rng = generator(seed, "seed")
    y = np.arange(n) % centers
    phase = rng.uniform(0, 2 * np.pi)
    ang = phase + 2 * np.pi * np.arange(centers) / centers
    mu = 2.0 * np.stack([np.cos(ang), np.sin(ang)], axis=1)
    X = mu[y] + std * rng.standard_normal((n, 2))
    return _out(X, y, rng)


def moons(n=200, noise=0.1, seed=0):
    """Two interleaving half circles (like sklearn's make_moons), Gaussian `noise` added.

    Returns X (n, 2) float64 and y (n,) int64 in {0, 1}.
    """
    n = integer("n", n, 2)
    noise = _float("noise", noise)
    rng = generator(seed, "seed")
    n0 = n // 2
    t0 = np.linspace(0, np.pi, n0)
    t1 = np.linspace(0, np.pi, n - n0)
    X = np.concatenate([np.stack([np.cos(t0), np.sin(t0)], 1),
                        np.stack([1 - np.cos(t1), 0.5 - np.sin(t1)], 1)])
    y = np.concatenate([np.zeros(n0), np.ones(n - n0)])
    X = X + noise * rng.standard_normal(X.shape)
    return _out(X, y, rng)


def xor(n=200, noise=0.1, seed=0):
    """XOR: points uniform in [-1, 1]^2, label 1 when the two coordinates differ in sign.

    `noise` (Gaussian) is added to X after labelling. Returns X (n, 2) float64, y (n,) int64.
    No single neuron separates it; two layers do.
    """
    n = integer("n", n, 2)
    noise = _float("noise", noise)
    rng = generator(seed, "seed")
    X = rng.uniform(-1, 1, size=(n, 2))
    y = ((X[:, 0] > 0) != (X[:, 1] > 0)).astype(np.int64)
    X = X + noise * rng.standard_normal(X.shape)
    return _out(X, y, rng)


def spirals(n=300, classes=3, noise=0.2, seed=0):
    """Interleaved spiral arms (the CS231n toy set), one per class, about n / classes points each.

    `noise` is Gaussian noise on the angle. Returns X (n, 2) float64 in about [-1, 1]^2 and
    y (n,) int64 in 0..classes-1.
    """
    n = integer("n", n, 2)
    classes = integer("classes", classes, 2)
    if classes > n:
        raise ValueError(f"classes must be <= n, got classes={classes} > n={n}")
    noise = _float("noise", noise)
    rng = generator(seed, "seed")
    y = np.repeat(np.arange(classes), [n // classes + (k < n % classes) for k in range(classes)])
    X = np.empty((n, 2))
    for k in range(classes):
        idx = np.flatnonzero(y == k)
        r = np.linspace(0.05, 1.0, len(idx))
        t = np.linspace(0, 4, len(idx)) + k * 2 * np.pi / classes + noise * rng.standard_normal(len(idx))
        X[idx] = np.stack([r * np.sin(t), r * np.cos(t)], 1)
    return _out(X, y, rng)


def ring(n=1000, modes=8, radius=2.0, std=0.05, seed=0):
    """A mixture of `modes` equal Gaussians (std `std`) centred on a circle of `radius`, centre k at
    angle 2 pi k / modes: the GAN's test of mode coverage. Not a classification set (not in TOY_SETS).

    Returns X (n, 2) float64 and y (n,) int64, the mode of each point (n // modes or one more each).
    """
    n = integer("n", n, 1)
    modes = integer("modes", modes, 1)
    radius, std = _float("radius", radius, lo_open=True), _float("std", std)
    rng = generator(seed, "seed")
    y = np.arange(n) % modes
    angle = 2 * np.pi * y / modes
    X = radius * np.stack([np.cos(angle), np.sin(angle)], axis=1) + std * rng.standard_normal((n, 2))
    return _out(X, y, rng)


TOY_SETS = {"linear": linear, "blobs": blobs, "moons": moons, "xor": xor, "spirals": spirals}


def toy(name, n=200, seed=0, **kwargs):
    """A toy set by name ("linear", "blobs", "moons", "xor", "spirals"): X (n, 2), y (n,)."""
    if name not in TOY_SETS:
        raise ValueError(f"name must be one of {', '.join(TOY_SETS)}, got {name!r}")
    return TOY_SETS[name](n=n, seed=seed, **kwargs)


# ---------------------------------------------------------------- text: the standard library's docstrings

STDLIB_MODULES = ("argparse", "bisect", "calendar", "collections", "contextlib", "csv", "dataclasses", "datetime",
                  "decimal", "difflib", "enum", "fractions", "functools", "glob", "heapq", "inspect", "itertools",
                  "json", "logging", "pathlib", "pprint", "random", "re", "shutil", "statistics", "string",
                  "tempfile", "textwrap", "threading", "typing", "unittest", "zipfile")


def stdlib_text(max_chars=200_000, modules=STDLIB_MODULES):
    """English prose from the docstrings of standard-library modules (the module's, then those of
    its public classes, functions and methods, in name order), ASCII only, joined by blank lines and
    cut at `max_chars`. Nothing is downloaded; the text depends only on the Python version.
    """
    import importlib
    import inspect

    max_chars = integer("max_chars", max_chars, 1)
    parts, seen = [], set()

    def add(obj):
        doc = inspect.getdoc(obj)
        if doc and doc not in seen and len(doc) > 40:  # by text: an id() of a freed string is reused
            seen.add(doc)
            parts.append(doc.encode("ascii", "ignore").decode().strip())

    for name in modules:
        mod = importlib.import_module(name)
        add(mod)
        for attr in sorted(getattr(mod, "__all__", None) or dir(mod)):
            if attr.startswith("_"):
                continue
            obj = getattr(mod, attr, None)
            if getattr(obj, "__module__", None) != mod.__name__:
                continue
            add(obj)
            if inspect.isclass(obj):
                for meth in sorted(vars(obj)):
                    if not meth.startswith("_"):
                        add(getattr(obj, meth, None))
        if sum(len(p) + 2 for p in parts) >= max_chars:
            break
    return "\n\n".join(parts)[:max_chars]


def char_vocab(text):
    """The sorted distinct characters of `text`: index i stands for vocab[i]."""
    if not isinstance(text, str) or not text:
        raise ValueError("text must be a non-empty string")
    return sorted(set(text))


def encode(text, vocab):
    """Character indices (len(text),) int64 of `text` in `vocab`; KeyError naming an unknown character."""
    index = {c: i for i, c in enumerate(vocab)}
    try:
        return np.fromiter((index[c] for c in text), dtype=np.int64, count=len(text))
    except KeyError as e:
        raise KeyError(f"character {e.args[0]!r} is not in the vocabulary") from None


def decode(indices, vocab):
    """The string of `vocab` characters at `indices`."""
    return "".join(vocab[int(i)] for i in indices)
