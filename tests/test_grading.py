"""check() and regrade(): right answers pass, wrong ones fail with a message a student can act on,
nothing reaches stderr, and nothing written in an answer cell turns a wrong answer right."""
from __future__ import annotations

import inspect
import re
import sys
import warnings

import numpy as np
import pytest

from coursekit import ops
from coursekit.grading import check, regrade, train_check
from coursekit.reference import (
    _validate,
    activations,
    attention,
    cnn,
    generative,
    init,
    losses,
    neurons,
    optim,
    rnn,
    train,
)


def _student_copies(*modules) -> dict:
    """The reference modules' code as if a student had typed it (no call into coursekit.reference).

    Each module runs in a namespace of its own, given the public names of those copied before it
    in place of its relative imports (train's `Model` for cnn, activations' `sigmoid_forward` for rnn).
    """
    base: dict = {}
    exec(compile(inspect.getsource(_validate), "<student _validate>", "exec"), base)
    shared: dict = {}
    for module in modules:
        ns = {**base, **shared}
        src = re.sub(r"^from \.\w* import (\([^)]*\)|.*)$", "", inspect.getsource(module), flags=re.M)
        exec(compile(src, f"<student {module.__name__}>", "exec"), ns)
        shared.update({k: v for k, v in ns.items() if not k.startswith("_") and k not in base})
    return shared


def two_layer_mlp_forward(x, w1, b1, w2, b2, target):
    z1 = x @ w1.T + b1
    h = np.maximum(z1, 0.0)
    logits = h @ w2.T + b2
    m = logits.max(axis=1, keepdims=True)
    logp = logits - m - np.log(np.exp(logits - m).sum(axis=1, keepdims=True))
    return -logp[np.arange(len(target)), target].mean(), (x, w1, z1, h, w2, logp, target)


def two_layer_mlp_backward(dloss, cache):
    x, w1, z1, h, w2, logp, target = cache
    dlogits = np.exp(logp)
    dlogits[np.arange(len(target)), target] -= 1.0
    dlogits *= dloss / len(target)
    dh = dlogits @ w2
    dz1 = dh * (z1 > 0)
    return {"dlogits": dlogits, "dh": dh, "dz1": dz1, "dx": dz1 @ w1, "dw1": dz1.T @ x, "db1": dz1.sum(0),
            "dw2": dlogits.T @ h, "db2": dlogits.sum(0)}


STUDENT = {**_student_copies(activations, neurons, losses, optim, init, train, cnn, rnn, attention, generative),
           "two_layer_mlp_forward": two_layer_mlp_forward, "two_layer_mlp_backward": two_layer_mlp_backward}


@pytest.mark.parametrize("name", sorted(ops.REGISTRY))
def test_a_correct_answer_passes_every_case_and_writes_nothing_to_stderr(name, capfd):
    fwd, bwd = STUDENT[f"{name}_forward"], STUDENT[f"{name}_backward"]
    r1 = check(f"{name}_forward", fwd, hidden=True)
    r2 = check(f"{name}_backward", bwd, forward=fwd, hidden=True)
    assert r1.passed and r2.passed
    assert len(r1.rows) == len(ops.REGISTRY[name].make_cases(hidden=True))
    if name != "two_layer_mlp":  # a backward whose cache layout is the reference's also takes the reference cache
        r3 = check(f"{name}_backward", bwd)
        assert r3.passed and len(r3.rows) == len(ops.REGISTRY[name].make_cases())
    out, err = capfd.readouterr()
    assert err == ""
    n_hidden = sum(c.hidden for c in ops.REGISTRY[name].make_cases(hidden=True))
    n_visible = len(r1.rows) - n_hidden
    assert f"check {name}_forward: {n_visible}/{n_visible} visible cases pass" in out  # hidden ones: counted
    assert f"and {n_hidden}/{n_hidden} hidden cases pass" in out


def _fails(name, fn, match, **kw):
    with pytest.raises(AssertionError, match=match) as info:
        check(name, fn, **kw)
    return str(info.value)


