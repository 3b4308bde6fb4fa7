"""The buffer IS the first gradient (buf = g, no copy), then updated in place: the caller's gradient changes."""
# lose: test_sgd_step

# ---- sgd_step
def sgd_step(param, grad, state=None, *, lr=1e-3, momentum=0.0, dampening=0.0, nesterov=False,
             weight_decay=0.0):
    g = grad + weight_decay * param if weight_decay != 0 else grad
    if momentum == 0:
        return param - lr * g, {}
    if state is None:
        buf = g
    else:
        buf = state["momentum_buffer"]
        buf *= momentum
        buf += (1.0 - dampening) * g
    step = g + momentum * buf if nesterov else buf
    return param - lr * step, {"momentum_buffer": buf}
