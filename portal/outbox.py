"""Background work that is never lost and never done twice: the transactional outbox (OPS-1, OPS-2; used by
ACC-2 invitations, DEL-1/DEL-2/DEL-4/ACC-4 notices and links, TEN-7 checks, and later SUB-4 renewals and REP-4
deliveries).

The interface
-------------
::

    from portal.outbox import enqueue, outbox_task, send_mail_once

    @transaction.atomic
    def grant_something(...):
        ...                                   # the state change
        enqueue("delegations.tasks.send_grant_link", key=f"grant-link:{invitation.pk}", invitation_id=invitation.pk)

    @outbox_task(name="delegations.tasks.send_grant_link", max_retries=8, retry_on=(WebhookError,))
    def send_grant_link(invitation_id: int) -> bool:
        ...                                   # return early when done; guard each external effect:
        send_mail_once(f"grant-link:{invitation_id}", subject=..., message=..., recipient_list=[...])

- ``enqueue(task_name, key=None, countdown=None, **kwargs)`` writes one ``OutboxJob`` row in the caller's
  transaction and raises ``RuntimeError`` outside ``transaction.atomic()``: the state change and "what must
  happen because of it" are one unit, or neither happens. ``kwargs`` must be JSON (ids, not objects). ``key``
  makes the job unique per event: a second ``enqueue`` with the same key returns the first job. ``countdown``
  (seconds) delays the job.
- ``@outbox_task(name=..., max_retries=None, retry_on=(), **celery_options)`` declares the task (a Celery
  task with ``acks_late`` and ``reject_on_worker_lost``). A worker runs the body only after claiming the row;
  transient errors (``TRANSIENT_ERRORS``, SMTP 4xx, and ``retry_on``) retry with exponential back-off and
  jitter, up to ``max_retries`` (default ``OUTBOX_MAX_RETRIES``), then the row is ``failed``; any other error
  fails it at once. Called directly or sent without a job (``send_task``), the body simply runs.
- ``once(key)`` / ``send_mail_once(key, ...)`` guard an external effect so that a second run of the job (a
  redelivery, a re-run from the admin) does not repeat it.
- ``rerun(jobs)`` puts failed jobs back (the admin's "re-run" action); ``sweep()`` is the beat job;
  ``failed_recently()`` feeds ``/health/``.

How a job travels
-----------------
``enqueue`` inserts the row in the caller's transaction, already marked ``queued`` when it is due within the
hand-over horizon (``pending`` otherwise). After the commit, the relay (``transaction.on_commit``, one per
transaction, in chunks of 500) reads the transaction's rows and publishes one message each (job id in the
kwargs, ETA for a countdown): no write of its own. If the broker is down, the unsent rows go back to
``pending`` with the error, and the request that recorded them still answers 2xx: the work is delayed, not
lost. A worker claims the row with one conditional ``UPDATE … SET status='running', attempts=attempts+1 WHERE
id=… AND (status IN ('pending','queued') OR (status='running' AND task_id=<this message>))`` — the second
branch lets the *same* message run again after its worker process died (acks_late and
reject_on_worker_lost put it back) — then runs the body and marks the row ``done``; a transient error
schedules the next attempt (back to ``pending`` with ``next_attempt_at``, handed over again at once with an
ETA), the last attempt or any other error marks it ``failed``. ``sweep()`` (beat, every minute,
``select_for_update(skip_locked=True)``, so two beats or a beat and a retry never hand a row over twice)
hands over every due ``pending`` row, re-sends ``queued`` rows nobody claimed ``OUTBOX_HANDOVER_GRACE``
seconds after they were due (a message the broker lost, one popped by a worker that died before acking — a
known gap of Celery's Redis transport —, or a process that died between commit and publish), and takes back
``running`` rows whose lease (the task's hard time limit plus a minute) ran out.

The guarantee
-------------
At-least-once delivery, deduplicated by the claim: a committed job runs until it is ``done`` or ``failed``,
however often the broker loses or repeats its message; a message that finds its row claimed by someone else,
done or failed does nothing. A body may still run a second time when its worker dies after the body's work
and before ``done`` is committed, or when a failed job is re-run; therefore bodies are idempotent (they return
early when their work is done) and every external effect is guarded by ``once(key)``: the key row is inserted
in the transaction around the effect and committed right after it. So one event gives one mail, except in one
window that no database can close: a crash (or a lost database connection) after the SMTP server accepted
the mail and before the key row was committed resends that mail once. ``send_mail_once`` gives both copies
the same ``Message-ID`` (derived from the key), which many mail systems use to drop the duplicate.

Why our own outbox and not a library
------------------------------------
Looked at: ``django-celery-outbox`` (replaces the Celery app, a separate relay daemon, rows are deleted once
*published*; needs structlog, sentry-sdk and datadog), ``django-jaiminho`` (pickles the function with dill,
a separate relay command, tracks only *sending*), and Celery's own ``delay_on_commit`` (``DjangoTask``:
on-commit only, so a broker outage or a process killed after commit loses the job). None records whether a
job *finished*, deduplicates by a key, or lets a redelivered message be a no-op, and two add a fourth process
to ``make run`` and compose. So we keep Celery's on-commit hand-over (the relay is ``delay_on_commit`` plus a
durable row) and add the small part the libraries lack: the claim, the finished/failed record, the retries
and the beat sweep (with ``SKIP LOCKED``, as ``django-celery-outbox``'s relay does; countdowns become an
absolute due time at enqueue, as there).
"""

