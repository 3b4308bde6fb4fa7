"""Adam with the global-state mistake, and the locked training-run cell edited to `pass`: nbgrader restores and scores it."""
# lose: test_adam_step test_adam_step_training test_adamw_step
# flags: test cell edited

# ---- adam_step
_M = {}

def adam_step(param, grad, state=None, *, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0,
              amsgrad=False):
    b1, b2 = betas
    if state is None:
        _M.update(m=np.zeros_like(param), v=np.zeros_like(param), vmax=np.zeros_like(param), t=0)
    _M["t"] += 1
    t = _M["t"]
    g = grad + weight_decay * param
    _M["m"] = b1 * _M["m"] + (1 - b1) * g
    _M["v"] = b2 * _M["v"] + (1 - b2) * g * g
    if amsgrad:
        _M["vmax"] = np.maximum(_M["vmax"], _M["v"])
    v = _M["vmax"] if amsgrad else _M["v"]
    return param - lr * (_M["m"] / (1 - b1 ** t)) / (np.sqrt(v / (1 - b2 ** t)) + eps), {}

# ---- test_adam_step_training
pass
