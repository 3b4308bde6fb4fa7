"""Assignment 05_gradient_descent: the solutions of its answer cells.

assignments/build_sources.py copies each function below, from its `def` line to its
`### END SOLUTION`, into the answer cell of the same name (assignment.md places the cells):
edit here, then run `python assignments/build_sources.py`.
"""
import numpy as np

# BEGIN SETUP: the lines up to END SETUP also go into the notebook's read-only first cell
from coursekit.grading import train_check  # a training run with your update rule

# END SETUP


def sgd_step(param, grad, state=None, *, lr=1e-3, momentum=0.0, dampening=0.0, nesterov=False,
             weight_decay=0.0):
    """One step of torch.optim.SGD. Returns (new_param, new_state).

    state: None on the first step, else what the previous call returned, e.g.
    {"step": t, "momentum_buffer": b}. Do not modify param, grad or the arrays in state.
    """
    ### BEGIN SOLUTION
    g = grad + weight_decay * param if weight_decay != 0 else grad
    new_state = {"step": 1 if state is None else state["step"] + 1}
    if momentum != 0:
        if state is None:
            buf = g.copy()
        else:
            buf = momentum * state["momentum_buffer"] + (1.0 - dampening) * g
        new_state["momentum_buffer"] = buf
        g = g + momentum * buf if nesterov else buf
    return param - lr * g, new_state
    ### END SOLUTION


def rmsprop_step(param, grad, state=None, *, lr=1e-2, alpha=0.99, eps=1e-8, momentum=0.0,
                 centered=False, weight_decay=0.0):
    """One step of torch.optim.RMSprop. Returns (new_param, new_state).

    state: None on the first step, else what the previous call returned, e.g.
    {"step", "square_avg", "grad_avg" (centered), "momentum_buffer" (momentum > 0)}.
    """
    ### BEGIN SOLUTION
    if state is None:  # every running average starts at zero
        zeros = np.zeros_like(param)
        state = {"step": 0, "square_avg": zeros, "grad_avg": zeros, "momentum_buffer": zeros}
    g = grad + weight_decay * param if weight_decay != 0 else grad
    v = alpha * state["square_avg"] + (1.0 - alpha) * g * g
    new_state = {"step": state["step"] + 1, "square_avg": v, "grad_avg": state["grad_avg"],
                 "momentum_buffer": state["momentum_buffer"]}
    if centered:
        g_avg = alpha * state["grad_avg"] + (1.0 - alpha) * g
        new_state["grad_avg"] = g_avg
        denom = np.sqrt(v - g_avg * g_avg) + eps
    else:
        denom = np.sqrt(v) + eps
    if momentum > 0:
        buf = momentum * state["momentum_buffer"] + g / denom
        new_state["momentum_buffer"] = buf
        return param - lr * buf, new_state
    return param - lr * g / denom, new_state
    ### END SOLUTION


def adam_step(param, grad, state=None, *, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0,
              amsgrad=False):
    """One step of torch.optim.Adam. Returns (new_param, new_state).

    state: None on the first step, else what the previous call returned, e.g.
    {"step": t, "exp_avg": m, "exp_avg_sq": v, "max_exp_avg_sq": v_max (amsgrad)}.
    """
    ### BEGIN SOLUTION
    beta1, beta2 = betas
    if state is None:
        zeros = np.zeros_like(param)
        state = {"step": 0, "exp_avg": zeros, "exp_avg_sq": zeros, "max_exp_avg_sq": zeros}
    t = state["step"] + 1
    g = grad + weight_decay * param if weight_decay != 0 else grad
    m = beta1 * state["exp_avg"] + (1.0 - beta1) * g
    v = beta2 * state["exp_avg_sq"] + (1.0 - beta2) * g * g
    new_state = {"step": t, "exp_avg": m, "exp_avg_sq": v, "max_exp_avg_sq": state["max_exp_avg_sq"]}
    if amsgrad:
        v = np.maximum(state["max_exp_avg_sq"], v)
        new_state["max_exp_avg_sq"] = v
    m_hat = m / (1.0 - beta1 ** t)
    v_hat = v / (1.0 - beta2 ** t)
    return param - lr * m_hat / (np.sqrt(v_hat) + eps), new_state
    ### END SOLUTION


def adamw_step(param, grad, state=None, *, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2,
               amsgrad=False):
    """One step of torch.optim.AdamW: param * (1 - lr * weight_decay), then Adam with the raw grad.

    Returns (new_param, new_state); the state holds what Adam's does.
    """
    ### BEGIN SOLUTION
    # AdamW is Adam's step from the shrunk weights, with no L2 term in the gradient
    # (tests/mutants/05_gradient_descent/valid_adamw_spelled_out.py writes it out in full)
    shrunk = param * (1.0 - lr * weight_decay)
    return adam_step(shrunk, grad, state, lr=lr, betas=betas, eps=eps, weight_decay=0.0, amsgrad=amsgrad)
    ### END SOLUTION