from __future__ import annotations

import contextvars
import functools
import hashlib
import inspect
import json
import logging
import os
import random
import smtplib
import socket
from collections.abc import Iterable
from datetime import datetime, timedelta

from celery import Task, shared_task
from django.conf import settings
from django.core.mail import EmailMessage
from django.db import IntegrityError, InterfaceError, OperationalError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerError

from portal.models import OPEN_JOB_STATUSES, JobStatus, OutboxJob, SideEffect

logger = logging.getLogger(__name__)

#: The kwarg that carries the job id in a message (popped before the body is called).
JOB_KWARG = "outbox_job_id"

#: Errors worth another attempt: the database connection lost or a lock/serialization conflict
#: (OperationalError), the broker unreachable, an SMTP server that disconnected or timed out, a refused or
#: reset connection. SMTP 4xx answers count too (see ``is_transient``); 5xx answers and bugs do not.
TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    OperationalError,
    InterfaceError,
    BrokerError,
    smtplib.SMTPServerDisconnected,
    TimeoutError,
    socket.timeout,
    ConnectionError,
)

_current_job: contextvars.ContextVar[int | None] = contextvars.ContextVar("outbox_job", default=None)


def _setting(name: str, default):
    return getattr(settings, name, default)


# --- enqueue ---------------------------------------------------------------------------------------------


