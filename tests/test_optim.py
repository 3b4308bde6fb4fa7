"""Chapter 05 reference: optimisers and schedules vs torch.optim, init vs torch.nn.init, metrics vs
sklearn.metrics, and the NumPy MLP (gradients vs autograd, >= 97% on digits)."""
import math
import warnings

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn import metrics as skm
from sklearn.preprocessing import StandardScaler

from coursekit import data
from coursekit.reference import cnn, gpt, rnn
from coursekit.reference import genmodels as GM
from coursekit.reference import init as I
from coursekit.reference import optim as O
from coursekit.reference import train as T

STEPS = 20
TOL = 1e-10

# (our step, torch class, hyper-parameters); every set runs 20 steps from the same start
CASES = [
    (O.sgd_step, torch.optim.SGD, {"lr": 0.1}),
    (O.sgd_step, torch.optim.SGD, {"lr": 0.05, "momentum": 0.9}),
    (O.sgd_step, torch.optim.SGD, {"lr": 0.05, "momentum": 0.9, "nesterov": True}),
    (O.sgd_step, torch.optim.SGD, {"lr": 0.1, "momentum": 0.5, "dampening": 0.3, "weight_decay": 0.01}),
    (O.sgd_step, torch.optim.SGD, {"lr": 0.01, "momentum": 0.99, "nesterov": True, "weight_decay": 0.1}),
    (O.sgd_step, torch.optim.SGD, {"lr": 0.0, "momentum": 0.9}),
    (O.rmsprop_step, torch.optim.RMSprop, {}),
    (O.rmsprop_step, torch.optim.RMSprop, {"lr": 0.01, "alpha": 0.9}),
    (O.rmsprop_step, torch.optim.RMSprop, {"lr": 0.001, "centered": True}),
    (O.rmsprop_step, torch.optim.RMSprop, {"lr": 0.001, "momentum": 0.9, "weight_decay": 0.05}),
    (O.rmsprop_step, torch.optim.RMSprop, {"lr": 0.003, "alpha": 0.95, "eps": 1e-6, "momentum": 0.5,
                                           "centered": True, "weight_decay": 0.1}),
    (O.adam_step, torch.optim.Adam, {}),
    (O.adam_step, torch.optim.Adam, {"lr": 0.01, "betas": (0.8, 0.99)}),
    (O.adam_step, torch.optim.Adam, {"lr": 0.01, "amsgrad": True}),
    (O.adam_step, torch.optim.Adam, {"lr": 0.005, "weight_decay": 0.1}),
    (O.adam_step, torch.optim.Adam, {"lr": 0.1, "betas": (0.0, 0.5), "eps": 1e-6, "weight_decay": 0.05,
                                     "amsgrad": True}),
    (O.adamw_step, torch.optim.AdamW, {}),
    (O.adamw_step, torch.optim.AdamW, {"lr": 0.01, "weight_decay": 0.1}),
    (O.adamw_step, torch.optim.AdamW, {"lr": 0.05, "weight_decay": 0.5, "amsgrad": True, "betas": (0.5, 0.9)}),
    (O.adamw_step, torch.optim.AdamW, {"lr": 0.01, "weight_decay": 0.0}),
]
IDS = [f"{fn.__name__}-{i}-" + ",".join(f"{k}={v}" for k, v in h.items()) for i, (fn, _, h) in enumerate(CASES)]
STATE_KEYS = {"momentum_buffer", "square_avg", "grad_avg", "exp_avg", "exp_avg_sq", "max_exp_avg_sq"}


def grad_at(k, shape, seed=0):
    """The gradient of step k: a fixed rng per step, its scale shrinking and growing (amsgrad's max matters)."""
    rng = np.random.default_rng([seed, k])
    return rng.standard_normal(shape) * 2.0 ** (2 - (k % 7))


def run_both(fn, torch_cls, hyper, shapes=((3, 4), (5,)), steps=STEPS):
    rng = np.random.default_rng(123)
    starts = [rng.standard_normal(s) for s in shapes]
    tparams = [torch.tensor(p, dtype=torch.float64, requires_grad=True) for p in starts]
    opt = torch_cls(tparams, **hyper)
    ours, states = [p.copy() for p in starts], [None] * len(shapes)
    for k in range(steps):
        for i, (s, tp) in enumerate(zip(shapes, tparams)):
            g = grad_at(k, s, seed=i)
            tp.grad = torch.tensor(g)
            ours[i], states[i] = fn(ours[i], g, states[i], **hyper)
        opt.step()
    return ours, states, tparams, opt


