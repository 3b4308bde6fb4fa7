"""The integrity report of an autograded assignment: who to look at, and why.

`write(course, assignment, outcomes)` (called by `autograde.write_report`) writes
`<course>/reports/<assignment>.integrity.csv` (one row per finding) and `.integrity.html` (a
summary table, students with findings first, then the details). The findings, per submission:

- forbidden call: `check()` caught a function calling torch, coursekit.reference or a forbidden name;
- patched module: an answer cell assigns to (or deletes, or `setattr`s) an attribute of numpy,
  torch, coursekit, builtins or sys.modules (`np.allclose = ...`, `torch.Tensor.tanh = ...`);
- check rebound: an answer cell defines or assigns `check` or `train_check`;
- test cell edited / cell missing: a read-only cell of the submission differs from the instructor's
  or is gone (nbgrader restored it before grading);
- timeout / kernel died / grader killed: the submission's grading ended with that reason (scored 0);
- memory limit: a cell ran out of the memory a submission may use (MemoryError);
- stderr flood: more than 100,000 characters on stderr while the notebook ran;
- forbidden path / network / signal: the submission's code reached, from the grading sandbox, for
  a path outside it (the course's sources, the gradebook, another student's work, "/"), for the
  network, or signalled a process (the grader) (`coursekit.grading.isolation`: denied, and reported by
  the kernel's audit hook);
- answer key in output: an output of the autograded notebook carries text of the course's
  solutions or hidden tests (`coursekit.grading.answerkey`: the feedback redacts it).

Answer cells are read, never run: a scan of their syntax tree.
"""
from __future__ import annotations

import ast
import contextlib
import csv
import html
import re
from dataclasses import dataclass

from .outcomes import Kind

WATCHED = ("numpy", "torch", "coursekit", "builtins", "scipy")
CHECKS = ("check", "train_check")
STDERR_FLOOD = 100_000
KINDS = ("forbidden call", "patched module", "check rebound", "test cell edited", "cell missing", "timeout",
         "kernel died", "grader killed", "memory limit", "stderr flood", "forbidden path", "network", "signal",
         "answer key in output")


@dataclass(frozen=True)
class Finding:
    student: str
    kind: str
    where: str  # the notebook and cell
    detail: str


# ------------------------------------------------------------------ answer cells: a syntax scan

def _root(node):
    """The name an attribute / subscript chain starts from (`np` of `np.linalg.norm`), or None."""
    while isinstance(node, (ast.Attribute, ast.Subscript)):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def scan_source(src: str, aliases: dict | None = None) -> list:
    """(kind, detail) for every patch of a watched module and rebinding of check in `src`.

    aliases: names bound to modules by earlier cells (updated in place), e.g. {"np": "numpy"}.
    """
    aliases = {} if aliases is None else aliases
    try:
        tree = ast.parse(src)
    except SyntaxError:
        return []
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                aliases[a.asname or a.name.split(".")[0]] = a.name if a.asname else a.name.split(".")[0]
                if (a.asname or "") in CHECKS:
                    found.append(("check rebound", f"import {a.name} as {a.asname}"))
        elif isinstance(node, ast.ImportFrom):
            for a in node.names:
                name = a.asname or a.name
                if node.module and node.level == 0:
                    aliases[name] = f"{node.module}.{a.name}"
                if name in CHECKS and not (node.module == "coursekit" or (node.module or "").startswith("coursekit.")):
                    found.append(("check rebound", f"from {node.module} import {a.name}"))
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.name in CHECKS:
            found.append(("check rebound", f"def {node.name}"))
        targets = []
        if isinstance(node, (ast.Assign, ast.Delete)):
            targets = node.targets
        elif isinstance(node, (ast.AugAssign, ast.AnnAssign)):
            targets = [node.target]
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("setattr", "delattr")
              and node.args):
            targets = [node.args[0]]
        for t in targets:
            for el in (t.elts if isinstance(t, (ast.Tuple, ast.List)) else [t]):
                if isinstance(el, ast.Name) and el.id in CHECKS and not isinstance(node, ast.Call):
                    found.append(("check rebound", f"{el.id} = ..."))
                    continue
                root = el.id if isinstance(node, ast.Call) and isinstance(el, ast.Name) else _root(el) \
                    if isinstance(el, (ast.Attribute, ast.Subscript)) else None
                module = aliases.get(root, "") if root else ""
                text = ast.unparse(el)
                if module.split(".")[0] in WATCHED or (module == "sys" and text.startswith(f"{root}.modules")):
                    found.append(("patched module", f"{text} ({module})"[:200]))
    return found