def enqueue(task_name: str, key: str | None = None, countdown: float | None = None, **kwargs) -> OutboxJob:
    """Record the job ``task_name(**kwargs)`` in the current transaction; it is handed to Celery after commit.

    Raises ``RuntimeError`` outside ``transaction.atomic()`` (the job must commit with the change it follows),
    ``LookupError`` for a task that is not an ``@outbox_task``, ``TypeError`` for kwargs that are not JSON.
    With ``key``, a job of that key that exists already is returned instead of a second one.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError(
            "portal.outbox.enqueue() must run inside transaction.atomic(): the job commits with its change."
        )
    task = _outbox_task_named(task_name)
    if JOB_KWARG in kwargs:
        raise TypeError(f"{JOB_KWARG} is reserved")
    # Fail here, in the caller, not later in a worker: arguments the task does not take, or that are not JSON.
    inspect.signature(task.run).bind(**kwargs)
    json.dumps(kwargs)
    now = timezone.now()
    due = now + timedelta(seconds=countdown or 0)
    # A job due soon is written as handed over already: the relay only publishes it after commit, with no
    # write of its own. A later one stays pending for the sweep.
    soon = due <= _horizon(now)
    job = OutboxJob(
        task_name=task_name,
        kwargs=kwargs,
        dedupe_key=key,
        created_at=now,
        next_attempt_at=due,
        status=JobStatus.QUEUED if soon else JobStatus.PENDING,
        queued_at=now if soon else None,
        handovers=1 if soon else 0,
    )
    if key is None:
        job.save(force_insert=True)
    else:
        try:
            with transaction.atomic():  # a savepoint: the conflict must not spoil the caller's transaction
                job.save(force_insert=True)
        except IntegrityError:
            return OutboxJob.objects.get(dedupe_key=key)
    if soon:
        _relay_after_commit(job.pk)
    return job


def _outbox_task_named(task_name: str) -> Task:
    from portal.celery import app

    task = app.tasks.get(task_name)
    if task is None:
        # Outside a worker, the apps' tasks modules are imported on first use (Celery's autodiscovery).
        app.loader.import_default_modules()
        task = app.tasks.get(task_name)
    if task is None or not getattr(task, "outbox", False):
        raise LookupError(f"{task_name!r} is not a task declared with @outbox_task")
    return task


def _relay_after_commit(job_id: int) -> None:
    """Collect the ids of this transaction's jobs; the first on-commit callback hands them all over.

    One callback per enqueue (a savepoint rolled back drops its own callbacks, not the others'), but one
    relay per transaction: the first callback empties the batch, the rest find it empty. The batch belongs to
    the connection's current list of on-commit callbacks, which Django replaces at every commit and rollback,
    so ids of a rolled-back transaction never travel into the next one (and those of a rolled-back savepoint
    are harmless: the relay selects only rows that exist and are queued).
    """
    conn = transaction.get_connection()
    owner, batch = conn.__dict__.get("_outbox_batch", (None, None))
    if owner is not conn.run_on_commit:
        batch = []
        conn.__dict__["_outbox_batch"] = (conn.run_on_commit, batch)
    batch.append(job_id)
    transaction.on_commit(functools.partial(_flush_relay, batch))


RELAY_CHUNK = 500


def _flush_relay(batch: list[int]) -> None:
    """Publish the batch's jobs (written ``queued`` in the transaction that just committed). One read, no
    write: only a failed publish writes (the jobs go back to ``pending`` for the sweep)."""
    ids = batch[:]
    batch.clear()
    try:
        _publish_committed(ids)
    except Exception:
        from portal.celery import app

        if app.conf.task_always_eager:
            raise  # tests: a task's error surfaces where the work was recorded
        # After the commit nothing may fail the caller (the database went away right after its commit?):
        # the jobs are recorded as queued, and the sweep re-sends them after OUTBOX_HANDOVER_GRACE.
        logger.exception(
            "Outbox: the relay could not hand over %d committed job(s); the sweep will", len(ids)
        )


def _publish_committed(ids: list[int]) -> None:
    now = timezone.now()
    for start in range(0, len(ids), RELAY_CHUNK):
        chunk = ids[start : start + RELAY_CHUNK]
        jobs = list(
            OutboxJob.objects.filter(pk__in=chunk, status=JobStatus.QUEUED)
            .order_by("pk")
            .values("pk", "task_name", "kwargs", "next_attempt_at")
        )
        _published, broker_failed = _publish(jobs, now=now)
        if broker_failed:
            # The rest are recorded too: back to pending at once, no publish attempt per chunk.
            rest = ids[start + RELAY_CHUNK :]
            if rest:
                _back_to_pending(rest, "hand-over skipped: the broker failed for an earlier job")
            break


# --- relay -----------------------------------------------------------------------------------------------


def _horizon(now: datetime) -> datetime:
    """Rows due before this are handed over now (with an ETA); later ones wait for a later sweep, so the
    broker never holds a message longer than the retry cap (well inside the visibility timeout)."""
    return now + timedelta(seconds=_setting("OUTBOX_RETRY_MAX_SECONDS", 300))


def hand_over(ids: Iterable[int] | None = None, *, now: datetime | None = None, limit: int = 500) -> int:
    """Publish due ``pending`` rows (these ids, or any) to the broker; returns how many were handed over.

    The rows are locked with SKIP LOCKED and marked ``queued`` in one short transaction, then published
    outside it. If the broker fails, the rows not yet published go back to ``pending`` for the sweep and the
    caller carries on: a broker outage delays work, it does not fail the request that recorded it.
    """
    return _hand_over(ids, now=now or timezone.now(), limit=limit)[0]


def _hand_over(ids: Iterable[int] | None, *, now: datetime, limit: int) -> tuple[int, bool]:
    """``hand_over``'s work: (rows published, whether the broker failed)."""
    with transaction.atomic():
        rows = OutboxJob.objects.select_for_update(skip_locked=True).filter(
            status=JobStatus.PENDING, next_attempt_at__lte=_horizon(now)
        )
        if ids is not None:
            rows = rows.filter(pk__in=list(ids))
        jobs = list(
            rows.order_by("next_attempt_at", "pk").values("pk", "task_name", "kwargs", "next_attempt_at")[
                :limit
            ]
        )
        if not jobs:
            return 0, False
        OutboxJob.objects.filter(pk__in=[job["pk"] for job in jobs], status=JobStatus.PENDING).update(
            status=JobStatus.QUEUED, queued_at=now, handovers=F("handovers") + 1
        )
    return _publish(jobs, now=now)


def _publish(jobs: list[dict], *, now: datetime) -> tuple[int, bool]:
    """Send one message per job (rows already ``queued``); on a broker error the unsent ones go back to
    ``pending``. Returns (published, whether the broker failed)."""
    from portal.celery import app

    if not jobs:
        return 0, False
    eager = app.conf.task_always_eager
    published: list[int] = []
    try:
        if eager:  # tests: the task runs here and now, in this process (its errors propagate)
            for job in jobs:
                _outbox_task_named(job["task_name"]).apply_async(
                    kwargs={**job["kwargs"], JOB_KWARG: job["pk"]}
                )
                published.append(job["pk"])
        else:
            with app.producer_or_acquire() as producer:
                for job in jobs:
                    eta = job["next_attempt_at"] if job["next_attempt_at"] > now else None
                    app.send_task(
                        job["task_name"],
                        kwargs={**job["kwargs"], JOB_KWARG: job["pk"]},
                        eta=eta,
                        producer=producer,
                        retry=True,
                        retry_policy=_setting("OUTBOX_PUBLISH_RETRY_POLICY", None),
                    )
                    published.append(job["pk"])
    except Exception as exc:
        if eager:
            raise
        sent = set(published)
        unsent = [job["pk"] for job in jobs if job["pk"] not in sent]
        logger.warning(
            "Outbox: broker unavailable (%s: %s); %d job(s) stay recorded and wait for the sweep",
            type(exc).__name__,
            exc,
            len(unsent),
        )
        _back_to_pending(unsent, f"hand-over failed: {type(exc).__name__}: {exc}")
        return len(published), True
    return len(published), False


def _back_to_pending(ids: list[int], error: str) -> None:
    try:
        OutboxJob.objects.filter(pk__in=ids, status=JobStatus.QUEUED).update(
            status=JobStatus.PENDING, last_error=error[:2000]
        )
    except Exception:  # noqa: BLE001 - the database too: the sweep re-sends queued rows after the grace
        logger.exception("Outbox: could not put %d job(s) back to pending", len(ids))


# --- the task side ---------------------------------------------------------------------------------------


def is_transient(exc: BaseException, retry_on: tuple[type[BaseException], ...] = ()) -> bool:
    """Whether another attempt may succeed: ``TRANSIENT_ERRORS``, ``retry_on`` and SMTP 4xx answers."""
    if retry_on and isinstance(exc, retry_on):
        return True
    if isinstance(exc, smtplib.SMTPResponseException):
        return 400 <= exc.smtp_code < 500
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _message in exc.recipients.values()]
        return bool(codes) and all(400 <= code < 500 for code in codes)
    return isinstance(exc, TRANSIENT_ERRORS)


