"""PyTorch's expected answers are computed once (per process, and per autograde run in a file),
reused only while everything they depend on is the same, and never trusted from a file whose
bytes do not match the digest the driver gave."""
from __future__ import annotations

import hashlib
import pickle

import numpy as np
import pytest

from coursekit import grading, ops
from coursekit.grading import expectations
from coursekit.grading.expectations import ENV

NAME = "relu_forward"


def relu_forward(x):  # a student's right answer
    return np.maximum(x, 0), x


def relu_wrong(x):  # a student's wrong answer: 0.5 x for negatives
    return np.where(x > 0, x, 0.5 * x), x


@pytest.fixture(autouse=True)
def fresh(monkeypatch):
    """No memo, no store and the CPU for every test; the count of expectations computed."""
    monkeypatch.setattr(expectations, "_MEMO", {})
    monkeypatch.setattr(expectations, "_STORE", {})
    monkeypatch.setenv("COURSEKIT_DEVICE", "cpu")
    monkeypatch.delenv(ENV, raising=False)
    computed = []
    real = expectations.compute

    def counting(spec, mode, cases, device):
        computed.append((spec.name, mode, len(cases), device))
        return real(spec, mode, cases, device)

    monkeypatch.setattr(expectations, "compute", counting)
    return computed


def test_a_kernel_session_computes_each_op_once(fresh):
    for _ in range(3):
        grading.check(NAME, relu_forward, quiet=True)
    grading.check(NAME, relu_forward, hidden=True, quiet=True)
    grading.check("relu_backward", lambda dout, cache: dout * (cache > 0), quiet=True)
    assert [c[:2] for c in fresh] == [("relu", "forward"), ("relu", "forward"), ("relu", "backward")]


def test_the_cached_answers_still_fail_a_wrong_function(fresh):
    grading.check(NAME, relu_forward, quiet=True)
    with pytest.raises(AssertionError, match=r"(?s)relu_forward is wrong .* on cpu, float64"):
        grading.check(NAME, relu_wrong, quiet=True)
    assert len(fresh) == 1


def test_a_backward_that_mutates_the_cache_does_not_spoil_the_next_check(fresh):
    def vandal(dout, cache):
        cache[...] = 0  # the reference's cache, handed to the student's backward
        return dout * 0

    with pytest.raises(AssertionError):
        grading.check("relu_backward", vandal, quiet=True)
    assert grading.check("relu_backward", lambda dout, cache: dout * (cache > 0), quiet=True)


@pytest.mark.parametrize("change", ["torch version", "numpy version", "device", "cases", "registry source"])
def test_the_key_changes_with_everything_the_answers_depend_on(change, monkeypatch):
    spec, _ = ops.get(NAME)
    cases = spec.make_cases(False)
    before = expectations.key(spec.name, "forward", False, "cpu", cases)
    device = "cpu"
    if change.endswith("version"):
        real = expectations._version
        monkeypatch.setattr(expectations, "_version", lambda d: "9.9.9" if d == change.split()[0] else real(d))
    elif change == "device":
        device = "cuda"
    elif change == "cases":
        cases = list(cases)
        cases[0] = ops.Case(cases[0].label, {"x": cases[0].inputs["x"] + 1e-12})
    else:
        monkeypatch.setattr(expectations, "_SOURCE_DIGEST", ["another registry"])
    assert expectations.key(spec.name, "forward", False, device, cases) != before


def test_the_fingerprint_covers_the_registry_and_every_reference_module(monkeypatch, tmp_path):
    monkeypatch.setattr(expectations, "_SOURCE_DIGEST", [])
    first = expectations.fingerprint()
    pkg = tmp_path / "pkg"
    (pkg / "reference").mkdir(parents=True)
    (pkg / "ops").mkdir()
    (pkg / "ops" / "activations.py").write_text("# registry\n")
    (pkg / "reference" / "activations.py").write_text("def relu_forward(x): ...\n")
    monkeypatch.setattr(expectations, "_PACKAGE", pkg)
    monkeypatch.setattr(expectations, "_SOURCE_DIGEST", [])
    copy = expectations.fingerprint()
    (pkg / "reference" / "activations.py").write_text("def relu_forward(x): return x\n")
    monkeypatch.setattr(expectations, "_SOURCE_DIGEST", [])
    edited_reference = expectations.fingerprint()
    (pkg / "ops" / "activations.py").write_text("# registry, edited\n")
    monkeypatch.setattr(expectations, "_SOURCE_DIGEST", [])
    assert len({first, copy, edited_reference, expectations.fingerprint()}) == 4


