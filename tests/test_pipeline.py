"""The real nbgrader pipeline, in a temporary copy of the course: release, submit, autograde, feedback.

Per assignment, one module-scoped run: `coursekit release`, then one submission per answer file of
tests/mutants/<assignment>/ (mutants and valid answers that touch disjoint ops share a student:
see pipeline_helpers.pack), plus the source solutions and the unsolved release, then ONE
`coursekit autograde` over all students, then `coursekit feedback`. Many small tests read the
gradebook-backed report. The assignments share two xdist workers:

    .venv/bin/python -m pytest tests/test_pipeline.py -n 2 --dist loadgroup -q
"""
from __future__ import annotations

import csv
import fcntl
import html
import json
import os
import re
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from pipeline_helpers import (
    MUTANTS,
    ROOT,
    answers,
    coursekit_cmd,
    make_course,
    op_of,
    ops_touched,
    pack,
    solutions,
    submission,
    submit,
)

ASSIGNMENTS = tuple(sorted(p.name for p in (ROOT / "assignments" / "source").iterdir() if p.is_dir()))
assert ASSIGNMENTS and all((MUTANTS / a).is_dir() for a in ASSIGNMENTS), "every assignment needs tests/mutants/<name>"


def _first_function(assignment):
    """The first graded function: its failure message is in the unsolved release's feedback."""
    nb = nbformat.read(ROOT / "assignments" / "source" / assignment / f"{assignment}.ipynb", as_version=4)
    return next(c.metadata["nbgrader"]["grade_id"] for c in nb.cells if c.metadata.get("nbgrader", {}).get("solution"))


FIRST_FUNCTION = {a: _first_function(a) for a in ASSIGNMENTS}
STUDENT_TIMEOUT = 150  # the driver's per-student limit in these runs (a normal student takes < 15 s)


def _group(assignment):
    return [pytest.mark.pipeline, pytest.mark.xdist_group(f"pipeline_{assignment}")]


def _per_assignment():
    return [pytest.param(a, marks=_group(a), id=a) for a in ASSIGNMENTS]


def _per_answer():
    return [pytest.param(a, ans.name, marks=_group(a), id=f"{a}-{ans.name}")
            for a in ASSIGNMENTS for ans in answers(a)]


def _run(args, *, timeout=900):
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    return subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout, check=False)


@dataclass
class Pipeline:
    assignment: str
    course: Path
    release_nb: object
    source_nb: object
    groups: dict  # student -> [Answer]
    report: dict  # student -> row of reports/<assignment>.json
    autograde_out: str
    seconds: dict = field(default_factory=dict)

    def student_of(self, name):
        return next(s for s, g in self.groups.items() if any(a.name == name for a in g))

    def answer(self, name):
        return next(a for g in self.groups.values() for a in g if a.name == name)

    def cells(self, student) -> dict:
        return self.report[student]["cells"]


_RUNS: dict = {}


def _build(assignment, course: Path) -> dict:
    """Release, submit, autograde, feedback: the real pipeline in `course`. Returns timings."""
    seconds = {}
    t0 = time.monotonic()
    make_course(course)
    res = _run(coursekit_cmd("--course", str(course), "release", assignment))
    assert res.returncode == 0, res.stdout + res.stderr
    seconds["release"] = time.monotonic() - t0

    release_nb = nbformat.read(course / "release" / assignment / f"{assignment}.ipynb", as_version=4)
    source_nb = nbformat.read(course / "source" / assignment / f"{assignment}.ipynb", as_version=4)
    sols = solutions(source_nb)
    groups = pack(answers(assignment))
    submit(course, assignment, "solution", submission(release_nb, sols))
    submit(course, assignment, "unsolved", release_nb)
    for student, items in groups.items():
        submit(course, assignment, student, submission(release_nb, sols, [e for a in items for e in a.edits]))

    t1 = time.monotonic()
    res = _run(coursekit_cmd("--course", str(course), "autograde", assignment, "--device", "cpu",
                             "--student-timeout", str(STUDENT_TIMEOUT)))
    assert res.returncode == 0, res.stdout + res.stderr
    seconds["autograde"] = time.monotonic() - t1
    t2 = time.monotonic()
    fb = _run(coursekit_cmd("--course", str(course), "feedback", assignment))
    assert fb.returncode == 0, fb.stdout + fb.stderr
    seconds["feedback"] = time.monotonic() - t2
    return {"seconds": seconds, "students": len(groups) + 2, "autograde_out": res.stdout}