def backoff(attempt: int, *, base: float | None = None, cap: float | None = None) -> float:
    """Seconds before attempt ``attempt + 1``: exponential from ``base`` (default
    ``OUTBOX_RETRY_BASE_SECONDS``), capped at ``cap`` (default ``OUTBOX_RETRY_MAX_SECONDS``), with "equal
    jitter" (between half and all of it) so retries of many jobs that failed together do not come back
    together. A task may declare its own schedule (``@outbox_task(retry_base_seconds=60,
    retry_max_seconds=4 * 3600, max_retries=16)`` retries a webhook for about a day, REP-4); a retry due
    beyond the hand-over horizon waits as ``pending`` for the sweep."""
    base = float(_setting("OUTBOX_RETRY_BASE_SECONDS", 2.0) if base is None else base)
    cap = float(_setting("OUTBOX_RETRY_MAX_SECONDS", 300.0) if cap is None else cap)
    delay = min(cap, base * 2 ** max(attempt - 1, 0))
    return random.uniform(delay / 2, delay)


def current_job_id() -> int | None:
    """The id of the outbox job whose body is running in this context, if any."""
    return _current_job.get()


class OutboxTask(Task):
    """Base class of ``@outbox_task`` tasks: claim the row, run the body, record the outcome."""

    outbox = True
    outbox_max_retries: int | None = None
    outbox_retry_on: tuple[type[BaseException], ...] = ()
    outbox_retry_base: float | None = None  # per-task back-off schedule (None: the settings')
    outbox_retry_max: float | None = None
    acks_late = True
    reject_on_worker_lost = True  # safe: a redelivered message finds the row claimed or done
    # Celery's argument check would refuse the job-id kwarg; enqueue() checks the arguments itself.
    typing = False

    def __call__(self, *args, **kwargs):
        job_id = kwargs.pop(JOB_KWARG, None)
        if job_id is None:  # called directly, or sent by name without a job: just the body
            return self.run(*args, **kwargs)
        return _run_job(self, int(job_id), args, kwargs)

    @property
    def max_attempts(self) -> int:
        retries = self.outbox_max_retries
        if retries is None:
            retries = _setting("OUTBOX_MAX_RETRIES", 8)
        return retries + 1

    @property
    def lease_seconds(self) -> float:
        """How long a claim is honoured: the hard time limit of the task (or of all tasks) plus a margin."""
        limit = self.time_limit or self.app.conf.task_time_limit or _setting("OUTBOX_LEASE_SECONDS", 600)
        return float(limit) + 60.0


