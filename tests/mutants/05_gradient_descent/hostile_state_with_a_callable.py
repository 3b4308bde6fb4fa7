"""RMSprop (eps inside the sqrt) whose state carries a lambda and a generator, and whose param is an ndarray
subclass claiming equality with anything: nothing foreign crosses back from the sandbox."""
# lose: test_rmsprop_step

# ---- rmsprop_step
class Agreeable(np.ndarray):
    def __eq__(self, other):
        return np.ones(np.shape(self), dtype=bool)

    def __array_finalize__(self, obj):
        pass

def rmsprop_step(param, grad, state=None, *, lr=1e-2, alpha=0.99, eps=1e-8, momentum=0.0,
                 centered=False, weight_decay=0.0):
    v = np.zeros_like(param) if state is None else state["v"]
    g = grad + weight_decay * param
    v = alpha * v + (1 - alpha) * g * g
    new = (param - lr * g / np.sqrt(v + eps)).view(Agreeable)
    return new, {"v": v, "hook": lambda: None, "gen": (i for i in range(3))}
