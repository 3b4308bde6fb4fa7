"""RMSprop with eps inside the square root, g / sqrt(v + eps): caught by the tiny gradients."""
# lose: test_rmsprop_step
# names: eps inside the square root

# ---- rmsprop_step
def rmsprop_step(param, grad, state=None, *, lr=1e-2, alpha=0.99, eps=1e-8, momentum=0.0,
                 centered=False, weight_decay=0.0):
    if state is None:
        zeros = np.zeros_like(param)
        state = {"square_avg": zeros, "grad_avg": zeros, "momentum_buffer": zeros}
    g = grad + weight_decay * param
    v = alpha * state["square_avg"] + (1.0 - alpha) * g * g
    g_avg = alpha * state["grad_avg"] + (1.0 - alpha) * g
    denom = np.sqrt((v - g_avg * g_avg if centered else v) + eps)
    buf = momentum * state["momentum_buffer"] + g / denom
    step = buf if momentum > 0 else g / denom
    return param - lr * step, {"square_avg": v, "grad_avg": g_avg, "momentum_buffer": buf}
