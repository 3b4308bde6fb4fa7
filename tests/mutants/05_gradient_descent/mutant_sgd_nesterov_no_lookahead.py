"""Nesterov without the look-ahead: steps along the buffer b, exactly like plain momentum."""
# lose: test_sgd_step
# names: Nesterov without the look-ahead

# ---- sgd_step
def sgd_step(param, grad, state=None, *, lr=1e-3, momentum=0.0, dampening=0.0, nesterov=False,
             weight_decay=0.0):
    g = grad + weight_decay * param
    if momentum == 0:
        return param - lr * g, {}
    buf = g.copy() if state is None else momentum * state["momentum_buffer"] + (1.0 - dampening) * g
    return param - lr * buf, {"momentum_buffer": buf}
