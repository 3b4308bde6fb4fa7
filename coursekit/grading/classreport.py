"""The class report of an assignment: what the class got right, and the mistakes it made.

    from coursekit.grading.classreport import write
    html_path, csv_path = write(Course.find(), "01_neurons")     # or: coursekit report 01_neurons

It reads only the reports `coursekit autograde` wrote (`<course>/reports/<assignment>.json`, see
`driver.write_report`; each autograde run also rewrites the class report) and writes
`reports/<assignment>.class.html`, one self-contained page (plots embedded as PNG, no script, no
network), and `reports/<assignment>.class.csv`. The page has two parts:

* Per grade cell of the assignment, no student id in it (it can be shown to the class): the pass
  rate, the score distribution, the named mistakes (`check()`'s known mistakes, the report's
  `mistake`) ranked by how many students made them, each with one example diagnosis (the message
  of one lost cell), and the failures no known mistake explains. Only graded submissions count
  there; failed ones (scored 0 by their own doing: a hang, a dead kernel) and ungraded ones are
  counted apart.
* Across every assignment with a report: each student's score fraction per assignment (it names
  students: the instructor's page), and the grade cells ranked by failure rate.

The CSV is tidy, one count per row: `assignment, grade_id, max_score, row, mistake, score,
students, of, share, example`, where `row` is "passed" (full marks, of the graded students),
"score" (students with that `score`, the distribution), "mistake" (students whose answer showed
`mistake`, ranked; `example` is a diagnosis), "unnamed failure" (lost points, no known mistake)
or "not graded" (failed and ungraded submissions, of all submissions).
"""
from __future__ import annotations

import base64
import csv
import html
import io
import json
import os
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from .course import CourseError

STATUSES = ("graded", "failed", "ungraded")
CSV_COLUMNS = ("assignment", "grade_id", "max_score", "row", "mistake", "score", "students", "of", "share",
               "example")
_STRUGGLE_BARS = 20  # grade cells in the failure-rate plot


# ------------------------------------------------------------------------------ reading the reports

def read_reports(reports: Path) -> dict:
    """assignment -> its report (the JSON of `driver.write_report`), for every `<assignment>.json` in
    `reports`; files of another shape (.class.*, .integrity.*, other JSON) are ignored."""
    found = {}
    for path in sorted(reports.glob("*.json")):
        if "." in path.stem:
            continue
        try:
            data = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
        if (isinstance(data, dict) and data.get("assignment") == path.stem
                and isinstance(data.get("students"), list)):
            found[path.stem] = data
    return found


@dataclass
class CellStats:
    """What the class did on one grade cell (graded submissions only, except `not_graded`)."""

    assignment: str
    grade_id: str
    max_score: float = 0.0
    scores: list = field(default_factory=list)  # one per graded submission that has a score here
    mistakes: Counter = field(default_factory=Counter)  # mistake name -> students
    examples: dict = field(default_factory=dict)  # mistake name -> one message with that mistake
    unnamed: int = 0  # lost points, no known mistake recognised
    unnamed_kinds: Counter = field(default_factory=Counter)  # their outcomes.Kind values
    not_graded: int = 0  # failed and ungraded submissions of the assignment
    submissions: int = 0  # every submission of the assignment

    @property
    def graded(self) -> int:
        return len(self.scores)

    @property
    def passed(self) -> int:
        return sum(s >= self.max_score for s in self.scores)

    @property
    def lost(self) -> int:
        return self.graded - self.passed

    def ranked(self) -> list:
        """(mistake, students), most students first (ties by name)."""
        return sorted(self.mistakes.items(), key=lambda kv: (-kv[1], kv[0]))


def _ids_pattern(ids) -> re.Pattern | None:
    """A regex of the student ids as whole words (longest first), or None when there are none."""
    ids = sorted({s for s in ids if s}, key=len, reverse=True)
    return re.compile(r"(?<![\w-])(?:" + "|".join(map(re.escape, ids)) + r")(?![\w-])") if ids else None


def _example(messages: list, ids: re.Pattern | None) -> str:
    """The first message that names no student; else the first, each student id cut out."""
    for m in messages:
        if ids is None or not ids.search(m):
            return m
    return ids.sub("<student>", messages[0]) if messages else ""