def relu_forward(x):
    return np.maximum(x, 0.0), x


@pytest.mark.parametrize("name", sorted(ops.STEPS))
def test_a_correct_update_rule_passes_against_torch_optim(name, capfd):
    result = check(f"{name}_step", STUDENT[f"{name}_step"], hidden=True)
    assert result.passed and len(result.rows) == len(ops.STEPS[name].make_cases(hidden=True))
    out, err = capfd.readouterr()
    assert err == "" and "torch.optim" in out


@pytest.mark.parametrize("name", sorted(ops.STEPS))
def test_an_update_rule_keeping_its_state_in_a_global_fails(name):
    """Each visible case passes when run alone; check() steps a second parameter in between."""
    right, kept = STUDENT[f"{name}_step"], {}

    def global_state(param, grad, state=None, **hyper):
        if state is None:
            kept.clear()
        param, kept["state"] = right(param, grad, kept.get("state"), **hyper)
        return param, {}

    msg = _fails(f"{name}_step", global_state, r"param: .* differ")
    assert "second parameter with its own state" in msg


def test_eps_inside_the_square_root_fails_on_a_visible_case():
    def adam_eps_inside(param, grad, state=None, *, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0,
                        amsgrad=False):
        t, m, v = (0, 0.0, 0.0) if state is None else state
        m = betas[0] * m + (1 - betas[0]) * grad
        v = betas[1] * v + (1 - betas[1]) * grad * grad
        m_hat, v_hat = m / (1 - betas[0] ** (t + 1)), v / (1 - betas[1] ** (t + 1))
        return param - lr * m_hat / np.sqrt(v_hat + eps), (t + 1, m, v)

    _fails("adam_step", adam_eps_inside, r"tiny gradients")


def test_wrong_update_rules_fail():
    def sgd_no_momentum(param, grad, state=None, *, lr=1e-3, momentum=0.0, dampening=0.0, nesterov=False,
                        weight_decay=0.0):
        return param - lr * grad, state

    _fails("sgd_step", sgd_no_momentum, r"momentum=0.9")

    def adam_no_bias_correction(param, grad, state=None, *, lr=1e-3, betas=(0.9, 0.999), eps=1e-8,
                                weight_decay=0.0, amsgrad=False):
        m, v = (np.zeros_like(param), np.zeros_like(param)) if state is None else state
        m = betas[0] * m + (1 - betas[0]) * grad
        v = betas[1] * v + (1 - betas[1]) * grad * grad
        return param - lr * m / (np.sqrt(v) + eps), (m, v)

    msg = _fails("adam_step", adam_no_bias_correction, r"param: .* differ")
    assert "bias correction" in msg and "torch.optim" in msg

    def sgd_in_place(param, grad, state=None, *, lr=1e-3, **hyper):
        param -= lr * grad
        return param, state

    _fails("sgd_step", sgd_in_place, r"modified its input `param` in place")
    _fails("sgd_step", lambda p, g, s=None, **h: p - h["lr"] * g, r"must return \(param, state\)")


def test_wrong_values_name_case_argument_index_and_hint(capfd):
    def relu_backward(dout, cache):
        return dout * (cache >= 0)  # gradient 1 at relu(0)

    msg = _fails("relu_backward", relu_backward, "exact zeros and ties", forward=relu_forward)
    assert "dx:" in msg and "worst at index (" in msg and "expected 0" in msg
    assert "Hint: The gradient is 1 where x > 0" in msg and "PyTorch autograd on cpu" in msg
    out, err = capfd.readouterr()
    assert "FAIL" in out and err == ""


def test_a_scalar_loss_may_be_a_numpy_scalar_or_a_python_float():
    def mse_np(input, target, reduction="mean"):
        d = input - target
        loss = {"mean": np.mean(d * d), "sum": np.sum(d * d), "none": d * d}[reduction]
        return loss, None

    def mse_float(input, target, reduction="mean"):
        loss, cache = mse_np(input, target, reduction)
        return (float(loss) if reduction != "none" else loss), cache

    assert check("mse_loss_forward", mse_np, hidden=True) and check("mse_loss_forward", mse_float, hidden=True)