@pytest.mark.parametrize("fn, torch_cls, hyper", CASES, ids=IDS)
def test_optimizer_matches_torch_over_20_steps(fn, torch_cls, hyper):
    ours, states, tparams, opt = run_both(fn, torch_cls, hyper)
    for p, s, tp in zip(ours, states, tparams):
        np.testing.assert_allclose(p, tp.detach().numpy(), rtol=0, atol=TOL)
        assert p.dtype == np.float64
        tstate = opt.state[tp]
        assert s["step"] == STEPS
        for key in STATE_KEYS & set(tstate):
            if tstate[key] is None:  # SGD without momentum keeps momentum_buffer = None
                assert key not in s
                continue
            np.testing.assert_allclose(s[key], tstate[key].numpy(), rtol=1e-12, atol=TOL, err_msg=key)
        assert set(s) - {"step"} == {k for k in STATE_KEYS & set(tstate) if tstate[k] is not None}


def test_lr_zero_never_moves():
    p0 = np.arange(6.0).reshape(2, 3)
    for fn in (O.sgd_step, O.rmsprop_step, O.adam_step):
        p, s = p0, None
        for k in range(5):
            p, s = fn(p, grad_at(k, p0.shape), s, lr=0.0)
        np.testing.assert_array_equal(p, p0)


def test_aliases_are_sgd_with_momentum():
    hyper = {"lr": 0.05, "momentum": 0.8, "weight_decay": 0.01}
    for alias, nesterov in ((O.momentum_step, False), (O.nesterov_step, True)):
        ours, _, tparams, _ = run_both(alias, lambda ps, n=nesterov, **h: torch.optim.SGD(ps, nesterov=n, **h), hyper)
        for p, tp in zip(ours, tparams):
            np.testing.assert_allclose(p, tp.detach().numpy(), rtol=0, atol=TOL)
    p, s = O.momentum_step(np.ones(2), np.ones(2), lr=0.1)  # default momentum 0.9
    p, s = O.momentum_step(p, np.ones(2), s, lr=0.1)
    np.testing.assert_allclose(s["momentum_buffer"], [1.9, 1.9])


def test_float32_stays_float32():
    p = np.ones(3, dtype=np.float32)
    for fn in O.OPTIMIZERS.values():
        out, _ = fn(p, np.full(3, 0.5, dtype=np.float32), None, lr=0.1)
        assert out.dtype == np.float32, fn.__name__


@pytest.mark.parametrize("fn, hyper", [(O.sgd_step, {"lr": 0.1, "momentum": 0.9, "nesterov": True,
                                                     "weight_decay": 0.1}),
                                       (O.rmsprop_step, {"momentum": 0.9, "centered": True, "weight_decay": 0.1}),
                                       (O.adam_step, {"amsgrad": True, "weight_decay": 0.1}),
                                       (O.adamw_step, {"amsgrad": True})])
def test_steps_are_pure(fn, hyper):
    rng = np.random.default_rng(0)
    param, grad = rng.standard_normal((4, 3)), rng.standard_normal((4, 3))
    _, state = fn(param, grad, None, **hyper)
    p_copy, g_copy = param.copy(), grad.copy()
    s_copy = {k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in state.items()}
    new_p, new_s = fn(param, grad, state, **hyper)
    np.testing.assert_array_equal(param, p_copy)
    np.testing.assert_array_equal(grad, g_copy)
    assert state.keys() == s_copy.keys()
    for k, v in state.items():
        np.testing.assert_array_equal(v, s_copy[k], err_msg=k)
    assert new_p is not param and new_s is not state
    for k, v in new_s.items():
        if isinstance(v, np.ndarray):
            assert not np.shares_memory(v, param) and not np.shares_memory(v, grad), k
            assert not any(np.shares_memory(v, w) for w in state.values() if isinstance(w, np.ndarray)), k
    # the same call again gives the same answer: no hidden state
    again_p, _ = fn(param, grad, state, **hyper)
    np.testing.assert_array_equal(again_p, new_p)


def test_first_step_state_is_fresh():
    g = np.array([1.0, -2.0])
    _, s = O.sgd_step(np.zeros(2), g, lr=0.1, momentum=0.9)
    s["momentum_buffer"][0] = 99.0
    np.testing.assert_array_equal(g, [1.0, -2.0])  # the buffer is a copy of the gradient


