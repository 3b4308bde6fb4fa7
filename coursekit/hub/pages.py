"""The grading service's pages, each behind the hub's login (OAuth): a student's own submissions
and feedback, and, for instructors only, every submission, the integrity reports and grades.csv.

    make_app(grader).listen(port)       grader: service.Grader
"""
from __future__ import annotations

import csv
import html
import io
import os

from jupyterhub.services.auth import HubOAuthCallbackHandler, HubOAuthenticated
from jupyterhub.utils import url_path_join
from tornado import web

from .service import Grader, _when


class Page(HubOAuthenticated, web.RequestHandler):
    def initialize(self, grader: Grader, prefix: str):
        self.grader, self.prefix = grader, prefix

    def me(self) -> str:
        return self.get_current_user()["name"]

    def instructors_only(self) -> None:
        if self.me() not in self.grader.settings.instructors:
            raise web.HTTPError(403, "instructors only")


class Mine(Page):
    @web.authenticated
    def get(self):
        me = self.me()
        self.write(_page(f"Your submissions, {html.escape(me)}", _table(self.grader, self.grader.queue.rows(me),
                                                                         self.prefix)))


class Feedback(Page):
    @web.authenticated
    def get(self, assignment):
        g = self.grader
        known = assignment in g.course.source_assignments()
        if known and g.withheld(assignment):
            raise web.HTTPError(403, "feedback is shown after the due date")
        pages = sorted((g.course.root / "feedback" / self.me() / assignment).glob("*.html")) if known else []
        if not pages:
            raise web.HTTPError(404, "no feedback yet")
        self.write(pages[0].read_text())


class Everyone(Page):
    @web.authenticated
    def get(self):
        self.instructors_only()
        g, prefix = self.grader, self.prefix
        body = _table(g, g.queue.rows(), prefix, everyone=True)
        body += "<h2>Integrity reports</h2><ul>" + "".join(
            f'<li><a href="{prefix}instructor/reports/{html.escape(p.name)}">{html.escape(p.name)}</a></li>'
            for p in _reports(g).values()) + "</ul>"
        body += f'<p><a href="{prefix}instructor/grades.csv">grades.csv</a></p>'
        if g.errors:
            body += "<h2>Service errors</h2><pre>" + html.escape("\n".join(g.errors[-20:])) + "</pre>"
        self.write(_page("Every submission", body))


class Report(Page):
    @web.authenticated
    def get(self, name):
        self.instructors_only()
        reports = _reports(self.grader)
        if name not in reports:
            raise web.HTTPError(404, "no such report")
        self.write(reports[name].read_text())


class Grades(Page):
    @web.authenticated
    def get(self):
        self.instructors_only()
        self.set_header("Content-Type", "text/csv")
        self.write(_csv(self.grader.queue.rows()))


def make_app(grader: Grader) -> web.Application:
    prefix = os.environ.get("JUPYTERHUB_SERVICE_PREFIX", "/services/grader/")
    given = {"grader": grader, "prefix": prefix}
    return web.Application([
        (prefix, Mine, given), (url_path_join(prefix, "feedback/([^/]+)"), Feedback, given),
        (url_path_join(prefix, "instructor"), Everyone, given),
        (url_path_join(prefix, "instructor/grades.csv"), Grades, given),
        (url_path_join(prefix, "instructor/reports/([^/]+)"), Report, given),
        (url_path_join(prefix, "oauth_callback"), HubOAuthCallbackHandler),
    ], cookie_secret=os.urandom(32))


def _reports(grader: Grader) -> dict:
    return {p.name: p for p in sorted((grader.course.root / "reports").glob("*.integrity.html"))}


def _page(title: str, body: str) -> str:
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>{title}</title></head>"
            f"<body><h1>{title}</h1>{body}</body></html>")


def _table(grader: Grader, rows: list, prefix: str, everyone: bool = False) -> str:
    """Submissions as an HTML table; scores hidden before the due date when the policy says so."""
    head = ["student"] * everyone + ["assignment", "arrived", "status", "score", "note"]
    out = ["<table border='1'><tr>" + "".join(f"<th>{h}</th>" for h in head) + "</tr>"]
    for r in rows:
        hidden = not everyone and grader.withheld(r.assignment)
        score = "" if r.score is None else ("hidden until the due date" if hidden else f"{r.score:g} / {r.max_score:g}")
        link = (f' <a href="{prefix}feedback/{html.escape(r.assignment)}">feedback</a>'
                if r.released and not everyone else "")
        cells = [r.student] * everyone + [r.assignment, _when(r.arrived), r.status]
        out.append("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in cells)
                   + f"<td class='score'>{html.escape(score)}{link}</td><td>{html.escape(r.reason or '')}</td></tr>")
    return "\n".join(out) + "</table>"


def _csv(rows: list) -> str:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["student", "assignment", "arrived_utc", "status", "score", "max_score", "kind", "reason"])
    for r in rows:
        w.writerow([r.student, r.assignment, _when(r.arrived), r.status, "" if r.score is None else f"{r.score:g}",
                    "" if r.max_score is None else f"{r.max_score:g}", r.kind or "", r.reason or ""])
    return buf.getvalue()
