"""Chapter 05 - gradient descent: optimiser update rules and learning-rate schedules.

Every optimiser is ONE update step, a pure function with the semantics of `torch.optim`:

    param, state = sgd_step(param, grad, state, lr=0.1, momentum=0.9)

`param` and `grad` are arrays of one shape; `state` is None on the first step, then whatever the
previous call returned: a dict holding the step count `"step"` and the optimiser's running arrays,
named as in `torch.optim.<Name>.state[p]` (`momentum_buffer`, `square_avg`, `exp_avg`, ...).
Nothing passed in is modified: a new param and a new state come back.

Hyper-parameters are keyword-only, with PyTorch's names and defaults; a bad one raises ValueError
naming it. Schedules are pure functions of the epoch that give the learning rate
`torch.optim.lr_scheduler` would set after `epoch` calls of `scheduler.step()`.
"""
from __future__ import annotations

import math
import numbers

import numpy as np

from ._validate import array, integer, same_shape

__all__ = ["OPTIMIZERS", "Optimizer", "adam_step", "adamw_step", "cosine_lr", "exponential_lr",
           "linear_warmup_lr", "momentum_step", "nesterov_step", "rmsprop_step", "sgd_step",
           "step_lr", "warmup_cosine_lr"]


# ------------------------------------------------------------------ checks

# Every bad hyper-parameter, of a wrong type or out of range, raises ValueError naming it.

def _number(name, v, lo=0.0, hi=math.inf, hi_open=False):
    """A finite real hyper-parameter in [lo, hi] (or [lo, hi)), else ValueError naming it."""
    if isinstance(v, bool) or not isinstance(v, numbers.Real) or not math.isfinite(v):
        raise ValueError(f"{name} must be a finite number, got {v!r}")
    v = float(v)
    if v < lo or v > hi or (hi_open and v == hi):
        raise ValueError(f"{name} must be in [{lo:g}, {hi:g}{')' if hi_open else ']'}, got {v!r}")
    return v


def _flag(name, v):
    if not isinstance(v, (bool, np.bool_)):
        raise ValueError(f"{name} must be True or False, got {v!r}")  # noqa: TRY004 (contract: ValueError)
    return bool(v)




def _betas(betas):
    if not isinstance(betas, (tuple, list)) or len(betas) != 2:
        raise ValueError(f"betas must be a pair (beta1, beta2), got {betas!r}")
    return (_number("betas[0]", betas[0], 0.0, 1.0, hi_open=True),
            _number("betas[1]", betas[1], 0.0, 1.0, hi_open=True))


def _arrays(param, grad):
    param, grad = array("param", param), array("grad", grad)
    same_shape("param", param, "grad", grad)
    return param, grad


def _state(state, param, keys):
    """The previous state's step count and arrays (None on the first step), checked."""
    if state is None:
        return 0, {k: None for k in keys}
    if not isinstance(state, dict) or "step" not in state:
        raise ValueError(f"state must be None (first step) or the dict the previous step returned, "
                         f"got {type(state).__name__}")
    arrays = {}
    for k in keys:
        a = state.get(k)
        if a is None:
            raise ValueError(f"state has no {k!r}: pass the state returned by the same optimiser "
                             f"with the same options (or None to start over)")
        a = array(f"state[{k!r}]", a)
        same_shape(f"state[{k!r}]", a, "param", param)
        arrays[k] = a
    return integer("state['step']", state["step"], 0), arrays


# ------------------------------------------------------------------ SGD (momentum, Nesterov)

