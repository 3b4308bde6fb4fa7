"""Hypothesis strategies shared by the tests: shapes, float64 arrays and per-op inputs.

`op_inputs(spec)` draws a `Case` for a registry op: one array `x` for ops whose only input is `x`
(plus the op's keyword arguments, see `KWARGS`), `(x, weight, bias)` for linear. An op with other
inputs needs an entry in `INPUTS`; until then `op_inputs` returns None and its property tests skip.
"""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from coursekit.ops import Case
from coursekit.reference.cnn import max_pool2d_forward

MAX_MAGNITUDE = 1e3

# finite float64 values up to 1e3 in magnitude, with exact zeros (and ties) drawn often
values = st.one_of(
    st.just(0.0),
    st.sampled_from([1.0, -1.0, MAX_MAGNITUDE, -MAX_MAGNITUDE]),
    st.floats(-MAX_MAGNITUDE, MAX_MAGNITUDE, allow_nan=False, allow_infinity=False, width=64),
)


def shapes(min_dims: int = 1, max_dims: int = 4):
    """Shapes of 1-4 dimensions, each of size 1-6."""
    return hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=1, max_side=6)


def arrays(shape) -> st.SearchStrategy:
    """float64 arrays of `shape` (a tuple or a strategy of tuples) filled from `values`."""
    return hnp.arrays(np.float64, shape, elements=values)


def seeds():
    return st.integers(0, 2**32 - 1)


# ---------------------------------------------------------------- keyword arguments per op


def _dim(x):
    return st.fixed_dictionaries({"dim": st.integers(-x.ndim, x.ndim - 1)})


KWARGS = {
    # name -> (x -> strategy of a kwargs dict); ops not listed take no keyword arguments
    "softmax": _dim,
    "log_softmax": _dim,
    "leaky_relu": lambda x: st.fixed_dictionaries(
        {}, optional={"negative_slope": st.sampled_from([0.0, 0.01, 0.2, 1.0])}
    ),
    "gelu": lambda x: st.fixed_dictionaries(
        {}, optional={"approximate": st.sampled_from(["none", "tanh"])}
    ),
    "dropout": lambda x: st.fixed_dictionaries(
        {"seed": seeds()},
        optional={"p": st.sampled_from([0.0, 0.1, 0.5, 0.9, 1.0]), "training": st.booleans()},
    ),
    "flatten": lambda x: st.integers(-x.ndim, x.ndim - 1).flatmap(
        lambda s: st.fixed_dictionaries(
            {"start_dim": st.just(s), "end_dim": st.integers(s % x.ndim, x.ndim - 1)}
        )
    ),
}


@st.composite
def unary_inputs(draw, spec):
    x = draw(arrays(shapes()))
    kwargs = draw(KWARGS[spec.name](x)) if spec.name in KWARGS else {}
    return Case("hypothesis", {"x": x}, kwargs)


@st.composite
def linear_inputs(draw, spec=None):
    """x (..., in), weight (out, in), bias (out,) or None; x has 1-4 dimensions."""
    in_f = draw(st.integers(1, 6))
    out_f = draw(st.integers(1, 6))
    lead = draw(hnp.array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=6))
    x = draw(arrays(lead + (in_f,)))
    weight = draw(arrays((out_f, in_f)))
    bias = draw(st.one_of(st.none(), arrays((out_f,))))
    return Case("hypothesis", {"x": x, "weight": weight, "bias": bias})


REDUCTIONS = st.sampled_from(["mean", "sum", "none"])


@st.composite
def pair_loss_inputs(draw, spec):
    """input and target of one shape (regression and binary losses), any reduction."""
    shape = draw(shapes())
    if spec.name == "binary_cross_entropy":  # probabilities, with exact 0 and 1 drawn often
        unit = st.one_of(st.sampled_from([0.0, 1.0, 0.5]), st.floats(0.0, 1.0, width=64))
        inp = draw(hnp.arrays(np.float64, shape, elements=unit))
    else:
        inp = draw(arrays(shape))
    if spec.name.startswith("binary_cross_entropy"):
        target = draw(hnp.arrays(np.float64, shape, elements=st.one_of(st.sampled_from([0.0, 1.0]),
                                                                        st.floats(0.0, 1.0, width=64))))
    else:
        target = draw(st.one_of(arrays(shape), st.just(inp.copy())))  # ties: input == target
    kwargs = {"reduction": draw(REDUCTIONS)}
    if spec.name == "smooth_l1_loss":
        kwargs.update(draw(st.fixed_dictionaries({}, optional={"beta": st.sampled_from([0.0, 0.5, 1.0, 2.0])})))
    return Case("hypothesis", {"input": inp, "target": target}, kwargs)


