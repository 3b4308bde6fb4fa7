"""Chapter 03, losses: regression and classification losses, L1/L2 penalties."""
from __future__ import annotations

import numpy as np

from ..reference import activations as act
from ..reference import losses
from .spec import Case, OpSpec, backward_mistake, forgot_dout, mistake, register, sign_flipped


def _F(name):
    """`torch.nn.functional.<name>`, imported when first called."""

    def call(*args, **kwargs):
        import torch.nn.functional as F

        return getattr(F, name)(*args, **kwargs)

    call.__name__ = name
    return call


def _pair_cases(make_input, make_target, *, kinks=False, extra=()):
    """Cases for a loss of (input, target) arrays of one shape, over every reduction."""

    def cases(rng, hidden):
        def c(label, shape, reduction, **kw):
            inp, tgt = make_input(rng, shape), make_target(rng, shape)
            return Case(f"{label}, {reduction}", {"input": inp, "target": tgt}, {"reduction": reduction, **kw})

        if not hidden:
            out = [
                c("random (4, 5)", (4, 5), "mean"),
                c("batch of one (1, 3)", (1, 3), "sum"),
                c("non-square 3-D (2, 3, 4)", (2, 3, 4), "none"),
            ]
            inp = make_input(rng, (2, 3))
            if make_input is _normal:
                inp[0, 0] = 0.0
            out.append(Case("exact ties input == target, with zeros (2, 3), mean", {"input": inp, "target": inp.copy()},
                            {"reduction": "mean"}, smooth=not kinks))
            big = make_input(rng, (2, 4))
            out.append(Case("large magnitudes, mean", {"input": 1000 * big if make_input is _normal else big,
                                                       "target": make_target(rng, (2, 4))}, {"reduction": "mean"}))
            return out
        return [c("1-D (7,)", (7,), "mean"), c("4-D (2, 2, 3, 2)", (2, 2, 3, 2), "sum"),
                c("wide (3, 40)", (3, 40), "none"), c("single element (1,)", (1,), "mean")] + \
            [c(label, shape, red, **kw) for label, shape, red, kw in extra]

    return cases


def _normal(rng, shape):
    return rng.standard_normal(shape)


def _probs(rng, shape):
    return rng.uniform(0.02, 0.98, shape)


def _labels01(rng, shape):
    return (rng.random(shape) < 0.5).astype(np.float64)


def _bce_cases(rng, hidden):
    cases = _pair_cases(_probs, _labels01, kinks=True)(rng, hidden)
    if not hidden:
        cases.append(Case("certain and right: p in {0, 1}, mean",
                          {"input": np.array([[0.0, 1.0, 0.3]]), "target": np.array([[0.0, 1.0, 0.0]])},
                          {"reduction": "mean"}, smooth=False))
    else:
        cases += [Case("soft targets (3, 4), mean", {"input": _probs(rng, (3, 4)), "target": rng.random((3, 4))},
                       {"reduction": "mean"}),
                  Case("confident and wrong p = 1e-6, sum", {"input": np.array([1e-6, 1 - 1e-6]),
                                                             "target": np.array([1.0, 0.0])}, {"reduction": "sum"},
                       smooth=False)]  # a step of 1e-6 reaches the clamp at p = 1
    return cases


def _bce_logits_cases(rng, hidden):
    cases = _pair_cases(lambda r, s: 3 * r.standard_normal(s), _labels01)(rng, hidden)
    if not hidden:
        cases[-1] = Case("logits at +-1000, mean", {"input": np.array([[1000.0, -1000.0, 1000.0, -1000.0, 0.0]]),
                                                    "target": np.array([[1.0, 0.0, 0.0, 1.0, 1.0]])},
                         {"reduction": "mean"})
    else:
        cases.append(Case("soft targets (3, 4), sum", {"input": rng.standard_normal((3, 4)),
                                                       "target": rng.random((3, 4))}, {"reduction": "sum"}))
    return cases


