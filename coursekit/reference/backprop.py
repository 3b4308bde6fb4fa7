"""Chapter 04 - backprop: a small reverse-mode autograd over NumPy arrays, in the spirit of micrograd.

A `Tensor` holds `data` (an ndarray) and, after `backward()`, a `grad` of the same shape. Each op
below computes its output and defines, right beside it, its local `backward(g)`: given the upstream
gradient g = dL/dout (shaped like out) it returns dL/dparent for each parent, in order. The output
remembers its parents and that closure. `backward()` sorts the graph topologically and walks it
from the output back to the leaves, adding up the gradients of a node used more than once.

The ops of chapters 01-03 are not derived a second time: `linear` (and `@`), the activations and
the losses call the forward/backward pairs of `coursekit.reference.{neurons, activations, losses}`.
On top of the Tensor, `Module`, `Linear`, `ReLU`, `Tanh`, `Sigmoid`, `Sequential` and `MLP` mirror
`torch.nn`, with the same parameter names and shapes (so a `state_dict` copies across).

Two differences from PyTorch, both for teaching: every node that requires grad keeps its `.grad`
after `backward()` (as if `retain_grad()` had been called on all of them), and there is no
`no_grad()`: update parameters through `.data`, as in `p.data -= lr * p.grad`.
"""
from __future__ import annotations

import itertools
import math
import numbers

import numpy as np

from . import activations, losses, neurons
from ._validate import array, axis, generator, integer

__all__ = ["MLP", "Linear", "Module", "ReLU", "Sequential", "Sigmoid", "Tanh", "Tensor", "two_layer_mlp_backward",
           "two_layer_mlp_forward",
           "binary_cross_entropy", "binary_cross_entropy_with_logits", "cross_entropy", "linear",
           "log_softmax", "mse_loss", "softmax", "trace", "zero_grad"]


def _typename(x) -> str:
    return f"{type(x).__module__}.{type(x).__qualname__}".replace("builtins.", "")


def _tensor(x, name: str) -> Tensor:
    """`x` itself if it is a Tensor, else a constant Tensor (requires_grad=False) made from it."""
    if isinstance(x, Tensor):
        return x
    if isinstance(x, (np.ndarray, numbers.Real)):
        return Tensor(x)
    raise TypeError(f"{name} must be a Tensor, a numpy.ndarray or a number, got {_typename(x)}")


def _unbroadcast(grad: np.ndarray, shape: tuple) -> np.ndarray:
    """Sum `grad` down to `shape`: the backward of NumPy broadcasting.

    A value that broadcasting copied k times received k gradients; they add up.
    """
    while grad.ndim > len(shape):  # dimensions that broadcasting added in front
        grad = grad.sum(axis=0)
    for i, n in enumerate(shape):  # dimensions of size 1 that were stretched
        if n == 1 and grad.shape[i] != 1:
            grad = grad.sum(axis=i, keepdims=True)
    return grad


def _check_broadcast(op: str, a: Tensor, b: Tensor) -> None:
    try:
        np.broadcast_shapes(a.shape, b.shape)
    except ValueError:
        raise ValueError(f"a {op} b: shapes a {a.shape} and b {b.shape} do not broadcast") from None


