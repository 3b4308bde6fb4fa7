"""Adam without the bias correction: m and v used raw, steps about 3x too large at first (it still trains)."""
# lose: test_adam_step test_adamw_step
# names: no bias correction

# ---- adam_step
def adam_step(param, grad, state=None, *, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0,
              amsgrad=False):
    beta1, beta2 = betas
    if state is None:
        zeros = np.zeros_like(param)
        state = {"exp_avg": zeros, "exp_avg_sq": zeros, "max_exp_avg_sq": zeros}
    g = grad + weight_decay * param
    m = beta1 * state["exp_avg"] + (1.0 - beta1) * g
    v = beta2 * state["exp_avg_sq"] + (1.0 - beta2) * g * g
    new_state = {"exp_avg": m, "exp_avg_sq": v, "max_exp_avg_sq": state["max_exp_avg_sq"]}
    if amsgrad:
        v = np.maximum(state["max_exp_avg_sq"], v)
        new_state["max_exp_avg_sq"] = v
    return param - lr * m / (np.sqrt(v) + eps), new_state