def test_backprop_by_hand_reports_each_gradient_like_a_debugger(capsys):
    def wrong_relu_gate(dloss, cache):
        grads = two_layer_mlp_backward(dloss, cache)
        x, w1, z1 = cache[0], cache[1], cache[2]
        grads["dz1"] = grads["dh"] * (z1 >= 0)  # gradient 1 at relu(0)
        grads["dx"], grads["dw1"], grads["db1"] = grads["dz1"] @ w1, grads["dz1"].T @ x, grads["dz1"].sum(0)
        return grads

    msg = _fails("two_layer_mlp_backward", wrong_relu_gate, r"exact zeros: z1 = 0", forward=two_layer_mlp_forward)
    lines = msg.split("retain_grad):")[1].split("Hint:")[0].strip().splitlines()
    assert [ln.split(":")[0].strip() for ln in lines] == ["dlogits", "dh", "dz1", "dx", "dw1", "db1", "dw2", "db2"]
    assert "close" in lines[0] or "exact" in lines[0]
    assert "differ" in lines[2]  # the first wrong step is dz1
    _fails("two_layer_mlp_backward", lambda d, c: two_layer_mlp_backward(d, c)["dw1"], r"should return a dict",
           forward=two_layer_mlp_forward)
    _fails("two_layer_mlp_backward", lambda d, c: {k: v for k, v in two_layer_mlp_backward(d, c).items() if k != "dh"},
           r"lacks dh", forward=two_layer_mlp_forward)


def test_wrong_shape():
    msg = _fails("softmax_forward", lambda x, dim=-1: (np.exp(x).sum(axis=dim), None), "shape")
    assert "shape (4,), expected (4, 5)" in msg


def test_wrong_dtype():
    _fails("relu_forward", lambda x: (np.maximum(x, 0).astype(np.float32), x), r"dtype float32, expected float64")


def test_wrong_return_types():
    _fails("relu_forward", lambda x: np.maximum(x, 0), r"should return \(out, cache\).*returned an ndarray")
    _fails("relu_forward", lambda x: (np.maximum(x, 0).tolist(), x), r"expected a numpy.ndarray .* got list")
    _fails("relu_backward", lambda d, c: (d * (c > 0),), r"should return dx, a single ndarray, not a tuple")
    _fails("linear_backward", lambda d, c: (d, d), r"should return a tuple \(dx, dweight, dbias\).*2 item")


def test_nan_from_an_unstable_softmax():
    def softmax_forward(x, dim=-1):
        e = np.exp(x)
        return e / e.sum(axis=dim, keepdims=True), None

    msg = _fails("softmax_forward", softmax_forward, "large magnitudes")
    assert "non-finite value(s) (NaN/inf)" in msg


def test_in_place_mutation_is_caught():
    def relu_forward_inplace(x):
        x[x < 0] = 0
        return x, x

    _fails("relu_forward", relu_forward_inplace, r"modified its input `x` in place")

    def relu_backward_inplace(dout, cache):
        dout[cache <= 0] = 0
        return dout

    _fails("relu_backward", relu_backward_inplace, r"modified its input `dout` in place", forward=relu_forward)


def test_forbidden_calls_are_refused():
    import torch

    def via_torch(x):
        return torch.relu(torch.from_numpy(x)).numpy(), x

    def via_reference(x):
        return activations.relu_forward(x)

    _fails("relu_forward", via_torch, r"calls torch while it runs: implement this yourself")
    _fails("relu_forward", via_reference, r"calls coursekit.reference while it runs")
    _fails("relu_forward", relu_forward, r"numpy.maximum is not allowed", forbid=("numpy.maximum",))
    assert np.maximum(np.array([-1.0]), 0.0)[0] == 0.0  # restored afterwards