class Tensor:
    """An ndarray that remembers how it was computed, so gradients can flow back through it.

    data: any shape (ints are promoted to float64; the array is copied). requires_grad: whether
    `backward()` should compute dL/d(this); results of ops require grad when any parent does.
    After `root.backward()`, `.grad` (shape of `data`) holds d root / d(this), summed over calls.
    """

    __array_ufunc__ = None  # `ndarray * Tensor` calls Tensor.__rmul__ instead of looping in NumPy

    def __init__(self, data, requires_grad: bool = False, name: str | None = None):
        if isinstance(data, numbers.Real) and not isinstance(data, np.ndarray):
            data = np.array(data, dtype=np.float64)
        if name is not None and not isinstance(name, str):
            raise TypeError(f"name must be a str or None, got {_typename(name)}")
        self.data = np.array(array("data", data))  # a private copy: updates never reach the caller
        self.requires_grad = bool(requires_grad)
        self.name = name
        self.grad = None
        self._parents: tuple = ()
        self._backward = None  # g -> one gradient per parent; None for a leaf
        self._op = ""

    @classmethod
    def _result(cls, data, parents: tuple, backward, op: str) -> Tensor:
        """The output of an op: remembers its parents and its local backward."""
        out = cls.__new__(cls)
        out.data = np.asarray(data)  # NumPy turns 0-d results into scalars; keep an array
        out.requires_grad = any(p.requires_grad for p in parents)
        out.name, out.grad = None, None
        out._parents, out._backward, out._op = parents, backward, op
        return out

    # -- a few conveniences -----------------------------------------------------------------
    shape = property(lambda self: self.data.shape)
    ndim = property(lambda self: self.data.ndim)
    size = property(lambda self: self.data.size)
    dtype = property(lambda self: self.data.dtype)

    def item(self) -> float:
        """The value of a one-element tensor as a Python float."""
        if self.data.size != 1:
            raise ValueError(f"item() needs a one-element tensor, got shape {self.shape}")
        return float(self.data.reshape(()))

    def detach(self) -> Tensor:
        """A new leaf with a copy of the data and no history."""
        return Tensor(self.data)

    def zero_grad(self) -> None:
        """Forget the gradient (`None`, as PyTorch's `zero_grad(set_to_none=True)`)."""
        self.grad = None

    def __repr__(self) -> str:
        extra = "".join([f", op={self._op!r}" if self._op else "",
                         ", requires_grad=True" if self.requires_grad else "",
                         f", name={self.name!r}" if self.name else ""])
        body = np.array2string(self.data, precision=4, separator=", ", prefix="Tensor(")
        return f"Tensor({body}{extra})"

    # -- elementwise arithmetic, with broadcasting -----------------------------------------------
    def __add__(self, other):
        a, b = self, _tensor(other, "other")
        _check_broadcast("+", a, b)

        def backward(g):  # d(a + b)/da = d(a + b)/db = 1
            return _unbroadcast(g, a.shape), _unbroadcast(g, b.shape)

        return Tensor._result(a.data + b.data, (a, b), backward, "+")

    def __sub__(self, other):
        a, b = self, _tensor(other, "other")
        _check_broadcast("-", a, b)

        def backward(g):
            return _unbroadcast(g, a.shape), _unbroadcast(-g, b.shape)

        return Tensor._result(a.data - b.data, (a, b), backward, "-")

    def __mul__(self, other):
        a, b = self, _tensor(other, "other")
        _check_broadcast("*", a, b)

        def backward(g):  # d(ab)/da = b, d(ab)/db = a
            return _unbroadcast(g * b.data, a.shape), _unbroadcast(g * a.data, b.shape)

        return Tensor._result(a.data * b.data, (a, b), backward, "*")

    def __truediv__(self, other):
        a, b = self, _tensor(other, "other")
        _check_broadcast("/", a, b)

        def backward(g):  # d(a/b)/da = 1/b, d(a/b)/db = -a/b^2
            return _unbroadcast(g / b.data, a.shape), _unbroadcast(-g * a.data / b.data**2, b.shape)

        return Tensor._result(a.data / b.data, (a, b), backward, "/")

    def __pow__(self, exponent):
        """x ** p for a constant number p."""
        if isinstance(exponent, Tensor) or not isinstance(exponent, numbers.Real):
            raise TypeError(f"exponent must be a number (a constant), got {_typename(exponent)}")
        x, p = self, float(exponent)

        def backward(g):  # d(x^p)/dx = p x^(p-1)
            return (g * p * x.data ** (p - 1),)

        return Tensor._result(x.data**p, (x,), backward, f"**{exponent:g}")

    def __neg__(self):
        return Tensor._result(-self.data, (self,), lambda g: (-g,), "neg")

    def __radd__(self, other):
        return _tensor(other, "other") + self

    def __rsub__(self, other):
        return _tensor(other, "other") - self

    def __rmul__(self, other):
        return _tensor(other, "other") * self

    def __rtruediv__(self, other):
        return _tensor(other, "other") / self

    # -- matrix product: chapter 01's linear layer ---------------------------------------------
    def __matmul__(self, other):
        """a @ b for a: (..., k) and b: (k, m) -> (..., m), or b: (k,) -> (...).

        This is `F.linear(a, b.T)`, so forward and backward are chapter 01's `linear_*`.
        """
        a, b = self, _tensor(other, "other")
        if a.ndim < 1 or b.ndim not in (1, 2) or a.shape[-1] != b.shape[0]:
            raise ValueError(f"a @ b needs a of shape (..., k) and b of shape (k, m) or (k,), "
                             f"got a {a.shape} and b {b.shape}")
        vector = b.ndim == 1
        weight = b.data[None, :] if vector else b.data.T  # (m, k), the layout of F.linear
        out, cache = neurons.linear_forward(a.data, weight)

        def backward(g):
            da, dweight, _ = neurons.linear_backward(g[..., None] if vector else g, cache)
            return da, (dweight[0] if vector else dweight.T)

        return Tensor._result(out[..., 0] if vector else out, (a, b), backward, "@")

    def __rmatmul__(self, other):
        return _tensor(other, "other") @ self

    # -- reductions ------------------------------------------------------------------------------
    def _dims(self, dim) -> tuple:
        if dim is None:
            return tuple(range(self.ndim))
        dims = dim if isinstance(dim, (tuple, list)) else (dim,)
        out = tuple(axis("dim", d, self.data) for d in dims)
        if len(set(out)) != len(out):
            raise ValueError(f"dim={dim} names a dimension twice (input shape {self.shape})")
        return out

    def sum(self, dim=None, keepdim: bool = False, *, keepdims: bool | None = None):
        """Sum over `dim` (an int, a tuple, or None for all); `keepdims` is an alias, as in torch."""
        dims, keep = self._dims(dim), keepdim if keepdims is None else keepdims

        def backward(g):  # every summed element gets the whole upstream gradient
            g = g if keep else np.expand_dims(g, dims)
            return (np.broadcast_to(g, self.shape).copy(),)

        return Tensor._result(self.data.sum(axis=dims, keepdims=keep), (self,), backward, "sum")

    def mean(self, dim=None, keepdim: bool = False, *, keepdims: bool | None = None):
        """Mean over `dim` (an int, a tuple, or None for all)."""
        dims, keep = self._dims(dim), keepdim if keepdims is None else keepdims
        count = math.prod(self.shape[d] for d in dims)

        def backward(g):  # each element contributed 1/count of the mean
            g = g if keep else np.expand_dims(g, dims)
            return (np.broadcast_to(g / count, self.shape).copy(),)

        return Tensor._result(self.data.mean(axis=dims, keepdims=keep), (self,), backward, "mean")

    # -- elementwise functions -------------------------------------------------------------------
    def exp(self):
        out = np.exp(self.data)
        return Tensor._result(out, (self,), lambda g: (g * out,), "exp")  # (e^x)' = e^x

    def log(self):
        x = self.data
        return Tensor._result(np.log(x), (self,), lambda g: (g / x,), "log")  # (log x)' = 1/x

    def _activation(self, name: str, **kwargs):
        """Chapter 02's `<name>_forward` and, as the local backward, `<name>_backward`."""
        out, cache = getattr(activations, f"{name}_forward")(self.data, **kwargs)
        local_backward = getattr(activations, f"{name}_backward")
        return Tensor._result(out, (self,), lambda g: (local_backward(g, cache),), name)

    def tanh(self):
        return self._activation("tanh")

    def sigmoid(self):
        return self._activation("sigmoid")

    def relu(self):
        return self._activation("relu")

    # -- shapes ----------------------------------------------------------------------------------
    def reshape(self, *shape):
        """Same data, new shape (one entry may be -1). `x.reshape(2, 3)` or `x.reshape((2, 3))`."""
        shape = tuple(shape[0]) if len(shape) == 1 and isinstance(shape[0], (tuple, list)) else shape
        try:
            out = self.data.reshape(shape)
        except (ValueError, TypeError):
            raise ValueError(f"cannot reshape a tensor of shape {self.shape} ({self.size} values) "
                             f"to shape {shape}") from None
        return Tensor._result(out, (self,), lambda g: (g.reshape(self.shape),), "reshape")

    def transpose(self, dim0: int, dim1: int):
        """Swap two dimensions (`torch.transpose`)."""
        d0, d1 = axis("dim0", dim0, self.data), axis("dim1", dim1, self.data)
        return Tensor._result(np.swapaxes(self.data, d0, d1), (self,),
                              lambda g: (np.swapaxes(g, d0, d1),), "transpose")

    @property
    def T(self):
        """All dimensions reversed (the matrix transpose for 2-D)."""
        return Tensor._result(self.data.T, (self,), lambda g: (g.T,), "T")

    # -- backpropagation -------------------------------------------------------------------------
    def backward(self, grad=None) -> None:
        """Compute d self / d node for every node of the graph that requires grad, into `.grad`.

        grad: the upstream gradient, shaped like `self`; may be omitted for a one-element tensor
        (a loss), then it is 1. Gradients add to what `.grad` already holds (call `zero_grad()`
        between steps), as in PyTorch.
        """
        if not self.requires_grad:
            raise RuntimeError("backward() on a tensor that does not require grad: give a leaf of its "
                               "graph requires_grad=True")
        if grad is None:
            if self.size != 1:
                raise ValueError(f"backward() without grad needs a one-element tensor, got shape "
                                 f"{self.shape}; pass grad= an array of that shape")
            grad = np.ones_like(self.data)
        else:
            grad = array("grad", np.asarray(grad, dtype=np.float64) if isinstance(grad, numbers.Real)
                         else grad)
            if grad.shape != self.shape:
                raise ValueError(f"grad must have the tensor's shape {self.shape}, got {grad.shape}")
        pending = {self: grad}  # node -> gradient collected so far in this pass
        for node in reversed(_topological_order(self)):  # each node after all its consumers
            g = pending.pop(node, None)
            if g is None or not node.requires_grad:
                continue
            node.grad = np.array(g) if node.grad is None else node.grad + g
            if node._backward is None:  # a leaf
                continue
            for parent, pg in zip(node._parents, node._backward(g)):
                if pg is not None and parent.requires_grad:  # used twice -> gradients add up
                    pg = np.asarray(pg)  # NumPy returns scalars for 0-d results (a sum of two included)
                    pending[parent] = np.asarray(pending[parent] + pg) if parent in pending else pg


