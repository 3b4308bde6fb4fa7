"""States as tuples instead of dicts: (step, buffer) for SGD, (step, m, v, v_max) for Adam."""

# ---- sgd_step
def sgd_step(param, grad, state=None, *, lr=1e-3, momentum=0.0, dampening=0.0, nesterov=False,
             weight_decay=0.0):
    step, buf = (0, None) if state is None else state
    g = grad + weight_decay * param
    if momentum:
        buf = np.array(g) if buf is None else momentum * buf + (1 - dampening) * g
        g = g + momentum * buf if nesterov else buf
    return param - lr * g, (step + 1, buf)

# ---- adam_step
def adam_step(param, grad, state=None, *, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0,
              amsgrad=False):
    b1, b2 = betas
    t, m, v, vmax = (0, 0.0, 0.0, 0.0) if state is None else state
    t += 1
    g = grad + weight_decay * param
    m = b1 * m + (1 - b1) * g
    v = b2 * v + (1 - b2) * g ** 2
    vmax = np.maximum(vmax, v) if amsgrad else vmax
    v_hat = (vmax if amsgrad else v) / (1 - b2 ** t)
    return param - lr * (m / (1 - b1 ** t)) / (np.sqrt(v_hat) + eps), (t, m, v, vmax)
