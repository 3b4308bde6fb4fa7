"""nbgrader / nbconvert preprocessors of the course (wired in assignments/nbgrader_config.py).

`Regrade` (autograde, right after nbgrader's Execute): the kernel has run the submission; now
every test cell is run again by `coursekit.grading.regrade()` in the autograder's own process,
where the student's answer cells exist only as source loaded in a sandbox process. A test cell
scores only when both runs pass: for a cell whose re-run fails, an AssertionError output carrying
the verdict is put first among the cell's outputs (unless the kernel run failed already), so
nbgrader's SaveAutoGrades scores it 0 and the feedback says why. Whatever an answer cell did to
the kernel (patching numpy, rebinding `check`, swapping modules, silencing tracebacks, printing
"passed") cannot turn a wrong function into a right one, because the re-run never executes
student code in the grading process.

Instructor code (the setup and test cells) is taken from the gradebook, never from the submitted
notebook, so a student cannot smuggle code into the grading process by faking cell metadata.

`ForgetUnknownCells` (autograde, sanitizing, before OverwriteCells): a cell whose nbgrader
metadata names no cell of the gradebook (forged or damaged) becomes a plain student cell. Without
it nbgrader 0.9.6 crashes on the notebook (KeyError 'grade_id' in add_missing_task_cells).

`CutGradeCellTracebacks` (feedback): a grade cell's error outputs keep only "ename: evalue", so
no traceback shows the hidden tests' source.

`NameMistakes` (feedback): a lost grade cell carries the name of the known mistake the re-run
recognised (metadata and a tagged output), for the feedback page and anything that reads it.

`RedactAnswerKey` (feedback): every output is scanned for the text of the course's solutions and
hidden tests (`coursekit.grading.answerkey`, all assignments) and each match is replaced, whatever the
sandbox let through.
"""
from __future__ import annotations

from nbconvert.exporters.exporter import ResourcesDict
from nbformat.notebooknode import NotebookNode, from_dict
from nbgrader import utils
from nbgrader.api import Gradebook
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Bool, Float, Unicode

REGRADE_ENAME = "AssertionError"
REGRADE_NOTE = "(autograder re-run, with your functions in a separate process)"


def instructor_cells(db_url: str, notebook_id: str, assignment_id: str):
    """(setup, tests) of a notebook from the gradebook: setup = {grade_id: source} of the locked
    code cells that are neither grade nor answer cells; tests = {grade_id: source} of the
    autograded test cells (code grade cells that are not answer cells)."""
    with Gradebook(db_url) as gb:
        nb = gb.find_notebook(notebook_id, assignment_id)
        grade_ids = {g.name for g in nb.grade_cells}
        solution_ids = {s.name for s in nb.solution_cells}
        setup, tests = {}, {}
        for cell in nb.source_cells:
            if cell.cell_type != "code":
                continue
            if cell.name in grade_ids and cell.name not in solution_ids:
                tests[cell.name] = cell.source
            elif cell.locked and cell.name not in grade_ids and cell.name not in solution_ids:
                setup[cell.name] = cell.source
    return setup, tests


KINDS_FILE = "coursekit-verdicts.json"  # beside the autograded notebooks: {notebook: {grade_id: verdict}}


def write_kinds(folder, notebook: str, kinds: dict) -> None:
    """Record why each failing test cell of `notebook` failed, for the reports: grade_id ->
    {"kind": an outcomes.Kind value, "mistake": the known mistake check() named, or ""}."""
    if not folder:
        return
    import json
    from pathlib import Path

    path = Path(folder) / KINDS_FILE
    try:
        known = json.loads(path.read_text())
    except (OSError, ValueError):
        known = {}
    known[notebook] = kinds
    path.write_text(json.dumps(known, indent=1))


def read_kinds(folder) -> dict:
    """{notebook: {grade_id: {"kind", "mistake"}}} written by the re-run ({} when there is none)."""
    import json
    from pathlib import Path

    try:
        return json.loads((Path(folder) / KINDS_FILE).read_text())
    except (OSError, ValueError):
        return {}


def _grade_id(cell) -> str | None:
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


def split_notebook(nb, setup_src: dict, test_src: dict):
    """Order the instructor's setup cells as they appear in `nb` (missing ones first), and collect
    the student's code: every code cell that is not an instructor cell, in notebook order."""
    instructor = set(setup_src) | set(test_src)
    order = [g for g in (_grade_id(c) for c in nb.cells) if g in setup_src]
    setup_ids = [g for g in setup_src if g not in order] + list(dict.fromkeys(order))
    answers = [c.source for c in nb.cells if c.cell_type == "code" and _grade_id(c) not in instructor]
    return [setup_src[g] for g in setup_ids], answers


def regrade_error(message: str) -> NotebookNode:
    evalue = f"{message}\n{REGRADE_NOTE}" if message else REGRADE_NOTE
    return from_dict({"output_type": "error", "ename": REGRADE_ENAME, "evalue": evalue,
                      "traceback": [f"{REGRADE_ENAME}: {evalue}"]})