@st.composite
def class_loss_inputs(draw, spec):
    """(N, C) logits or log-probabilities and (N,) class indices, some set to ignore_index."""
    n, c = draw(st.integers(1, 6)), draw(st.integers(1, 6))
    inp = draw(arrays((n, c)))
    ignore = draw(st.sampled_from([-100, 0]))
    labels = st.one_of(st.integers(0, c - 1), st.just(ignore))
    target = np.array(draw(st.lists(labels, min_size=n, max_size=n)), dtype=np.int64)
    reduction = draw(REDUCTIONS)
    if reduction == "mean" and (target == ignore).all():
        target[0] = c - 1 if ignore != c - 1 else 0  # PyTorch's mean over nothing is nan, its gradient too
    kwargs = {"reduction": reduction} | ({"ignore_index": ignore} if ignore != -100 else {})
    return Case("hypothesis", {"input": inp, "target": target}, kwargs)


@st.composite
def penalty_inputs(draw, spec):
    weight = draw(arrays(shapes()))
    return Case("hypothesis", {"weight": weight}, {"lam": draw(st.sampled_from([0.0, 1e-3, 0.1, 1.0]))})


@st.composite
def two_layer_mlp_inputs(draw, spec):
    """x (N, D), w1 (H, D), b1 (H,), w2 (C, H), b2 (C,), target (N,) for the hand-written MLP."""
    n, d, h, c = (draw(st.integers(1, 6)) for _ in range(4))
    arr = lambda shape: draw(hnp.arrays(np.float64, shape, elements=st.floats(-3, 3, width=64)))  # noqa: E731
    target = np.array(draw(st.lists(st.integers(0, c - 1), min_size=n, max_size=n)), dtype=np.int64)
    return Case("hypothesis", {"x": arr((n, d)), "w1": arr((h, d)), "b1": arr((h,)), "w2": arr((c, h)),
                               "b2": arr((c,)), "target": target})