BAD = [
    (O.sgd_step, {"lr": -0.1}, "lr"),
    (O.sgd_step, {"lr": float("nan")}, "lr"),
    (O.sgd_step, {"lr": "0.1"}, "lr"),
    (O.sgd_step, {"momentum": -0.5}, "momentum"),
    (O.sgd_step, {"dampening": 1.5}, "dampening"),
    (O.sgd_step, {"weight_decay": -1e-4}, "weight_decay"),
    (O.sgd_step, {"nesterov": True}, "nesterov"),
    (O.sgd_step, {"nesterov": True, "momentum": 0.9, "dampening": 0.1}, "nesterov"),
    (O.sgd_step, {"nesterov": "yes", "momentum": 0.9}, "nesterov"),
    (O.rmsprop_step, {"alpha": -0.1}, "alpha"),
    (O.rmsprop_step, {"eps": -1e-8}, "eps"),
    (O.rmsprop_step, {"momentum": -0.9}, "momentum"),
    (O.rmsprop_step, {"centered": 1}, "centered"),
    (O.rmsprop_step, {"lr": -1.0}, "lr"),
    (O.adam_step, {"betas": (1.0, 0.999)}, r"betas\[0\]"),
    (O.adam_step, {"betas": (0.9, -0.1)}, r"betas\[1\]"),
    (O.adam_step, {"betas": 0.9}, "betas"),
    (O.adam_step, {"eps": -1.0}, "eps"),
    (O.adam_step, {"weight_decay": -0.1}, "weight_decay"),
    (O.adam_step, {"amsgrad": None}, "amsgrad"),
    (O.adamw_step, {"lr": -1e-3}, "lr"),
    (O.adamw_step, {"weight_decay": float("inf")}, "weight_decay"),
]


@pytest.mark.parametrize("fn, hyper, name", BAD, ids=[f"{f.__name__}-{h}" for f, h, _ in BAD])
def test_bad_hyper_parameters_raise_value_error_naming_them(fn, hyper, name):
    with pytest.raises(ValueError, match=name):
        fn(np.ones(3), np.ones(3), None, **hyper)


@pytest.mark.parametrize("torch_cls, hyper", [(torch.optim.SGD, {"lr": -0.1}), (torch.optim.SGD, {"momentum": -0.5}),
                                              (torch.optim.SGD, {"nesterov": True}),
                                              (torch.optim.RMSprop, {"alpha": -0.1}),
                                              (torch.optim.Adam, {"betas": (1.0, 0.999)}),
                                              (torch.optim.Adam, {"eps": -1.0})])
def test_torch_refuses_the_same(torch_cls, hyper):
    """Our refusals are PyTorch's: the optimiser refuses them too."""
    with pytest.raises(ValueError):
        torch_cls([torch.zeros(3, requires_grad=True)], **hyper)


def test_bad_arrays_and_states():
    with pytest.raises(ValueError, match=r"param.*grad.*\(3,\).*\(4,\)"):
        O.sgd_step(np.ones(3), np.ones(4), lr=0.1)
    with pytest.raises(TypeError, match="param"):
        O.adam_step([1.0, 2.0], np.ones(2))
    _, s = O.sgd_step(np.ones(3), np.ones(3), lr=0.1)
    with pytest.raises(ValueError, match="exp_avg"):  # an SGD state handed to Adam
        O.adam_step(np.ones(3), np.ones(3), s)
    _, s = O.adam_step(np.ones(3), np.ones(3))
    with pytest.raises(ValueError, match="max_exp_avg_sq"):  # amsgrad switched on halfway
        O.adam_step(np.ones(3), np.ones(3), s, amsgrad=True)
    with pytest.raises(ValueError, match=r"state\['exp_avg'\]"):
        O.adam_step(np.ones(4), np.ones(4), s)
    with pytest.raises(ValueError, match="state"):
        O.rmsprop_step(np.ones(3), np.ones(3), {"square_avg": np.ones(3)})