def outbox_task(
    *,
    name: str,
    max_retries: int | None = None,
    retry_on: Iterable[type[BaseException]] = (),
    retry_base_seconds: float | None = None,
    retry_max_seconds: float | None = None,
    **options,
):
    """Declare an outbox task: ``@outbox_task(name="app.tasks.verb", max_retries=5, retry_on=(MyError,))``.

    ``retry_base_seconds`` / ``retry_max_seconds`` give the task its own back-off schedule (see ``backoff``).
    Further keyword arguments are Celery task options (``time_limit``, ``soft_time_limit``, ``queue``, …).
    """
    return shared_task(
        name=name,
        base=OutboxTask,
        outbox_max_retries=max_retries,
        outbox_retry_on=tuple(retry_on),
        outbox_retry_base=retry_base_seconds,
        outbox_retry_max=retry_max_seconds,
        **options,
    )


def _update_quietly(queryset, **values) -> int:
    """``queryset.update(**values)`` in a transaction of its own that PostgreSQL commits without waiting for
    the disk (``SET LOCAL synchronous_commit TO OFF``). For the claim and the done mark only: a database crash
    may forget them (never half-apply them), and then the sweep hands the job over again and the body's
    guards (``once``, its own state) make the second run harmless — the effects' own commits stay durable,
    and each of them flushes the earlier claim with it. Saves two disk flushes per job."""
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return queryset.update(**values)
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")
        return queryset.update(**values)


