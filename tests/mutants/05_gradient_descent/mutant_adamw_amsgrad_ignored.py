"""AdamW written out in full that forgets amsgrad: v_max is never kept (the cases of adamw had no amsgrad)."""
# lose: test_adamw_step
# names: amsgrad ignored

# ---- adamw_step
def adamw_step(param, grad, state=None, *, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2,
               amsgrad=False):
    beta1, beta2 = betas
    if state is None:
        state = {"step": 0, "exp_avg": np.zeros_like(param), "exp_avg_sq": np.zeros_like(param)}
    t = state["step"] + 1
    param = param * (1.0 - lr * weight_decay)
    m = beta1 * state["exp_avg"] + (1.0 - beta1) * grad
    v = beta2 * state["exp_avg_sq"] + (1.0 - beta2) * grad * grad
    m_hat, v_hat = m / (1.0 - beta1 ** t), v / (1.0 - beta2 ** t)
    return param - lr * m_hat / (np.sqrt(v_hat) + eps), {"step": t, "exp_avg": m, "exp_avg_sq": v}