@st.composite
def _window(draw, size_hw, kernel_max=3, dilation=True):
    """kernel, stride, padding, dilation pairs (or ints) whose window fits an image of size_hw."""
    k = (draw(st.integers(1, kernel_max)), draw(st.integers(1, kernel_max)))
    d = (draw(st.integers(1, 2)), draw(st.integers(1, 2))) if dilation else (1, 1)
    s = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    p = tuple(draw(st.integers(0, kk // 2)) for kk in k)
    fits = all(size_hw[a] + 2 * p[a] - d[a] * (k[a] - 1) - 1 >= 0 for a in (0, 1))
    if not fits:  # shrink to a window that fits: kernel 1, no padding
        k, d, p = (1, 1), (1, 1), (0, 0)
    as_int = draw(st.booleans())
    pick = (lambda v: v[0] if v[0] == v[1] and as_int else v)  # noqa: E731 - ints where a pair is equal
    return pick(k), pick(s), pick(p), pick(d)


@st.composite
def conv2d_inputs(draw, spec):
    """x (N, C, H, W), weight (F, C, kH, kW), bias (F,) or None, with stride/padding/dilation."""
    n, c, f = draw(st.integers(1, 3)), draw(st.integers(1, 3)), draw(st.integers(1, 4))
    h, w = draw(st.integers(1, 7)), draw(st.integers(1, 7))
    kh, kw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    stride = draw(st.one_of(st.integers(1, 3), st.tuples(st.integers(1, 3), st.integers(1, 3))))
    padding = draw(st.one_of(st.integers(0, 2), st.tuples(st.integers(0, 2), st.integers(0, 2))))
    dilation = draw(st.one_of(st.integers(1, 2), st.tuples(st.integers(1, 2), st.integers(1, 2))))
    pad, dil = (padding,) * 2 if isinstance(padding, int) else padding, (dilation,) * 2 if isinstance(dilation, int) \
        else dilation
    if h + 2 * pad[0] < dil[0] * (kh - 1) + 1 or w + 2 * pad[1] < dil[1] * (kw - 1) + 1:
        kh, kw, dilation = 1, 1, 1  # the window must fit
    x = draw(arrays((n, c, h, w)))
    weight = draw(hnp.arrays(np.float64, (f, c, kh, kw), elements=st.floats(-3, 3, width=64)))
    bias = draw(st.one_of(st.none(), arrays((f,))))
    return Case("hypothesis", {"x": x, "weight": weight, "bias": bias},
                {"stride": stride, "padding": padding, "dilation": dilation})


@st.composite
def pool_inputs(draw, spec):
    """x (N, C, H, W) and a pooling window that fits; ties drawn often (values from `values`)."""
    shape = (draw(st.integers(1, 3)), draw(st.integers(1, 3)), draw(st.integers(1, 7)), draw(st.integers(1, 7)))
    kernel, stride, padding, dilation = draw(_window(shape[2:], dilation=spec.name == "max_pool2d"))
    kw = {"kernel_size": kernel, "stride": draw(st.sampled_from([None, stride])), "padding": padding}
    if spec.name == "max_pool2d":
        kw["dilation"] = dilation
        try:  # no window may hold only padding (the reference refuses those, see test_cnn)
            max_pool2d_forward(np.zeros(shape), **kw)
        except ValueError:
            kw.update(dilation=1)
    else:
        kw["count_include_pad"] = draw(st.booleans())
    return Case("hypothesis", {"x": draw(arrays(shape))}, kw)


@st.composite
def batch_norm_inputs(draw, spec):
    """x (N, C[, L[, W]]) with more than one value per channel; weight, bias, running stats or None."""
    shape = draw(hnp.array_shapes(min_dims=2, max_dims=4, min_side=1, max_side=5))
    training = draw(st.booleans())
    if training and np.prod(shape) // shape[1] < 2:
        shape = (2,) + shape[1:]
    c = shape[1]
    x = draw(hnp.arrays(np.float64, shape, elements=st.floats(-100, 100, width=64)))
    opt = lambda strat: draw(st.one_of(st.none(), strat))  # noqa: E731
    small = hnp.arrays(np.float64, (c,), elements=st.floats(-3, 3, width=64))
    stats = not training or draw(st.booleans())
    return Case("hypothesis", {
        "x": x, "weight": opt(small), "bias": opt(small),
        "running_mean": draw(small) if stats else None,
        "running_var": draw(hnp.arrays(np.float64, (c,), elements=st.floats(0.1, 4, width=64))) if stats else None,
    }, {"training": training, "momentum": draw(st.sampled_from([0.1, 0.5, 1.0])),
        "eps": draw(st.sampled_from([1e-5, 1e-3]))})


@st.composite
def recurrent_inputs(draw, spec):
    """x (N, D) or (N, T, D), states (N, H) (sequences: or None), weights (G*H, D), (G*H, H), both
    biases or neither (PyTorch's modules have both or none)."""
    kind = spec.name.split("_")[0]
    g = {"rnn": 1, "lstm": 4, "gru": 3}[kind]
    seq = not spec.name.endswith("_cell")
    n, t, d, h = (draw(st.integers(1, 4)) for _ in range(4))
    small = lambda shape: draw(hnp.arrays(np.float64, shape, elements=st.floats(-3, 3, width=64)))  # noqa: E731
    x = draw(hnp.arrays(np.float64, (n, t, d) if seq else (n, d), elements=st.floats(-10, 10, width=64)))
    states = {name: (small((n, h)) if not seq or draw(st.booleans()) else None)
              for name in spec.inputs[1:-4]}
    bias = draw(st.booleans())
    return Case("hypothesis", {"x": x, **states, "weight_ih": small((g * h, d)), "weight_hh": small((g * h, h)),
                               "bias_ih": small((g * h,)) if bias else None,
                               "bias_hh": small((g * h,)) if bias else None})


@st.composite
def embedding_inputs(draw, spec):
    v, d = draw(st.integers(1, 6)), draw(st.integers(1, 5))
    idx = draw(hnp.arrays(np.int64, draw(shapes(1, 3)), elements=st.integers(0, v - 1)))
    pad = draw(st.one_of(st.none(), st.integers(-v, v - 1)))
    return Case("hypothesis", {"input": idx, "weight": draw(arrays((v, d)))},
                {} if pad is None else {"padding_idx": pad})


@st.composite
def sequence_ce_inputs(draw, spec):
    n, t, v = draw(st.integers(1, 4)), draw(st.integers(1, 5)), draw(st.integers(1, 6))
    mask = draw(hnp.arrays(np.bool_, (n, t)))
    mask.flat[0] = True  # PyTorch's mean over no step at all is nan, its gradient too
    return Case("hypothesis", {"input": draw(arrays((n, t, v))),
                               "target": draw(hnp.arrays(np.int64, (n, t), elements=st.integers(0, v - 1))),
                               "mask": mask})


def _small(draw, shape, bound=3.0):
    return draw(hnp.arrays(np.float64, shape, elements=st.floats(-bound, bound, width=64)))


@st.composite
def sdpa_inputs(draw, spec):
    """query (..., L, E), key (..., S, E), value (..., S, Ev); no mask, a boolean one (rows may be fully
    masked), a float one, or is_causal; sometimes a scale."""
    lead = draw(hnp.array_shapes(min_dims=0, max_dims=2, min_side=1, max_side=3))
    L, S, E, Ev = (draw(st.integers(1, 5)) for _ in range(4))
    kind = draw(st.sampled_from(["none", "bool", "float", "causal"]))
    mask_shape = draw(st.sampled_from([(L, S), (*lead, L, S)]))
    mask = {"none": None, "causal": None, "bool": draw(hnp.arrays(np.bool_, mask_shape)),
            "float": _small(draw, mask_shape)}[kind]
    kw = {"is_causal": True} if kind == "causal" else {}
    if draw(st.booleans()):
        kw["scale"] = draw(st.sampled_from([0.1, 0.5, 2.0]))
    return Case("hypothesis", {"query": _small(draw, (*lead, L, E), 10.0), "key": _small(draw, (*lead, S, E), 10.0),
                               "value": _small(draw, (*lead, S, Ev), 10.0), "attn_mask": mask}, kw)


def _mha_masks(draw, n, heads, L, S, allow_first=True):
    """nn.MultiheadAttention masks (True: may NOT attend) that leave key 0 open to every query (PyTorch
    gives NaN for a query that may attend to nothing, the reference 0; see tests/test_attention.py)."""
    kpm = draw(st.one_of(st.none(), hnp.arrays(np.bool_, (n, S))))
    if kpm is not None:
        kpm[:, 0] = False
    am = draw(st.one_of(st.none(), hnp.arrays(np.bool_, (L, S)), hnp.arrays(np.bool_, (n * heads, L, S))))
    if am is not None:
        am[..., 0] = False
    return kpm, am


@st.composite
def mha_inputs(draw, spec):
    n, L, S, heads, d = (draw(st.integers(1, 3)) for _ in range(5))
    E = heads * d
    bias = draw(st.booleans())
    kpm, am = _mha_masks(draw, n, heads, L, S)
    return Case("hypothesis", {
        "query": _small(draw, (n, L, E), 10.0), "key": _small(draw, (n, S, E), 10.0),
        "value": _small(draw, (n, S, E), 10.0), "in_proj_weight": _small(draw, (3 * E, E)),
        "in_proj_bias": _small(draw, (3 * E,)) if bias else None, "out_proj_weight": _small(draw, (E, E)),
        "out_proj_bias": _small(draw, (E,)) if bias else None, "key_padding_mask": kpm, "attn_mask": am},
        {"num_heads": heads, "average_attn_weights": draw(st.booleans())})


@st.composite
def layer_norm_inputs(draw, spec):
    shape = draw(shapes())
    k = draw(st.integers(1, len(shape)))
    norm = shape[len(shape) - k:]
    affine = draw(st.booleans())
    kw = {} if k == 1 and draw(st.booleans()) else {"normalized_shape": norm}
    return Case("hypothesis", {"x": draw(arrays(shape)), "weight": _small(draw, norm) if affine else None,
                               "bias": _small(draw, norm) if affine else None}, kw)


@st.composite
def encoder_inputs(draw, spec):
    n, t, heads, d, ff = (draw(st.integers(1, 3)) for _ in range(5))
    E = heads * d
    shapes_ = dict(zip(spec.inputs[1:13], [(3 * E, E), (3 * E,), (E, E), (E,), (ff, E), (ff,), (E, ff), (E,), (E,),
                                           (E,), (E,), (E,)]))
    kpm, am = _mha_masks(draw, n, heads, t, t)
    # generic values from a drawn seed: hypothesis's favourite exact values (0, 1) put the FFN's relu on its
    # kink, where a rounding difference from PyTorch's fused matmul decides the gradient
    rng = np.random.default_rng(draw(seeds()))
    return Case("hypothesis", {"x": 3 * rng.standard_normal((n, t, E)),
                               **{k: rng.standard_normal(s) for k, s in shapes_.items()},
                               "src_key_padding_mask": kpm, "src_mask": am if am is None or am.ndim == 2 else None},
                {"num_heads": heads})


# log-variances where torch's Normal(mu, exp(logvar / 2)) keeps a scale > 0 whose square neither
# under- nor overflows, with exact zeros (sigma = 1) drawn often
logvars = st.one_of(st.just(0.0), st.floats(-60, 60, allow_nan=False, width=64))


@st.composite
def reparameterize_inputs(draw, spec):
    """mu, logvar, eps of one shape; eps standard-normal-sized, with exact zeros (z = mu)."""
    shape = draw(shapes())
    eps = st.one_of(st.just(0.0), st.floats(-4, 4, width=64))
    return Case("hypothesis", {"mu": draw(arrays(shape)),
                               "logvar": draw(hnp.arrays(np.float64, shape, elements=logvars)),
                               "eps": draw(hnp.arrays(np.float64, shape, elements=eps))})


@st.composite
def gaussian_kl_inputs(draw, spec):
    """mu, logvar (N, *) of one shape, any reduction."""
    shape = draw(shapes())
    return Case("hypothesis", {"mu": draw(arrays(shape)),
                               "logvar": draw(hnp.arrays(np.float64, shape, elements=logvars))},
                {"reduction": draw(REDUCTIONS)})


@st.composite
def bernoulli_recon_inputs(draw, spec):
    """logits (N, *) and targets in [0, 1] (0 and 1 drawn often), any reduction."""
    shape = draw(shapes())
    unit = st.one_of(st.sampled_from([0.0, 1.0]), st.floats(0.0, 1.0, width=64))
    return Case("hypothesis", {"logits": draw(arrays(shape)),
                               "target": draw(hnp.arrays(np.float64, shape, elements=unit))},
                {"reduction": draw(REDUCTIONS)})


@st.composite
def gan_inputs(draw, spec):
    """The discriminator's logits on real and fake batches of their own shapes (the generator's: fakes only)."""
    fake = draw(arrays(shapes()))
    if spec.name == "gan_generator_loss":
        return Case("hypothesis", {"fake_logits": fake}, {"non_saturating": draw(st.booleans())})
    return Case("hypothesis", {"real_logits": draw(arrays(shapes())), "fake_logits": fake})


INPUTS = {
    "linear": linear_inputs,
    "scaled_dot_product_attention": sdpa_inputs,
    "multi_head_attention": mha_inputs,
    "layer_norm": layer_norm_inputs,
    "transformer_encoder_layer": encoder_inputs,
    **{name: recurrent_inputs for name in ("rnn_cell", "lstm_cell", "gru_cell", "rnn", "lstm", "gru")},
    "embedding": embedding_inputs,
    "sequence_cross_entropy": sequence_ce_inputs,
    "conv2d": conv2d_inputs,
    "conv2d_naive": conv2d_inputs,
    "max_pool2d": pool_inputs,
    "avg_pool2d": pool_inputs,
    "batch_norm": batch_norm_inputs,
    "two_layer_mlp": two_layer_mlp_inputs,
    **{name: pair_loss_inputs for name in ("mse_loss", "l1_loss", "smooth_l1_loss", "binary_cross_entropy",
                                           "binary_cross_entropy_with_logits")},
    "cross_entropy": class_loss_inputs,
    "nll_loss": class_loss_inputs,
    "l1_penalty": penalty_inputs,
    "l2_penalty": penalty_inputs,
    "reparameterize": reparameterize_inputs,
    "gaussian_kl": gaussian_kl_inputs,
    "bernoulli_recon": bernoulli_recon_inputs,
    "gan_discriminator_loss": gan_inputs,
    "gan_generator_loss": gan_inputs,
}


def op_inputs(spec):
    """A strategy of `Case`s for `spec`, or None when no strategy fits its inputs yet."""
    if spec.name in INPUTS:
        return INPUTS[spec.name](spec)
    if tuple(spec.inputs) == ("x",):
        return unary_inputs(spec)
    return None


def douts(shape, seed: int) -> np.ndarray:
    """A standard-normal upstream gradient of `shape` from `seed`."""
    return np.asarray(np.random.default_rng(seed).standard_normal(shape))