def test_exceptions_in_student_code_are_reported():
    def broken(x):
        return undefined_name, x  # noqa: F821

    _fails("relu_forward", broken, r"raised NameError: name 'undefined_name' is not defined")

    def exits(x):
        sys.exit(3)

    _fails("relu_forward", exits, r"raised SystemExit")


def test_a_correct_noisy_answer_passes_and_nothing_reaches_stderr(capfd):
    def noisy(x):
        print("debug line", file=sys.stderr)
        print("debug on stdout")
        warnings.warn("just a warning")
        import os

        os.write(2, b"raw write to fd 2\n")
        return np.where(x > 0, x, 0.0), x

    assert check("relu_forward", noisy, hidden=True)
    out, err = capfd.readouterr()
    assert err == "" and "debug" not in out


def test_bad_usage_of_check():
    with pytest.raises(KeyError, match="no op named 'relux_forward'"):
        check("relux_forward", relu_forward)
    with pytest.raises(ValueError, match="ending in _forward or _backward"):
        check("relu", relu_forward)
    with pytest.raises(TypeError, match="fn must be your function"):
        check("relu_forward", None)


def test_cases_are_fixed_and_hidden_adds_more():
    spec = ops.REGISTRY["softmax"]
    a, b = spec.make_cases(), spec.make_cases()
    assert [c.label for c in a] == [c.label for c in b]
    assert all(np.array_equal(x.inputs["x"], y.inputs["x"]) for x, y in zip(a, b))
    assert len(spec.make_cases(hidden=True)) > len(a)


# ------------------------------------------------------------------ regrade: the autograder's re-run

SETUP = ["import numpy as np\nfrom coursekit import check\nnp.random.seed(0)\n%matplotlib inline\n"]
TESTS = {
    "relu_forward": 'check("relu_forward", relu_forward)\ncheck("relu_forward", relu_forward, hidden=True)',
    "relu_backward": 'check("relu_backward", relu_backward, forward=relu_forward, hidden=True)',
}
RIGHT = "def relu_forward(x):\n    return np.where(x > 0, x, 0.0), x\n\ndef relu_backward(dout, cache):\n    return dout * (cache > 0)\n"
WRONG = "def relu_forward(x):\n    return x, x\n\ndef relu_backward(dout, cache):\n    return dout\n"

HOSTILE = {
    "np.allclose and array_equal patched": "np.allclose = lambda *a, **k: True\nnp.array_equal = lambda *a, **k: True\n" + WRONG,
    "check rebound": "def check(*a, **k):\n    print('passed')\n" + WRONG,
    "coursekit patched": ("import coursekit.compare, coursekit.grading, coursekit.ops\n"
                          "coursekit.compare.compare = lambda *a, **k: True\n"
                          "coursekit.grading.check = lambda *a, **k: None\ncoursekit.ops.REGISTRY.clear()\n" + WRONG),
    "sys.modules swapped": "import sys, types\nsys.modules['coursekit.grading'] = types.SimpleNamespace(check=lambda *a, **k: None)\n" + WRONG,
    "torch patched": "import torch\ntorch.allclose = lambda *a, **k: True\n" + WRONG,
    "tracebacks silenced": "import sys\nsys.excepthook = lambda *a: None\nget_ipython().showtraceback = lambda *a, **k: None\n" + WRONG,
    "fake passed print": "print('check relu_forward: 11/11 cases pass')\n" + WRONG,
    "patch at call time": ("def relu_forward(x):\n    import coursekit.compare\n    coursekit.compare.compare = lambda *a, **k: True\n"
                           "    return x, x\n\ndef relu_backward(dout, cache):\n    return dout\n"),
    "patch in a default argument": ("import sys\ndef relu_forward(x, _=setattr(sys.modules['numpy'], 'array_equal', lambda *a, **k: True)):\n"
                                    "    return x, x\n\ndef relu_backward(dout, cache):\n    return dout\n"),
    "calls the reference": "from coursekit.reference.activations import relu_forward, relu_backward\n",
    "calls torch": ("import torch\ndef relu_forward(x):\n    return torch.relu(torch.from_numpy(x)).numpy(), x\n\n"
                    "def relu_backward(dout, cache):\n    return dout * torch.from_numpy(cache > 0).numpy()\n"),
    "sys.exit": "import sys\ndef relu_forward(x):\n    sys.exit(0)\n\ndef relu_backward(dout, cache):\n    sys.exit(0)\n",
    "os._exit": "import os\ndef relu_forward(x):\n    os._exit(0)\n\ndef relu_backward(dout, cache):\n    os._exit(1)\n",
    "memory bomb": "def relu_forward(x):\n    return [bytearray(10**9) for _ in range(100)], x\n\ndef relu_backward(dout, cache):\n    return dout\n",
}