def _claimed_by(task: Task) -> str:
    return f"{task.request.hostname or socket.gethostname()}:{os.getpid()}"[:200]


def _run_job(task: OutboxTask, job_id: int, args: tuple, kwargs: dict):
    message_id = (task.request.id or "")[:64]
    now = timezone.now()
    claimable = Q(status__in=[JobStatus.PENDING, JobStatus.QUEUED])
    if message_id:
        # The same message again (its worker process died and the broker redelivered it): that claim's
        # holder is gone, because the visibility timeout outlasts every task's hard time limit.
        claimable |= Q(status=JobStatus.RUNNING, task_id=message_id)
    claimed = _update_quietly(
        OutboxJob.objects.filter(claimable, pk=job_id),
        status=JobStatus.RUNNING,
        attempts=F("attempts") + 1,
        claimed_at=now,
        lease_until=now + timedelta(seconds=task.lease_seconds),
        claimed_by=_claimed_by(task),
        task_id=message_id,
    )
    if not claimed:
        logger.info(
            "Outbox job %s (%s): claimed elsewhere, done or not due; nothing to do", job_id, task.name
        )
        return None
    mine = Q(pk=job_id, status=JobStatus.RUNNING, task_id=message_id)
    token = _current_job.set(job_id)
    try:
        result = task.run(*args, **kwargs)
    except Exception as exc:
        _current_job.reset(token)
        _record_error(task, job_id, mine, exc)
        if not is_transient(exc, task.outbox_retry_on):
            raise
        return None
    _current_job.reset(token)
    done = _update_quietly(
        OutboxJob.objects.filter(mine), status=JobStatus.DONE, finished_at=timezone.now(), lease_until=None
    )
    if not done:
        logger.warning("Outbox job %s (%s) finished after its claim was taken back", job_id, task.name)
    return result


def _record_error(task: OutboxTask, job_id: int, mine: Q, exc: Exception) -> None:
    """A transient error schedules the next attempt (or fails the job after the last); others fail it."""
    error = f"{type(exc).__name__}: {exc}"[:2000]
    if isinstance(exc, OperationalError | InterfaceError) and not connection.in_atomic_block:
        connection.close()  # the connection may be the broken part: the next query opens a new one
    transient = is_transient(exc, task.outbox_retry_on)
    attempts = OutboxJob.objects.filter(pk=job_id).values_list("attempts", flat=True).first() or 0
    now = timezone.now()
    if transient and attempts < task.max_attempts:
        delay = backoff(attempts, base=task.outbox_retry_base, cap=task.outbox_retry_max)
        updated = OutboxJob.objects.filter(mine).update(
            status=JobStatus.PENDING,
            next_attempt_at=now + timedelta(seconds=delay),
            lease_until=None,
            last_error=error,
        )
        logger.warning(
            "Outbox job %s (%s) attempt %d failed (%s); retrying in %.1fs",
            job_id,
            task.name,
            attempts,
            error,
            delay,
        )
        if updated:
            hand_over([job_id], now=now)
        return
    OutboxJob.objects.filter(mine).update(
        status=JobStatus.FAILED, finished_at=now, lease_until=None, last_error=error
    )
    logger.error(
        "Outbox job %s (%s) failed after %d attempt(s): %s",
        job_id,
        task.name,
        attempts,
        error,
        exc_info=not transient,
    )


# --- side effects ----------------------------------------------------------------------------------------


