"""Momentum buffer started at zero, so the first step is (1 - dampening) * g instead of g."""
# lose: test_sgd_step
# names: the momentum buffer started at zero

# ---- sgd_step
def sgd_step(param, grad, state=None, *, lr=1e-3, momentum=0.0, dampening=0.0, nesterov=False,
             weight_decay=0.0):
    g = grad + weight_decay * param
    if momentum == 0:
        return param - lr * g, None
    buf = np.zeros_like(param) if state is None else state
    buf = momentum * buf + (1.0 - dampening) * g
    step = g + momentum * buf if nesterov else buf
    return param - lr * step, buf