def test_optimizer_class():
    params = [np.ones((2, 3)), np.zeros(2)]
    grads = [np.full((2, 3), 0.5), np.ones(2)]
    opt = O.Optimizer("momentum", lr=0.1)
    new = opt.step(params, grads)
    np.testing.assert_allclose(new[0], 1 - 0.05)
    np.testing.assert_array_equal(params[0], 1.0)
    assert opt.states[1]["step"] == 1 and opt.lr == 0.1
    opt.lr = 0.01
    assert opt.hyper["lr"] == 0.01
    assert O.Optimizer("adam").lr == 1e-3
    with pytest.raises(ValueError, match="name"):
        O.Optimizer("lbfgs")
    with pytest.raises(ValueError, match="betas"):
        O.Optimizer("adam", betas=(1.5, 0.9))
    with pytest.raises(ValueError, match="gamma"):
        O.Optimizer("sgd", gamma=0.1)
    with pytest.raises(ValueError, match="lr"):
        opt.lr = -1
    with pytest.raises(ValueError, match="same length"):
        opt.step(params, grads[:1])


# ------------------------------------------------------------------ schedules

def torch_lrs(make, lr0, epochs=30):
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=lr0)
    sched = make(opt)
    lrs = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # SequentialLR's internal step(0) deprecation
        for _ in range(epochs):
            lrs.append(opt.param_groups[0]["lr"])
            opt.step()
            sched.step()
    return np.array(lrs)


L = torch.optim.lr_scheduler
SCHEDULES = [
    ("step 7 x0.5", lambda e: O.step_lr(e, 0.1, 7, 0.5), lambda o: L.StepLR(o, 7, 0.5), 0.1),
    ("step 3 x0.1", lambda e: O.step_lr(e, 1.0, 3), lambda o: L.StepLR(o, 3), 1.0),
    ("exponential", lambda e: O.exponential_lr(e, 0.3, 0.9), lambda o: L.ExponentialLR(o, 0.9), 0.3),
    ("cosine T30", lambda e: O.cosine_lr(e, 0.1, 30), lambda o: L.CosineAnnealingLR(o, 30), 0.1),
    ("cosine T10 periodic", lambda e: O.cosine_lr(e, 0.1, 10, 1e-3),
     lambda o: L.CosineAnnealingLR(o, 10, eta_min=1e-3), 0.1),
    ("cosine T7 eta 0.01", lambda e: O.cosine_lr(e, 0.5, 7, 0.01),
     lambda o: L.CosineAnnealingLR(o, 7, eta_min=0.01), 0.5),
    ("linear warmup", lambda e: O.linear_warmup_lr(e, 0.1, 5, 0.1), lambda o: L.LinearLR(o, 0.1, total_iters=5), 0.1),
    ("linear default", lambda e: O.linear_warmup_lr(e, 0.2, 4), lambda o: L.LinearLR(o, total_iters=4), 0.2),
    ("warmup + cosine", lambda e: O.warmup_cosine_lr(e, 0.1, 5, 25, 1e-4, 0.1),
     lambda o: L.SequentialLR(o, [L.LinearLR(o, 0.1, total_iters=5), L.CosineAnnealingLR(o, 25, eta_min=1e-4)],
                              milestones=[5]), 0.1),
]


@pytest.mark.parametrize("ours, make, lr0", [s[1:] for s in SCHEDULES], ids=[s[0] for s in SCHEDULES])
def test_schedules_match_torch_over_30_epochs(ours, make, lr0):
    expected = torch_lrs(make, lr0)
    got = np.array([ours(e) for e in range(30)])
    np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-14)


def test_schedule_bad_arguments():
    with pytest.raises(ValueError, match="epoch"):
        O.step_lr(-1, 0.1, 5)
    with pytest.raises(ValueError, match="step_size"):
        O.step_lr(3, 0.1, 0)
    with pytest.raises(ValueError, match="T_max"):
        O.cosine_lr(3, 0.1, 0)
    with pytest.raises(ValueError, match="lr0"):
        O.cosine_lr(3, -0.1, 10)
    with pytest.raises(ValueError, match="start_factor"):
        O.linear_warmup_lr(0, 0.1, 5, start_factor=0.0)
    with pytest.raises(ValueError, match="warmup_epochs"):
        O.warmup_cosine_lr(0, 0.1, 0, 10)


# ------------------------------------------------------------------ initialisation

GAIN_CASES = [("linear", None), ("conv2d", None), ("sigmoid", None), ("tanh", None), ("relu", None),
              ("leaky_relu", None), ("leaky_relu", 0.2), ("selu", None)]


