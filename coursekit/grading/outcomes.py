"""One typed vocabulary for what grading found: why a case, a cell or a submission lost its points
or was not graded.

Every report reads the `Kind`, never the wording: the CSV and JSON reports, the integrity report,
the gradebook's comments (`tag`/`parse`) and the feedback. Every sentence an instructor or a
student reads about a failure comes from `MESSAGES`, so rewording one changes nothing else
(tests/test_outcomes.py rewords them all). This module imports only the standard library: the
driver, nbgrader's process and the sandbox's parent all use it.
"""
from __future__ import annotations

import enum
import re
from dataclasses import dataclass

# what feedback shows of the hidden cases: the autograder's --hidden-cases, read by check() (checker.py)
HIDDEN_ENV = "COURSEKIT_HIDDEN_CASES"
HIDDEN_POLICIES = ("none", "count", "names")


class Kind(str, enum.Enum):
    # a submission scored 0, by its own doing
    KERNEL_DIED = "kernel died"
    IGNORED_INTERRUPT = "ignored interrupt"
    STUDENT_TIMEOUT = "student timeout"
    GRADER_KILLED = "grader killed"
    NO_NOTEBOOK = "no notebook"
    UNREADABLE = "unreadable notebook"
    # a submission left ungraded by the grader (nothing recorded: the next run grades it)
    GRADER_FAULT = "grader fault"
    NOT_REACHED = "not reached"
    NOT_STARTED = "not started"
    TASK_LOST = "task lost"
    # a grade cell that lost its points
    WRONG = "wrong answer"
    FORBIDDEN_CALL = "forbidden call"
    MODIFIED_INPUT = "modified input"
    TIMEOUT = "timeout"
    CRASH = "crash"
    MEMORY = "memory limit"
    ERROR = "error"

    @property
    def by_student(self) -> bool:
        """A submission's own doing (recorded as 0), not the grader's (left ungraded)."""
        return self not in (Kind.GRADER_FAULT, Kind.NOT_REACHED, Kind.NOT_STARTED, Kind.TASK_LOST)


MESSAGES = {
    Kind.KERNEL_DIED: "the kernel died while running the notebook (os._exit, a crash, or too much memory)",
    Kind.IGNORED_INTERRUPT: ("a cell was still running{after} and ignored the interrupt (an endless loop that "
                             "catches KeyboardInterrupt or ignores SIGINT?)"),
    Kind.STUDENT_TIMEOUT: ("grading took longer than {seconds:g} s and was stopped (the notebook hangs: an endless "
                           "loop, or a kernel that does not respond)"),
    Kind.GRADER_KILLED: ("the grading process (nbgrader) was killed by signal {signal} while it graded this "
                         "submission (did the notebook kill it?)"),
    Kind.NO_NOTEBOOK: "the submission holds none of the assignment's notebooks (renamed?)",
    Kind.UNREADABLE: "the submitted notebook cannot be read ({error})",
    Kind.GRADER_FAULT: "nbgrader failed while grading this submission ({error})",
    Kind.NOT_REACHED: "not reached within the autograde run's time limit ({seconds:g} s)",
    Kind.NOT_STARTED: "nbgrader did not start grading this submission (see the log)",
    Kind.TASK_LOST: "the Dask task grading this submission failed ({error})",
}


@dataclass(frozen=True)
class Failure:
    """Why a whole submission got no grade: its kind and the sentence shown for it."""

    kind: Kind
    reason: str

    @classmethod
    def of(cls, kind: Kind, **fields) -> Failure:
        return cls(kind, MESSAGES[kind].format(**fields)[:500])

    @property
    def by_student(self) -> bool:
        return self.kind.by_student


_TAG = re.compile(r"^\[([a-z ]+)\] ")


def tag(failure: Failure) -> str:
    """A failure as text that keeps its kind (a gradebook comment): "[kernel died] the kernel ..."."""
    return f"[{failure.kind.value}] {failure.reason}"


def parse(text: str) -> Failure:
    """The Failure `tag()` wrote (text without a known tag: an untyped failure of the grader's)."""
    m = _TAG.match(text)
    if m:
        try:
            return Failure(Kind(m.group(1)), text[m.end():])
        except ValueError:
            pass
    return Failure(Kind.GRADER_FAULT, text)


class CheckFailed(AssertionError):
    """check()'s failure: an AssertionError (nbgrader scores the cell 0) that carries why (`kind`) and
    the known mistake it recognised (`mistake`, "" when none). A notebook shows its message alone,
    first and without frames of coursekit (IPython renders an exception by its `_render_traceback_`)."""

    kind = Kind.WRONG
    mistake = ""

    def _render_traceback_(self) -> list:
        first, *rest = str(self).splitlines() or [""]
        return [f"\x1b[0;31m{type(self).__name__}\x1b[0m: {first}", *rest]


def failed(message: str, kind: Kind, mistake: str = "") -> CheckFailed:
    """check()'s failure with its Kind and the name of the mistake it recognised."""
    error = CheckFailed(message)
    error.kind, error.mistake = kind, mistake
    return error


def kind_of(error: BaseException) -> Kind:
    """The Kind a failing test cell's exception carries (an AssertionError of check(): its own)."""
    if isinstance(error, AssertionError):
        return getattr(error, "kind", Kind.WRONG)
    return Kind.ERROR


def kernel_kind(ename: str) -> Kind | None:
    """The kind of an error the grading kernel raised, from its exception's type name."""
    return {"MemoryError": Kind.MEMORY, "CellTimeoutError": Kind.TIMEOUT, "KeyboardInterrupt": Kind.TIMEOUT,
            "DeadKernelError": Kind.CRASH}.get(ename)
