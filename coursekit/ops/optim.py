"""Chapter 05, update rules: one `StepSpec` per `torch.optim` optimiser taught."""
from __future__ import annotations

import inspect

import numpy as np

from ..reference import optim
from .spec import Case, StepSpec, fmt_hyper, register_step, step_mistake


def _step_cases(variants):
    """Cases for an update rule: shapes and gradients that catch real bugs, under each hyper set."""

    def cases(rng, hidden):
        n = rng.standard_normal

        def c(label, param, grads, hyper):
            return Case(f"{label}, {fmt_hyper(hyper)}", {"param": param, "grads": grads}, dict(hyper))

        if not hidden:
            base, *rest = variants
            out = [
                c("matrix (4, 3), 20 steps", n((4, 3)), n((20, 4, 3)), base),
                c("batch of one (1, 5), 10 steps", n((1, 5)), n((10, 1, 5)), base),
                c("zero gradients (2, 3), 5 steps", n((2, 3)), np.zeros((5, 2, 3)), base),
                c("large gradients (+-1000) (3, 2), 10 steps", n((3, 2)), 1000 * n((10, 3, 2)), base),
                c("tiny gradients (+-1e-8) (2, 4), 10 steps", n((2, 4)), 1e-8 * n((10, 2, 4)), base),
            ]
            return out + [c("non-square (2, 5), 20 steps", n((2, 5)), n((20, 2, 5)), h) for h in rest]
        return [c("vector (7,), 30 steps", n(7), n((30, 7)), h) for h in variants] + [
            c("constant gradient (3, 3), 25 steps", n((3, 3)), np.ones((25, 3, 3)), variants[-1]),
            c("tiny gradients (1e-8) (2, 2), 10 steps", n((2, 2)), 1e-8 * n((10, 2, 2)), variants[0]),
        ]

    return cases


def _torch_optim(name):
    def make(params, **hyper):
        import torch

        return getattr(torch.optim, name)(params, **hyper)

    return make


# ---------------------------------------------------------------- known mistakes (mistaken steps)

def _hyper(rule, hyper) -> dict:
    """Every hyper-parameter of the reference `rule`: its defaults, overridden by `hyper`."""
    sig = inspect.signature(rule).parameters.values()
    return {p.name: p.default for p in sig if p.kind is p.KEYWORD_ONLY} | hyper


def _with(rule, *, defaults_of=None, **fixed):
    """`rule` with the hyper-parameters `fixed` whatever the case's, the others' defaults those of `defaults_of`."""

    def step(param, grad, state=None, **hyper):
        return rule(param, grad, state, **((_hyper(defaults_of, hyper) if defaults_of else hyper) | fixed))

    return step


def _rmsprop_alpha_swapped(param, grad, state=None, *, alpha=0.99, **hyper):
    """alpha weighing the new g^2 (and g) and 1 - alpha the old average."""
    return optim.rmsprop_step(param, grad, state, alpha=1.0 - alpha, **hyper)


def _sgd_buffer_from_zero(param, grad, state=None, **hyper):
    """The momentum buffer started at zeros: the first buffer is (1 - dampening) * g, not g."""
    if state is None and hyper.get("momentum", 0):
        state = {"step": 0, "momentum_buffer": np.zeros_like(param)}
    return optim.sgd_step(param, grad, state, **hyper)


def _sgd_decay_after_momentum(param, grad, state=None, *, lr=1e-3, weight_decay=0.0, **hyper):
    """weight_decay * param added to the buffer's step, not to the gradient before the buffer."""
    new, state = optim.sgd_step(param, grad, state, lr=lr, **hyper)
    return new - lr * weight_decay * param, state


def _rmsprop_dividing_by(denom):
    """RMSprop (right running averages) whose denominator is `denom(v, eps)`, v the (centered) square average."""

    def step(param, grad, state=None, **hyper):
        h = _hyper(optim.rmsprop_step, hyper)
        _, new = optim.rmsprop_step(param, grad, state, **hyper)
        v = new["square_avg"] - (new["grad_avg"] ** 2 if h["centered"] else 0.0)
        g = (grad + h["weight_decay"] * param) / denom(v, h["eps"])
        if h["momentum"] > 0:
            g = new["momentum_buffer"] = h["momentum"] * (0.0 if state is None else state["momentum_buffer"]) + g
        return param - h["lr"] * g, new

    return step


