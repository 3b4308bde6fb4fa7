"""Adam that keeps its moments in a global variable (reset when state is None): each case alone would
pass, but check() steps a second parameter between two steps, and the MLP's six parameters share one
state, so the training run crashes."""
# lose: test_adam_step test_adam_step_training test_adamw_step

# ---- adam_step
_MOMENTS = {}

def adam_step(param, grad, state=None, *, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0,
              amsgrad=False):
    beta1, beta2 = betas
    if state is None:
        zeros = np.zeros_like(param)
        _MOMENTS.update(m=zeros, v=zeros, vmax=zeros)
        state = {"step": 0}
    t = state["step"] + 1
    g = grad + weight_decay * param
    _MOMENTS["m"] = beta1 * _MOMENTS["m"] + (1.0 - beta1) * g
    _MOMENTS["v"] = beta2 * _MOMENTS["v"] + (1.0 - beta2) * g * g
    v = _MOMENTS["v"]
    if amsgrad:
        _MOMENTS["vmax"] = v = np.maximum(_MOMENTS["vmax"], v)
    m_hat = _MOMENTS["m"] / (1.0 - beta1 ** t)
    v_hat = v / (1.0 - beta2 ** t)
    return param - lr * m_hat / (np.sqrt(v_hat) + eps), {"step": t}