def cell_stats(report: dict) -> list:
    """One CellStats per grade cell of an assignment's report, in grade id order."""
    stats: dict = {}
    said: dict = {}  # (grade_id, mistake) -> the messages of the lost cells
    students = report["students"]
    for row in students:
        for gid, c in (row.get("cells") or {}).items():
            st = stats.setdefault(gid, CellStats(report["assignment"], gid))
            st.max_score = max(st.max_score, float(c.get("max_score") or 0))
            if row.get("status") != "graded" or c.get("score") is None:
                continue
            st.scores.append(float(c["score"]))
            if float(c["score"]) >= float(c.get("max_score") or 0):
                continue
            name = c.get("mistake") or ""  # reports written before mistakes were named have none
            if name:
                st.mistakes[name] += 1
                if c.get("message"):
                    said.setdefault((gid, name), []).append(str(c["message"]))
            else:
                st.unnamed += 1
                st.unnamed_kinds.update(c.get("kinds") or ["unknown"])
    ids = _ids_pattern(str(r.get("student", "")) for r in students)
    for (gid, name), messages in said.items():
        stats[gid].examples[name] = _example(messages, ids)
    for st in stats.values():
        st.submissions = len(students)
        st.not_graded = sum(r.get("status") != "graded" for r in students)
    return [stats[g] for g in sorted(stats)]


def statuses(report: dict) -> Counter:
    """Submissions per status ("graded", "failed", "ungraded")."""
    return Counter(str(r.get("status", "ungraded")) for r in report["students"])


def progress(reports: dict) -> dict:
    """student -> {assignment: score fraction}; a failed submission is 0, an ungraded one absent."""
    out: dict = {}
    for a, rep in reports.items():
        for r in rep["students"]:
            per = out.setdefault(str(r.get("student", "")), {})
            if r.get("status") in ("graded", "failed") and r.get("max_score"):
                per[a] = float(r.get("score") or 0) / float(r["max_score"])
    return dict(sorted(out.items()))


def struggles(reports: dict) -> list:
    """Every grade cell of every assignment with graded submissions, the highest failure rate first."""
    cells = [st for rep in reports.values() for st in cell_stats(rep) if st.graded]
    return sorted(cells, key=lambda st: (-st.lost / st.graded, -st.graded, st.assignment, st.grade_id))


# ------------------------------------------------------------------------------ the CSV

def csv_rows(stats: list) -> list:
    """The tidy rows of the class CSV (see the module docstring), as dicts of CSV_COLUMNS."""
    rows = []

    def add(st, row, students, of, mistake="", score="", example=""):
        share = f"{students / of:.4f}" if of else ""
        rows.append(dict(zip(CSV_COLUMNS, (st.assignment, st.grade_id, f"{st.max_score:g}", row, mistake, score,
                                           students, of, share, example))))

    for st in stats:
        add(st, "passed", st.passed, st.graded)
        for score, n in sorted(Counter(st.scores).items()):
            add(st, "score", n, st.graded, score=f"{score:g}")
        for name, n in st.ranked():
            add(st, "mistake", n, st.graded, mistake=name, example=st.examples.get(name, ""))
        add(st, "unnamed failure", st.unnamed, st.graded)
        add(st, "not graded", st.not_graded, st.submissions)
    return rows


def write_csv(path: Path, stats: list) -> None:
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=CSV_COLUMNS)
        w.writeheader()
        w.writerows(csv_rows(stats))


# ------------------------------------------------------------------------------ plots

def _png(fig) -> str:
    """An <img> of a matplotlib Figure (Agg), embedded as base64 PNG."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100, bbox_inches="tight", metadata={"Software": None})
    data = base64.b64encode(buf.getvalue()).decode("ascii")
    alt = html.escape(fig.get_label() or "plot")
    return f'<img class="plot" alt="{alt}" src="data:image/png;base64,{data}">'


def score_plot(st: CellStats) -> str:
    """The score distribution of one grade cell (graded submissions)."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(4, 2.4), label=f"score distribution of {st.grade_id}")
    ax = fig.add_subplot()
    counts = Counter(st.scores)
    values = sorted(set(counts) | {0.0, st.max_score})
    ax.bar([f"{v:g}" for v in values], [counts.get(v, 0) for v in values],
           color=["#2a7" if v >= st.max_score else "#d64" for v in values])
    ax.set_xlabel(f"score (of {st.max_score:g})")
    ax.set_ylabel("students")
    ax.yaxis.get_major_locator().set_params(integer=True)
    ax.set_title(st.grade_id, fontsize=10)
    return _png(fig)


def progress_plot(prog: dict, assignments: list) -> str:
    """Each student's score fraction per assignment (thin lines) and the class median (thick)."""
    from statistics import median

    from matplotlib.figure import Figure

    fig = Figure(figsize=(max(5, 1.1 * len(assignments) + 2), 3.6), label="score fraction per assignment")
    ax = fig.add_subplot()
    x = list(range(len(assignments)))
    legend = len(prog) <= 12
    for student, per in prog.items():
        pts = [(i, per[a]) for i, a in enumerate(assignments) if a in per]
        ax.plot([p[0] for p in pts], [p[1] for p in pts], marker=".", lw=1, alpha=0.8 if legend else 0.3,
                label=student if legend else None)
    med = [(i, median(v)) for i, a in enumerate(assignments) if (v := [p[a] for p in prog.values() if a in p])]
    ax.plot([p[0] for p in med], [p[1] for p in med], color="black", lw=3, marker="o", label="class median")
    ax.set_xticks(x, assignments, rotation=30, ha="right")
    ax.set_ylim(-0.05, 1.05)
    ax.set_ylabel("score / max score")
    ax.legend(fontsize=7, loc="center left", bbox_to_anchor=(1.01, 0.5))
    return _png(fig)