def _class_cases(log_probs):
    def prep(x):
        return act.log_softmax_forward(x, dim=1)[0] if log_probs else x

    def cases(rng, hidden):
        n = rng.standard_normal

        def c(label, x, t, reduction="mean", **kw):
            return Case(label, {"input": prep(x), "target": np.asarray(t, dtype=np.int64)},
                        {"reduction": reduction, **kw})

        if not hidden:
            return [
                c("random (4, 5), mean", n((4, 5)), rng.integers(0, 5, 4)),
                c("batch of one (1, 3), sum", n((1, 3)), [2], "sum"),
                c("non-square (6, 2), none", n((6, 2)), rng.integers(0, 2, 6), "none"),
                c("ties: equal logits (3, 4), mean", np.zeros((3, 4)), [0, 3, 1]),
                c("large magnitudes (+-1000), mean", np.array([[1000.0, -1000.0, 0.0], [-1000.0, 1000.0, 999.0]]),
                  [1, 2]),
                c("ignore_index rows (-100), mean", n((4, 3)), [0, -100, 2, -100]),
            ]
        return [
            c("many classes (3, 50), sum", 5 * n((3, 50)), rng.integers(0, 50, 3), "sum"),
            c("one class (4, 1), mean", n((4, 1)), [0, 0, 0, 0]),
            c("ignore_index=1, none", n((5, 3)), [1, 0, 1, 2, 1], "none", ignore_index=1),
            c("all ignored, sum", n((2, 3)), [-100, -100], "sum"),
            c("confident logits x30 (8, 4), mean", 30 * n((8, 4)), rng.integers(0, 4, 8)),
        ]

    return cases


def _penalty_cases(kinks):
    def cases(rng, hidden):
        n = rng.standard_normal
        if not hidden:
            return [
                Case("matrix (4, 3)", {"weight": n((4, 3))}, {"lam": 0.1}),
                Case("batch of one (1, 5)", {"weight": n((1, 5))}, {"lam": 1.0}),
                Case("non-square 3-D (2, 3, 4)", {"weight": n((2, 3, 4))}, {"lam": 1e-3}),
                Case("exact zeros (2, 3)", {"weight": np.array([[0.0, 1.0, -2.0], [0.0, 0.0, 3.0]])}, {"lam": 0.5},
                     smooth=not kinks),
                Case("large magnitudes (3,)", {"weight": np.array([1000.0, -1000.0, 0.5])}, {"lam": 0.01}),
            ]
        return [Case("vector (9,)", {"weight": n(9)}, {"lam": 2.0}), Case("lam = 0 (3, 3)", {"weight": n((3, 3))},
                                                                        {"lam": 0.0})]

    return cases


def _loss_bench(make_target):
    return lambda rng: Case("bench (512, 1024), mean", {"input": rng.standard_normal((512, 1024)),
                                                        "target": make_target(rng, (512, 1024))}, {"reduction": "mean"})


def _reduced(loss, reduction):
    """A per-element loss reduced as `reduction` says (the mean over every element)."""
    return loss if reduction == "none" else np.asarray(loss.mean() if reduction == "mean" else loss.sum())


def _scaled(g, dout, reduction, n):
    """A per-element gradient `g` times the upstream gradient, with the mean's 1/n."""
    return g * dout / (n if reduction == "mean" else 1)


def _as_sum(kwargs):
    return {**kwargs, "reduction": "sum"} if kwargs.get("reduction", "mean") == "mean" else kwargs


def _sum_for_mean(forward):
    return mistake("the sum where reduction='mean'", "with reduction='mean' divide the summed loss by the number of "
                   "elements (rows that count, for a classification loss): the mean, not the sum.",
                   forward=lambda *args, **kw: forward(*args, **_as_sum(kw)))


def _unscaled_mean():
    def grads(spec, case, dout, cache):
        return spec.backward(dout, spec.forward(*spec.args(case), **_as_sum(case.kwargs))[1])

    return backward_mistake("the mean's 1/n forgotten in the backward", "with reduction='mean' each element's "
                            "gradient is divided by the number of elements averaged (as the forward divides).", grads)


