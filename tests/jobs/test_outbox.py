"""The transactional outbox (portal.outbox): enqueue in the caller's transaction, hand-over after commit, the
claim that makes a repeated message a no-op, retries with back-off, failure, the sweep, re-runs, once-only
side effects, the admin and /health/. Tests OPS-1, OPS-2 and the mails of ACC-2, DEL-2, DEL-4.

Tasks run eagerly here (in this process); tests/jobs/test_faults.py runs real workers.
"""

from __future__ import annotations

import smtplib
import socket
import threading
from datetime import timedelta
from unittest import mock

import pytest
from django.core import mail
from django.db import OperationalError, connection, transaction
from django.utils import timezone

from portal import outbox
from portal.celery import app
from portal.models import AuditEvent, JobStatus, OutboxJob, SideEffect
from tests.jobs import tasks

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _calls(settings):
    settings.OUTBOX_RETRY_BASE_SECONDS = 0.01
    tasks.CALLS.clear()
    yield
    tasks.CALLS.clear()


def _enqueue(*args, **kwargs) -> OutboxJob:
    with transaction.atomic():
        return outbox.enqueue(*args, **kwargs)


def _message(job: OutboxJob, task_id: str | None = None):
    """Deliver the job's message once more, as the broker would (eagerly, in this process)."""
    task = app.tasks[job.task_name]
    return task.apply(kwargs={**job.kwargs, outbox.JOB_KWARG: job.pk}, task_id=task_id)


# --- enqueue -------------------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_ops2_enqueue_outside_a_transaction_is_refused():
    with pytest.raises(RuntimeError, match="transaction.atomic"):
        outbox.enqueue("tests.jobs.record", label="x")
    assert not OutboxJob.objects.exists()


@pytest.mark.parametrize(
    "task_name, kwargs, error",
    [
        ("tests.jobs.nothing_like_it", {"label": "x"}, LookupError),
        ("portal.ping", {}, LookupError),  # a plain Celery task: it would not claim a row
        ("tests.jobs.record", {"lable": "x"}, TypeError),  # an argument the task does not take
        ("tests.jobs.record", {"label": object()}, TypeError),  # not JSON
        ("tests.jobs.record", {"label": "x", "outbox_job_id": 1}, TypeError),
    ],
)
def test_ops2_enqueue_refuses_unknown_tasks_and_bad_arguments_in_the_caller(task_name, kwargs, error):
    with pytest.raises(error), transaction.atomic():
        outbox.enqueue(task_name, **kwargs)
    assert not OutboxJob.objects.exists()