class once:  # noqa: N801 - used like a function: ``with once(key) as first:``
    """Guard an external effect: ``with once("grant-link:42") as first: if first: send(...)``.

    Opens a transaction and inserts the key's ``SideEffect`` row; the row commits when the block ends
    without an error, so a second run of the job (or a concurrent one: it waits for the first's commit)
    gets ``False``. An error in the block rolls the row back and the effect is tried again on the retry.
    Use it outside other transactions, so the row commits right after the effect.
    """

    def __init__(self, key: str):
        if not key or len(key) > 255:
            raise ValueError("once() needs a key of 1 to 255 characters")
        self.key = key
        self._atomic = transaction.atomic()

    def __enter__(self) -> bool:
        self._atomic.__enter__()
        try:
            with transaction.atomic():
                SideEffect.objects.create(key=self.key, job_id=current_job_id())
        except IntegrityError:
            return False
        except BaseException as exc:
            self._atomic.__exit__(type(exc), exc, exc.__traceback__)
            raise
        return True

    def __exit__(self, exc_type, exc, traceback):
        return self._atomic.__exit__(exc_type, exc, traceback)


def message_id_for(key: str) -> str:
    """A Message-ID derived from the effect's key: a resent copy (see the guarantee) carries the same one."""
    digest = hashlib.sha256(key.encode()).hexdigest()[:32]
    domain = _setting("DEFAULT_FROM_EMAIL", "").rpartition("@")[2].strip("> ") or "portal.invalid"
    return f"<{digest}@{domain}>"


def send_mail_once(
    key: str | None,
    *,
    subject: str,
    message: str,
    recipient_list: list[str],
    from_email: str | None = None,
    attachments: list[tuple[str, bytes | str, str]] | None = None,
) -> bool:
    """``send_mail`` guarded by ``once``: returns False when this key's mail was sent already.

    ``key`` names the event (``"grant-link:42"``); ``None`` means "this job's mail to these recipients"
    inside an outbox job, and an unguarded send outside one. ``attachments``: (file name, content, MIME type)
    triples (REP-4 sends the CSV this way).
    """
    if key is None:
        job_id = current_job_id()
        if job_id is None:
            return _send(subject, message, recipient_list, from_email, None, attachments) > 0
        key = f"job:{job_id}:" + ",".join(sorted(recipient_list))
    key = key[:255]
    with once(key) as first:
        if first:
            _send(subject, message, recipient_list, from_email, message_id_for(key), attachments)
    return first


def _send(subject, message, recipient_list, from_email, message_id, attachments=None) -> int:
    headers = {"Message-ID": message_id} if message_id else None
    mail = EmailMessage(subject, message, from_email, recipient_list, headers=headers)
    for name, content, mimetype in attachments or ():
        mail.attach(name, content, mimetype)
    return mail.send()


# --- sweep, re-run, health -------------------------------------------------------------------------------


def _max_attempts(task_name: str) -> int:
    try:
        return _outbox_task_named(task_name).max_attempts
    except LookupError:
        return 1


