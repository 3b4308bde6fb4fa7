"""The grading service's queue and policy, without a hub: what is graded, when, and never twice."""
from __future__ import annotations

import sqlite3
import threading

import pytest

from coursekit.hub.queue import FAULT_RETRIES, Queue, Submission

T0 = 1_800_000_000.0


def sub(student, n, assignment="01_neurons", arrived=None):
    return Submission(f"{student}+{assignment}+{n}+x", student, assignment, T0 + n if arrived is None else arrived)


@pytest.fixture
def q(tmp_path):
    return Queue(tmp_path / "queue.sqlite")


def test_a_submission_seen_twice_is_one_row(q):
    assert q.add(sub("ann", 1)) is True
    assert q.add(sub("ann", 1)) is False
    assert len(q.rows()) == 1


def test_the_newest_of_a_students_queued_submissions_is_graded_the_older_superseded(q):
    for n in (1, 2, 3):
        q.add(sub("ann", n))
    q.add(sub("bob", 1))
    q.add(sub("ann", 4, assignment="02_activations"))
    claimed = q.claim(T0 + 10)
    assert sorted(r.id for r in claimed) == sorted([sub("ann", 3).id, sub("bob", 1).id,
                                                    sub("ann", 4, "02_activations").id])
    status = {r.id: r.status for r in q.rows()}
    assert status[sub("ann", 1).id] == status[sub("ann", 2).id] == "superseded"
    assert q.claim(T0 + 11) == []  # nothing is claimed twice


def test_at_most_n_gradings_per_student_per_hour_later_ones_wait(q):
    for n in range(3):
        q.add(sub("ann", n))
        (r,) = q.claim(T0 + 100 * n, per_hour=2) or [None]
        if n < 2:
            assert r.id == sub("ann", n).id
            q.finish(r.id, "graded", score=5, max_score=5)
        else:
            assert r is None  # the third within the hour waits, queued
    assert q.rows()[-1].status == "queued"
    (r,) = q.claim(T0 + 3600 + 1, per_hour=2)  # an hour after the first: its turn
    assert r.id == sub("ann", 2).id


def test_a_crash_while_grading_queues_it_again(q):
    q.add(sub("ann", 1))
    (r,) = q.claim(T0)
    assert q.recover() == 1  # the service restarts: nothing of that grading was recorded
    (again,) = q.claim(T0 + 5)
    assert again.id == r.id and q.rows()[0].attempts == 2


def test_a_grader_fault_is_retried_then_left_for_a_person_never_a_zero(q):
    q.add(sub("ann", 1))
    for attempt in range(1, FAULT_RETRIES + 1):
        (r,) = q.claim(T0 + attempt)
        q.finish(r.id, "fault", reason="nbgrader crashed", kind="grader_fault")
    (row,) = q.rows()
    assert row.status == "fault" and row.score is None and row.attempts == FAULT_RETRIES
    assert q.claim(T0 + 100) == []


def test_late_and_rejected_submissions_are_kept_and_never_claimed(q):
    late = Submission("ann+01_neurons+9+x", "ann", "01_neurons", T0, status="late", reason="after the due date")
    forged = Submission("bob+01_neurons+9+x", "bob", "01_neurons", T0, status="rejected", reason="written by ann")
    q.add(late)
    q.add(forged)
    assert q.claim(T0 + 1) == [] and {r.status for r in q.rows()} == {"late", "rejected"}


def test_two_services_claiming_at_once_never_grade_the_same_submission(q):
    for n in range(20):
        q.add(sub(f"s{n:02d}", 1))
    got, barrier = [], threading.Barrier(2)

    def claim():
        barrier.wait()
        got.extend(r.id for r in Queue(q.path).claim(T0 + 50))

    threads = [threading.Thread(target=claim) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(got) == sorted(r.id for r in q.rows()) and len(got) == len(set(got))


def test_the_queue_is_durable_sqlite(q):
    q.add(sub("ann", 1))
    with sqlite3.connect(q.path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert db.execute("SELECT COUNT(*) FROM submissions").fetchone()[0] == 1
