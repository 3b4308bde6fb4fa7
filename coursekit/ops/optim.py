"""Chapter 05, update rules: one `StepSpec` per `torch.optim` optimiser taught."""
from __future__ import annotations

import numpy as np

from ..reference import optim
from .spec import Case, StepSpec, fmt_hyper, register_step


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
        train_hyper=_TRAIN_HYPER[_name],
    ))