def _mean_over_rows(forward, backward):
    """The mean taken over len(input) (the rows), not input.size, in both passes (mutant_mse_mean_over_rows)."""

    def fwd(input, target, reduction="mean", **kw):
        if reduction != "mean":
            return forward(input, target, reduction=reduction, **kw)[0], (None, 1)
        loss, cache = forward(input, target, reduction="sum", **kw)
        return np.asarray(loss / len(input)), (cache, len(input))

    def bwd(dout, cache):
        return backward(dout, cache[0]) / cache[1] if cache[0] is not None else None

    return mistake("the mean over the rows only", "the mean divides by every element (input.size), not by "
                   "len(input), the rows: the same in the backward.", forward=fwd, backward=bwd, carry=True)


def _pair_mistakes(name):
    """Slips of every (input, target) loss: the reduction's, the backward's upstream gradient and sign."""
    forward, backward = getattr(losses, f"{name}_forward"), getattr(losses, f"{name}_backward")
    return (_sum_for_mean(forward), _mean_over_rows(forward, backward), _unscaled_mean(),
            forgot_dout("the loss's local gradient"), sign_flipped())


def _mse_keepdims(input, target, reduction="mean"):
    loss = losses.mse_loss_forward(input, target, reduction)[0]
    return (loss if reduction == "none" else loss.reshape((1,) * input.ndim)), None


def _bce_no_brackets(input, target, reduction="mean"):
    with np.errstate(divide="ignore"):
        log_p, log_q = np.maximum(np.log(input), -100.0), np.maximum(np.log(1.0 - input), -100.0)
    return _reduced(-target * log_p + (1.0 - target) * log_q, reduction), None


def _bce_unclamped(input, target, reduction="mean"):
    loss = -(target * np.log(input) + (1.0 - target) * np.log(1.0 - input))
    return _reduced(loss, reduction), (input, target, reduction)


def _bce_unclamped_grad(dout, cache):
    p, t, reduction = cache
    return _scaled((p - t) / (p * (1.0 - p)), dout, reduction, p.size)


def _bce_logits_naive(input, target, reduction="mean"):
    p = 1.0 / (1.0 + np.exp(-input))
    return _reduced(-(target * np.log(p) + (1.0 - target) * np.log(1.0 - p)), reduction), None


def _bce_logits_no_abs(input, target, reduction="mean"):
    loss = np.maximum(input, 0.0) - input * target + np.log(1.0 + np.exp(-input))
    return _reduced(loss, reduction), None


def _ce_from(log_probs, target, reduction, ignore_index, all_rows=False):
    """cross_entropy's loss and cache from given log-probabilities (the mean over every row when `all_rows`)."""
    keep = target != ignore_index
    safe = np.where(keep, target, 0)
    picked = -log_probs[np.arange(len(target)), safe] * keep
    count = len(target) if all_rows else int(keep.sum())
    loss = picked if reduction == "none" else np.asarray(picked.sum() / count if reduction == "mean"
                                                         else picked.sum())
    return loss, (log_probs, safe, keep, reduction, count)


def _ce_no_max(input, target, reduction="mean", ignore_index=-100):
    return _ce_from(input - np.log(np.exp(input).sum(axis=1, keepdims=True)), target, reduction, ignore_index)


def _ce_mean_all_rows(input, target, reduction="mean", ignore_index=-100):
    log_probs = act.log_softmax_forward(input, dim=1)[0]
    return _ce_from(log_probs, target, reduction, ignore_index, all_rows=True)


def _ce_ignored_not_zeroed(dout, cache):
    log_probs, safe, keep, reduction, count = cache
    dx = np.exp(log_probs)
    dx[np.arange(len(safe)), safe] -= 1.0
    g = dout * np.ones(len(safe))
    return dx * (g / max(count, 1) if reduction == "mean" else g)[:, None]


def _ce_no_onehot(dout, cache):
    log_probs, safe, keep, reduction, count = cache
    g = dout * keep
    return np.exp(log_probs) * (g / max(count, 1) if reduction == "mean" else g)[:, None]