def sweep(*, now: datetime | None = None, batch_size: int = 500) -> dict[str, int]:
    """Beat job (every minute): take back what was lost, hand over what is due. Returns counts.

    1. ``running`` rows whose lease ran out (the worker died, or was killed at the hard time limit): back to
       ``pending``, or ``failed`` once they used all attempts;
    2. ``queued`` rows nobody claimed ``OUTBOX_HANDOVER_GRACE`` seconds after they were handed over and due
       (the broker lost the message, or a worker popped it and died before acking): back to ``pending``;
    3. every due ``pending`` row is handed over, in batches.

    Rows are locked with SKIP LOCKED: a second beat (or a relay at the same moment) never takes the same row.
    """
    now = now or timezone.now()
    grace = timedelta(seconds=_setting("OUTBOX_HANDOVER_GRACE", 300))
    counts = {"taken_back": 0, "resent": 0, "failed": 0, "handed_over": 0}
    with transaction.atomic():
        stale = list(
            OutboxJob.objects.select_for_update(skip_locked=True)
            .filter(status=JobStatus.RUNNING, lease_until__lt=now)
            .values_list("pk", "task_name", "attempts")[:batch_size]
        )
        exhausted = [pk for pk, name, attempts in stale if attempts >= _max_attempts(name)]
        again = [pk for pk, _name, _attempts in stale if pk not in set(exhausted)]
        if exhausted:
            counts["failed"] = OutboxJob.objects.filter(pk__in=exhausted).update(
                status=JobStatus.FAILED,
                finished_at=now,
                lease_until=None,
                last_error="The worker running this job was lost (lease expired) and no attempt is left.",
            )
        if again:
            counts["taken_back"] = OutboxJob.objects.filter(pk__in=again).update(
                status=JobStatus.PENDING,
                next_attempt_at=now,
                lease_until=None,
                last_error="The worker running this job was lost (lease expired); handed over again.",
            )
        lost = list(
            OutboxJob.objects.select_for_update(skip_locked=True)
            .filter(status=JobStatus.QUEUED, queued_at__lt=now - grace, next_attempt_at__lt=now - grace)
            .values_list("pk", flat=True)[:batch_size]
        )
        if lost:
            counts["resent"] = OutboxJob.objects.filter(pk__in=lost, status=JobStatus.QUEUED).update(
                status=JobStatus.PENDING
            )
    while True:
        handed, broker_failed = _hand_over(None, now=now, limit=batch_size)
        counts["handed_over"] += handed
        if handed < batch_size or broker_failed:
            break
    if any(counts.values()):
        logger.info("Outbox sweep: %s", counts)
    return counts


def rerun(jobs, *, now: datetime | None = None) -> int:
    """Put failed jobs (a queryset or ids) back with fresh attempts; handed over after commit.

    Side effects guarded by ``once`` that happened in an earlier attempt are not repeated.
    """
    ids = list(jobs.values_list("pk", flat=True)) if hasattr(jobs, "values_list") else list(jobs)
    now = now or timezone.now()
    with transaction.atomic():
        rows = list(
            OutboxJob.objects.select_for_update()
            .filter(pk__in=ids, status=JobStatus.FAILED)
            .values_list("pk", flat=True)
        )
        count = OutboxJob.objects.filter(pk__in=rows).update(
            status=JobStatus.QUEUED,
            queued_at=now,
            handovers=F("handovers") + 1,
            attempts=0,
            next_attempt_at=now,
            finished_at=None,
            lease_until=None,
        )
        for pk in rows:
            _relay_after_commit(pk)
    return count


def failed_recently(*, hours: float = 1.0, now: datetime | None = None) -> int:
    """How many jobs failed in the last ``hours`` (for /health/)."""
    since = (now or timezone.now()) - timedelta(hours=hours)
    return OutboxJob.objects.filter(status=JobStatus.FAILED, finished_at__gte=since).count()


def overdue(*, now: datetime | None = None) -> int:
    """Open jobs due longer than the hand-over grace ago: work the workers are not keeping up with."""
    now = now or timezone.now()
    grace = timedelta(seconds=_setting("OUTBOX_HANDOVER_GRACE", 300))
    return OutboxJob.objects.filter(status__in=OPEN_JOB_STATUSES, next_attempt_at__lt=now - grace).count()


def purge(*, now: datetime | None = None) -> int:
    """Delete ``done`` jobs and side-effect keys older than ``OUTBOX_KEEP_DAYS`` (failed jobs stay)."""
    cutoff = (now or timezone.now()) - timedelta(days=_setting("OUTBOX_KEEP_DAYS", 14))
    jobs = OutboxJob.objects.filter(status=JobStatus.DONE, finished_at__lt=cutoff).delete()[0]
    effects = SideEffect.objects.filter(created_at__lt=cutoff).delete()[0]
    return jobs + effects