def struggle_plot(ranked: list) -> str:
    """Failure rate of the grade cells the class fails most (the first _STRUGGLE_BARS)."""
    from matplotlib.figure import Figure

    top = ranked[:_STRUGGLE_BARS]
    fig = Figure(figsize=(6.5, 0.3 * len(top) + 1.2), label="failure rate per grade cell")
    ax = fig.add_subplot()
    labels = [f"{st.grade_id} ({st.assignment})" for st in top][::-1]
    ax.barh(labels, [st.lost / st.graded for st in top][::-1], color="#d64")
    ax.set_xlim(0, 1)
    ax.set_xlabel("share of graded submissions that lost points")
    ax.tick_params(axis="y", labelsize=8)
    return _png(fig)


# ------------------------------------------------------------------------------ the page

_STYLE = """body{font-family:sans-serif;max-width:75em;margin:1em auto;padding:0 1em;color:#222}
table{border-collapse:collapse;margin:.5em 0} td,th{border:1px solid #ccc;padding:3px 8px;vertical-align:top}
th{background:#f3f3f3;text-align:left} td.n{text-align:right} tr.unnamed td{font-style:italic;color:#555}
section.cell{border-top:1px solid #ddd;margin-top:1.2em} .note{color:#555} img.plot{display:block;margin:.4em 0}
.diagnosis{font-family:monospace;font-size:90%;white-space:pre-wrap}"""


def _pct(n: int, of: int) -> str:
    return f"{100 * n / of:.0f}%" if of else "n/a"


def _overview(stats: list) -> str:
    """One row per grade cell: pass rate, most common named mistake, unnamed failures."""
    e = html.escape
    rows = []
    for st in stats:
        top = st.ranked()[0] if st.mistakes else None
        rows.append(f'<tr><td><a href="#cell-{e(st.grade_id)}">{e(st.grade_id)}</a></td>'
                    f'<td class="n">{st.passed}/{st.graded}</td><td class="n">{_pct(st.passed, st.graded)}</td>'
                    f'<td>{e(top[0]) + f" ({top[1]})" if top else ""}</td><td class="n">{st.unnamed}</td></tr>')
    return ('<table class="overview"><tr><th>grade cell</th><th>passed</th><th>pass rate</th>'
            f'<th>most common named mistake</th><th>unnamed failures</th></tr>{"".join(rows)}</table>')


def _mistake_table(st: CellStats) -> str:
    """The named mistakes of a cell, most students first, then the failures no mistake explains."""
    e = html.escape
    rows = [f'<tr class="mistake"><td class="n">{i}</td><td>{e(name)}</td><td class="n count">{n}</td>'
            f'<td class="n">{_pct(n, st.graded)}</td><td class="diagnosis">{e(st.examples.get(name, ""))}</td></tr>'
            for i, (name, n) in enumerate(st.ranked(), 1)]
    kinds = ", ".join(f"{k}: {n}" for k, n in sorted(st.unnamed_kinds.items(), key=lambda kv: (-kv[1], kv[0])))
    rows.append(f'<tr class="unnamed"><td></td><td>no known mistake recognised</td><td class="n">{st.unnamed}</td>'
                f'<td class="n">{_pct(st.unnamed, st.graded)}</td><td>{e(kinds)}</td></tr>')
    return ('<table class="mistakes ranked"><tr><th>rank</th><th>named mistake</th><th>students</th>'
            f'<th>of graded</th><th>example diagnosis</th></tr>{"".join(rows)}</table>')


def _cell_section(st: CellStats) -> str:
    e = html.escape
    head = (f'<section class="cell" id="cell-{e(st.grade_id)}"><h3>{e(st.grade_id)}</h3>'
            f"<p>Passed (full marks): <b>{st.passed} of {st.graded}</b> graded submissions "
            f"({_pct(st.passed, st.graded)}); {st.lost} lost points"
            + (f"; {st.not_graded} not graded (failed or ungraded submissions, not counted here)"
               if st.not_graded else "") + ".</p>")
    if not st.graded:
        return head + "<p>No graded submission has this cell yet.</p></section>"
    body = score_plot(st)
    body += _mistake_table(st) if st.lost else "<p>Every graded submission passed this cell.</p>"
    return head + body + "</section>"