# ------------------------------------------------------------------ one submission

def _grade_id(cell):
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


_HIDDEN = re.compile(r"^[ \t]*### BEGIN HIDDEN TESTS.*?### END HIDDEN TESTS[ \t]*$", re.DOTALL | re.MULTILINE)


def _norm(src: str) -> str:
    """A cell's source as the student received it (hidden tests cut, as nbgrader releases it),
    without trailing blanks."""
    return "\n".join(line.rstrip() for line in _HIDDEN.sub("", src).strip().splitlines() if line.strip())


def submission_findings(course, assignment: str, student: str, outcome) -> list:
    """Every finding of one student's submission (see the module docstring)."""
    import nbformat
    from nbgrader.api import MissingEntry

    out = []
    sub_dir = course.root / "submitted" / student / assignment
    notebooks = sorted(p.stem for p in sub_dir.glob("*.ipynb"))
    with course.gradebook() if notebooks else contextlib.nullcontext() as gb:
        for notebook in notebooks:
            try:
                source_cells = gb.find_notebook(notebook, assignment).source_cells
            except MissingEntry:
                continue
            locked = {c.name: c.source for c in source_cells if c.locked}
            kinds = {c.name: c.cell_type for c in source_cells}
            try:
                cells = nbformat.read(sub_dir / f"{notebook}.ipynb", as_version=4).cells
            except Exception as e:  # noqa: BLE001 - a broken file is a finding of its own kind
                out.append(Finding(student, "cell missing", notebook,
                                   f"the notebook cannot be read ({type(e).__name__})"))
                continue
            seen, aliases = set(), {}
            for i, cell in enumerate(cells):
                gid = _grade_id(cell)
                if gid in locked:
                    seen.add(gid)
                    scan_source(locked[gid], aliases)  # the instructor's imports (np, check) bind names
                    if _norm(cell.get("source", "")) != _norm(locked[gid]):
                        out.append(Finding(student, "test cell edited", f"{notebook}: {gid}",
                                           "a read-only cell was changed (restored before grading)"))
                    elif cell.get("cell_type") != kinds[gid]:
                        out.append(Finding(student, "test cell edited", f"{notebook}: {gid}",
                                           f"a read-only {kinds[gid]} cell was made a {cell.get('cell_type')} "
                                           "cell (restored before grading)"))
                elif cell.get("cell_type") == "code":
                    for kind, detail in scan_source(cell.get("source", ""), aliases):
                        out.append(Finding(student, kind, f"{notebook}: {gid or f'cell {i + 1}'}", detail))
            for gid in locked:
                if gid not in seen:
                    out.append(Finding(student, "cell missing", f"{notebook}: {gid}",
                                       "a read-only cell was deleted (restored before grading)"))
            out += _stderr(course, assignment, student, notebook)
            out += _answer_key(course, assignment, student, notebook)
    out += _sandbox(course, assignment, student)
    if getattr(outcome, "status", "") == "failed" and outcome.kind and Kind(outcome.kind) in _SUBMISSION:
        out.append(Finding(student, _SUBMISSION[Kind(outcome.kind)], assignment, outcome.reason))
    for gid, cell in sorted(getattr(outcome, "cells", {}).items()):
        for kind in cell.get("kinds", ()):
            if Kind(kind) in _CELL:
                out.append(Finding(student, _CELL[Kind(kind)], gid, cell.get("message", "")[:200]))
    return out


# the integrity report's kind of finding, by outcomes.Kind
_SUBMISSION = {Kind.KERNEL_DIED: "kernel died", Kind.GRADER_KILLED: "grader killed", Kind.IGNORED_INTERRUPT: "timeout",
               Kind.STUDENT_TIMEOUT: "timeout"}
_CELL = {Kind.TIMEOUT: "timeout", Kind.MEMORY: "memory limit", Kind.FORBIDDEN_CALL: "forbidden call"}


