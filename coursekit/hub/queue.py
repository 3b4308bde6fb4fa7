"""What the grading service has seen and done, in SQLite: one row per submission, never lost.

A submission's id is its folder's name in the exchange (student+assignment+timestamp+random), so
seeing it twice adds nothing. Its life: queued -> grading -> graded | failed (the student's
own 0, with the reason) | fault (the grader's: nothing recorded, graded again later); or
superseded (a newer one of the same student and assignment came first), late (after the due
date: kept, flagged, not graded), rejected (not the student's own folder). A service killed
while grading finds its rows still `grading` and queues them again (`recover`).

    q = Queue(path); q.add(Submission(...)); q.claim(now, per_hour=5) -> rows to grade; q.finish(...)
"""
from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass, fields

SCHEMA = """
CREATE TABLE IF NOT EXISTS submissions (
    id TEXT PRIMARY KEY, student TEXT NOT NULL, assignment TEXT NOT NULL,
    arrived REAL NOT NULL,             -- when its files last changed (the file system's ctime: unforgeable)
    status TEXT NOT NULL,
    score REAL, max_score REAL, reason TEXT, kind TEXT,
    attempts INTEGER NOT NULL DEFAULT 0, started REAL, finished REAL,
    released REAL                      -- when its feedback went to the exchange (NULL: not yet)
);
CREATE INDEX IF NOT EXISTS by_student ON submissions (student, assignment, arrived);
"""
FAULT_RETRIES = 3  # a submission stopped by a grader fault is graded again this many times, then left for a person


@dataclass(frozen=True)
class Submission:
    id: str
    student: str
    assignment: str
    arrived: float
    status: str = "queued"
    score: float | None = None
    max_score: float | None = None
    reason: str | None = None
    kind: str | None = None
    attempts: int = 0
    started: float | None = None
    finished: float | None = None
    released: float | None = None


COLUMNS = tuple(f.name for f in fields(Submission))


class Queue:
    def __init__(self, path):
        self.path = str(path)
        with self._db() as db:
            db.executescript(SCHEMA)

    def _db(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=30, isolation_level=None)  # each method: one transaction
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=FULL")  # a grade written is a grade kept, power cut or not
        return db

    def add(self, sub: Submission) -> bool:
        """Record a submission; False when it was known already."""
        with self._db() as db:
            cur = db.execute(f"INSERT OR IGNORE INTO submissions ({', '.join(COLUMNS)}) VALUES "
                             f"({', '.join('?' * len(COLUMNS))})", [getattr(sub, c) for c in COLUMNS])
            return cur.rowcount == 1

    def recover(self) -> int:
        """After a crash: what was being graded is queued again (nothing of it was recorded)."""
        with self._db() as db:
            return db.execute("UPDATE submissions SET status = 'queued' WHERE status = 'grading'").rowcount

    def claim(self, now: float, per_hour: int = 0) -> list:
        """The submissions to grade now, marked `grading`: the newest queued one of each student and
        assignment (older queued ones become superseded), for students under `per_hour` gradings in
        the last hour (0: no limit)."""
        with self._db() as db:
            db.execute("BEGIN IMMEDIATE")
            rows = [Submission(*r) for r in db.execute(
                f"SELECT {', '.join(COLUMNS)} FROM submissions WHERE status = 'queued' ORDER BY arrived, id")]
            newest = {}
            for r in rows:
                newest[(r.student, r.assignment)] = r
            chosen = []
            for r in rows:
                if newest[(r.student, r.assignment)] is not r:
                    db.execute("UPDATE submissions SET status = 'superseded', finished = ? WHERE id = ?", (now, r.id))
            for r in newest.values():
                if per_hour and self._recent(db, r.student, now) >= per_hour:
                    continue
                db.execute("UPDATE submissions SET status = 'grading', started = ?, attempts = attempts + 1 "
                           "WHERE id = ?", (now, r.id))
                chosen.append(r)
            db.execute("COMMIT")
            return chosen

    @staticmethod
    def _recent(db, student: str, now: float) -> int:
        return db.execute("SELECT COUNT(*) FROM submissions WHERE student = ? AND started >= ? AND status IN "
                          "('grading', 'graded', 'failed')", (student, now - 3600)).fetchone()[0]

    def finish(self, sub_id: str, status: str, *, score=None, max_score=None, reason=None, kind=None) -> None:
        """Record how the grading of a submission ended (a fault queues it again, up to FAULT_RETRIES)."""
        with self._db() as db:
            db.execute("BEGIN IMMEDIATE")
            if status == "fault":
                tries = db.execute("SELECT attempts FROM submissions WHERE id = ?", (sub_id,)).fetchone()[0]
                status = "queued" if tries < FAULT_RETRIES else "fault"
            db.execute("UPDATE submissions SET status = ?, score = ?, max_score = ?, reason = ?, kind = ?, "
                       "finished = ? WHERE id = ?", (status, score, max_score, reason, kind, time.time(), sub_id))
            db.execute("COMMIT")

    def released(self, sub_id: str, when: float) -> None:
        with self._db() as db:
            db.execute("UPDATE submissions SET released = ? WHERE id = ?", (when, sub_id))

    def rows(self, student: str | None = None) -> list:
        """Every submission (of one student), oldest first."""
        where, args = ("WHERE student = ?", (student,)) if student else ("", ())
        with self._db() as db:
            return [Submission(*r) for r in db.execute(
                f"SELECT {', '.join(COLUMNS)} FROM submissions {where} ORDER BY arrived, id", args)]