def test_ops2_one_job_per_dedupe_key(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        first = outbox.enqueue("tests.jobs.record", key="event-1", label="a")
        second = outbox.enqueue("tests.jobs.record", key="event-1", label="a")
    assert first.pk == second.pk and OutboxJob.objects.count() == 1
    assert tasks.CALLS == [("a", 1)]


def test_ops2_the_job_is_handed_over_after_commit_only_and_runs_once(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        job = outbox.enqueue("tests.jobs.record", label="a", countdown=None)
        outbox.enqueue("tests.jobs.record", label="b")
        # Written as handed over already (the relay only publishes after commit): one write per job.
        assert OutboxJob.objects.get(pk=job.pk).status == JobStatus.QUEUED
        assert tasks.CALLS == []  # nothing leaves before the commit
    assert sorted(tasks.CALLS) == [("a", 1), ("b", 1)]
    job.refresh_from_db()
    assert (job.status, job.attempts, job.handovers) == (JobStatus.DONE, 1, 1)
    assert job.finished_at is not None and job.claimed_by and job.task_id


def test_ops2_a_rolled_back_change_leaves_no_job(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        outbox.enqueue("tests.jobs.record", label="kept")
        with pytest.raises(ZeroDivisionError), transaction.atomic():
            outbox.enqueue("tests.jobs.record", label="rolled back")
            1 / 0  # noqa: B018
    assert list(OutboxJob.objects.values_list("kwargs__label", flat=True)) == ["kept"]
    assert tasks.CALLS == [("kept", 1)]


def test_ops2_a_countdown_becomes_a_due_time(settings):
    settings.OUTBOX_RETRY_MAX_SECONDS = 10  # the hand-over horizon
    before = timezone.now()
    job = _enqueue("tests.jobs.record", countdown=90, label="later")
    assert timedelta(seconds=89) < job.next_attempt_at - before < timedelta(seconds=92)
    # Not due within the horizon of a relay now; a later sweep hands it over when it is.
    assert outbox.hand_over([job.pk]) == 0 and tasks.CALLS == []
    assert outbox.hand_over([job.pk], now=job.next_attempt_at) == 1
    assert tasks.CALLS == [("later", 1)]


# --- the claim -------------------------------------------------------------------------------------------------


def test_ops2_a_repeated_message_does_nothing():
    job = _enqueue("tests.jobs.record", label="a")
    _message(job)
    _message(job)  # redelivered, or sent again by the sweep
    assert tasks.CALLS == [("a", 1)]
    job.refresh_from_db()
    assert (job.status, job.attempts) == (JobStatus.DONE, 1)


def test_ops2_a_running_job_is_claimed_again_only_by_its_own_redelivered_message():
    job = _enqueue("tests.jobs.record", label="a")
    OutboxJob.objects.filter(pk=job.pk).update(status=JobStatus.RUNNING, attempts=1, task_id="message-1")
    _message(job, task_id="message-2")  # another message while it runs: nothing
    assert tasks.CALLS == []
    _message(job, task_id="message-1")  # the same message back: its worker process died
    assert tasks.CALLS == [("a", 2)]
    assert OutboxJob.objects.get(pk=job.pk).status == JobStatus.DONE


def test_ops2_failed_and_done_jobs_are_not_run_by_a_late_message():
    done = _enqueue("tests.jobs.record", label="done")
    failed = _enqueue("tests.jobs.record", label="failed")
    OutboxJob.objects.filter(pk=done.pk).update(status=JobStatus.DONE)
    OutboxJob.objects.filter(pk=failed.pk).update(status=JobStatus.FAILED)
    _message(done)
    _message(failed)
    assert tasks.CALLS == []


def test_ops2_called_without_a_job_the_body_just_runs():
    assert tasks.record(label="direct") == "direct"
    assert app.tasks["tests.jobs.record"].apply(kwargs={"label": "sent by name"}).get() == "sent by name"
    assert tasks.CALLS == [("direct", 0), ("sent by name", 0)] and not OutboxJob.objects.exists()


# --- retries and failure ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("error", ["operational", "flaky"])
def test_ops2_transient_errors_retry_with_back_off_then_succeed(error, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        job = _enqueue("tests.jobs.record", label="a", fail=2, error=error)
    assert tasks.CALLS == [("a", 1), ("a", 2), ("a", 3)]
    job.refresh_from_db()
    assert (job.status, job.attempts, job.handovers) == (JobStatus.DONE, 3, 3)
    assert job.last_error  # the last failure stays readable


def test_ops2_retries_give_up_after_the_limit_and_the_job_fails(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        job = _enqueue("tests.jobs.record", label="a", fail=99)  # max_retries=3: four attempts
    assert [attempt for _label, attempt in tasks.CALLS] == [1, 2, 3, 4]
    job.refresh_from_db()
    assert (job.status, job.attempts) == (JobStatus.FAILED, 4)
    assert "server closed the connection" in job.last_error and job.finished_at
    assert outbox.failed_recently() == 1


def test_ops2_a_bug_fails_the_job_at_once_and_is_raised(django_capture_on_commit_callbacks):
    with pytest.raises(ValueError, match="a bug"), django_capture_on_commit_callbacks(execute=True):
        job = _enqueue("tests.jobs.record", label="a", fail=1, error="bug")
    job.refresh_from_db()
    assert (job.status, job.attempts, job.last_error) == (JobStatus.FAILED, 1, "ValueError: a bug")


@pytest.mark.parametrize(
    "exc, transient",
    [
        (OperationalError("connection lost"), True),
        (smtplib.SMTPResponseException(451, b"try again later"), True),
        (smtplib.SMTPResponseException(421, b"service not available"), True),
        (smtplib.SMTPResponseException(550, b"no such user"), False),
        (smtplib.SMTPServerDisconnected("gone"), True),
        (smtplib.SMTPRecipientsRefused({"a@example.org": (450, b"busy")}), True),
        (smtplib.SMTPRecipientsRefused({"a@example.org": (550, b"unknown")}), False),
        (TimeoutError(), True),
        (TimeoutError(), True),
        (ConnectionRefusedError(), True),
        (ValueError("bug"), False),
        (tasks.Flaky("503"), False),  # only where a task names it in retry_on
    ],
)
def test_ops2_which_errors_are_transient(exc, transient):
    assert outbox.is_transient(exc) is transient
    assert outbox.is_transient(tasks.Flaky("503"), (tasks.Flaky,))


def test_ops2_back_off_doubles_with_jitter_up_to_the_cap(settings):
    settings.OUTBOX_RETRY_BASE_SECONDS = 2
    settings.OUTBOX_RETRY_MAX_SECONDS = 60
    for attempt, full in [(1, 2), (2, 4), (3, 8), (5, 32), (6, 60), (20, 60)]:
        delays = [outbox.backoff(attempt) for _ in range(200)]
        assert all(full / 2 <= delay <= full for delay in delays), (attempt, min(delays), max(delays))
        assert max(delays) - min(delays) > full / 4  # jittered, not one value


# --- broker down, sweep, re-run -----------------------------------------------------------------------------------


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def broker_down(settings):
    """A broker that refuses connections; tasks are published for real (not eagerly)."""
    settings.OUTBOX_PUBLISH_RETRY_POLICY = {"max_retries": 0}
    previous = app.conf.broker_url, app.conf.task_always_eager
    app.conf.broker_url = f"redis://127.0.0.1:{_closed_port()}/0"
    app.conf.task_always_eager = False
    app._pool = None
    app.amqp._producer_pool = None
    yield
    app.conf.broker_url, app.conf.task_always_eager = previous
    app._pool = None
    app.amqp._producer_pool = None


def test_ops2_broker_down_keeps_the_jobs_recorded_and_the_caller_goes_on(
    broker_down, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):  # the relay fails inside the callback: no raise
        job = _enqueue("tests.jobs.record", label="a")
    job.refresh_from_db()
    assert (job.status, job.attempts, job.handovers) == (JobStatus.PENDING, 0, 1)
    assert job.last_error.startswith("hand-over failed: OperationalError")
    assert tasks.CALLS == []


def test_ops2_the_sweep_hands_over_and_takes_back_what_was_lost(settings):
    settings.OUTBOX_HANDOVER_GRACE = 300
    now = timezone.now()
    long_ago = now - timedelta(minutes=10)
    pending = _enqueue("tests.jobs.record", label="pending")  # its publish failed: back to pending
    _enqueue("tests.jobs.record", label="later", countdown=3600)
    # Never claimed: the broker lost it, or the process died between the commit and the publish.
    lost = _enqueue("tests.jobs.record", label="lost")
    waiting = _enqueue("tests.jobs.record", label="waiting")  # handed over a moment ago: still in the queue
    dead = _enqueue("tests.jobs.record", label="dead")  # its worker died: lease ran out
    exhausted = _enqueue("tests.jobs.record", label="exhausted")  # … and that was its last attempt
    running = _enqueue("tests.jobs.record", label="running")  # within its lease
    OutboxJob.objects.filter(pk=pending.pk).update(status=JobStatus.PENDING)
    OutboxJob.objects.filter(pk__in=[lost.pk, waiting.pk]).update(status=JobStatus.QUEUED, queued_at=long_ago)
    OutboxJob.objects.filter(pk=lost.pk).update(next_attempt_at=long_ago)
    OutboxJob.objects.filter(pk=waiting.pk).update(queued_at=now - timedelta(seconds=5))
    OutboxJob.objects.filter(pk__in=[dead.pk, exhausted.pk, running.pk]).update(
        status=JobStatus.RUNNING, attempts=1, lease_until=now - timedelta(seconds=1)
    )
    OutboxJob.objects.filter(pk=exhausted.pk).update(attempts=4)
    OutboxJob.objects.filter(pk=running.pk).update(lease_until=now + timedelta(minutes=5))

    counts = outbox.sweep(now=now)

    assert counts == {"taken_back": 1, "resent": 1, "failed": 1, "handed_over": 3}
    assert sorted(label for label, _attempt in tasks.CALLS) == ["dead", "lost", "pending"]
    status = dict(OutboxJob.objects.values_list("kwargs__label", "status"))
    assert status == {
        "pending": "done",
        "later": "pending",
        "lost": "done",
        "waiting": "queued",
        "dead": "done",
        "exhausted": "failed",
        "running": "running",
    }
    assert "no attempt is left" in OutboxJob.objects.get(pk=exhausted.pk).last_error
    assert outbox.sweep(now=now) == {"taken_back": 0, "resent": 0, "failed": 0, "handed_over": 0}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_ops2_two_sweeps_at_once_hand_each_job_over_once(require_postgres):
    """Two beats (or a relay and a beat) at the same moment: SKIP LOCKED gives each row to one of them."""
    with mock.patch("portal.outbox._flush_relay"), transaction.atomic():  # as if the publish had failed
        for index in range(200):
            outbox.enqueue("tests.jobs.record", label=f"j{index}")
    OutboxJob.objects.update(status=JobStatus.PENDING, handovers=0)
    published: list[int] = []
    barrier = threading.Barrier(2)

    def send_task(name, kwargs, **options):
        published.append(kwargs[outbox.JOB_KWARG])

    def run():
        barrier.wait()
        try:
            outbox.sweep(batch_size=20)
        finally:
            connection.close()

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = False
    try:
        with (
            mock.patch.object(app, "send_task", side_effect=send_task),
            mock.patch.object(app, "producer_or_acquire"),
        ):
            threads = [threading.Thread(target=run) for _ in range(2)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
    finally:
        app.conf.task_always_eager = previous
    assert sorted(published) == sorted(OutboxJob.objects.values_list("pk", flat=True))
    assert set(OutboxJob.objects.values_list("status", "handovers")) == {(JobStatus.QUEUED, 1)}


def test_ops2_rerun_puts_only_failed_jobs_back(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        failed = _enqueue("tests.jobs.record", label="a")  # failed (as if), before the relay ran
        OutboxJob.objects.filter(pk=failed.pk).update(status=JobStatus.FAILED, finished_at=timezone.now())
        done = _enqueue("tests.jobs.record", label="b")
    tasks.CALLS.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert outbox.rerun(OutboxJob.objects.all()) == 1
    assert tasks.CALLS == [("a", 1)]  # attempts start over
    assert OutboxJob.objects.get(pk=failed.pk).status == JobStatus.DONE
    assert OutboxJob.objects.get(pk=done.pk).attempts == 1


def test_ops2_purge_drops_old_done_jobs_and_keys_but_keeps_failed_ones(settings):
    settings.OUTBOX_KEEP_DAYS = 14
    old = timezone.now() - timedelta(days=15)
    done = _enqueue("tests.jobs.record", label="done")
    failed = _enqueue("tests.jobs.record", label="failed")
    OutboxJob.objects.filter(pk=done.pk).update(status=JobStatus.DONE, finished_at=old)
    OutboxJob.objects.filter(pk=failed.pk).update(status=JobStatus.FAILED, finished_at=old)
    SideEffect.objects.create(key="old", created_at=old)
    SideEffect.objects.create(key="new")
    assert outbox.purge() == 2
    assert list(OutboxJob.objects.values_list("pk", flat=True)) == [failed.pk]
    assert list(SideEffect.objects.values_list("key", flat=True)) == ["new"]


# --- side effects -------------------------------------------------------------------------------------------


def test_ops2_once_lets_an_effect_happen_once_and_again_after_an_error():
    effects = []
    with pytest.raises(smtplib.SMTPServerDisconnected), outbox.once("mail:1") as first:
        assert first
        raise smtplib.SMTPServerDisconnected("gone")  # the effect failed: the key is rolled back
    for _ in range(2):
        with outbox.once("mail:1") as first:
            if first:
                effects.append("sent")
    assert effects == ["sent"] and SideEffect.objects.filter(key="mail:1").count() == 1


def test_ops2_send_mail_once_gives_the_event_a_stable_message_id():
    assert outbox.send_mail_once("grant-link:7", subject="s", message="m", recipient_list=["a@example.org"])
    assert not outbox.send_mail_once(
        "grant-link:7", subject="s", message="m", recipient_list=["a@example.org"]
    )
    assert len(mail.outbox) == 1
    assert mail.outbox[0].extra_headers["Message-ID"] == outbox.message_id_for("grant-link:7")
    assert outbox.message_id_for("grant-link:7") != outbox.message_id_for("grant-link:8")


# --- health, admin, settings ------------------------------------------------------------------------------------


@pytest.fixture
def health_cache():
    from django.core.cache import cache

    from portal import health

    keys = [health.WORKER_ANSWER, health.WORKER_LAST, health.WORKER_PINGING]
    cache.delete_many(keys)
    yield health
    cache.delete_many(keys)


def test_ops1_health_counts_jobs_failed_in_the_last_hour_and_stays_200(client, health_cache):
    for index in range(3):
        job = _enqueue("tests.jobs.record", label=f"j{index}")
        OutboxJob.objects.filter(pk=job.pk).update(
            status=JobStatus.FAILED, finished_at=timezone.now() - timedelta(minutes=10 + 40 * index)
        )
    with (
        mock.patch.dict(health_cache.CHECKS, broker=lambda: {"ok": True}),
        mock.patch.object(health_cache, "ping_worker", return_value={"ok": True, "workers": ["w@h"]}),
    ):
        response = client.get("/health/")
    body = response.json()
    assert response.status_code == 200, body
    assert body["checks"]["jobs"] == {
        "ok": True,
        "failed_last_hour": 2,
        "overdue": 0,
        "detail": "2 jobs failed in the last hour",
    }


def test_ops1_health_pings_the_worker_once_per_interval(client, settings, health_cache):
    settings.HEALTH_WORKER_CACHE_SECONDS = 60
    broker_up = mock.patch.dict(health_cache.CHECKS, broker=lambda: {"ok": True})
    answer = {"ok": True, "workers": ["w@h"]}
    with broker_up, mock.patch.object(health_cache, "ping_worker", return_value=answer) as ping:
        bodies = [client.get("/health/").json() for _ in range(5)]
    assert ping.call_count == 1
    assert [body["checks"]["worker"].get("cached", False) for body in bodies] == [
        False,
        True,
        True,
        True,
        True,
    ]
    # While one request pings, the others answer with the last answer instead of pinging too.
    from django.core.cache import cache

    cache.delete(health_cache.WORKER_ANSWER)
    cache.set(health_cache.WORKER_PINGING, 1, 10)
    with broker_up, mock.patch.object(health_cache, "ping_worker") as ping:
        assert client.get("/health/").json()["checks"]["worker"]["workers"] == ["w@h"]
    assert ping.call_count == 0


def test_ops2_admin_lists_failed_jobs_and_reruns_them_through_the_outbox(
    admin_client, admin_user, django_capture_on_commit_callbacks
):
    admin_user.language = "en"
    admin_user.save(update_fields=["language"])
    failed = _enqueue("tests.jobs.record", label="failed")
    done = _enqueue("tests.jobs.record", label="done")
    OutboxJob.objects.filter(pk=failed.pk).update(
        status=JobStatus.FAILED, attempts=4, last_error="SMTPServerDisconnected: gone"
    )
    OutboxJob.objects.filter(pk=done.pk).update(status=JobStatus.DONE, attempts=1)
    page = admin_client.get("/admin/portal/outboxjob/?status__exact=failed")
    assert page.status_code == 200
    assert b"SMTPServerDisconnected" in page.content and page.context["cl"].result_count == 1
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            "/admin/portal/outboxjob/",
            {"action": "rerun", "_selected_action": [failed.pk, done.pk]},
            follow=True,
        )
    assert response.status_code == 200
    texts = [str(message) for message in response.context["messages"]]
    assert (
        "1 job will run again." in texts and "1 selected job had not failed and was left as it is." in texts
    )
    assert tasks.CALLS == [("failed", 1)]
    assert OutboxJob.objects.get(pk=failed.pk).status == JobStatus.DONE
    event = AuditEvent.objects.get(action="portal.jobs.rerun")
    assert event.actor == admin_user and event.changes == {
        "jobs": [failed.pk],
        "tasks": ["tests.jobs.record"],
    }


def test_ops2_broker_and_task_settings(settings):
    from portal import outbox as module

    assert settings.CELERY_TASK_ACKS_LATE and settings.CELERY_TASK_REJECT_ON_WORKER_LOST
    assert settings.CELERY_WORKER_PREFETCH_MULTIPLIER == 1
    assert settings.CELERY_BEAT_SCHEDULE["portal-sweep-outbox"] == {
        "task": "portal.tasks.sweep_outbox",
        "schedule": 60.0,
    }
    assert "portal.tasks.sweep_outbox" in app.tasks and "portal.tasks.purge_outbox" in app.tasks
    check = app.tasks["tenants.run_consistency_check"]
    assert check.time_limit == settings.LONGEST_TASK_SECONDS
    # Redis redelivers unacknowledged messages after the visibility timeout: a few minutes after the
    # longest task, not the default hour.
    visibility = settings.BROKER_VISIBILITY_TIMEOUT
    assert settings.LONGEST_TASK_SECONDS < visibility <= settings.LONGEST_TASK_SECONDS + 600 < 3600
    if settings.CELERY_BROKER_URL.startswith("redis://"):
        assert settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"] == visibility
    for name in (
        "accounts.tasks.send_invitation_mail",
        "delegations.tasks.send_grant_link",
        "delegations.tasks.deliver_notifications",
        "tenants.run_consistency_check",
    ):
        task = app.tasks[name]
        assert isinstance(task, module.OutboxTask) and task.acks_late and task.reject_on_worker_lost
        assert task.lease_seconds < visibility


def test_ops2_a_transaction_with_many_jobs_hands_them_all_over_in_chunks(django_capture_on_commit_callbacks):
    with (
        mock.patch.object(outbox, "RELAY_CHUNK", 3),
        mock.patch.object(outbox, "_publish", wraps=outbox._publish) as publish,
        django_capture_on_commit_callbacks(execute=True),
        transaction.atomic(),
    ):
        for index in range(7):
            outbox.enqueue("tests.jobs.record", label=f"j{index}")
    assert [len(call.args[0]) for call in publish.call_args_list] == [3, 3, 1]
    assert sorted(tasks.CALLS) == [(f"j{index}", 1) for index in range(7)]


def test_ops2_broker_down_stops_the_relay_after_the_first_chunk(
    broker_down, django_capture_on_commit_callbacks
):
    with (
        mock.patch.object(outbox, "RELAY_CHUNK", 3),
        mock.patch.object(outbox, "_publish", wraps=outbox._publish) as publish,
        django_capture_on_commit_callbacks(execute=True),
        transaction.atomic(),
    ):
        for index in range(7):
            outbox.enqueue("tests.jobs.record", label=f"j{index}")
    assert publish.call_count == 1  # one failed publish, not one timeout per chunk
    assert set(OutboxJob.objects.values_list("status", flat=True)) == {JobStatus.PENDING}


def test_ops2_a_relay_that_fails_after_the_commit_does_not_fail_the_caller(
    broker_down, django_capture_on_commit_callbacks
):
    """The database went away right after the commit: the caller's answer stands, the job stays recorded as
    handed over, and the sweep re-sends it after the grace."""
    with (
        mock.patch.object(outbox, "_publish_committed", side_effect=OperationalError("gone")),
        django_capture_on_commit_callbacks(execute=True),
    ):
        job = _enqueue("tests.jobs.record", label="a")
    assert OutboxJob.objects.get(pk=job.pk).status == JobStatus.QUEUED
    later = timezone.now() + timedelta(seconds=301)
    OutboxJob.objects.filter(pk=job.pk).update(next_attempt_at=timezone.now() - timedelta(seconds=1))
    with mock.patch.object(outbox, "_publish", return_value=(1, False)) as publish:
        assert outbox.sweep(now=later)["resent"] == 1
    assert [row["pk"] for row in publish.call_args.args[0]] == [job.pk]


def test_ops1_health_without_a_cache_interval_pings_every_time(client, settings, health_cache):
    settings.HEALTH_WORKER_CACHE_SECONDS = 0
    with (
        mock.patch.dict(health_cache.CHECKS, broker=lambda: {"ok": True}),
        mock.patch.object(health_cache, "ping_worker", return_value={"ok": True, "workers": ["w@h"]}) as ping,
    ):
        for _ in range(3):
            client.get("/health/")
    assert ping.call_count == 3
