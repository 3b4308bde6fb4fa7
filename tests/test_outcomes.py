"""The reports read the typed kind of a failure, never its wording: every message reworded, nothing
else changes."""
from __future__ import annotations

import re

import numpy as np
import pytest

from coursekit.grading import check, integrity, outcomes
from coursekit.grading.course import Course
from coursekit.grading.driver import Outcome, explain
from coursekit.grading.outcomes import CheckFailed, Failure, Kind, parse, tag

# nbgrader's last exception lines (nbgrader's own words and exception type names)
LINES = {
    "nbclient.exceptions.DeadKernelError: Kernel died": Kind.KERNEL_DIED,
    "nbclient.exceptions.CellTimeoutError: A cell timed out while it was being executed": Kind.IGNORED_INTERRUPT,
    "nbgrader.converters.base.NbGraderException: No notebooks found": Kind.NO_NOTEBOOK,
    "nbformat.reader.NotJSONError: Notebook does not appear to be JSON": Kind.UNREADABLE,
    "sqlalchemy.exc.OperationalError: (sqlite3.OperationalError) unable to open database file": Kind.GRADER_FAULT,
    "": Kind.GRADER_FAULT,
}


def _reworded():
    """Every message replaced by one that shares no word with it (its fields kept)."""
    return {k: "«" + " ".join("{%s}" % f for f in re.findall(r"{(\w+)", v)) + "»" for k, v in outcomes.MESSAGES.items()}


@pytest.fixture(params=["as written", "reworded"])
def wording(request, monkeypatch):
    if request.param == "reworded":
        monkeypatch.setattr(outcomes, "MESSAGES", _reworded())
    return request.param


def test_kinds_do_not_depend_on_the_wording(wording):
    got = {line: explain(line, 30).kind for line in LINES}
    assert got == LINES
    for kind in outcomes.MESSAGES:
        fields = {f: 1 for f in re.findall(r"{(\w+)", outcomes.MESSAGES[kind])}
        failure = Failure.of(kind, **fields)
        assert parse(tag(failure)) == failure  # what the gradebook's comment keeps
        assert failure.by_student == (kind in (Kind.KERNEL_DIED, Kind.IGNORED_INTERRUPT, Kind.STUDENT_TIMEOUT,
                                               Kind.GRADER_KILLED, Kind.NO_NOTEBOOK, Kind.UNREADABLE))


def test_the_integrity_report_reads_kinds(wording, tmp_path):
    course = Course(tmp_path, db=f"sqlite:///{tmp_path / 'gradebook.db'}")
    found = {}
    for kind in (Kind.KERNEL_DIED, Kind.GRADER_KILLED, Kind.STUDENT_TIMEOUT, Kind.IGNORED_INTERRUPT):
        fields = {f: 1 for f in re.findall(r"{(\w+)", outcomes.MESSAGES[kind])}
        failure = Failure.of(kind, **fields)
        o = Outcome("s", "failed", reason=failure.reason, kind=failure.kind.value,
                    cells={"t1": {"message": "whatever it says", "kinds": [Kind.MEMORY.value]},
                           "t2": {"message": "", "kinds": [Kind.FORBIDDEN_CALL.value, Kind.TIMEOUT.value]}})
        found[kind] = sorted(f.kind for f in integrity.submission_findings(course, "a", "s", o))
    assert found == {
        Kind.KERNEL_DIED: ["forbidden call", "kernel died", "memory limit", "timeout"],
        Kind.GRADER_KILLED: ["forbidden call", "grader killed", "memory limit", "timeout"],
        Kind.STUDENT_TIMEOUT: ["forbidden call", "memory limit", "timeout", "timeout"],
        Kind.IGNORED_INTERRUPT: ["forbidden call", "memory limit", "timeout", "timeout"],
    }


def test_an_old_untagged_comment_is_read_as_the_graders():
    assert parse("the kernel died while running the notebook") == \
        Failure(Kind.GRADER_FAULT, "the kernel died while running the notebook")


@pytest.mark.parametrize(("fn", "kind"), [
    (lambda x: (np.maximum(x, 0) + 1, x), Kind.WRONG),
    (lambda x: np.maximum(x, 0), Kind.WRONG),  # not (out, cache)
    (lambda x: (x.__setitem__(..., 0), x)[1:] * 2, Kind.MODIFIED_INPUT),
    (lambda x: (np.ones(2 ** 40), x), Kind.MEMORY),
    (lambda x: (1 / 0, x), Kind.ERROR),
    (lambda x: (__import__("torch").relu(__import__("torch").tensor(x)).numpy(), x), Kind.FORBIDDEN_CALL),
])
def test_check_failures_carry_their_kind(fn, kind):
    with pytest.raises(AssertionError) as e:
        check("relu_forward", fn, quiet=True)
    assert type(e.value) is CheckFailed and e.value.kind == kind


def test_the_reruns_verdicts_carry_kinds_too():
    """In the sandbox, an answer that imports the reference (so its names never exist), one that
    loops for ever and one that is simply wrong: the verdicts say which."""
    from coursekit.grading import regrade

    setup = ["import numpy as np\nfrom coursekit import check"]
    answers = {"imports the reference": "from coursekit.reference.activations import relu_forward",
               "loops": "def relu_forward(x):\n    while True:\n        pass",
               "wrong": "def relu_forward(x):\n    return np.abs(x), x"}
    kinds = {label: regrade(setup, [src], {"t": "check('relu_forward', relu_forward)"}, timeout=5)["t"].kind
             for label, src in answers.items()}
    assert kinds == {"imports the reference": Kind.FORBIDDEN_CALL, "loops": Kind.TIMEOUT, "wrong": Kind.WRONG}