def _topological_order(root: Tensor) -> list:
    """Every node `root` depends on, each after all of its parents (iterative depth-first search)."""
    order, seen, stack = [], set(), [(root, False)]
    while stack:
        node, parents_done = stack.pop()
        if parents_done:
            order.append(node)
        elif node not in seen:
            seen.add(node)
            stack.append((node, True))
            stack.extend((p, False) for p in reversed(node._parents) if p not in seen)
    return order


def trace(root: Tensor):
    """The graph behind `root`, for drawing: (nodes, edges).

    nodes: every Tensor `root` depends on, in topological order (parents first, `root` last);
    edges: (parent, child) pairs, one per distinct parent of each node.
    """
    if not isinstance(root, Tensor):
        raise TypeError(f"root must be a Tensor, got {_typename(root)}")
    nodes = _topological_order(root)
    edges = [(p, n) for n in nodes for p in dict.fromkeys(n._parents)]
    return nodes, edges


def zero_grad(params) -> None:
    """Set `.grad` of every Tensor in `params` to None."""
    for p in params:
        p.grad = None


# ---------------------------------------------------------------- functional ops (torch.nn.functional)

def linear(x, weight, bias=None) -> Tensor:
    """`F.linear`: x @ weight.T + bias. x: (..., in); weight: (out, in); bias: (out,) or None.

    Forward and backward are chapter 01's `linear_forward` / `linear_backward`. Returns (..., out).
    """
    x, weight = _tensor(x, "x"), _tensor(weight, "weight")
    parents = (x, weight) if bias is None else (x, weight, _tensor(bias, "bias"))
    out, cache = neurons.linear_forward(*(p.data for p in parents))

    def backward(g):
        dx, dweight, dbias = neurons.linear_backward(g, cache)
        return (dx, dweight) if bias is None else (dx, dweight, dbias)

    return Tensor._result(out, parents, backward, "linear")