def _adam_taking(update, decoupled):
    """Adam (AdamW's decay when `decoupled`) with the right moments whose step is `update(new, prev, h)`:
    new and prev the reference's states after and before (prev None at first), h every hyper-parameter."""
    rule = optim.adamw_step if decoupled else optim.adam_step

    def step(param, grad, state=None, **hyper):
        h = _hyper(rule, hyper)
        _, new = rule(param, grad, state, **hyper)
        base = param * (1.0 - h["lr"] * h["weight_decay"]) if decoupled else param
        return base - update(new, state, h), new

    return step


def _corrected(new, h):
    """m_hat and v_hat, Adam's bias-corrected moments (v_hat of the max of v with amsgrad)."""
    (beta1, beta2), t = h["betas"], new["step"]
    return new["exp_avg"] / (1.0 - beta1**t), new.get("max_exp_avg_sq", new["exp_avg_sq"]) / (1.0 - beta2**t)


def _no_bias_correction(new, prev, h):
    """The step of the raw m and v (the max of v with amsgrad)."""
    return h["lr"] * new["exp_avg"] / (np.sqrt(new.get("max_exp_avg_sq", new["exp_avg_sq"])) + h["eps"])


def _eps_inside_sqrt(new, prev, h):
    """The step lr * m_hat / sqrt(v_hat + eps)."""
    m_hat, v_hat = _corrected(new, h)
    return h["lr"] * m_hat / np.sqrt(v_hat + h["eps"])


def _max_of_corrected(new, prev, h):
    """amsgrad's maximum taken over the bias-corrected v_hat (kept in the state as "max_v_hat")."""
    m_hat, v_hat = _corrected({k: v for k, v in new.items() if k != "max_exp_avg_sq"}, h)
    if h["amsgrad"]:
        v_hat = new["max_v_hat"] = v_hat if prev is None else np.maximum(prev["max_v_hat"], v_hat)
    return h["lr"] * m_hat / (np.sqrt(v_hat) + h["eps"])


def _adam_mistakes(decoupled):
    """What Adam and AdamW share."""
    rule = optim.adamw_step if decoupled else optim.adam_step
    return (
        step_mistake("no bias correction", "you step with the raw running means m and v: divide them by "
                     "(1 - beta1^t) and (1 - beta2^t), t the step count from 1, before the step.",
                     _adam_taking(_no_bias_correction, decoupled)),
        step_mistake("eps inside the square root", "you divide by sqrt(v_hat + eps); PyTorch adds eps outside the "
                     "root, sqrt(v_hat) + eps, which differs for tiny gradients.",
                     _adam_taking(_eps_inside_sqrt, decoupled)),
        step_mistake("amsgrad's maximum of the bias-corrected v", "with amsgrad, keep the maximum of the raw v "
                     "(max_exp_avg_sq = max(max_exp_avg_sq, v)) and bias-correct that maximum, not the reverse.",
                     _adam_taking(_max_of_corrected, decoupled)),
        step_mistake("amsgrad ignored", "amsgrad=True divides by the running maximum of v "
                     "(max_exp_avg_sq = max(max_exp_avg_sq, v), kept in the state), not by v itself.",
                     _with(rule, amsgrad=False)),
    )


