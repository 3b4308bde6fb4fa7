"""Weight decay added after the momentum buffer (decoupled), not to the gradient first."""
# lose: test_sgd_step
# names: weight decay after the momentum

# ---- sgd_step
def sgd_step(param, grad, state=None, *, lr=1e-3, momentum=0.0, dampening=0.0, nesterov=False,
             weight_decay=0.0):
    g = grad
    new_state = {}
    if momentum != 0:
        buf = g.copy() if state is None else momentum * state["momentum_buffer"] + (1.0 - dampening) * g
        new_state["momentum_buffer"] = buf
        g = g + momentum * buf if nesterov else buf
    return param - lr * (g + weight_decay * param), new_state
