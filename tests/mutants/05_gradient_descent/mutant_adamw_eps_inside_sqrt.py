"""AdamW with eps inside the square root, sqrt(v_hat + eps): a different step for tiny gradients."""
# lose: test_adamw_step
# names: eps inside the square root

# ---- adamw_step
def adamw_step(param, grad, state=None, *, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2,
               amsgrad=False):
    beta1, beta2 = betas
    if state is None:
        zeros = np.zeros_like(param)
        state = {"step": 0, "exp_avg": zeros, "exp_avg_sq": zeros, "max_exp_avg_sq": zeros}
    t = state["step"] + 1
    param = param * (1.0 - lr * weight_decay)
    m = beta1 * state["exp_avg"] + (1.0 - beta1) * grad
    v = beta2 * state["exp_avg_sq"] + (1.0 - beta2) * grad * grad
    new_state = {"step": t, "exp_avg": m, "exp_avg_sq": v, "max_exp_avg_sq": state["max_exp_avg_sq"]}
    if amsgrad:
        v = np.maximum(state["max_exp_avg_sq"], v)
        new_state["max_exp_avg_sq"] = v
    m_hat = m / (1.0 - beta1 ** t)
    v_hat = v / (1.0 - beta2 ** t)
    return param - lr * m_hat / np.sqrt(v_hat + eps), new_state
