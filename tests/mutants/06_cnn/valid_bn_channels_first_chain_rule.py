"""batch_norm on x moved to (C, rest) with 2-D sums, and a backward by the explicit chain rule
through the variance and the mean (dvar, dmean) instead of the collapsed formula."""

# ---- batch_norm_forward
def batch_norm_forward(x, weight=None, bias=None, running_mean=None, running_var=None, training=True,
                       momentum=0.1, eps=1e-5):
    c = x.shape[1]
    flat = np.moveaxis(x, 1, 0).reshape(c, -1)  # (C, values of the channel)
    if training:
        mu = flat.sum(axis=1) / flat.shape[1]
        var = ((flat - mu[:, None]) ** 2).sum(axis=1) / flat.shape[1]
    else:
        mu, var = np.asarray(running_mean, float), np.asarray(running_var, float)
    std = np.sqrt(var + eps)
    xmu = flat - mu[:, None]
    xhat = xmu / std[:, None]
    y = xhat * (1.0 if weight is None else weight[:, None]) + (0.0 if bias is None else bias[:, None])
    moved = (c,) + x.shape[:1] + x.shape[2:]
    out = np.moveaxis(y.reshape(moved), 0, 1)
    return out, {"xmu": xmu, "std": std, "xhat": xhat, "w": weight, "b": bias is not None, "train": training,
                 "moved": moved}

# ---- batch_norm_backward
def batch_norm_backward(dout, cache):
    c = dout.shape[1]
    dy = np.moveaxis(dout, 1, 0).reshape(c, -1)
    xmu, std, xhat, m = cache["xmu"], cache["std"], cache["xhat"], cache["xmu"].shape[1]
    dxhat = dy if cache["w"] is None else dy * cache["w"][:, None]
    dflat = dxhat / std[:, None]
    if cache["train"]:
        dvar = (dxhat * xmu).sum(axis=1) * -0.5 * std ** -3
        dmu = -dflat.sum(axis=1) + dvar * -2.0 * xmu.sum(axis=1) / m
        dflat = dflat + dvar[:, None] * 2.0 * xmu / m + dmu[:, None] / m
    dx = np.moveaxis(dflat.reshape(cache["moved"]), 0, 1)
    dweight = None if cache["w"] is None else (dy * xhat).sum(axis=1)
    dbias = dy.sum(axis=1) if cache["b"] else None
    return dx, dweight, dbias