@pytest.mark.parametrize("nonlinearity, param", GAIN_CASES)
def test_gain_matches_torch(nonlinearity, param):
    assert I.calculate_gain(nonlinearity, param) == pytest.approx(
        torch.nn.init.calculate_gain(nonlinearity, param), rel=1e-15)


SHAPES = [(5, 3), (128, 64), (10, 784), (16, 3, 3, 3), (8, 4, 5)]


@pytest.mark.parametrize("shape", SHAPES)
def test_fans_and_formulas_match_torch(shape):
    t = torch.empty(shape)
    fan_in, fan_out = torch.nn.init._calculate_fan_in_and_fan_out(t)
    assert I.fans(shape) == (fan_in, fan_out)
    assert shape[1] * math.prod(shape[2:]) == fan_in  # weight layout (out, in, ...): fan_in = shape[1]...
    for gain in (1.0, 5 / 3, math.sqrt(2)):
        assert I.xavier_std(shape, gain) == pytest.approx(gain * math.sqrt(2.0 / (fan_in + fan_out)), rel=1e-15)
    for mode, fan in (("fan_in", fan_in), ("fan_out", fan_out)):
        for nl, a in (("relu", 0), ("leaky_relu", 0), ("leaky_relu", 0.1), ("tanh", 0), ("linear", 0)):
            gain = torch.nn.init.calculate_gain(nl, a)
            assert I.kaiming_std(shape, a, mode, nl) == pytest.approx(gain / math.sqrt(fan), rel=1e-15)


BIG = (400, 300)  # 120,000 draws: the empirical std is within ~0.4% of the truth


@pytest.mark.parametrize("ours, theirs, std_fn, uniform", [
    (lambda s, r: I.xavier_uniform(s, rng=r), torch.nn.init.xavier_uniform_, lambda s: I.xavier_std(s), True),
    (lambda s, r: I.xavier_normal(s, gain=5 / 3, rng=r), lambda t: torch.nn.init.xavier_normal_(t, gain=5 / 3),
     lambda s: I.xavier_std(s, 5 / 3), False),
    (lambda s, r: I.kaiming_uniform(s, rng=r), torch.nn.init.kaiming_uniform_, lambda s: I.kaiming_std(s), True),
    (lambda s, r: I.kaiming_normal(s, mode="fan_out", nonlinearity="relu", rng=r),
     lambda t: torch.nn.init.kaiming_normal_(t, mode="fan_out", nonlinearity="relu"),
     lambda s: I.kaiming_std(s, mode="fan_out", nonlinearity="relu"), False),
    (lambda s, r: I.kaiming_uniform(s, a=math.sqrt(5), rng=r), lambda t: torch.nn.init.kaiming_uniform_(t, a=math.sqrt(5)),
     lambda s: I.kaiming_std(s, a=math.sqrt(5)), True),
    (lambda s, r: I.linear_default(s, rng=r), None, lambda s: 1 / math.sqrt(3 * s[1]), True),
], ids=["xavier_uniform", "xavier_normal_tanh", "kaiming_uniform", "kaiming_normal_fan_out",
        "kaiming_uniform_a_sqrt5", "linear_default"])
def test_init_draws_match_torch(ours, theirs, std_fn, uniform):
    torch.manual_seed(0)
    w = ours(BIG, np.random.default_rng(0))
    if theirs is None:  # nn.Linear's own default initialisation
        t = torch.nn.Linear(BIG[1], BIG[0], dtype=torch.float64).weight.detach().numpy()
    else:
        t = theirs(torch.empty(BIG, dtype=torch.float64)).numpy()
    std = std_fn(BIG)
    assert w.shape == BIG and w.dtype == np.float64
    assert abs(w.mean()) < 0.02 * std
    assert w.std() == pytest.approx(std, rel=0.02)
    assert t.std() == pytest.approx(std, rel=0.02)
    assert w.std() == pytest.approx(t.std(), rel=0.03)
    if uniform:  # same bound: sqrt(3) std
        bound = math.sqrt(3) * std
        assert np.abs(w).max() <= bound and np.abs(t).max() <= bound * (1 + 1e-12)
        assert np.abs(w).max() > 0.999 * bound and np.abs(t).max() > 0.999 * bound
    else:
        assert np.mean(np.abs(w) > 2 * std) == pytest.approx(0.0455, abs=0.005)  # Gaussian tails


