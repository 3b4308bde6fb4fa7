"""Helpers of tests/test_pipeline.py: a course in a temporary folder, answer files, submissions.

An answer file, tests/mutants/<assignment>/<kind>_<name>.py, is a student's work described as
changes to a submission whose answer cells hold the source solutions:

    \"\"\"What it shows (one line, printed in the figures).\"\"\"
    # lose: test_linear_backward            grade cells that must lose points (all others: full marks)
    # failed: kernel died                   or: the whole student fails, with this in the reason
    # uses: adam_step                       answer cells it calls but leaves as the solution's (packing)
    # flags: patched module, check rebound  what the integrity report must list for it (default: nothing)
    # names: a transposed dweight           the catalogued mistake (OpSpec.mistakes) it embodies, which
                                            check() must name on every cell it loses (tests/test_mistakes.py)

    # ---- linear_backward                  replace the cell with this grade_id by the lines below
    def linear_backward(dout, cache):
        ...
    # ---- delete test_linear_forward       delete a cell
    # ---- insert before linear_forward     a new code cell of the student's own
    # ---- insert locked before linear_forward   a new cell with forged "locked" nbgrader metadata
    # ---- duplicate test_linear_forward    a copy of the cell right before it, with the lines below
                                            as its source (metadata and all, so the grade_id twice)
    # ---- retype test_linear_forward markdown   the cell becomes a markdown (or raw) cell

Kinds: mutant_ (a wrong answer), valid_ (a right answer written differently), hostile_ (tries to
fool the grader), tamper_ (edits or deletes test cells), timeout_ (never ends).
"""
from __future__ import annotations

import copy
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
MUTANTS = ROOT / "tests" / "mutants"
KINDS = ("mutant", "valid", "hostile", "tamper", "timeout")


@dataclass
class Answer:
    name: str  # file stem, e.g. "mutant_dweight_transposed"
    kind: str
    doc: str
    lose: list = field(default_factory=list)
    failed: str | None = None
    uses: list = field(default_factory=list)  # solution functions it relies on: never packed with their mutants
    flags: set = field(default_factory=set)  # the integrity report's kinds of finding it must cause
    names: str | None = None  # the catalogued mistake it embodies (None: no catalogued counterpart)
    edits: list = field(default_factory=list)  # (op, target, source): replace/delete/insert/insert-locked/duplicate/retype

    @property
    def functions(self) -> set:
        return {t for op, t, _ in self.edits if op == "replace"}


def parse_answer(path: Path) -> Answer:
    text = path.read_text()
    kind = path.stem.split("_", 1)[0]
    if kind not in KINDS:
        raise ValueError(f"{path.name}: the name must start with one of {KINDS}")
    doc = re.match(r'\s*"""(.*?)"""', text, flags=re.DOTALL)
    ans = Answer(path.stem, kind, " ".join(doc.group(1).split()) if doc else "")
    if m := re.search(r"^# lose:(.*)$", text, flags=re.MULTILINE):
        ans.lose = m.group(1).split()
    if m := re.search(r"^# failed:(.*)$", text, flags=re.MULTILINE):
        ans.failed = m.group(1).strip()
    if m := re.search(r"^# uses:(.*)$", text, flags=re.MULTILINE):
        ans.uses = m.group(1).split()
    if m := re.search(r"^# flags:(.*)$", text, flags=re.MULTILINE):
        ans.flags = {f.strip() for f in m.group(1).split(",") if f.strip()}
    if m := re.search(r"^# names:(.*)$", text, flags=re.MULTILINE):
        ans.names = m.group(1).strip()
    parts = re.split(r"^# ---- (.*)$", text, flags=re.MULTILINE)
    for header, body in zip(parts[1::2], parts[2::2]):
        words = header.split()
        src = body.strip("\n")
        if words[0] == "delete":
            ans.edits.append(("delete", words[1], ""))
        elif words[0] == "duplicate":
            ans.edits.append(("duplicate", words[1], src))
        elif words[0] == "retype":
            ans.edits.append(("retype", words[1], words[2]))
        elif words[0] == "insert":
            locked = words[1] == "locked"
            ans.edits.append(("insert-locked" if locked else "insert", words[-1], src))
        else:
            ans.edits.append(("replace", words[0], src))
    return ans


def answers(assignment: str) -> list:
    return [parse_answer(p) for p in sorted((MUTANTS / assignment).glob("*.py"))]


def grade_id(cell):
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


def solutions(source_nb) -> dict:
    """grade_id -> answer-cell source of the instructor's solution, without the markers."""
    out = {}
    for cell in source_nb.cells:
        if cell.get("metadata", {}).get("nbgrader", {}).get("solution"):
            lines = [ln for ln in cell.source.splitlines() if not re.match(r"\s*### (BEGIN|END) SOLUTION", ln)]
            out[grade_id(cell)] = "\n".join(lines)
    return out


