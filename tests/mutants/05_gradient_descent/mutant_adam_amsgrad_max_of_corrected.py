"""AMSGrad taking the maximum of the bias-corrected v_hat instead of the raw v."""
# lose: test_adam_step test_adamw_step
# names: amsgrad's maximum of the bias-corrected v

# ---- adam_step
def adam_step(param, grad, state=None, *, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0,
              amsgrad=False):
    beta1, beta2 = betas
    if state is None:
        zeros = np.zeros_like(param)
        state = {"step": 0, "exp_avg": zeros, "exp_avg_sq": zeros, "max_v_hat": zeros}
    t = state["step"] + 1
    g = grad + weight_decay * param
    m = beta1 * state["exp_avg"] + (1.0 - beta1) * g
    v = beta2 * state["exp_avg_sq"] + (1.0 - beta2) * g * g
    m_hat = m / (1.0 - beta1 ** t)
    v_hat = v / (1.0 - beta2 ** t)
    new_state = {"step": t, "exp_avg": m, "exp_avg_sq": v, "max_v_hat": state["max_v_hat"]}
    if amsgrad:
        v_hat = np.maximum(state["max_v_hat"], v_hat)
        new_state["max_v_hat"] = v_hat
    return param - lr * m_hat / (np.sqrt(v_hat) + eps), new_state
