"""The grading side of coursekit: one module per place it runs (architecture.md has the picture).

    checker.py        check(), train_check(), regrade()  the student's kernel; regrade() inside nbgrader
    expectations.py   the reference's and PyTorch's answers, once per session / per run
    outcomes.py       the typed vocabulary of what grading found (Kind, Failure, MESSAGES)
    sandbox.py        student functions run in process, or in the sandbox child (`_child_main`)
    isolation.py      the sandbox: bubblewrap, an unprivileged user, no network, no course
    warmkernel.py     kernels forked from a zygote (the manager in nbgrader, the zygote in the sandbox)
    preprocessors.py  nbgrader's preprocessors: the re-run, unknown cells, clean feedback
    answerkey.py      the answer key's text, redacted from feedback
    course.py         the course folder (config, submissions, gradebook) and running nbgrader there
    procs.py          watched processes: whole trees killed on a deadline, the memory limit
    driver.py         `coursekit autograde`: nbgrader runs per batch, failures vs grader faults, reports
    dask.py           the same on Dask workers, one gradebook writer
    integrity.py      the integrity report

This package stays light to import (the sandbox child imports `coursekit.grading.sandbox`):
`check`, `train_check`, `regrade` and `CheckResult` are loaded on first use.
"""

_CHECKER = ("check", "train_check", "regrade", "CheckResult", "Verdict")


def __getattr__(name):
    if name in _CHECKER:
        from . import checker

        return getattr(checker, name)
    raise AttributeError(name)