def _pipeline(assignment, tmp_path_factory) -> Pipeline:
    """The pipeline of an assignment, built once per test session even across xdist workers: the
    first worker that asks builds it under a file lock in the session's shared temporary folder,
    the others wait and read it (`--dist loadgroup` keeps an assignment's tests on one worker, see
    tests/test_groups.py; the lock keeps it right under any other distribution)."""
    if assignment in _RUNS:
        return _RUNS[assignment]
    base = tmp_path_factory.getbasetemp()
    shared = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    course = shared / f"pipeline_{assignment}"
    done = shared / f"pipeline_{assignment}.json"
    with open(shared / f"pipeline_{assignment}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not done.exists():
            try:
                info = _build(assignment, course)
            except BaseException as e:
                done.write_text(json.dumps({"error": f"{type(e).__name__}: {e}"[:4000]}))
                raise
            done.write_text(json.dumps(info))
        info = json.loads(done.read_text())
    if "error" in info:
        pytest.fail(f"the {assignment} pipeline failed (in another worker): {info['error']}")
    report = json.loads((course / "reports" / f"{assignment}.json").read_text())
    _RUNS[assignment] = Pipeline(
        assignment, course,
        nbformat.read(course / "release" / assignment / f"{assignment}.ipynb", as_version=4),
        nbformat.read(course / "source" / assignment / f"{assignment}.ipynb", as_version=4),
        pack(answers(assignment)), {r["student"]: r for r in report["students"]},
        info["autograde_out"], {**info["seconds"], "students": info["students"]})
    return _RUNS[assignment]


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory):
    return lambda assignment: _pipeline(assignment, tmp_path_factory)


# ------------------------------------------------------------------------------------ release

@pytest.mark.parametrize("assignment", _per_assignment())
def test_release_holds_no_solution_and_no_hidden_tests(pipeline, assignment):
    p = pipeline(assignment)
    text = (p.course / "release" / assignment / f"{assignment}.ipynb").read_text()
    for marker in ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS", "hidden=True"):
        assert marker not in text
    for cell in p.source_nb.cells:
        gid = cell.metadata.get("nbgrader", {}).get("grade_id")
        if not cell.metadata.get("nbgrader", {}).get("solution"):
            continue
        region = re.search(r"### BEGIN SOLUTION\n(.*?)### END SOLUTION", cell.source, flags=re.DOTALL).group(1)
        released = next(c for c in p.release_nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == gid)
        assert "raise NotImplementedError()" in released.source
        for ln in filter(None, (ln.strip() for ln in region.splitlines())):
            assert ln not in released.source, f"solution line of {gid} left in the release: {ln}"
    tests = [c for c in p.release_nb.cells if c.metadata.get("nbgrader", {}).get("grade")]
    assert tests and all(c.metadata.nbgrader.get("locked") for c in tests)
    assert all(re.search(r'^(check|train_check)\("\w+", \w+', c.source, flags=re.MULTILINE) for c in tests)


# ------------------------------------------------------------------------------ scores

def _assert_full(cells, which=None):
    for gid, c in cells.items():
        if which is None or gid in which:
            assert c["score"] == c["max_score"], f"{gid}: {c['score']}/{c['max_score']} ({c['message']})"


@pytest.mark.parametrize("assignment", _per_assignment())
def test_source_solutions_score_full_marks(pipeline, assignment):
    row = pipeline(assignment).report["solution"]
    assert row["status"] == "graded"
    _assert_full(row["cells"])
    assert row["score"] == row["max_score"] > 0


@pytest.mark.parametrize("assignment", _per_assignment())
def test_unsolved_release_scores_zero(pipeline, assignment):
    row = pipeline(assignment).report["unsolved"]
    assert row["status"] == "graded" and row["score"] == 0 and row["max_score"] > 0
    assert all(c["score"] == 0 and "NotImplementedError" in c["message"] for c in row["cells"].values())