def softmax(x, dim: int = -1) -> Tensor:
    """Softmax along `dim` (chapter 02). x: any shape with at least one dimension."""
    return _tensor(x, "x")._activation("softmax", dim=dim)


def log_softmax(x, dim: int = -1) -> Tensor:
    """Log-softmax along `dim` (chapter 02)."""
    return _tensor(x, "x")._activation("log_softmax", dim=dim)


def _loss(name: str, input, target, **kwargs) -> Tensor:
    """Chapter 03's `<name>_forward` / `<name>_backward`; the gradient flows to `input` only."""
    input = _tensor(input, "input")
    if isinstance(target, Tensor):
        if target.requires_grad:
            raise ValueError(f"target of {name} must not require grad: targets are data in this course")
        target = target.data
    out, cache = getattr(losses, f"{name}_forward")(input.data, target, **kwargs)
    local_backward = getattr(losses, f"{name}_backward")
    return Tensor._result(out, (input,), lambda g: (local_backward(g, cache),), name)


def cross_entropy(input, target, reduction: str = "mean") -> Tensor:
    """Softmax + negative log-likelihood. input: (N, C) logits; target: (N,) integer ndarray."""
    return _loss("cross_entropy", input, target, reduction=reduction)


def mse_loss(input, target, reduction: str = "mean") -> Tensor:
    """Mean squared error. input and target: the same shape (target: an ndarray or a constant)."""
    return _loss("mse_loss", input, target, reduction=reduction)