@pytest.mark.parametrize("label", sorted(HOSTILE))
def test_regrade_gives_no_credit_to_a_hostile_wrong_answer(label):
    verdicts = regrade(SETUP, [HOSTILE[label]], TESTS, timeout=20)
    assert set(verdicts) == set(TESTS)
    for grade_id, v in verdicts.items():
        assert not v.passed, f"{label}: {grade_id} passed"
        assert v.message


def test_regrade_gives_full_credit_to_a_right_answer_even_a_noisy_one():
    noisy = ("import sys, warnings\nprint('experimenting', file=sys.stderr)\n"
             "def relu_forward(x):\n    print('dbg', file=sys.stderr)\n    warnings.warn('hmm')\n    return np.maximum(x, 0.0), x\n")
    backward = "def relu_backward(dout, cache):\n    return np.where(cache > 0, dout, 0.0)\nrelu_backward(np.ones(2), np.ones(2))\n"
    verdicts = regrade(SETUP, [noisy, backward], TESTS, timeout=20)
    assert all(v.passed for v in verdicts.values()), verdicts


def test_regrade_endless_loop_that_ignores_sigint_times_out():
    loop = ("def relu_forward(x):\n    while True:\n        try:\n            pass\n        except KeyboardInterrupt:\n"
            "            pass\n\ndef relu_backward(dout, cache):\n    return dout * (cache > 0)\n")
    verdicts = regrade(SETUP, [loop], {"relu_forward": TESTS["relu_forward"]}, timeout=3)
    assert "did not finish within 3 s" in verdicts["relu_forward"].message


def test_regrade_explains_a_missing_or_broken_function():
    verdicts = regrade(SETUP, ["def relu_forward(x)\n    return x\n"], TESTS, timeout=20)
    assert "SyntaxError" in verdicts["relu_forward"].message
    verdicts = regrade(SETUP, [RIGHT.replace("def relu_backward", "def relu_back")], TESTS, timeout=20)
    assert verdicts["relu_forward"].passed
    assert "relu_backward" in verdicts["relu_backward"].message and not verdicts["relu_backward"].passed


def test_regrade_grades_update_rules_in_the_sandbox():
    right = ("def sgd_step(param, grad, state=None, *, lr=1e-3, momentum=0.0, dampening=0.0, nesterov=False,\n"
             "             weight_decay=0.0):\n"
             "    g = grad + weight_decay * param\n"
             "    if momentum:\n"
             "        buf = g.copy() if state is None else momentum * state['buf'] + (1 - dampening) * g\n"
             "        g = g + momentum * buf if nesterov else buf\n"
             "        state = {'buf': buf}\n"
             "    return param - lr * g, state\n")
    wrong = right.replace("(1 - dampening) * g", "g")
    tests = {"sgd": 'check("sgd_step", sgd_step, hidden=True)'}
    assert regrade(SETUP, [right], tests, timeout=20)["sgd"].passed
    verdict = regrade(SETUP, [wrong], tests, timeout=20)["sgd"]
    assert not verdict.passed and "dampening=0.5" in verdict.message


# ------------------------------------------------------------------ train_check: a training run with your rule

