"""RMSprop that ignores centered=True (divides by the root mean square, not the standard deviation)."""
# lose: test_rmsprop_step
# names: centered ignored

# ---- rmsprop_step
def rmsprop_step(param, grad, state=None, *, lr=1e-2, alpha=0.99, eps=1e-8, momentum=0.0,
                 centered=False, weight_decay=0.0):
    if state is None:
        zeros = np.zeros_like(param)
        state = {"square_avg": zeros, "momentum_buffer": zeros}
    g = grad + weight_decay * param
    v = alpha * state["square_avg"] + (1.0 - alpha) * g * g
    denom = np.sqrt(v) + eps
    buf = momentum * state["momentum_buffer"] + g / denom
    step = buf if momentum > 0 else g / denom
    return param - lr * step, {"square_avg": v, "momentum_buffer": buf}