def sgd_step(param, grad, state=None, *, lr=1e-3, momentum=0.0, dampening=0.0, nesterov=False,
             weight_decay=0.0):
    """One step of `torch.optim.SGD`.

        g <- grad + weight_decay * param                      (L2 penalty in the gradient)
        b <- g on the first step, else momentum * b + (1 - dampening) * g
        g <- g + momentum * b if nesterov else b              (only when momentum != 0)
        param <- param - lr * g

    State: {"step", "momentum_buffer"} (the buffer only when momentum != 0).
    """
    lr = _number("lr", lr)
    momentum = _number("momentum", momentum)
    dampening = _number("dampening", dampening, hi=1.0)
    weight_decay = _number("weight_decay", weight_decay)
    if _flag("nesterov", nesterov) and (momentum <= 0 or dampening != 0):
        raise ValueError(f"nesterov=True needs momentum > 0 and dampening = 0, got momentum={momentum}, "
                         f"dampening={dampening}")
    param, grad = _arrays(param, grad)
    step, prev = _state(state, param, ("momentum_buffer",) if momentum != 0 else ())
    g = grad + weight_decay * param if weight_decay != 0 else grad
    new_state = {"step": step + 1}
    if momentum != 0:
        buf = prev["momentum_buffer"]
        buf = g.copy() if buf is None else momentum * buf + (1.0 - dampening) * g
        new_state["momentum_buffer"] = buf
        g = g + momentum * buf if nesterov else buf
    return param - lr * g, new_state


def momentum_step(param, grad, state=None, *, lr=1e-3, momentum=0.9, dampening=0.0, weight_decay=0.0):
    """SGD with (heavy-ball) momentum: `sgd_step(..., momentum=0.9)`."""
    return sgd_step(param, grad, state, lr=lr, momentum=momentum, dampening=dampening,
                    weight_decay=weight_decay)


def nesterov_step(param, grad, state=None, *, lr=1e-3, momentum=0.9, weight_decay=0.0):
    """SGD with Nesterov momentum: `sgd_step(..., momentum=0.9, nesterov=True)`."""
    return sgd_step(param, grad, state, lr=lr, momentum=momentum, nesterov=True,
                    weight_decay=weight_decay)


# ------------------------------------------------------------------ RMSprop

def rmsprop_step(param, grad, state=None, *, lr=1e-2, alpha=0.99, eps=1e-8, momentum=0.0,
                 centered=False, weight_decay=0.0):
    """One step of `torch.optim.RMSprop`.

        g <- grad + weight_decay * param
        v <- alpha * v + (1 - alpha) * g^2                    (v starts at 0)
        centered: m <- alpha * m + (1 - alpha) * g;  d = sqrt(v - m^2) + eps,  else d = sqrt(v) + eps
        momentum > 0: b <- momentum * b + g / d;  param <- param - lr * b
        else:         param <- param - lr * g / d

    State: {"step", "square_avg"} plus "grad_avg" (centered) and "momentum_buffer" (momentum > 0).
    """
    lr = _number("lr", lr)
    alpha = _number("alpha", alpha, hi=1.0)
    eps = _number("eps", eps)
    momentum = _number("momentum", momentum)
    centered = _flag("centered", centered)
    weight_decay = _number("weight_decay", weight_decay)
    param, grad = _arrays(param, grad)
    keys = ("square_avg",) + (("grad_avg",) if centered else ()) + (("momentum_buffer",) if momentum > 0 else ())
    step, prev = _state(state, param, keys)
    zeros = np.zeros_like(param)
    g = grad + weight_decay * param if weight_decay != 0 else grad
    v = prev["square_avg"] if step else zeros
    v = alpha * v + (1.0 - alpha) * g * g
    new_state = {"step": step + 1, "square_avg": v}
    if centered:
        m = prev["grad_avg"] if step else zeros
        m = m + (1.0 - alpha) * (g - m)  # torch's lerp; = alpha * m + (1 - alpha) * g
        new_state["grad_avg"] = m
        denom = np.sqrt(v - m * m) + eps
    else:
        denom = np.sqrt(v) + eps
    if momentum > 0:
        buf = prev["momentum_buffer"] if step else zeros
        buf = momentum * buf + g / denom
        new_state["momentum_buffer"] = buf
        return param - lr * buf, new_state
    return param - lr * g / denom, new_state


# ------------------------------------------------------------------ Adam, AdamW