_MSE_MISTAKES = (
    *_pair_mistakes("mse_loss"),
    mistake("a loss of shape (1, ..., 1)", "mean and sum return a 0-d array (np.asarray(loss.mean())), not the "
            "keepdims=True shape (1, ..., 1).", forward=_mse_keepdims),
    backward_mistake("the factor 2 forgotten", "d/dx (x - t)^2 = 2 (x - t): your gradient is half the right one.",
                     lambda spec, case, dout, cache: losses.mse_loss_backward(dout, cache) / 2.0),
)
_BCE_MISTAKES = (
    *_pair_mistakes("binary_cross_entropy"),
    mistake("the brackets left out", "BCE is -(t log p + (1 - t) log(1 - p)): the minus applies to both terms; "
            "yours is negative for t = 0.", forward=_bce_no_brackets),
    mistake("logs not clamped at -100", "log(0) = -inf and 0 * -inf = NaN: clamp each log at -100 as PyTorch "
            "(np.maximum(np.log(p), -100)), and the backward's denominator p (1 - p) at 1e-12.",
            forward=_bce_unclamped, backward=_bce_unclamped_grad, carry=True),
)
_BCE_LOGITS_MISTAKES = (
    *_pair_mistakes("binary_cross_entropy_with_logits"),
    mistake("log(sigmoid(z)) computed literally", "sigmoid(1000) is 1.0 and log(1 - 1.0) = -inf: use "
            "max(z, 0) - z t + log(1 + exp(-|z|)), which never overflows.", forward=_bce_logits_naive),
    mistake("log(1 + exp(-z)) without the absolute value", "exp(-z) overflows for z = -1000: "
            "max(z, 0) - z t + log(1 + exp(-|z|)) (np.abs inside the exp).", forward=_bce_logits_no_abs),
)
_CE_MISTAKES = (
    _sum_for_mean(losses.cross_entropy_forward),
    mistake("log-sum-exp without the row max subtracted", "exp(1000) is inf, then NaN: subtract each row's max "
            "from the logits before exp (log_softmax is unchanged).", forward=_ce_no_max, carry=True),
    mistake("the mean over every row, ignored ones too", "with ignore_index, the mean divides by the rows that "
            "count (target != ignore_index), in the forward and the backward.", forward=_ce_mean_all_rows, carry=True),
    mistake("ignored rows given a gradient", "rows whose target is ignore_index count for nothing: their gradient "
            "rows are zero.", backward=_ce_ignored_not_zeroed),
    mistake("the one-hot not subtracted", "dx = (softmax(x) - onehot(target)) * dout per row: subtract 1 at each "
            "row's target class.", backward=_ce_no_onehot),
    _unscaled_mean(), forgot_dout("softmax(x) - onehot(target)"),
)
_MISTAKES = {"mse_loss": _MSE_MISTAKES, "binary_cross_entropy": _BCE_MISTAKES,
             "binary_cross_entropy_with_logits": _BCE_LOGITS_MISTAKES, "cross_entropy": _CE_MISTAKES}