class Regrade(NbGraderPreprocessor):
    """Re-run the test cells with the answer cells sandboxed; a cell passes only if both runs do."""

    enabled = Bool(True, help="Whether to use this preprocessor when autograding").tag(config=True)
    timeout = Float(60.0, help="Seconds one check() may take in the sandbox before it is killed").tag(config=True)
    forgive_noise = Bool(
        True,
        help="When the re-run passes and the kernel run raised nothing, turn the test cell's stderr "
             "output into stdout, so a correct answer that printed or warned keeps its points.",
    ).tag(config=True)

    def preprocess(self, nb: NotebookNode, resources: ResourcesDict):
        from .checker import regrade

        info = resources["nbgrader"]
        setup_src, test_src = instructor_cells(info["db_url"], info["notebook"], info["assignment"])
        setup, answers = split_notebook(nb, setup_src, test_src)
        verdicts = regrade(setup, answers, test_src, timeout=self.timeout) if test_src else {}
        n_failed = 0
        for cell in nb.cells:
            if cell.cell_type != "code" or not utils.is_grade(cell):
                continue
            verdict = verdicts.get(_grade_id(cell))
            if verdict is None:
                continue
            kernel_error = any(o.get("output_type") == "error" for o in cell.outputs)
            if not verdict.passed:
                n_failed += 1
                if not kernel_error:  # already 0 (and explained) otherwise
                    cell.outputs.insert(0, regrade_error(verdict.message))
            elif not kernel_error and self.forgive_noise:
                for out in cell.outputs:
                    if out.get("output_type") == "stream" and out.get("name") == "stderr":
                        out["name"] = "stdout"
        self.log.info("coursekit re-run of %s for %s: %d of %d test cells failed", info["notebook"],
                      info["student"], n_failed, len(verdicts))
        write_kinds(resources.get("metadata", {}).get("path"), info["notebook"],
                    {g: {"kind": v.kind.value, "mistake": v.mistake} for g, v in verdicts.items()
                     if not v.passed and v.kind})
        return nb, resources


class ForgetUnknownCells(NbGraderPreprocessor):
    """Sanitize: drop nbgrader metadata that names no cell of this notebook in the gradebook."""

    enabled = Bool(True, help="Whether to use this preprocessor when autograding").tag(config=True)

    def preprocess(self, nb: NotebookNode, resources: ResourcesDict):
        info = resources["nbgrader"]
        with Gradebook(info["db_url"]) as gb:
            known = {c.name for c in gb.find_notebook(info["notebook"], info["assignment"]).source_cells}
        for cell in nb.cells:
            meta = cell.get("metadata", {})
            if "nbgrader" in meta and meta["nbgrader"].get("grade_id") not in known:
                self.log.warning("Cell with unknown nbgrader id %r: treated as a student's cell",
                                 meta["nbgrader"].get("grade_id"))
                del meta["nbgrader"]
                meta.pop("editable", None)
                meta.pop("deletable", None)
        return nb, resources


class CutGradeCellTracebacks(NbGraderPreprocessor):
    """Feedback: a grade cell's errors show only "ename: evalue" (no hidden-test source)."""

    enabled = Bool(True, help="Whether to use this preprocessor when generating feedback").tag(config=True)

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type == "code" and utils.is_grade(cell):
            for out in cell.get("outputs", []):
                if out.get("output_type") == "error":
                    out["traceback"] = [f"{out.get('ename', 'Error')}: {out.get('evalue', '')}"]
        return cell, resources


class NameMistakes(NbGraderPreprocessor):
    """Feedback: a lost grade cell names the known mistake check() recognised in it, as a typed field:
    the cell's metadata `coursekit.mistake` and an output `<p class="coursekit-mistake" data-mistake=...>`."""

    enabled = Bool(True, help="Whether to use this preprocessor when generating feedback").tag(config=True)

    def preprocess(self, nb: NotebookNode, resources: ResourcesDict):
        import html

        verdicts = read_kinds(resources.get("metadata", {}).get("path")).get(resources["nbgrader"]["notebook"], {})
        for cell in nb.cells:
            name = (verdicts.get(_grade_id(cell)) or {}).get("mistake") if cell.cell_type == "code" else None
            if name:
                cell.metadata["coursekit"] = {"mistake": name}
                badge = (f'<p class="coursekit-mistake" data-mistake="{html.escape(name)}">'
                         f"Known mistake: <strong>{html.escape(name)}</strong></p>")
                data = {"text/html": badge, "text/plain": f"Known mistake: {name}"}
                cell.outputs.insert(0, from_dict({"output_type": "display_data", "metadata": {}, "data": data}))
        return nb, resources


class RedactAnswerKey(NbGraderPreprocessor):
    """Feedback: the answer key's text is cut from every output (the student's own lines aside)."""

    enabled = Bool(True, help="Whether to use this preprocessor when generating feedback").tag(config=True)
    course_root = Unicode("", help="The course folder whose source/ holds the answer key "
                                   "(default: the current folder, where nbgrader runs)").tag(config=True)

    def preprocess(self, nb: NotebookNode, resources: ResourcesDict):
        import os

        from .answerkey import defuse_markers, key_lines, own_lines, redact_outputs

        key = key_lines(self.course_root or os.getcwd())
        n = redact_outputs(nb.cells, key, own_lines(nb.cells))
        defuse_markers(nb.cells)
        if n:
            self.log.warning("coursekit redacted %d passage(s) of the answer key from the feedback of %s",
                             n, resources.get("nbgrader", {}).get("student", "?"))
        return nb, resources
