"""What feedback shows of the hidden cases, the instructor's choice (`--hidden-cases`): nothing, a
count (the default), or each case's name and shapes."""
from __future__ import annotations

import numpy as np
import pytest

from coursekit import ops
from coursekit.grading import check
from coursekit.grading.outcomes import HIDDEN_ENV

SPEC, _ = ops.get("relu_forward")
VISIBLE = [c.label for c in SPEC.make_cases()]
HIDDEN = [c.label for c in SPEC.make_cases(hidden=True) if c.hidden]


def relu_forward(x):
    return np.maximum(x, 0.0), x


def wrong_after(n):
    """relu, right on its first `n` calls (check() runs the visible cases first), wrong after."""
    calls = []

    def relu(x):
        calls.append(1)
        out, cache = relu_forward(x)
        return (out if len(calls) <= n else out + 1.0), cache

    return relu


def test_the_hidden_cases_are_marked_and_come_after_the_visible_ones():
    cases = SPEC.make_cases(hidden=True)
    assert HIDDEN and [c.hidden for c in cases] == [False] * len(VISIBLE) + [True] * len(HIDDEN)


@pytest.mark.parametrize("policy", ["none", "count", "names"])
def test_the_table_shows_the_hidden_cases_as_the_policy_says(policy, monkeypatch, capsys):
    monkeypatch.setenv(HIDDEN_ENV, policy)
    check("relu_forward", lambda x: relu_forward(x), hidden=True)
    out = capsys.readouterr().out
    assert all(label in out for label in VISIBLE)
    named = [label for label in HIDDEN if label not in VISIBLE and label in out]
    assert bool(named) == (policy == "names"), out
    assert (f"and {len(HIDDEN)}/{len(HIDDEN)} hidden cases pass" in out) == (policy == "count"), out
    assert ("hidden" in out) == (policy != "none"), out


@pytest.mark.parametrize("policy", ["none", "count", "names"])
def test_a_failure_on_a_hidden_case_says_as_much_as_the_policy_allows(policy, monkeypatch):
    monkeypatch.setenv(HIDDEN_ENV, policy)
    with pytest.raises(AssertionError) as e:
        check("relu_forward", wrong_after(len(VISIBLE)), hidden=True, quiet=True)
    msg = str(e.value)
    first_hidden = SPEC.make_cases(hidden=True)[len(VISIBLE)]
    if policy == "names":
        assert first_hidden.describe() in msg
    elif policy == "count":
        assert f"hidden case 1 of {len(HIDDEN)}: out: " in msg and "values differ" in msg and "index" not in msg
        assert str(first_hidden.inputs["x"].shape) not in msg.split("hidden case")[1].split(":")[0]
        assert first_hidden.label not in msg
    else:
        assert "beyond the visible ones" in msg and "hidden case 1" not in msg and first_hidden.label not in msg


def test_a_failure_on_a_visible_case_is_shown_in_full_whatever_the_policy(monkeypatch):
    monkeypatch.setenv(HIDDEN_ENV, "none")
    with pytest.raises(AssertionError) as e:
        check("relu_forward", wrong_after(0), hidden=True, quiet=True)
    assert SPEC.make_cases()[0].describe() in str(e.value)


def test_an_unknown_policy_falls_back_to_the_count(monkeypatch, capsys):
    monkeypatch.setenv(HIDDEN_ENV, "everything")
    check("relu_forward", lambda x: relu_forward(x), hidden=True)
    assert "hidden cases pass" in capsys.readouterr().out
