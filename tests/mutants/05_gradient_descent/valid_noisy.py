"""Right, and noisy: prints and warns at every step of the update rule, and at top level."""

# ---- rmsprop_step
import sys
import warnings

def rmsprop_step(param, grad, state=None, *, lr=1e-2, alpha=0.99, eps=1e-8, momentum=0.0,
                 centered=False, weight_decay=0.0):
    print("rmsprop step", param.shape, file=sys.stderr)
    warnings.warn("rmsprop: checking", UserWarning)
    if state is None:
        zeros = np.zeros_like(param)
        state = {"square_avg": zeros, "grad_avg": zeros, "momentum_buffer": zeros}
    g = grad + weight_decay * param
    v = alpha * state["square_avg"] + (1.0 - alpha) * g * g
    g_avg = alpha * state["grad_avg"] + (1.0 - alpha) * g
    denom = np.sqrt(v - g_avg * g_avg if centered else v) + eps
    buf = momentum * state["momentum_buffer"] + g / denom
    print("max |step|", np.abs(buf).max() if buf.size else 0.0)
    step = buf if momentum > 0 else g / denom
    return param - lr * step, {"square_avg": v, "grad_avg": g_avg, "momentum_buffer": buf}

print("rmsprop ready", file=sys.stderr)