_LOSS_HINT_RED = " Reduce with reduction='mean' (average), 'sum' or 'none' (per element)."
_LOSSES = [
    ("mse_loss", _F("mse_loss"), _pair_cases(_normal, _normal), False, _loss_bench(_normal), {
        "forward": "(input - target)^2 per element, then reduced." + _LOSS_HINT_RED,
        "backward": "2 (input - target) * dout, divided by the number of elements for the mean."}),
    ("l1_loss", _F("l1_loss"), _pair_cases(_normal, _normal, kinks=True), True, _loss_bench(_normal), {
        "forward": "|input - target| per element, then reduced." + _LOSS_HINT_RED,
        "backward": "sign(input - target) * dout (0 where they are equal, as PyTorch), / n for the mean."}),
    ("smooth_l1_loss", _F("smooth_l1_loss"),
     _pair_cases(_normal, _normal, extra=[("beta = 0.5 (3, 4)", (3, 4), "mean", {"beta": 0.5}),
                                          ("beta = 2 (3, 4)", (3, 4), "sum", {"beta": 2.0})]), False,
     _loss_bench(_normal), {
         "forward": "0.5 d^2 / beta where |d| < beta, else |d| - 0.5 beta, with d = input - target.",
         "backward": "d / beta inside |d| < beta, sign(d) outside, times dout (/ n for the mean)."}),
    ("binary_cross_entropy", _F("binary_cross_entropy"), _bce_cases, True,
     lambda rng: Case("bench (512, 1024), mean", {"input": _probs(rng, (512, 1024)),
                                                  "target": _labels01(rng, (512, 1024))}, {"reduction": "mean"}), {
         "forward": "-(t log p + (1 - t) log(1 - p)): brackets around both terms; clamp each log at -100 as PyTorch.",
         "backward": "(p - t) / (p (1 - p)) * dout, with the denominator clamped at 1e-12, / n for the mean."}),
    ("binary_cross_entropy_with_logits", _F("binary_cross_entropy_with_logits"), _bce_logits_cases, False,
     _loss_bench(_labels01), {
         "forward": "max(z, 0) - z t + log(1 + exp(-|z|)): never exp of a large positive z (z = 1000).",
         "backward": "(sigmoid(z) - t) * dout, / n for the mean; use a stable sigmoid."}),
    ("cross_entropy", _F("cross_entropy"), _class_cases(log_probs=False), False,
     lambda rng: Case("bench (512, 1000), mean", {"input": rng.standard_normal((512, 1000)),
                                                  "target": rng.integers(0, 1000, 512)}, {"reduction": "mean"}), {
         "forward": "log_softmax over classes (subtract the row max, log-sum-exp), pick -log p[n, target[n]]; "
                    "rows with target == ignore_index count for nothing, also in the mean's denominator.",
         "backward": "(softmax(x) - onehot(target)) * dout per row, / number of counted rows for the mean; "
                     "zero rows for ignored targets."}),
    ("nll_loss", _F("nll_loss"), _class_cases(log_probs=True), False,
     lambda rng: Case("bench (512, 1000), mean", {"input": act.log_softmax_forward(rng.standard_normal((512, 1000)))[0],
                                                  "target": rng.integers(0, 1000, 512)}, {"reduction": "mean"}), {
         "forward": "-input[n, target[n]] (input holds log-probabilities), reduced over the counted rows.",
         "backward": "-dout at [n, target[n]] (/ counted rows for the mean), zero elsewhere."}),
]

for _name, _torch_fn, _cases, _kinks, _bench, _hints in _LOSSES:
    register(OpSpec(
        name=_name, chapter="03_losses",
        forward=getattr(losses, f"{_name}_forward"), backward=getattr(losses, f"{_name}_backward"),
        torch=_torch_fn, inputs=("input", "target"), differentiable=("input",), cases=_cases, bench=_bench,
        kinks=_kinks, hints=_hints, mistakes=_MISTAKES.get(_name, ()),
    ))


def _torch_l1_penalty(weight, lam=1e-3):
    return lam * weight.abs().sum()


def _torch_l2_penalty(weight, lam=1e-3):
    return 0.5 * lam * (weight * weight).sum()


for _name, _torch_fn, _kinks, _hints in [
    ("l1_penalty", _torch_l1_penalty, True, {"forward": "lam * sum(|weight|).",
                                              "backward": "lam * sign(weight) * dout (0 at exactly 0)."}),
    ("l2_penalty", _torch_l2_penalty, False, {"forward": "lam / 2 * sum(weight^2).",
                                               "backward": "lam * weight * dout."}),
]:
    register(OpSpec(
        name=_name, chapter="03_losses",
        forward=getattr(losses, f"{_name}_forward"), backward=getattr(losses, f"{_name}_backward"),
        torch=_torch_fn, inputs=("weight",), cases=_penalty_cases(_kinks),
        bench=lambda rng: Case("bench (1024, 1024)", {"weight": rng.standard_normal((1024, 1024))}, {"lam": 1e-3}),
        kinks=_kinks, hints=_hints,
    ))