def _summary(assignment: str, counts: Counter) -> str:
    n = sum(counts.values())
    return (f"<p>{n} submission(s) of {html.escape(assignment)}: {counts['graded']} graded, {counts['failed']} "
            f"failed (scored 0 by their own doing: a hang, a crash, an unreadable notebook) and "
            f"{counts['ungraded']} not graded (not yet, or stopped by a grader fault). Only graded submissions "
            "count in the pass rates, score distributions and mistakes below; failed and ungraded ones are "
            "counted apart.</p>")


def _progress_section(prog: dict, assignments: list) -> str:
    e = html.escape
    head = "".join(f"<th>{e(a)}</th>" for a in assignments)
    rows = "".join(f"<tr><td>{e(s)}</td>" + "".join(
        f'<td class="n">{per[a]:.0%}</td>' if a in per else "<td></td>" for a in assignments) + "</tr>"
        for s, per in prog.items())
    return ("<h3>Each student's progress</h3><p class=\"note\">Score / max score per assignment (a failed "
            "submission counts 0; blank: no graded submission).</p>" + progress_plot(prog, assignments)
            + f'<table class="progress"><tr><th>student</th>{head}</tr>{rows}</table>')


def _struggles_section(ranked: list) -> str:
    e = html.escape
    rows = []
    for i, st in enumerate(ranked, 1):
        top = st.ranked()[0] if st.mistakes else None
        rows.append(f'<tr><td class="n">{i}</td><td>{e(st.grade_id)}</td><td>{e(st.assignment)}</td>'
                    f'<td class="n">{_pct(st.lost, st.graded)}</td><td class="n">{st.lost}/{st.graded}</td>'
                    f'<td>{e(top[0]) + f" ({top[1]})" if top else ""}</td></tr>')
    return ("<h3>What the class struggles with</h3><p class=\"note\">Every grade cell of every assignment, "
            "the highest share of graded submissions that lost points first.</p>" + struggle_plot(ranked)
            + '<table class="struggles ranked"><tr><th>rank</th><th>grade cell</th><th>assignment</th>'
            f'<th>failure rate</th><th>lost/graded</th><th>most common named mistake</th></tr>{"".join(rows)}</table>')


def page(assignment: str, reports: dict) -> str:
    """The class report's HTML (see the module docstring)."""
    e = html.escape
    report = reports[assignment]
    stats = cell_stats(report)
    assignments = sorted(reports)
    prog, ranked = progress(reports), struggles(reports)
    across = (_progress_section(prog, assignments) if prog else "<p>No submissions yet.</p>") + (
        _struggles_section(ranked) if ranked else "")
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Class report: {e(assignment)}</title>
<style>{_STYLE}</style></head><body>
<h1>Class report: {e(assignment)}</h1>
{_summary(assignment, statuses(report))}
<section id="per-cell"><h2>Per grade cell</h2>
<p class="note">This part names no student: it can be shown to the class. A named mistake is one of check()'s
known mistakes that a student's answer matched; the example diagnosis is what one such student was told.</p>
{_overview(stats)}
{"".join(_cell_section(st) for st in stats)}
</section>
<section id="across"><h2>Across assignments ({len(assignments)}: {e(", ".join(assignments))})</h2>
<p class="note"><b>Instructor's page:</b> this part lists student ids; do not share it with the class.</p>
{across}
</section>
</body></html>
"""


# ------------------------------------------------------------------------------ writing it

def write(course, assignment: str) -> tuple:
    """Write reports/<assignment>.class.html and .class.csv; return their paths. CourseError when
    the assignment has no report yet."""
    reports_dir = course.root / "reports"
    own = reports_dir / f"{assignment}.json"
    reports = read_reports(reports_dir) if reports_dir.is_dir() else {}
    if assignment not in reports:
        why = "is missing" if not own.exists() else "is not an autograde report"
        raise CourseError(f"no report of {assignment} yet ({own} {why}): run `coursekit autograde {assignment}` "
                          "first")
    html_path = reports_dir / f"{assignment}.class.html"
    csv_path = reports_dir / f"{assignment}.class.csv"
    write_csv(csv_path, cell_stats(reports[assignment]))
    html_path.write_text(page(assignment, reports))
    return html_path, csv_path


def write_after_autograde(course, assignment: str, say) -> None:
    """The class report at the end of an autograde run: a failure to write it loses no grade (the
    reports are written), so it is said, not raised (raised with COURSEKIT_DEBUG=1)."""
    try:
        html_path, _ = write(course, assignment)
    except Exception as e:  # noqa: BLE001 - any failure here leaves the grades and reports as they are
        if os.environ.get("COURSEKIT_DEBUG"):
            raise
        say(f"  warning: the class report was not written ({type(e).__name__}: {e}); "
            f"`coursekit report {assignment}` tries again")
        return
    say(f"class report: {html_path}")