def test_the_autograders_file_is_used_and_nothing_is_computed(fresh, tmp_path, monkeypatch):
    value = expectations.write_store(tmp_path / "e.pkl", ["relu_forward", "relu_backward", "sgd_step", "nope_forward"],
                                     "cpu")
    assert (tmp_path / "e.pkl").stat().st_mode & 0o222 == 0  # read-only
    n = len(fresh)
    assert n == 6  # 3 known names, visible and hidden case sets
    monkeypatch.setenv(ENV, value)
    monkeypatch.setattr(expectations, "_MEMO", {})
    grading.check(NAME, relu_forward, hidden=True, quiet=True)
    grading.check("sgd_step", _sgd(), quiet=True)
    assert len(fresh) == n, "a check() recomputed what the file holds"
    with pytest.raises(AssertionError):
        grading.check(NAME, relu_wrong, quiet=True)


def _sgd():
    """A student's plain SGD (the reference would be refused: check() forbids calling it)."""
    def sgd_step(param, grad, state, lr=1e-3, momentum=0.0, dampening=0.0, nesterov=False, weight_decay=0.0):
        g = grad + weight_decay * param
        if momentum:
            buf = g if state is None else momentum * state + (1 - dampening) * g
            g, state = (g + momentum * buf if nesterov else buf), buf
        return param - lr * g, state
    return sgd_step


def _forged_store(path, wrong_fn):
    """A store whose expected values are what `wrong_fn` returns: what a cheat would write."""
    spec, _ = ops.get(NAME)
    entries = {}
    for hidden in (False, True):
        cases = spec.make_cases(hidden)
        right = expectations.compute(spec, "forward", cases, "cpu")
        values = [({"out": wrong_fn(c.inputs["x"])[0]}, {"out": wrong_fn(c.inputs["x"])[0]}) for c in cases]
        entries[expectations.key(spec.name, "forward", hidden, "cpu", cases)] = \
            expectations.Expected(right.cases, right.jobs, values, "cpu")
    data = pickle.dumps(entries)
    path.write_bytes(data)
    return hashlib.sha256(data).hexdigest()


def test_a_tampered_file_is_ignored(fresh, tmp_path, monkeypatch):
    """The driver's digest is in the environment; a file rewritten afterwards (to make a wrong
    answer right) no longer matches it, and check() computes the answers itself."""
    value = expectations.write_store(tmp_path / "e.pkl", [NAME], "cpu")
    (tmp_path / "e.pkl").chmod(0o644)
    _forged_store(tmp_path / "e.pkl", relu_wrong)
    monkeypatch.setenv(ENV, value)
    with pytest.raises(AssertionError, match="relu_forward is wrong"):
        grading.check(NAME, relu_wrong, quiet=True)
    assert grading.check(NAME, relu_forward, quiet=True)


def test_a_file_with_its_own_digest_fools_only_the_process_that_trusts_it(fresh, tmp_path, monkeypatch):
    """Student code in the kernel can point the variable at a file of its own: that changes its
    own kernel's check() only; the re-run runs in nbgrader's process, whose environment it cannot
    touch. Here: the same process, with the driver's value, computes the truth."""
    forged = tmp_path / "mine.pkl"
    digest = _forged_store(forged, relu_wrong)
    monkeypatch.setenv(ENV, f"{forged}#{digest}")
    assert grading.check(NAME, relu_wrong, quiet=True)  # the kernel that trusts it is fooled...
    monkeypatch.setattr(expectations, "_MEMO", {})
    monkeypatch.setenv(ENV, f"{forged}#{'0' * 64}")  # ...a reader holding the driver's digest is not
    with pytest.raises(AssertionError, match="relu_forward is wrong"):
        grading.check(NAME, relu_wrong, quiet=True)


def test_a_stale_entry_is_not_used(fresh, tmp_path, monkeypatch):
    value = expectations.write_store(tmp_path / "e.pkl", [NAME], "cpu")
    monkeypatch.setenv(ENV, value)
    monkeypatch.setattr(expectations, "_version", lambda d: "0.0.1")  # torch upgraded since
    n = len(fresh)
    grading.check(NAME, relu_forward, quiet=True)
    assert len(fresh) == n + 1


def test_check_names_are_read_from_test_cells():
    src = ['check("relu_forward", relu_forward)\n### BEGIN HIDDEN TESTS\ncheck( "relu_backward", f, hidden=True)',
           "train_check('adam_step', adam_step)\nmy.check('x_forward', f)"]
    assert expectations.check_names(src) == ["relu_backward", "relu_forward"]