def _stderr(course, assignment, student, notebook) -> list:
    import nbformat

    path = course.root / "autograded" / student / assignment / f"{notebook}.ipynb"
    if not path.is_file():
        return []
    try:
        cells = nbformat.read(path, as_version=4).cells
    except Exception:  # noqa: BLE001
        return []
    n = sum(len("".join(o.get("text", ""))) for c in cells for o in c.get("outputs", [])
            if o.get("output_type") == "stream" and o.get("name") == "stderr")
    return [Finding(student, "stderr flood", notebook, f"{n:,} characters on stderr")] if n > STDERR_FLOOD else []


def _sandbox(course, assignment, student) -> list:
    """What the submission's code reached for outside the grading sandbox (the kernel's audit)."""
    import json

    from .driver import SANDBOX_LOG

    path = course.root / "autograded" / student / assignment / SANDBOX_LOG
    try:
        tried = json.loads(path.read_text())
    except (OSError, ValueError):
        return []
    out = []
    for what in tried:
        kind = "network" if what.startswith("socket.") else "signal" if what.startswith("os.kill") else "forbidden path"
        out.append(Finding(student, kind, assignment, f"denied: {what}"[:200]))
    return out


def _answer_key(course, assignment, student, notebook) -> list:
    import nbformat

    from .answerkey import key_lines, own_lines, redact_outputs

    path = course.root / "autograded" / student / assignment / f"{notebook}.ipynb"
    try:
        cells = nbformat.read(path, as_version=4).cells
    except Exception:  # noqa: BLE001
        return []
    for cell in cells:  # a failing test cell's traceback quotes the instructor's own hidden test
        if cell.get("metadata", {}).get("nbgrader", {}).get("grade"):
            for out in cell.get("outputs", []):
                out.pop("traceback", None)
    n = redact_outputs(cells, key_lines(course.root), own_lines(cells))
    return [Finding(student, "answer key in output", notebook,
                    f"{n} passage(s) of the solutions or hidden tests in the outputs (cut from the feedback)")] \
        if n else []


# ------------------------------------------------------------------ the report

def write(course, assignment: str, outcomes: list) -> list:
    """Write reports/<assignment>.integrity.csv and .html; return the findings."""
    findings = []
    for o in outcomes:
        findings += submission_findings(course, assignment, o.student, o)
    reports = course.reports_dir()
    with open(reports / f"{assignment}.integrity.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["student", "kind", "where", "detail"])
        for x in findings:
            w.writerow([x.student, x.kind, x.where, x.detail])
    (reports / f"{assignment}.integrity.html").write_text(_html(assignment, outcomes, findings))
    return findings


def _html(assignment, outcomes, findings) -> str:
    e = html.escape
    by_student = {o.student: [x for x in findings if x.student == o.student] for o in outcomes}
    order = sorted(by_student, key=lambda s: (-len(by_student[s]), s))
    head = "".join(f"<th>{e(k)}</th>" for k in KINDS)
    rows = []
    for s in order:
        counts = [sum(x.kind == k for x in by_student[s]) for k in KINDS]
        cells = "".join(f'<td class="{"hit" if c else ""}">{c or ""}</td>' for c in counts)
        rows.append(f"<tr><td>{e(s)}</td>{cells}</tr>")
    details = "".join(f"<tr><td>{e(x.student)}</td><td>{e(x.kind)}</td><td>{e(x.where)}</td><td>{e(x.detail)}</td></tr>"
                      for s in order for x in by_student[s])
    flagged = sum(1 for s in order if by_student[s])
    return f"""<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Integrity report: {e(assignment)}</title>
<style>body{{font-family:sans-serif}} table{{border-collapse:collapse}} td,th{{border:1px solid #ccc;padding:3px 6px}}
td.hit{{background:#fdd;font-weight:bold;text-align:center}}</style></head><body>
<h1>Integrity report: {e(assignment)}</h1>
<p>{flagged} of {len(order)} submissions have findings. Each is a place to look, not a verdict: every
hostile trick listed here already earned no credit (the autograder re-runs the tests with the answer
cells sandboxed).</p>
<table><tr><th>student</th>{head}</tr>{''.join(rows)}</table>
<h2>Details</h2>
<table><tr><th>student</th><th>kind</th><th>where</th><th>detail</th></tr>{details}</table>
</body></html>
"""
