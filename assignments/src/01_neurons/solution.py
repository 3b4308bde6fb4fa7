"""Assignment 01_neurons: the solutions of its answer cells.

assignments/build_sources.py copies each function below, from its `def` line to its
`### END SOLUTION`, into the answer cell of the same name (assignment.md places the cells):
edit here, then run `python assignments/build_sources.py`.
"""


def linear_forward(x, weight, bias=None):
    """Affine layer y = x @ weight.T + bias, like torch.nn.functional.linear.

    x: (..., in_features), at least 1-D; leading dimensions are batch dimensions.
    weight: (out_features, in_features).
    bias: (out_features,) or None (no bias).
    Returns (out, cache): out has shape (..., out_features); cache is whatever
    linear_backward needs, e.g. (x, weight, bias). Do not modify x, weight or bias.
    """
    ### BEGIN SOLUTION
    out = x @ weight.T
    if bias is not None:
        out = out + bias
    cache = (x, weight, bias)
    return out, cache
    ### END SOLUTION


def linear_backward(dout, cache):
    """Gradients of linear_forward.

    dout: (..., out_features), the gradient of the loss with respect to out.
    cache: what your linear_forward returned as its cache.
    Returns (dx, dweight, dbias) with the shapes of x, weight and bias; dbias is None
    when the forward had no bias. Do not modify dout or anything in the cache.
    """
    ### BEGIN SOLUTION
    x, weight, bias = cache
    dx = dout @ weight
    x2 = x.reshape(-1, x.shape[-1])
    dout2 = dout.reshape(-1, weight.shape[0])
    dweight = dout2.T @ x2
    dbias = None if bias is None else dout2.sum(axis=0)
    return dx, dweight, dbias
    ### END SOLUTION
