"""NumPy reference implementations, one module per chapter.

Each op is a pair `out, cache = <op>_forward(...)` / `grads = <op>_backward(dout, cache)`,
named and laid out like `torch.nn.functional`. Backward returns one array for a one-input op,
else a tuple in the order of the forward's array arguments. Inputs are never modified.
"""
from . import activations, neurons

__all__ = ["activations", "neurons"]