def test_init_rng_zeros_small_random_and_dispatch():
    a = I.xavier_uniform((30, 20), rng=np.random.default_rng(7))
    np.testing.assert_array_equal(a, I.xavier_uniform((30, 20), rng=np.random.default_rng(7)))
    np.testing.assert_array_equal(a, I.xavier_uniform((30, 20), rng=7))
    g = np.random.default_rng(7)
    assert not np.array_equal(I.he_normal((30, 20), rng=g), I.he_normal((30, 20), rng=g))  # the generator advances
    assert I.glorot_uniform is I.xavier_uniform and I.he_uniform is I.kaiming_uniform
    np.testing.assert_array_equal(I.zeros((3, 4)), np.zeros((3, 4)))
    s = I.small_random((300, 300), rng=0)
    assert s.std() == pytest.approx(0.01, rel=0.02)
    np.testing.assert_array_equal(I.init("he_normal", (5, 4), rng=1), I.kaiming_normal((5, 4), rng=1))
    np.testing.assert_array_equal(I.init("zeros", 3), np.zeros(3))
    b = I.linear_default((1000,), fan_in=25, rng=0)
    assert np.abs(b).max() <= 0.2 and np.abs(b).max() > 0.19


def test_init_bad_arguments():
    with pytest.raises(ValueError, match="2 dimensions"):
        I.xavier_uniform((5,))
    with pytest.raises(ValueError, match="mode"):
        I.kaiming_normal((5, 4), mode="fan_avg")
    with pytest.raises(ValueError, match="nonlinearity"):
        I.kaiming_normal((5, 4), nonlinearity="swish")
    with pytest.raises(ValueError, match="shape"):
        I.zeros((3, -1))
    with pytest.raises(TypeError, match="rng"):
        I.small_random((3,), rng="seed")
    with pytest.raises(ValueError, match="std"):
        I.small_random((3,), std=-1)
    with pytest.raises(ValueError, match="name"):
        I.init("orthogonal", (3, 3))


# ------------------------------------------------------------------ metrics and standardisation

def random_labels(seed, n=200, c=6, missing=True):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, c, n)
    p = np.where(rng.random(n) < 0.6, y, rng.integers(0, c, n))
    if missing:
        p[p == c - 1] = 0  # class c-1 is never predicted: precision 0/0 -> 0
    return y, p


@pytest.mark.parametrize("average", ["macro", "micro", "weighted", None])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_metrics_match_sklearn(average, seed):
    y, p = random_labels(seed)
    got = T.precision_recall_f1(y, p, 6, average=average)
    want = skm.precision_recall_fscore_support(y, p, labels=range(6), average=average, zero_division=0)[:3]
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-12, atol=1e-15)
    np.testing.assert_array_equal(T.confusion_matrix(y, p, 6), skm.confusion_matrix(y, p, labels=range(6)))
    assert T.accuracy(y, p) == skm.accuracy_score(y, p)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 3), st.integers(0, 3)), min_size=1, max_size=30),
       st.sampled_from(["macro", "micro", "weighted"]))
def test_metrics_match_sklearn_property(pairs, average):
    y, p = (np.array(v) for v in zip(*pairs))
    got = T.precision_recall_f1(y, p, 4, average=average)
    want = skm.precision_recall_fscore_support(y, p, labels=range(4), average=average, zero_division=0)[:3]
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-15)


def test_metrics_accept_scores_and_refuse_bad_labels():
    y = np.array([0, 1, 2, 1])
    scores = np.eye(3)[[0, 2, 2, 1]]
    assert T.accuracy(y, scores) == 0.75
    with pytest.raises(ValueError, match="y_pred"):
        T.confusion_matrix(y, np.array([0, 1, 3, 1]), 3)
    with pytest.raises(ValueError, match="same length"):
        T.accuracy(y, y[:3])
    with pytest.raises(ValueError, match="average"):
        T.precision_recall_f1(y, y, 3, average="binary")
    with pytest.raises(ValueError, match="y_true"):
        T.accuracy(np.array([0.5, 1.0]), np.array([0, 1]))