_MISTAKES = {
    "sgd": (
        step_mistake("the momentum buffer started at zero", "on the first step the buffer is the gradient itself "
                     "(buf = g, no dampening); only later steps compute momentum * buf + (1 - dampening) * g.",
                     _sgd_buffer_from_zero),
        step_mistake("Nesterov without the look-ahead", "with nesterov=True the step is g + momentum * buf, "
                     "not buf itself (that is plain momentum).",
                     _with(optim.sgd_step, nesterov=False)),
        step_mistake("weight decay after the momentum", "add weight_decay * param to the gradient first, before the "
                     "momentum buffer, not to the step afterwards.", _sgd_decay_after_momentum),
        step_mistake("dampening ignored", "the buffer is momentum * buf + (1 - dampening) * g after the first step: "
                     "scale the new gradient by (1 - dampening).",
                     _with(optim.sgd_step, dampening=0.0)),
    ),
    "rmsprop": (
        step_mistake("eps inside the square root", "you divide by sqrt(v + eps); PyTorch adds eps outside the root, "
                     "sqrt(v) + eps, which differs for tiny gradients.",
                     _rmsprop_dividing_by(lambda v, eps: np.sqrt(v + eps))),
        step_mistake("centered ignored", "with centered=True also keep the running mean of g, grad_avg, and divide by "
                     "sqrt(square_avg - grad_avg^2) + eps (an estimate of the standard deviation).",
                     _with(optim.rmsprop_step, centered=False)),
        step_mistake("the square root forgotten", "divide the gradient by sqrt(square_avg) + eps, the root mean "
                     "square, not by square_avg + eps.", _rmsprop_dividing_by(lambda v, eps: v + eps)),
        step_mistake("alpha and 1 - alpha swapped", "alpha weighs the old average: square_avg = alpha * square_avg "
                     "+ (1 - alpha) * g^2 (with alpha = 0.99 the new g^2 counts for 1%).",
                     _rmsprop_alpha_swapped),
    ),
    "adam": (*_adam_mistakes(False),
             step_mistake("AdamW's decoupled decay in Adam", "Adam's weight_decay is an L2 penalty added to the "
                          "gradient, g + weight_decay * param, before the moments; shrinking the weights directly "
                          "is AdamW.", _with(optim.adamw_step, defaults_of=optim.adam_step))),
    "adamw": (*_adam_mistakes(True),
              step_mistake("the decay through the gradient", "that is Adam's L2 penalty: AdamW shrinks the weights "
                           "directly, param * (1 - lr * weight_decay), and feeds the raw gradient to the moments.",
                           _with(optim.adam_step, defaults_of=optim.adamw_step))),
}

_TRAIN_HYPER = {"sgd": {"lr": 0.05, "momentum": 0.9}, "rmsprop": {"lr": 1e-3}, "adam": {"lr": 1e-3},
                "adamw": {"lr": 1e-3, "weight_decay": 1e-2}}
_RULES = [
    ("sgd", "SGD", [
        {"lr": 0.1}, {"lr": 0.05, "momentum": 0.9}, {"lr": 0.05, "momentum": 0.9, "nesterov": True},
        {"lr": 0.1, "momentum": 0.5, "dampening": 0.5, "weight_decay": 0.01}], {
        "step": "p - lr * g; with momentum, buf = momentum * buf + (1 - dampening) * g (buf = g on the first "
                "step), and Nesterov uses g + momentum * buf; weight_decay adds weight_decay * p to g first."}),
    ("rmsprop", "RMSprop", [
        {"lr": 0.01}, {"lr": 0.01, "alpha": 0.9, "momentum": 0.5}, {"lr": 0.01, "centered": True},
        {"lr": 0.01, "weight_decay": 0.1, "eps": 1e-6}], {
        "step": "square_avg = alpha * square_avg + (1 - alpha) g^2, then p - lr * g / (sqrt(square_avg) + eps): "
                "eps goes outside the square root, as PyTorch."}),
    ("adam", "Adam", [
        {"lr": 0.01}, {"lr": 0.01, "betas": (0.8, 0.99)}, {"lr": 0.01, "weight_decay": 0.1},
        {"lr": 0.01, "amsgrad": True}], {
        "step": "m and v are running means of g and g^2; divide each by (1 - beta^t) (bias correction, t from 1), "
                "then p - lr * m_hat / (sqrt(v_hat) + eps); weight_decay is L2 added to g."}),
    ("adamw", "AdamW", [
        {"lr": 0.01}, {"lr": 0.01, "weight_decay": 0.1}, {"lr": 0.01, "weight_decay": 0.5, "betas": (0.8, 0.9)},
        {"lr": 0.01, "weight_decay": 0.1, "amsgrad": True}], {
        "step": "Like Adam, but decay the weights directly, p = p * (1 - lr * weight_decay), before the Adam "
                "update; not through the gradient."}),
]

for _name, _torch_name, _variants, _hints in _RULES:
    register_step(StepSpec(
        name=_name, chapter="05_gradient_descent", step=getattr(optim, f"{_name}_step"),
        torch_optimizer=_torch_optim(_torch_name), cases=_step_cases(_variants), hints=_hints,
        train_hyper=_TRAIN_HYPER[_name], mistakes=_MISTAKES[_name],
    ))