def _adam(param, grad, state, hyper, decoupled):
    """Adam (decoupled=False) or AdamW (True); hyper: lr, betas, eps, weight_decay, amsgrad."""
    lr, eps, weight_decay = (_number(k, hyper[k]) for k in ("lr", "eps", "weight_decay"))
    beta1, beta2 = _betas(hyper["betas"])
    amsgrad = _flag("amsgrad", hyper["amsgrad"])
    param, grad = _arrays(param, grad)
    keys = ("exp_avg", "exp_avg_sq") + (("max_exp_avg_sq",) if amsgrad else ())
    step, prev = _state(state, param, keys)
    step += 1
    g = grad
    if weight_decay != 0:
        if decoupled:  # AdamW: shrink the weights directly, outside the adaptive scaling
            param = param * (1.0 - lr * weight_decay)
        else:  # Adam: L2 penalty in the gradient, which then gets rescaled like the rest of it
            g = grad + weight_decay * param
    m = prev["exp_avg"] if step > 1 else np.zeros_like(param)
    v = prev["exp_avg_sq"] if step > 1 else np.zeros_like(param)
    m = m + (1.0 - beta1) * (g - m)  # torch's lerp; = beta1 * m + (1 - beta1) * g
    v = beta2 * v + (1.0 - beta2) * g * g
    new_state = {"step": step, "exp_avg": m, "exp_avg_sq": v}
    bias_correction1 = 1.0 - beta1**step
    bias_correction2_sqrt = (1.0 - beta2**step) ** 0.5
    if amsgrad:
        vmax = np.maximum(prev["max_exp_avg_sq"], v) if step > 1 else v
        new_state["max_exp_avg_sq"] = vmax
        denom = np.sqrt(vmax) / bias_correction2_sqrt + eps
    else:
        denom = np.sqrt(v) / bias_correction2_sqrt + eps
    return param - (lr / bias_correction1) * (m / denom), new_state


def adam_step(param, grad, state=None, *, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0,
              amsgrad=False):
    """One step of `torch.optim.Adam` (weight_decay is an L2 penalty added to the gradient).

        g <- grad + weight_decay * param
        m <- beta1 * m + (1 - beta1) * g                      (first moment, starts at 0)
        v <- beta2 * v + (1 - beta2) * g^2                    (second moment, starts at 0)
        amsgrad: v_max <- max(v_max, v) and v_max replaces v below
        m_hat = m / (1 - beta1^t),  v_hat = v / (1 - beta2^t) (bias corrections, t = step)
        param <- param - lr * m_hat / (sqrt(v_hat) + eps)

    State: {"step", "exp_avg", "exp_avg_sq"} plus "max_exp_avg_sq" with amsgrad.
    """
    return _adam(param, grad, state, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad),
                 decoupled=False)


def adamw_step(param, grad, state=None, *, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2,
               amsgrad=False):
    """One step of `torch.optim.AdamW`: Adam with decoupled weight decay.

    Identical to `adam_step` except that the decay is not in the gradient: first
    param <- param * (1 - lr * weight_decay), then the Adam update with the raw gradient.
    """
    return _adam(param, grad, state, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad),
                 decoupled=True)


OPTIMIZERS = {"sgd": sgd_step, "momentum": momentum_step, "nesterov": nesterov_step,
              "rmsprop": rmsprop_step, "adam": adam_step, "adamw": adamw_step}


