"""Benchmark jobs of the transactional outbox (portal.outbox; OPS-2, issue 9).

Job "outbox": 1,000 jobs, each following a state change (an audit row) in its own transaction, through the
outbox — ``enqueue`` in the transaction, the relay after commit (lock, mark queued, publish), then each
message run as a worker runs it (claim, body, done) — against the same transactions with a plain
``delay()`` after commit (Celery's ``delay_on_commit``) and the same bodies without a claim. The broker is
kombu's in-memory transport (``bench/run.py``), so the table shows what the outbox adds in the database, not
network time. Also 1,000 jobs recorded in one transaction (a sweep's burst), and — in the note — the delay
from the commit to the hand-over to the broker (p50/p95 over the 1,000 single-job transactions).
Target: at most four times the plain way end to end; the commit-to-hand-over delay is reported.
"""

from __future__ import annotations

import functools
import time

from celery import shared_task

from portal.outbox import outbox_task

from .cases import job, job_result

JOBS = 1000
TARGET = 4.0


@outbox_task(name="bench.outbox_noop")
def outbox_noop(index: int) -> int:
    return index


@shared_task(name="bench.plain_noop")
def plain_noop(index: int) -> int:
    return index


def _state_change(index: int) -> None:
    from portal.models import AuditEvent

    AuditEvent.objects.create(action="bench.job", target_repr=str(index))


def _drain() -> int:
    """Run every message waiting in the in-memory broker here, as a worker would; returns how many."""
    from portal.celery import app

    count = 0
    with app.connection_for_read() as connection:
        queue = connection.SimpleQueue(app.conf.task_default_queue)
        while True:
            try:
                message = queue.get(block=False)
            except queue.Empty:
                break
            args, kwargs, _embed = message.payload
            app.tasks[message.headers["task"]].apply(args=args, kwargs=kwargs, task_id=message.headers["id"])
            message.ack()
            count += 1
        queue.close()
    return count


def _through_outbox(jobs: int, *, one_transaction: bool, mark_commits: bool = False) -> int:
    from django.db import transaction

    from portal.outbox import enqueue

    if one_transaction:
        with transaction.atomic():
            for index in range(jobs):
                _state_change(index)
                enqueue("bench.outbox_noop", index=index)
    else:
        for index in range(jobs):
            with transaction.atomic():
                _state_change(index)
                if mark_commits:  # runs first after the commit, before the relay's callback
                    transaction.on_commit(functools.partial(_committed, index))
                enqueue("bench.outbox_noop", index=index)
    return _drain()


def _plain(jobs: int, *, one_transaction: bool) -> int:
    from django.db import transaction

    if one_transaction:
        with transaction.atomic():
            for index in range(jobs):
                _state_change(index)
                transaction.on_commit(functools.partial(plain_noop.delay, index=index))
    else:
        for index in range(jobs):
            with transaction.atomic():
                _state_change(index)
                transaction.on_commit(functools.partial(plain_noop.delay, index=index))
    return _drain()


_COMMITTED: dict[int, float] = {}
_PUBLISHED: dict[int, float] = {}


def _committed(index: int) -> None:
    _COMMITTED[index] = time.perf_counter()


def _published(sender=None, body=None, **kwargs) -> None:
    if sender == "bench.outbox_noop":
        _PUBLISHED[body[1]["index"]] = time.perf_counter()


def _clean() -> None:
    from portal.models import AuditEvent, OutboxJob

    AuditEvent.objects.filter(action="bench.job").delete()
    OutboxJob.objects.filter(task_name__startswith="bench.").delete()


def _timed(func) -> tuple[float, int, object]:
    """(wall ms, queries sent, result) of ``func()``; counts with an execute wrapper (no query log cap)."""
    from django.db import connection

    count = 0

    def counter(execute, sql, params, many, context):
        nonlocal count
        count += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(counter):
        started = time.perf_counter()
        result = func()
        elapsed = (time.perf_counter() - started) * 1000
    return elapsed, count, result


def _percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, int(round(p / 100 * len(ordered))) - 1)]


@job("outbox, 1,000 jobs", "outbox, 1,000 jobs in one transaction")
def outbox_throughput(world: dict, args) -> list[dict]:
    from celery.signals import after_task_publish

    from portal.models import OutboxJob

    _clean()
    _drain()  # what earlier jobs left in the broker (the expiry sweep's notices) is not counted here
    rows = []
    for one_transaction in (False, True):
        timings, base_timings = [], []
        queries = base_queries = 0
        for run in range(args.runs + 1):  # the first round warms up and is not counted
            base_ms, counted_base, ran = _timed(lambda one=one_transaction: _plain(JOBS, one_transaction=one))
            assert ran == JOBS, ran
            ms, counted, ran = _timed(lambda one=one_transaction: _through_outbox(JOBS, one_transaction=one))
            assert ran == JOBS and not OutboxJob.objects.exclude(status="done").exists(), ran
            if run:
                timings.append(ms)
                base_timings.append(base_ms)
                queries = max(queries, counted)
                base_queries = max(base_queries, counted_base)
            _clean()
        result = job_result(
            f"outbox, {JOBS:,} jobs" + (" in one transaction" if one_transaction else ", a transaction each"),
            rows=JOBS,
            timings=timings,
            queries=queries,
            baseline="delay() after commit, same bodies",
            base_timings=base_timings,
            base_queries=base_queries,
            target=f"≤{TARGET:g}× the plain way",
            ok=False,
        )
        result["ok"] = result["ms"] <= TARGET * result["base_ms"]
        per_job = (result["ms"] - result["base_ms"]) / JOBS
        result["note"] = (
            f"{JOBS * 1000 / result['ms']:.0f} jobs/s through the outbox vs {JOBS * 1000 / result['base_ms']:.0f}"
            f" jobs/s plain; {per_job:.2f} ms and {(queries - base_queries) / JOBS:.1f} queries more per job"
        )
        rows.append(result)

    # Commit → hand-over: from the end of each single-job transaction to the message reaching the broker.
    _COMMITTED.clear()
    _PUBLISHED.clear()
    after_task_publish.connect(_published)
    try:
        _through_outbox(JOBS, one_transaction=False, mark_commits=True)
    finally:
        after_task_publish.disconnect(_published)
        _clean()
    delays = [(_PUBLISHED[index] - _COMMITTED[index]) * 1000 for index in range(JOBS)]
    rows[0]["note"] += (
        f"; commit → hand-over p50 {_percentile(delays, 50):.2f} ms, p95 {_percentile(delays, 95):.2f} ms"
    )
    return rows
