"""SGD and RMSprop one coordinate at a time, in Python loops over flat copies, with math.sqrt."""

# ---- sgd_step
import math

def sgd_step(param, grad, state=None, *, lr=1e-3, momentum=0.0, dampening=0.0, nesterov=False,
             weight_decay=0.0):
    p, g_in = param.ravel(), grad.ravel()
    out = np.empty(p.size)
    buf = None if state is None else state["buf"]
    new_buf = np.empty(p.size)
    for i in range(p.size):
        g = g_in[i] + weight_decay * p[i]
        if momentum != 0:
            b = g if buf is None else momentum * buf[i] + (1 - dampening) * g
            new_buf[i] = b
            g = g + momentum * b if nesterov else b
        out[i] = p[i] - lr * g
    return out.reshape(param.shape), {"buf": new_buf if momentum != 0 else None}

# ---- rmsprop_step
def rmsprop_step(param, grad, state=None, *, lr=1e-2, alpha=0.99, eps=1e-8, momentum=0.0,
                 centered=False, weight_decay=0.0):
    n = param.size
    sq, avg, buf = ([0.0] * n, [0.0] * n, [0.0] * n) if state is None else state
    sq, avg, buf = list(sq), list(avg), list(buf)
    out = []
    for i, (p, g) in enumerate(zip(param.ravel().tolist(), grad.ravel().tolist())):
        g = g + weight_decay * p
        sq[i] = alpha * sq[i] + (1 - alpha) * g * g
        var = sq[i]
        if centered:
            avg[i] = alpha * avg[i] + (1 - alpha) * g
            var = var - avg[i] * avg[i]
        step = g / (math.sqrt(var) + eps)
        if momentum > 0:
            buf[i] = momentum * buf[i] + step
            step = buf[i]
        out.append(p - lr * step)
    return np.array(out).reshape(param.shape), (sq, avg, buf)