def submission(release_nb, sols: dict, edits=()):
    """The released notebook with every answer cell solved, then the edits applied."""
    nb = copy.deepcopy(release_nb)
    for cell in nb.cells:
        if grade_id(cell) in sols:
            cell.source = sols[grade_id(cell)]
    for op, target, src in edits:
        idx = [i for i, c in enumerate(nb.cells) if grade_id(c) == target]
        if not idx:
            raise ValueError(f"no cell {target!r} in the notebook")
        i = idx[0]
        if op == "replace":
            nb.cells[i].source = src
        elif op == "delete":
            del nb.cells[i]
        elif op == "duplicate":
            twin = copy.deepcopy(nb.cells[i])
            twin.source = src
            if "id" in twin:
                twin["id"] = f"{twin['id']}-twin"[:64]
            nb.cells.insert(i, twin)
        elif op == "retype":
            old = nb.cells[i]
            new = (nbformat.v4.new_markdown_cell if src == "markdown" else nbformat.v4.new_raw_cell)(old.source)
            new.metadata = old.metadata
            nb.cells[i] = new
        else:
            new = nbformat.v4.new_code_cell(src)
            if op == "insert-locked":
                new.metadata = {"deletable": False, "editable": False, "nbgrader": {
                    "grade": False, "grade_id": "student_extra", "locked": True, "schema_version": 3,
                    "solution": False, "task": False}}
            nb.cells.insert(i, new)
    return nb


def submit(course_root: Path, assignment: str, student: str, nb, timestamp="2026-11-20 12:00:00.000000 UTC"):
    d = course_root / "submitted" / student / assignment
    d.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(d / f"{assignment}.ipynb"))
    (d / "timestamp.txt").write_text(timestamp)


def submit_answers(course_root: Path, assignment: str, students: dict) -> None:
    """Submit, for each student, the released notebook solved with the source's solutions and then
    the edits of the answer named (None: the solutions as they are; "unsolved": the release)."""
    release_nb = nbformat.read(course_root / "release" / assignment / f"{assignment}.ipynb", as_version=4)
    sols = solutions(nbformat.read(course_root / "source" / assignment / f"{assignment}.ipynb", as_version=4))
    by_name = {a.name: a for a in answers(assignment)}
    for student, name in students.items():
        nb = release_nb if name == "unsolved" else submission(release_nb, sols, by_name[name].edits if name else ())
        submit(course_root, assignment, student, nb)


TEST_CONFIG = """
# --- pipeline tests: shorter limits than a real course
c.Execute.timeout = {timeout}
c.Regrade.timeout = {regrade_timeout}
"""


def make_course(dest: Path, *, timeout: int = 10, regrade_timeout: int = 6) -> Path:
    """A copy of the repository's course (config + sources only) in `dest`, with short timeouts."""
    src = ROOT / "assignments"
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copy(src / "nbgrader_config.py", dest / "nbgrader_config.py")
    shutil.copytree(src / "source", dest / "source")
    with open(dest / "nbgrader_config.py", "a") as f:
        f.write(TEST_CONFIG.format(timeout=timeout, regrade_timeout=regrade_timeout))
    return dest


def coursekit_cmd(*args) -> list:
    return [sys.executable, "-m", "coursekit", *args]


def cli(*args, env=None, timeout=600) -> subprocess.CompletedProcess:
    """`coursekit *args` from the repository root, this checkout importable; `env` adds variables."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    return subprocess.run(coursekit_cmd(*args), cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout,
                          check=False)


def op_of(grade_id_: str) -> str:
    """The op a cell is about: test_softmax_backward, softmax_backward -> softmax; an update rule's
    training-run cell belongs to the rule: test_adam_step_training, adam_step -> adam_step."""
    name = grade_id_.removeprefix("test_")
    return re.sub(r"_(forward|backward|training)$", "", name)


def ops_touched(ans: Answer) -> set:
    return {op_of(t) for t in ans.functions | set(ans.lose) | set(ans.uses)}


def packable(ans: Answer) -> bool:
    return ans.kind in ("mutant", "valid") and ans.failed is None and all(op == "replace" for op, _, _ in ans.edits)


def pack(items: list) -> dict:
    """student id -> answers. Packable answers (mutant_ and valid_ files that only replace answer
    cells) share a student when they touch disjoint ops: a forward's mistake reaches only its own
    op's cells (the backward's cache comes from that forward), so each answer is still judged on
    its own cells. Everything else is one student per answer, named after it."""
    groups: list = []
    for ans in items:
        if packable(ans):
            for g in groups:
                if packable(g[0]) and all(not (ops_touched(ans) & ops_touched(o)) for o in g):
                    g.append(ans)
                    break
            else:
                groups.append([ans])
        else:
            groups.append([ans])
    out, n = {}, 0
    for g in groups:
        if len(g) == 1:
            out[g[0].name] = g
        else:
            n += 1
            out[f"mix_{n:02d}"] = g
    return out