@pytest.mark.parametrize(("assignment", "name"), _per_answer())
def test_answer(pipeline, assignment, name):
    """A mutant or hostile answer loses exactly the cells it names; a valid one keeps everything."""
    p = pipeline(assignment)
    ans = p.answer(name)
    student = p.student_of(name)
    row = p.report[student]
    if ans.failed:
        assert row["status"] == "failed", row
        assert ans.failed in row["reason"], row["reason"]
        assert row["score"] == 0 and all(c["score"] == 0 for c in row["cells"].values())
        return
    assert row["status"] == "graded", row["reason"]
    cells = row["cells"]
    for gid in ans.lose:
        assert cells[gid]["score"] < cells[gid]["max_score"], f"{name}: {gid} kept its points"
        assert cells[gid]["message"], f"{name}: {gid} lost points without a message"
    if ans.kind == "mutant":  # the typed field: the mistake the re-run named (a cell may be lost to another
        named = {cells[gid]["mistake"] for gid in ans.lose}  # answer packed with this one)
        assert named <= {a.names for a in p.groups[student]} | {""}, (name, named)
        assert ans.names is None or ans.names in named, (name, named)
    group = p.groups[student]
    if len(group) == 1:
        mine = set(cells)
    else:  # packed: this answer's ops, and cells no member touches
        taken = set().union(*(ops_touched(a) for a in group))
        mine = {g for g in cells if op_of(g) in ops_touched(ans) or op_of(g) not in taken}
    _assert_full(cells, mine - set(ans.lose))


@pytest.mark.parametrize("assignment", _per_assignment())
def test_every_student_graded_or_failed_with_a_reason(pipeline, assignment):
    p = pipeline(assignment)
    expected_failures = {p.student_of(a.name) for g in p.groups.values() for a in g if a.failed}
    assert expected_failures  # the assignment has students that crash or hang
    assert set(p.report) == set(p.groups) | {"solution", "unsolved"}
    for student, row in p.report.items():
        if student in expected_failures:
            assert row["status"] == "failed" and row["reason"]
        else:
            assert row["status"] == "graded", (student, row["reason"])
            assert all(c["score"] is not None for c in row["cells"].values())
    # the gradebook agrees with the report, and nothing waits for manual grading
    from nbgrader.api import Gradebook

    with Gradebook("sqlite:///" + str(p.course / "gradebook.db")) as gb:
        for student, row in p.report.items():
            sub = gb.find_submission(assignment, student)
            assert sub.score == pytest.approx(row["score"])
            assert not sub.needs_manual_grade
            if row["status"] == "failed":
                comments = [c.auto_comment for nb in sub.notebooks for c in nb.comments]
                assert comments and all(row["reason"] in c for c in comments)
    csv_text = (p.course / "reports" / f"{assignment}.csv").read_text()
    assert all(s in csv_text for s in p.report)


# ------------------------------------------------------------------------------ feedback

