"""layer_norm on x reshaped to (samples, m) rows, and a backward by the explicit chain rule through the
variance and the mean (dvar, dmean); prints as it goes."""

# ---- layer_norm_forward
def layer_norm_forward(x, weight=None, bias=None, normalized_shape=None, eps=1e-5):
    if normalized_shape is None:
        norm = x.shape[-1:]
    elif isinstance(normalized_shape, (int, np.integer)):
        norm = (int(normalized_shape),)
    else:
        norm = tuple(normalized_shape)
    rows = x.reshape(-1, int(np.prod(norm)))
    mu = rows.mean(axis=1, keepdims=True)
    xmu = rows - mu
    var = (xmu * xmu).mean(axis=1, keepdims=True)
    std = np.sqrt(var + eps)
    xhat = xmu / std
    w = None if weight is None else np.reshape(weight, (1, -1))
    b = None if bias is None else np.reshape(bias, (1, -1))
    y = xhat * (1.0 if w is None else w) + (0.0 if b is None else b)
    print("layer_norm", x.shape, "over", norm)
    return y.reshape(x.shape), (xmu, std, xhat, w, b is not None, x.shape, norm)

# ---- layer_norm_backward
def layer_norm_backward(dout, cache):
    xmu, std, xhat, w, has_bias, shape, norm = cache
    m = xmu.shape[1]
    dy = dout.reshape(-1, m)
    dxhat = dy if w is None else dy * w
    dvar = (dxhat * xmu).sum(axis=1, keepdims=True) * -0.5 / std ** 3
    dmu = -(dxhat / std).sum(axis=1, keepdims=True) + dvar * -2.0 * xmu.mean(axis=1, keepdims=True)
    drows = dxhat / std + dvar * 2.0 * xmu / m + dmu / m
    dweight = None if w is None else (dy * xhat).sum(axis=0).reshape(norm)
    dbias = dy.sum(axis=0).reshape(norm) if has_bias else None
    return drows.reshape(shape), dweight, dbias