def binary_cross_entropy(input, target, reduction: str = "mean") -> Tensor:
    """Binary cross-entropy on probabilities in [0, 1]. input and target: the same shape."""
    return _loss("binary_cross_entropy", input, target, reduction=reduction)


def binary_cross_entropy_with_logits(input, target, reduction: str = "mean") -> Tensor:
    """Binary cross-entropy on logits (stable). input and target: the same shape."""
    return _loss("binary_cross_entropy_with_logits", input, target, reduction=reduction)


# ---------------------------------------------------------------- modules (torch.nn)

class Module:
    """Base of every layer, as `torch.nn.Module`. A subclass sets its parameters (Tensors with
    requires_grad) and sub-modules as attributes in `__init__` and defines `forward`."""

    def forward(self, *args):
        raise NotImplementedError

    def __call__(self, *args):
        return self.forward(*args)

    def _members(self):
        """(name, Tensor or Module) pairs in the order they were set."""
        return [(k, v) for k, v in vars(self).items() if isinstance(v, (Tensor, Module))]

    def named_parameters(self, prefix: str = ""):
        """(name, Tensor) pairs with PyTorch's names: "weight", "0.bias", ..."""
        for name, v in self._members():
            if isinstance(v, Module):
                yield from v.named_parameters(f"{prefix}{name}.")
            elif v.requires_grad:
                yield f"{prefix}{name}", v

    def parameters(self) -> list:
        return [p for _, p in self.named_parameters()]

    def zero_grad(self) -> None:
        zero_grad(self.parameters())

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"