def test_standardizer_matches_sklearn_and_fits_on_train_only():
    X_tr, X_te, _, _ = data.digits()
    ours = T.Standardizer().fit(X_tr)
    sk = StandardScaler().fit(X_tr)
    np.testing.assert_allclose(ours.transform(X_tr), sk.transform(X_tr), atol=1e-12)
    np.testing.assert_allclose(ours.transform(X_te), sk.transform(X_te), atol=1e-12)
    assert np.isfinite(ours.transform(X_te)).all()  # constant (always-blank) pixels: std 1, no nan
    assert (X_tr.std(0) == 0).any()
    np.testing.assert_allclose(ours.fit_transform(X_tr).mean(0), 0, atol=1e-12)
    assert not np.allclose(ours.transform(X_te).mean(0), 0, atol=1e-3)  # the test set is not refit
    with pytest.raises(ValueError, match="fit"):
        T.Standardizer().transform(X_tr)
    with pytest.raises(ValueError, match="shape"):
        ours.transform(X_tr[:, :10])


def test_minibatches():
    X, y = np.arange(20.0).reshape(10, 2), np.arange(10)
    batches = list(T.minibatches(X, y, 4, rng=0))
    assert [len(b[1]) for b in batches] == [4, 4, 2]
    assert sorted(np.concatenate([b[1] for b in batches]).tolist()) == list(range(10))
    for xb, yb in batches:
        np.testing.assert_array_equal(xb[:, 0], 2 * yb)  # rows stay paired with their labels
    again = list(T.minibatches(X, y, 4, rng=0))
    assert all(np.array_equal(a[1], b[1]) for a, b in zip(batches, again))
    assert [len(b[1]) for b in T.minibatches(X, y, 4, drop_last=True)] == [4, 4]
    assert np.array_equal(next(iter(T.minibatches(X, y, 3, shuffle=False)))[1], [0, 1, 2])
    with pytest.raises(ValueError, match="batch_size"):
        list(T.minibatches(X, y, 0))
    with pytest.raises(ValueError, match="same length"):
        list(T.minibatches(X, y[:5], 2))


# ------------------------------------------------------------------ the NumPy MLP

def torch_mlp(params):
    layers = []
    for i in range(0, len(params), 2):
        lin = torch.nn.Linear(params[i].shape[1], params[i].shape[0], dtype=torch.float64)
        with torch.no_grad():
            lin.weight.copy_(torch.tensor(params[i]))
            lin.bias.copy_(torch.tensor(params[i + 1]))
        layers += [lin, torch.nn.ReLU()]
    return torch.nn.Sequential(*layers[:-1])


@pytest.mark.parametrize("l2", [0.0, 0.01])
def test_mlp_loss_and_gradients_match_autograd(l2):
    rng = np.random.default_rng(0)
    params = T.init_mlp((64, 32, 16, 10), rng=rng)
    params = [p + 0.1 * rng.standard_normal(p.shape) for p in params]  # non-zero biases too
    x, y = rng.standard_normal((20, 64)), rng.integers(0, 10, 20)
    loss, grads = T.mlp_loss(params, x, y, l2=l2)
    net = torch_mlp(params)
    tloss = torch.nn.functional.cross_entropy(net(torch.tensor(x)), torch.tensor(y))
    tloss = tloss + l2 / 2 * sum((m.weight**2).sum() for m in net if isinstance(m, torch.nn.Linear))
    tloss.backward()
    assert loss == pytest.approx(tloss.item(), rel=1e-12)
    for g, tp in zip(grads, net.parameters()):
        np.testing.assert_allclose(g, tp.grad.numpy(), rtol=1e-9, atol=1e-12)
    np.testing.assert_array_equal(T.predict(params, x), net(torch.tensor(x)).argmax(1).numpy())


def test_init_mlp_shapes_and_defaults():
    p = T.init_mlp((64, 128, 64, 10), rng=0)
    assert [a.shape for a in p] == [(128, 64), (128,), (64, 128), (64,), (10, 64), (10,)]
    assert all((b == 0).all() for b in p[1::2])
    assert [a.shape for a in T.init_mlp((4, 3), init="linear_default", rng=0)] == [(3, 4), (3,)]
    assert not (T.init_mlp((4, 3), init="linear_default", rng=0)[1] == 0).all()
    with pytest.raises(ValueError, match="sizes"):
        T.init_mlp((64,))