class Optimizer:
    """Applies one `*_step` to a list of parameters, keeping one state per parameter.

        opt = Optimizer("adam", lr=1e-3)
        params = opt.step(params, grads)   # new arrays; opt.lr = ... for a schedule

    The hyper-parameters are checked here, at construction.
    """

    def __init__(self, name, **hyper):
        if name not in OPTIMIZERS:
            raise ValueError(f"name must be one of {', '.join(OPTIMIZERS)}, got {name!r}")
        self.name, self.fn, self.hyper = name, OPTIMIZERS[name], dict(hyper)
        try:
            self.fn(np.zeros(0), np.zeros(0), None, **self.hyper)
        except TypeError as err:  # an unknown keyword
            raise ValueError(f"{name}: {err}") from None
        self.states = None

    @property
    def lr(self):
        import inspect

        return self.hyper.get("lr", inspect.signature(self.fn).parameters["lr"].default)

    @lr.setter
    def lr(self, value):
        self.hyper["lr"] = _number("lr", value)

    def step(self, params, grads):
        """New parameters after one step of every (param, grad) pair."""
        if len(params) != len(grads):
            raise ValueError(f"params and grads must have the same length, got {len(params)} and {len(grads)}")
        if self.states is None:
            self.states = [None] * len(params)
        out = []
        for i, (p, g) in enumerate(zip(params, grads)):
            p, self.states[i] = self.fn(p, g, self.states[i], **self.hyper)
            out.append(p)
        return out


# ------------------------------------------------------------------ learning-rate schedules

def _epoch(epoch):
    return integer("epoch", epoch, 0)


def step_lr(epoch, lr0, step_size, gamma=0.1):
    """`StepLR`: lr0 * gamma ** (epoch // step_size), decay by gamma every step_size epochs."""
    epoch, lr0 = _epoch(epoch), _number("lr0", lr0)
    step_size, gamma = integer("step_size", step_size, 1), _number("gamma", gamma)
    return lr0 * gamma ** (epoch // step_size)


def exponential_lr(epoch, lr0, gamma):
    """`ExponentialLR`: lr0 * gamma ** epoch."""
    return _number("lr0", lr0) * _number("gamma", gamma) ** _epoch(epoch)


def cosine_lr(epoch, lr0, T_max, eta_min=0.0):
    """`CosineAnnealingLR`: eta_min + (lr0 - eta_min) * (1 + cos(pi * epoch / T_max)) / 2.

    Half a cosine from lr0 down to eta_min at epoch T_max (after which, as in PyTorch, it rises
    again: the schedule is periodic with period 2 T_max).
    """
    epoch, lr0 = _epoch(epoch), _number("lr0", lr0)
    T_max, eta_min = integer("T_max", T_max, 1), _number("eta_min", eta_min)
    return eta_min + (lr0 - eta_min) * (1.0 + math.cos(math.pi * epoch / T_max)) / 2.0


def linear_warmup_lr(epoch, lr0, warmup_epochs, start_factor=1.0 / 3, end_factor=1.0):
    """`LinearLR`: the factor goes linearly from start_factor to end_factor over warmup_epochs,
    then stays: lr0 * (start + (end - start) * min(epoch, warmup_epochs) / warmup_epochs)."""
    epoch, lr0 = _epoch(epoch), _number("lr0", lr0)
    warmup_epochs = integer("warmup_epochs", warmup_epochs, 1)
    start_factor = _number("start_factor", start_factor, 0.0, 1.0)
    end_factor = _number("end_factor", end_factor, 0.0, 1.0)
    if start_factor == 0:
        raise ValueError("start_factor must be > 0 (PyTorch's LinearLR refuses 0), got 0.0")
    t = min(epoch, warmup_epochs) / warmup_epochs
    return lr0 * (start_factor + (end_factor - start_factor) * t)


def warmup_cosine_lr(epoch, lr0, warmup_epochs, T_max, eta_min=0.0, start_factor=0.1):
    """Linear warm-up from start_factor * lr0 to lr0 over warmup_epochs, then a cosine over T_max
    epochs down to eta_min: `SequentialLR([LinearLR(...), CosineAnnealingLR(T_max)],
    milestones=[warmup_epochs])`."""
    epoch = _epoch(epoch)
    warmup_epochs = integer("warmup_epochs", warmup_epochs, 1)
    if epoch < warmup_epochs:
        return linear_warmup_lr(epoch, lr0, warmup_epochs, start_factor)
    return cosine_lr(epoch - warmup_epochs, lr0, T_max, eta_min)