class Linear(Module):
    """`nn.Linear`: y = x @ weight.T + bias. weight: (out_features, in_features); bias: (out_features,).

    Initialised as PyTorch does (kaiming-uniform with a = sqrt(5)): both weight and bias are drawn
    from U(-1/sqrt(in_features), 1/sqrt(in_features)). rng: a seed or a numpy Generator.
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True, rng=None):
        self.in_features = integer("in_features", in_features, 1)
        self.out_features = integer("out_features", out_features, 1)
        rng = generator(rng)
        bound = 1.0 / math.sqrt(self.in_features)
        self.weight = Tensor(rng.uniform(-bound, bound, (self.out_features, self.in_features)),
                             requires_grad=True, name="weight")
        self.bias = (Tensor(rng.uniform(-bound, bound, self.out_features), requires_grad=True,
                            name="bias") if bias else None)

    def forward(self, x) -> Tensor:
        """x: (..., in_features) -> (..., out_features)."""
        return linear(x, self.weight, self.bias)

    def __repr__(self) -> str:
        return (f"Linear(in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None})")


class ReLU(Module):
    def forward(self, x) -> Tensor:
        return _tensor(x, "x").relu()


class Tanh(Module):
    def forward(self, x) -> Tensor:
        return _tensor(x, "x").tanh()


class Sigmoid(Module):
    def forward(self, x) -> Tensor:
        return _tensor(x, "x").sigmoid()


class Sequential(Module):
    """`nn.Sequential`: the layers applied in order. Parameters are named "0.weight", "0.bias", ..."""

    def __init__(self, *layers):
        for i, layer in enumerate(layers):
            if not isinstance(layer, Module):
                raise TypeError(f"layer {i} must be a Module, got {_typename(layer)}")
        self.layers = list(layers)

    def _members(self):
        return [(str(i), layer) for i, layer in enumerate(self.layers)]

    def __getitem__(self, i):
        return self.layers[i]

    def __len__(self) -> int:
        return len(self.layers)

    def forward(self, x) -> Tensor:
        for layer in self.layers:
            x = layer(x)
        return x

    def __repr__(self) -> str:
        inner = "".join(f"\n  ({i}): {layer!r}" for i, layer in enumerate(self.layers))
        return f"{type(self).__name__}({inner}\n)"


ACTIVATIONS = {"relu": ReLU, "tanh": Tanh, "sigmoid": Sigmoid}


class MLP(Sequential):
    """A multi-layer perceptron: Linear, activation, Linear, ..., Linear (no activation at the end:
    it returns logits). sizes: [in, hidden..., out], at least two ints; activation: "relu", "tanh"
    or "sigmoid". Same layers and parameter names as the matching `nn.Sequential`."""

    def __init__(self, sizes, activation: str = "relu", bias: bool = True, rng=None):
        if not isinstance(sizes, (list, tuple)) or len(sizes) < 2:
            raise ValueError(f"sizes must be a list of at least two layer sizes [in, ..., out], got {sizes!r}")
        sizes = [integer(f"sizes[{i}]", s, 1) for i, s in enumerate(sizes)]
        if activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {', '.join(ACTIVATIONS)}, got {activation!r}")
        rng = generator(rng)
        layers = []
        for i, (n_in, n_out) in enumerate(itertools.pairwise(sizes)):
            layers.append(Linear(n_in, n_out, bias=bias, rng=rng))
            if i < len(sizes) - 2:
                layers.append(ACTIVATIONS[activation]())
        super().__init__(*layers)
        self.sizes, self.activation = sizes, activation


# ------------------------------------------------------------------ the same network, by hand


def two_layer_mlp_forward(x, w1, b1, w2, b2, target):
    """A 2-layer MLP with softmax cross-entropy, written out layer by layer (no autograd):

        z1 = x w1^T + b1,  h = relu(z1),  logits = h w2^T + b2,  loss = cross_entropy(logits, target)

    x: (N, D); w1: (H, D); b1: (H,); w2: (C, H); b2: (C,); target: (N,) class indices.
    Returns the mean loss (a 0-d array) and a cache of every layer's cache.
    """
    x, w1, w2 = array("x", x, ndim=2), array("w1", w1, ndim=2), array("w2", w2, ndim=2)
    b1, b2 = array("b1", b1, ndim=1), array("b2", b2, ndim=1)
    for name, got, want in (("w1", w1.shape, (w1.shape[0], x.shape[1])), ("b1", b1.shape, (w1.shape[0],)),
                            ("w2", w2.shape, (w2.shape[0], w1.shape[0])), ("b2", b2.shape, (w2.shape[0],))):
        if got != want:
            raise ValueError(f"{name} must have shape {want} to fit x {x.shape} and w1 {w1.shape}, got {got}")
    z1, c1 = neurons.linear_forward(x, w1, b1)
    h, c2 = activations.relu_forward(z1)
    logits, c3 = neurons.linear_forward(h, w2, b2)
    loss, c4 = losses.cross_entropy_forward(logits, target)
    return loss, (c1, c2, c3, c4)


def two_layer_mlp_backward(dout, cache):
    """Backprop through `two_layer_mlp_forward`, one layer at a time, in reverse.

    Returns a dict of every gradient, intermediates first in the order backprop meets them:
    dlogits (N, C), dh (N, H), dz1 (N, H), then dx, dw1, db1, dw2, db2 (shapes of the inputs).
    """
    c1, c2, c3, c4 = cache
    dlogits = losses.cross_entropy_backward(dout, c4)
    dh, dw2, db2 = neurons.linear_backward(dlogits, c3)
    dz1 = activations.relu_backward(dh, c2)
    dx, dw1, db1 = neurons.linear_backward(dz1, c1)
    return {"dlogits": dlogits, "dh": dh, "dz1": dz1, "dx": dx, "dw1": dw1, "db1": db1, "dw2": dw2, "db2": db2}