@pytest.mark.parametrize("name", sorted(ops.STEPS))
@pytest.mark.parametrize("hidden", [False, True])
def test_train_check_passes_a_right_rule_with_a_margin(name, hidden, capsys):
    result = train_check(f"{name}_step", STUDENT[f"{name}_step"], hidden=hidden)
    assert result.passed
    table = capsys.readouterr().out.splitlines()
    final = table[-1].split()
    assert final[1] == final[2]  # the same trajectory as the reference, to the printed digit
    assert float(final[2]) >= 0.955, f"the reference run leaves too little margin over the 95% target: {final}"


def test_train_check_fails_a_wrong_rule_and_a_crashing_one():
    def adam_too_slow(param, grad, state=None, *, lr=1e-3, **hyper):
        return param - 1e-3 * lr * grad, state

    with pytest.raises(AssertionError, match=r"adam_step trained the MLP to .* the target is 95%"):
        train_check("adam_step", adam_too_slow, quiet=True)

    def crashes(param, grad, state=None, **hyper):
        return param

    with pytest.raises(AssertionError, match=r"failed during training: .*must return \(param, state\)"):
        train_check("sgd_step", crashes, quiet=True)
    with pytest.raises(ValueError, match="update rule"):
        train_check("relu_forward", crashes)


def test_train_check_runs_in_the_sandbox():
    right = ("def sgd_step(param, grad, state=None, *, lr=1e-3, momentum=0.0, dampening=0.0, nesterov=False,\n"
             "             weight_decay=0.0):\n"
             "    buf = grad.copy() if state is None else momentum * state + grad\n"
             "    return param - lr * buf, buf\n")
    tests = {"train": 'train_check("sgd_step", sgd_step)'}
    assert regrade(SETUP, [right], tests, timeout=60)["train"].passed
    verdict = regrade(SETUP, [right.replace("lr * buf", "lr * 0.01 * buf")], tests, timeout=60)["train"]
    assert not verdict.passed and "the target is 95%" in verdict.message
    verdict = regrade(SETUP, ["import os\n" + right.replace("return", "os._exit(0)\n    return")], tests, timeout=60)
    assert not verdict["train"].passed and "ended the grading process" in verdict["train"].message


def test_ops_of_several_outputs_are_graded_on_each_output():
    """An LSTM cell returns (h_next, c_next) and its backward takes (dh_next, dc_next, cache)."""
    right_fwd, right_bwd = STUDENT["lstm_cell_forward"], STUDENT["lstm_cell_backward"]
    assert check("lstm_cell_forward", right_fwd, quiet=True).passed
    assert check("lstm_cell_backward", right_bwd, forward=right_fwd, quiet=True).passed

    def only_h(x, h, c, weight_ih, weight_hh, bias_ih=None, bias_hh=None):
        (h_next, _), cache = right_fwd(x, h, c, weight_ih, weight_hh, bias_ih, bias_hh)
        return h_next, cache

    _fails("lstm_cell_forward", only_h, r"should return \(\(h_next, c_next\), cache\)")

    def gates_ifog(x, h, c, weight_ih, weight_hh, bias_ih=None, bias_hh=None):  # the other common order
        H = h.shape[1]
        perm = np.r_[0:2 * H, 3 * H:4 * H, 2 * H:3 * H]
        b = [None if v is None else v[perm] for v in (bias_ih, bias_hh)]
        return right_fwd(x, h, c, weight_ih[perm], weight_hh[perm], *b)

    msg = _fails("lstm_cell_forward", gates_ifog, r"h_next: .* differ")
    assert "i, f, g, o" in msg  # the hint names PyTorch's order

    def forgets_dc_from_h(dh_next, dc_next, cache):  # dc = dc_next only: the path through h_next is lost
        return right_bwd(np.zeros_like(dh_next), dc_next, cache)

    _fails("lstm_cell_backward", forgets_dc_from_h, r"dx: .* differ", forward=right_fwd)

    def modifies_dc_next(dh_next, dc_next, cache):
        dc_next += 0.0 * dh_next + 1.0
        return right_bwd(dh_next, dc_next - 1.0, cache)

    _fails("lstm_cell_backward", modifies_dc_next, r"modified its input `dc_next` in place", forward=right_fwd)
