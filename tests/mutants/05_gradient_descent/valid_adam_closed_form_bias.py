"""Adam's "efficient" form of the paper: the corrections folded into the step size and eps,
lr_t = lr sqrt(1 - b2^t) / (1 - b1^t), eps_t = eps sqrt(1 - b2^t), with running powers of the betas in the state."""

# ---- adam_step
def adam_step(param, grad, state=None, *, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0,
              amsgrad=False):
    b1, b2 = betas
    if state is None:
        state = {"b1_pow": 1.0, "b2_pow": 1.0, "m": np.zeros_like(param), "v": np.zeros_like(param),
                 "vmax": np.zeros_like(param)}
    b1_pow, b2_pow = state["b1_pow"] * b1, state["b2_pow"] * b2
    g = grad + weight_decay * param if weight_decay else grad
    m = b1 * state["m"] + (1 - b1) * g
    v = b2 * state["v"] + (1 - b2) * np.square(g)
    vmax = np.maximum(state["vmax"], v) if amsgrad else state["vmax"]
    root = np.sqrt(1 - b2_pow)
    lr_t = lr * root / (1 - b1_pow)
    new = param - lr_t * m / (np.sqrt(vmax if amsgrad else v) + eps * root)
    return new, {"b1_pow": b1_pow, "b2_pow": b2_pow, "m": m, "v": v, "vmax": vmax}