def test_fit_history_schedule_and_callback():
    X_tr, X_te, y_tr, y_te = data.digits()
    calls = []
    p0 = T.init_mlp((64, 16, 10), rng=0)
    _, hist = T.fit(p0, X_tr, y_tr, T.Recipe(epochs=3, batch_size=128, optimizer="sgd", hyper={"lr": 0.1, "momentum": 0.9},
                                             schedule=lambda e: O.step_lr(e, 0.1, 2, 0.5)),
                    test=(X_te, y_te), callback=lambda e, h: calls.append(e))
    assert calls == [1, 2, 3] and hist["epoch"] == [1, 2, 3]
    assert hist["lr"] == [0.1, 0.1, 0.05]
    assert len(hist["step_loss"]) == 3 * math.ceil(len(y_tr) / 128)
    assert len(hist["test_acc"]) == 3 and hist["time"] > 0
    assert hist["train_loss"][-1] < hist["train_loss"][0]
    np.testing.assert_array_equal(p0[0], T.init_mlp((64, 16, 10), rng=0)[0])  # fit does not touch its input
    with pytest.raises(ValueError, match="epochs"):
        T.fit(p0, X_tr, y_tr, T.Recipe(epochs=-1))


def test_numpy_mlp_reaches_97_percent_on_digits():
    """64-128-64-10, standardised inputs, Adam, 20 epochs, fixed seed: >= 97% test accuracy (~0.5 s)."""
    X_tr, X_te, y_tr, y_te = data.digits()
    scaler = T.Standardizer().fit(X_tr)
    params = T.init_mlp((64, 128, 64, 10), rng=np.random.default_rng(0))
    params, hist = T.fit(params, scaler.transform(X_tr), y_tr,
                         T.Recipe(epochs=20, batch_size=32, optimizer="adam", hyper={"lr": 1e-3}, seed=0),
                         test=(scaler.transform(X_te), y_te))
    acc = T.accuracy(y_te, T.predict(params, scaler.transform(X_te)))
    assert acc == hist["test_acc"][-1]
    assert acc >= 0.97, f"test accuracy {acc:.4f}"


# ------------------------------------------------------------------ float32 training stays float32

def _f32(tree):
    """Every float array of a parameter tree (lists, dicts) as float32."""
    if isinstance(tree, dict):
        return {k: _f32(v) for k, v in tree.items()}
    if isinstance(tree, (list, tuple)):
        return type(tree)(_f32(v) for v in tree)
    return tree.astype(np.float32) if isinstance(tree, np.ndarray) and tree.dtype.kind == "f" else tree


def _dtypes(tree):
    if isinstance(tree, dict):
        return set().union(*(_dtypes(v) for v in tree.values()))
    if isinstance(tree, (list, tuple)):
        return set().union(*(_dtypes(v) for v in tree))
    return {tree.dtype.name} if isinstance(tree, np.ndarray) else set()


_rng = np.random.default_rng(0)
_X8, _X64, _EPS = (_rng.random(s, dtype=np.float32) for s in ((6, 8), (6, 64), (6, 2)))
_LABELS, _CHARS = _rng.integers(0, 3, 6), _rng.integers(0, 5, (2, 4))
GRADS = {
    "mlp, l2": lambda: T.mlp_loss(_f32(T.init_mlp((8, 16, 3), rng=0)), _X8, _LABELS, l2=0.1)[1],
    "cnn, l2": lambda: cnn.cnn_loss(_f32(cnn.init_cnn(channels=4, rng=0)), _X64, _LABELS, l2=0.1)[1],
    "char lstm": lambda: rnn.CharLSTM.loss(_f32(rnn.init_char_lstm(5, hidden_size=4, embed_size=3, rng=0)),
                                           _CHARS, _CHARS[:, ::-1].copy())[1],
    "gpt": lambda: gpt.gpt_loss(_f32(gpt.init_gpt(5, block_size=4, d_model=8, num_layers=1, rng=0)), _CHARS, _CHARS)[1],
    "autoencoder": lambda: GM.ae_loss(_f32(GM.init_autoencoder(8, 4, 2, rng=0)), _X8)[1],
    "vae": lambda: GM.vae_loss(_f32(GM.init_vae(8, 4, 2, rng=0)), _X8, _EPS)[1],
    "gan": lambda: GM.gan_losses(_f32(GM.init_gan(2, 4, 2, rng=0)), _X8[:, :2], _X8[:, 2:4])[1],
}


@pytest.mark.parametrize("model", sorted(GRADS))
def test_a_float32_model_gets_float32_gradients(model):
    """The training losses seed their backward in the loss's dtype: a float64 seed (np.asarray(1.0)) once
    turned the char LSTM's float32 gradients into float64 (NumPy 2 promotes by a 0-d array's dtype)."""
    assert _dtypes(GRADS[model]()) == {"float32"}
