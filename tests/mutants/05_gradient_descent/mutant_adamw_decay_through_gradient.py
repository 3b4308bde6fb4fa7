"""AdamW with the weight decay added to the gradient (that is Adam's L2 penalty, not decoupled decay)."""
# lose: test_adamw_step
# names: the decay through the gradient

# ---- adamw_step
def adamw_step(param, grad, state=None, *, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2,
               amsgrad=False):
    beta1, beta2 = betas
    if state is None:
        zeros = np.zeros_like(param)
        state = {"step": 0, "exp_avg": zeros, "exp_avg_sq": zeros, "max_exp_avg_sq": zeros}
    t = state["step"] + 1
    g = grad + weight_decay * param
    m = beta1 * state["exp_avg"] + (1.0 - beta1) * g
    v = beta2 * state["exp_avg_sq"] + (1.0 - beta2) * g * g
    new_state = {"step": t, "exp_avg": m, "exp_avg_sq": v, "max_exp_avg_sq": state["max_exp_avg_sq"]}
    if amsgrad:
        v = np.maximum(state["max_exp_avg_sq"], v)
        new_state["max_exp_avg_sq"] = v
    return param - lr * (m / (1.0 - beta1 ** t)) / (np.sqrt(v / (1.0 - beta2 ** t)) + eps), new_state
