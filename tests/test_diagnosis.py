"""The diagnoses that need no catalogue (coursekit/grading/diagnosis.py), through check(): each wrong
answer below matches no catalogued mistake of its op, and check() says what it has in common with
the right one, first, with no hidden value."""
import numpy as np
import pytest

from coursekit import check
from coursekit.grading.outcomes import HIDDEN_ENV


def relu_forward(x):
    return np.maximum(x, 0.0), x


def sigmoid_forward(x):
    s = 1.0 / (1.0 + np.exp(-x))
    return s, s


def _permuted_conv2d():
    """A conv2d forward whose output is (N, H, W, C): the reference's answers, worked out beforehand
    and looked up (the student's function may not call the reference)."""
    from test_mistakes import _embodying

    from coursekit.ops import Mistake, get

    spec, _ = get("conv2d_forward")
    nhwc = Mistake("nhwc", "", lambda spec, case, mode: spec.run_forward(case)[0].transpose(0, 2, 3, 1).copy()
                   if mode == "forward" else None)
    return _embodying(spec, nhwc, "forward")[0]


WRONG = {
    "off by a factor 2": ("sigmoid_forward", lambda x: (2 * sigmoid_forward(x)[0], x), None),
    "the sign flipped": ("tanh_backward", lambda dout, cache: -dout * (1 - cache ** 2),
                         lambda x: (np.tanh(x), np.tanh(x))),
    "off by a factor N (the batch size)": (
        "relu_backward", lambda dout, x: dout * (x > 0) * x.shape[0], relu_forward),
    "transposed": ("relu_forward", lambda x: (np.swapaxes(np.maximum(x, 0.0), -1, -2).copy(), x)
                   if x.ndim > 1 else (np.maximum(x, 0.0), x), None),
    "the axes in another order": ("conv2d_forward", _permuted_conv2d(), None),
    "not numerically stable": ("relu_forward", lambda x: (np.maximum(x, 0.0) * np.exp(x) / np.exp(x), x), None),
    "wrong only at kinks and ties": ("relu_backward", lambda dout, x: dout * ((x > 0) + 0.5 * (x == 0)),
                                     relu_forward),
    "right on the examples only": ("relu_forward", lambda x: (
        np.maximum(x, 0.0).reshape(x.shape[0], -1) if x.ndim > 3 else np.maximum(x, 0.0), x), None),
}


@pytest.mark.parametrize("clue", list(WRONG))
def test_a_wrong_answer_gets_the_generic_clue_that_fits(clue, monkeypatch):
    monkeypatch.setenv(HIDDEN_ENV, "count")
    name, fn, forward = WRONG[clue]
    with np.errstate(all="ignore"), pytest.raises(AssertionError) as e:
        check(name, fn, forward=forward, hidden=True, quiet=True)
    message = str(e.value)
    assert message.startswith(f"A clue ({clue}): "), message
    assert not e.value.mistake  # a clue, not a catalogued mistake


def test_the_hidden_only_clue_describes_the_cases_without_their_values(monkeypatch):
    monkeypatch.setenv(HIDDEN_ENV, "count")
    with pytest.raises(AssertionError) as e:
        check("relu_forward", WRONG["right on the examples only"][1], hidden=True, quiet=True)
    message = str(e.value)  # the clue, then the failure without the hidden case's shapes or values
    assert "x has 4 dimensions" in message.splitlines()[0], message
    assert "(2, 4, 3, 2)" not in message and "(2, 24)" not in message and "expected" not in message, message


def test_right_answers_and_unrelated_wrong_ones_get_no_clue():
    assert check("relu_forward", relu_forward, hidden=True, quiet=True).passed
    with pytest.raises(AssertionError) as e:  # noise: nothing in common with the right answer
        check("relu_forward", lambda x: (np.maximum(x, 0.0) + 0.1 * np.cos(x), x), quiet=True)
    assert not str(e.value).startswith(("A clue", "This looks like")), str(e.value)