@pytest.mark.parametrize("assignment", _per_assignment())
def test_feedback_shows_no_hidden_tests_and_no_grade_cell_tracebacks(pipeline, assignment):
    p = pipeline(assignment)
    graded = [s for s, r in p.report.items() if r["status"] == "graded"]
    files = {s: p.course / "feedback" / s / assignment / f"{assignment}.html" for s in graded}
    missing = [s for s, f in files.items() if not f.exists()]
    assert not missing
    for s, f in files.items():
        text = f.read_text()
        for leak in ("hidden=True", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS", "Traceback (most recent call last)"):
            assert leak not in text, f"{s}: {leak!r} in the feedback"
    # the feedback names the device the answers were compared on (autograde --device cpu)
    assert "on cpu, float64)" in files["solution"].read_text()
    assert re.search(r"^done in \d+ s on cpu; report: ", p.autograde_out, flags=re.M)
    # the cut is "ename: evalue" in every grade cell of the feedback's source notebooks
    for s in graded:
        nb = nbformat.read(p.course / "autograded" / s / assignment / f"{assignment}.ipynb", as_version=4)
        from coursekit.grading.preprocessors import CutGradeCellTracebacks

        nb, _ = CutGradeCellTracebacks().preprocess(nb, {})
        for cell in nb.cells:
            if cell.metadata.get("nbgrader", {}).get("grade"):
                for out in cell.get("outputs", []):
                    if out.output_type == "error":
                        assert out.traceback == [f"{out.ename}: {out.evalue}"]
    # formulas as MathML, nothing fetched from a CDN (coursekit.grading.feedback)
    assert all("mathjax" not in f.read_text().lower() for f in files.values())
    assert "<math" in files["solution"].read_text() and "$$" not in files["solution"].read_text()
    # each cell a mutant loses with a named mistake carries it as a typed field (preprocessors.NameMistakes)
    for a in (a for g in p.groups.values() for a in g if a.names):
        student = p.student_of(a.name)
        named = {c["mistake"] for c in p.report[student]["cells"].values()} - {""}
        page = files[student].read_text() if student in files else ""
        badges = {html.unescape(m) for m in re.findall(r'class="coursekit-mistake" data-mistake="([^"]*)"', page)}
        assert named <= badges, (a.name, named, badges)
    unsolved = files["unsolved"].read_text()
    assert f"CheckFailed: {FIRST_FUNCTION[assignment]} is wrong" in unsolved


# ------------------------------------------------------------------------------ re-running

@pytest.mark.parametrize("assignment", _per_assignment())
def test_integrity_report_lists_exactly_the_declared_tricks(pipeline, assignment):
    """Per student, the kinds of finding are those its answer files declare (`# flags:`): every
    hostile or tampered answer is listed, and no right answer, however written, is."""
    from coursekit.grading.integrity import KINDS

    p = pipeline(assignment)
    reports = p.course / "reports"
    with open(reports / f"{assignment}.integrity.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    found: dict = {}
    for r in rows:
        assert r["kind"] in KINDS and r["detail"], r
        found.setdefault(r["student"], set()).add(r["kind"])
    for student, group in p.groups.items():
        want = set().union(*(a.flags for a in group))
        assert found.get(student, set()) == want, (student, [a.name for a in group], found.get(student))
    assert not found.get("solution") and not found.get("unsolved")
    page = (reports / f"{assignment}.integrity.html").read_text()
    assert f"Integrity report: {assignment}" in page
    flagged = [s for s in p.groups if found.get(s)]
    assert f"{len(flagged)} of {len(p.groups) + 2} submissions have findings" in page
    line = next(ln for ln in p.autograde_out.splitlines() if ln.startswith("integrity report:"))
    assert f"{len(flagged)} to look at: {', '.join(sorted(flagged))})" in line
    for s in flagged:  # students with findings come first in the summary table
        assert page.index(f"<tr><td>{s}</td>") < min(
            (page.index(f"<tr><td>{t}</td>") for t in p.groups if not found.get(t)), default=len(page))


@pytest.mark.parametrize("assignment", _per_assignment())
def test_class_report_agrees_with_the_report(pipeline, assignment):
    """The autograde run also wrote the class report (reports/<assignment>.class.html and .csv), and
    its per-cell counts are the report's: passes of the graded students, every lost cell a named
    mistake or an unnamed failure, failed submissions counted apart."""
    p = pipeline(assignment)
    reports = p.course / "reports"
    page, table = reports / f"{assignment}.class.html", reports / f"{assignment}.class.csv"
    assert "warning: the class report was not written" not in p.autograde_out, p.autograde_out
    assert page.is_file() and table.is_file() and f"class report: {page}" in p.autograde_out
    assert f"<h1>Class report: {assignment}</h1>" in page.read_text()
    with open(table, newline="") as f:
        rows = list(csv.DictReader(f))
    graded = [r for r in p.report.values() if r["status"] == "graded"]
    grade_ids = {g for r in p.report.values() for g in r["cells"]}
    assert {r["grade_id"] for r in rows} == grade_ids and {r["assignment"] for r in rows} == {assignment}
    for gid in grade_ids:
        mine = {r["row"] + ":" + r["mistake"]: r for r in rows if r["grade_id"] == gid and r["row"] != "score"}
        scored = [r["cells"][gid] for r in graded if gid in r["cells"]]
        passed = sum(c["score"] >= c["max_score"] for c in scored)
        assert (int(mine["passed:"]["students"]), int(mine["passed:"]["of"])) == (passed, len(scored)), gid
        named: dict = {}
        for c in scored:
            if c["score"] < c["max_score"]:
                named[c.get("mistake") or ""] = named.get(c.get("mistake") or "", 0) + 1
        assert int(mine["unnamed failure:"]["students"]) == named.pop("", 0), gid
        assert {k.split(":", 1)[1]: int(r["students"]) for k, r in mine.items() if r["row"] == "mistake"} == named
        assert int(mine["not graded:"]["students"]) == len(p.report) - len(graded) > 0  # the failed students
    # the mistakes the mutants embody are named, each with an example diagnosis
    ranked = {r["mistake"] for r in rows if r["row"] == "mistake" and r["example"]}
    assert {a.names for g in p.groups.values() for a in g if a.names} <= ranked


@pytest.mark.browser
def test_the_class_report_of_a_real_run_in_chromium(pipeline, tmp_path):
    """01_neurons' class report, as its autograde wrote it, in Chromium: every plot drawn, each cell's
    ranked table in count order, nothing fetched and no console error."""
    from browser import chromium_page

    p = pipeline("01_neurons")
    problems = []
    with chromium_page(timeout_ms=60_000) as page:
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: problems.append(str(e)))
        page.on("request", lambda r: None if r.url.startswith(("file:", "data:")) else problems.append(r.url))
        page.goto((p.course / "reports" / "01_neurons.class.html").as_uri())
        page.wait_for_load_state("load")
        sizes = page.eval_on_selector_all("img.plot", "els => els.map(e => [e.naturalWidth, e.clientHeight])")
        assert len(sizes) >= 3 and all(w > 0 and h > 50 for w, h in sizes), sizes
        tables = page.locator("#per-cell table.mistakes.ranked")
        assert tables.count() >= 1
        for i in range(tables.count()):
            counts = [int(c) for c in tables.nth(i).locator("tr.mistake td.count").all_inner_texts()]
            assert counts == sorted(counts, reverse=True) and counts, counts
        text = page.locator("#per-cell").inner_text()
        page.screenshot(path=str(tmp_path / "class-report-01.png"), full_page=True)
    assert "the bias left out" in text and not problems, problems
    assert not any(s in text for s in p.report if s.startswith(("mutant_", "valid_", "hostile_")))


@pytest.mark.parametrize("assignment", _per_assignment())
def test_rerun_is_idempotent(pipeline, assignment):
    """A second run grades nobody again (failures recorded for the same submission included) and
    reports the same scores; a resubmission is graded again."""
    from coursekit.grading.course import Course
    from coursekit.grading.driver import Options, autograde

    p = pipeline(assignment)
    before = (p.course / "reports" / f"{assignment}.csv").read_text()
    t0 = time.monotonic()
    outcomes = autograde(Course(p.course), assignment, Options(student_timeout=STUDENT_TIMEOUT))
    assert time.monotonic() - t0 < 60
    assert not any(o.graded_now for o in outcomes)
    assert (p.course / "reports" / f"{assignment}.csv").read_text() == before


# ------------------------------------------------------------------------------ the figures

@pytest.mark.parametrize("assignment", _per_assignment())
def test_figures(pipeline, assignment, tmp_path_factory, capsys):
    """Mutants caught / total and valid answers passed / total (also written to a JSON file)."""
    p = pipeline(assignment)
    fig = {"assignment": assignment, "students": p.seconds["students"],
           "seconds": {k: round(v, 1) for k, v in p.seconds.items() if k != "students"},
           "mutants": {}, "valid": {}, "hostile": {}, "tamper": {}, "timeout": {}}
    for items in p.groups.values():
        for a in items:
            row = p.report[p.student_of(a.name)]
            cells = row["cells"]
            if a.kind == "valid":
                ok = all(c["score"] == c["max_score"] for g, c in cells.items() if op_of(g) in ops_touched(a))
            elif a.failed:
                ok = row["status"] == "failed" and row["score"] == 0
            else:
                ok = all(cells[g]["score"] < cells[g]["max_score"] for g in a.lose)
            got = sum(c["score"] for g, c in cells.items() if op_of(g) in ops_touched(a))
            top = sum(c["max_score"] for g, c in cells.items() if op_of(g) in ops_touched(a))
            fig["mutants" if a.kind == "mutant" else a.kind][a.name] = {
                "ok": ok, "score": f"{got:g}/{top:g}", "status": row["status"], "reason": row["reason"]}
    summary = {k: f"{sum(v['ok'] for v in fig[k].values())}/{len(fig[k])}"
               for k in ("mutants", "valid", "hostile", "tamper", "timeout")}
    fig["summary"] = summary
    out = p.course.parent / f"pipeline_figures_{assignment}.json"
    out.write_text(json.dumps(fig, indent=1))
    with capsys.disabled():
        print(f"\n[{assignment}] mutants caught {summary['mutants']}, valid passed {summary['valid']}, "
              f"hostile stopped {summary['hostile']}, tamper {summary['tamper']}, timeouts {summary['timeout']}; "
              f"{fig['students']} students, autograde {fig['seconds']['autograde']} s ({out})")
    assert all(v["ok"] for k in ("mutants", "valid", "hostile", "tamper", "timeout") for v in fig[k].values())


# ------------------------------------------------------------------------------ the driver alone

def test_watchdog_kills_the_whole_process_tree(tmp_path):
    """A run that hangs (ignoring SIGINT and SIGTERM, with a child in a session of its own) is
    killed with all its descendants."""
    from coursekit.grading.procs import run_watched

    pidfile = tmp_path / "pids"
    script = f"""
import os, signal, subprocess, sys, time
signal.signal(signal.SIGINT, signal.SIG_IGN)
signal.signal(signal.SIGTERM, signal.SIG_IGN)
stubborn = "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(600)"
child = subprocess.Popen([sys.executable, "-c", stubborn], start_new_session=True)
open({str(pidfile)!r}, "w").write(f"{{os.getpid()}} {{child.pid}}")
print("Sanitizing", flush=True)
while True:
    time.sleep(1)
"""
    t0 = time.monotonic()
    run = run_watched([sys.executable, "-c", script], cwd=tmp_path, env=dict(os.environ),
                      watchdog=lambda: "student" if pidfile.exists() and time.monotonic() - t0 > 1 else "")
    assert run.killed == "student" and time.monotonic() - t0 < 30
    assert "Sanitizing\n" in run.lines
    for pid in map(int, pidfile.read_text().split()):
        for _ in range(50):
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                break
            try:  # a zombie (killed, not yet reaped by its parent) counts as dead
                if Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] == "Z":
                    break
            except OSError:
                break
            time.sleep(0.1)
        else:
            os.kill(pid, signal.SIGKILL)
            pytest.fail(f"process {pid} survived the watchdog")


def test_cli_errors_are_one_line_with_a_nonzero_exit(tmp_path):
    course = make_course(tmp_path / "course")
    cases = [
        (["--course", str(tmp_path / "nowhere"), "autograde", "01_neurons"], "not a course folder"),
        (["--course", str(course), "release", "99_nothing"], "no assignment '99_nothing'"),
        (["--course", str(course), "autograde", "01_neurons"], "run `coursekit release 01_neurons` first"),
        (["--course", str(course), "export"], "no gradebook yet"),
    ]
    import torch

    if not torch.cuda.is_available():  # the machines of CI have no GPU
        cases.append((["--course", str(course), "autograde", "01_neurons", "--device", "cuda"],
                      "--device cuda: torch sees no CUDA device"))
    for args, needle in cases:
        res = _run(coursekit_cmd(*args), timeout=120)
        assert res.returncode != 0, args
        lines = res.stderr.strip().splitlines()
        assert len(lines) == 1 and needle in lines[0], res.stderr
        assert "Traceback" not in res.stderr + res.stdout
