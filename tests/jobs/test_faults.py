"""Faults injected on purpose, as an operator would before production (issue 9): the broker down while work is
recorded, the database connection terminated inside a task, the whole worker and a pool child killed with
SIGKILL mid-work, and the embedded default polled hard. Tests OPS-1, OPS-2, DEL-2, TEN-7.

PostgreSQL + Redis + real workers (in a thread, or as processes that are killed); in CI
(PORTAL_REQUIRE_SERVICES=1) a missing service fails these tests instead of skipping them.
"""

from __future__ import annotations

import collections
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from contextlib import contextmanager, suppress
from datetime import timedelta
from unittest import mock

import pytest
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend
from django.db import connection, transaction
from django.utils import timezone
from rest_framework.test import APIClient

from delegations import services as delegation_services
from delegations.tests.factories import make_world
from portal import outbox
from portal.celery import app
from portal.models import JobStatus, OutboxJob
from tenants.models import CheckRun
from tests.jobs import tasks  # noqa: F401 - registers the test tasks with the in-thread worker

from .conftest import ROOT, reset_broker_pools, wait_for

LINK = "delegations.tasks.send_grant_link"


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def broker_down():
    """Publishing from this process goes to a port where nothing listens (Redis "killed")."""
    working = app.conf.broker_url
    app.conf.broker_url = f"redis://127.0.0.1:{_closed_port()}/0"
    reset_broker_pools(app)
    try:
        yield
    finally:
        app.conf.broker_url = working
        reset_broker_pools(app)


def _all_done(queryset) -> bool:
    return set(queryset.values_list("status", flat=True)) == {JobStatus.DONE}


@pytest.mark.celery_worker
def test_ops2_broker_down_at_enqueue_answers_2xx_and_after_recovery_every_job_runs_once(
    celery_worker_redis, settings
):
    settings.PORTAL_DNS_CHECKER = "tenants.dns.DeterministicChecker"
    settings.OUTBOX_PUBLISH_RETRY_POLICY = {"max_retries": 0}
    w = make_world()
    client = APIClient()
    client.force_login(w.owner)
    with broker_down():
        granted = client.post(
            "/api/v1/delegations/grants/",
            {"email": w.tech.email, "tenants": [w.tenant.number], "scope": "read"},
            format="json",
        )
        checked = client.post(f"/api/v1/tenants/{w.tenant.number}/checks/", format="json")
        again = client.post(f"/api/v1/tenants/{w.tenant.number}/checks/", format="json")
    assert granted.status_code == 201, granted.content
    assert checked.status_code == 202, checked.content
    assert again.json()["id"] == checked.json()["id"]  # the waiting run, not a second one
    jobs = OutboxJob.objects.all()
    assert sorted(jobs.values_list("task_name", flat=True)) == [
        "delegations.tasks.deliver_notifications",
        LINK,
        "tenants.run_consistency_check",
    ]
    assert set(jobs.values_list("status", "attempts")) == {(JobStatus.PENDING, 0)}
    assert mail.outbox == [] and CheckRun.objects.get().status == "queued"

    # Redis is back: the sweep (beat, every minute) hands everything over.
    assert outbox.sweep()["handed_over"] == 3
    wait_for(lambda: _all_done(jobs), 30, "the jobs did not run after the broker came back")
    assert CheckRun.objects.get().status == "done"
    assert [m.to for m in mail.outbox] == [[w.tech.email]]  # the link
    assert w.tech.notifications.filter(kind="grant_offered").count() == 1

    # Every job's message once more (a redelivery), and the sweep again: nothing runs twice.
    for job in jobs:
        app.send_task(job.task_name, kwargs={**job.kwargs, outbox.JOB_KWARG: job.pk})
    marker = _marker_job()
    wait_for(lambda: OutboxJob.objects.get(pk=marker.pk).status == JobStatus.DONE, 30)
    assert outbox.sweep() == {"taken_back": 0, "resent": 0, "failed": 0, "handed_over": 0}
    assert set(jobs.exclude(pk=marker.pk).values_list("attempts", flat=True)) == {1}
    assert len(mail.outbox) == 1 and CheckRun.objects.count() == 1


def _marker_job() -> OutboxJob:
    """A job sent after the others: the solo worker takes messages in order, so once it is done, they are."""
    with transaction.atomic():
        return outbox.enqueue("tests.jobs.record", label="marker")


@pytest.mark.celery_worker
@pytest.mark.postgres
def test_ops2_database_connection_terminated_inside_a_task_retries_and_succeeds(
    celery_worker_redis, require_postgres, settings
):
    settings.OUTBOX_RETRY_BASE_SECONDS = 0.2
    with transaction.atomic():
        job = outbox.enqueue("tests.jobs.terminate_own_connection_once")
    wait_for(lambda: OutboxJob.objects.get(pk=job.pk).status == JobStatus.DONE, 30, "no retry succeeded")
    job.refresh_from_db()
    assert job.attempts == 2 and job.handovers == 2
    assert "OperationalError" in job.last_error and "terminat" in job.last_error


@pytest.mark.celery_worker
@pytest.mark.postgres
def test_del2_link_job_retries_after_its_database_connection_was_terminated_and_mails_once(
    celery_worker_redis, require_postgres, settings
):
    """The mail server's turn comes while the connection dies (another session terminates it): the task fails
    with the real OperationalError, retries with a new connection, and the caretaker gets one link."""
    import psycopg

    settings.OUTBOX_RETRY_BASE_SECONDS = 0.2
    w = make_world()
    real_send = EmailBackend.send_messages
    terminated = []

    def send_messages(backend, messages):
        if not terminated:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                pid = cursor.fetchone()[0]
            params = connection.get_connection_params()
            keys = ("dbname", "user", "host", "port", "password")
            with psycopg.connect(**{k: v for k, v in params.items() if k in keys}, autocommit=True) as other:
                other.execute("SELECT pg_terminate_backend(%s)", [pid])
            terminated.append(pid)
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
        return real_send(backend, messages)

    with mock.patch.object(EmailBackend, "send_messages", send_messages):
        delegation_services.grant_caretaker_access(
            actor=w.owner, tenants=[w.tenant], email="helper@example.org", scope="read"
        )
        job = OutboxJob.objects.get(task_name=LINK)
        wait_for(
            lambda: OutboxJob.objects.get(pk=job.pk).status == JobStatus.DONE, 30, "the link was not sent"
        )
    job.refresh_from_db()
    assert terminated and job.attempts == 2 and "terminat" in job.last_error
    assert [m.to for m in mail.outbox] == [["helper@example.org"]]


@pytest.mark.celery_worker
@pytest.mark.postgres
def test_ops2_worker_killed_mid_burst_every_job_done_exactly_once(worker_processes, recorded_mails, settings):
    """30 grants, each committing its link job; the worker is killed with SIGKILL (main process and pool
    children) while it works through them; a new worker and the outbox sweep finish the rest: 30 links, no
    more, no fewer."""
    w = make_world()
    first = worker_processes(concurrency=2, mail_delay=0.05)
    emails = [f"helper{index:02d}@example.org" for index in range(30)]
    for email in emails:
        delegation_services.grant_caretaker_access(
            actor=w.owner, tenants=[w.tenant], email=email, scope="read"
        )
    wait_for(lambda: len(recorded_mails.sent()) >= 5, 30, "the worker sent nothing")
    first.kill()
    links = OutboxJob.objects.filter(task_name=LINK)
    assert links.count() == 30
    unfinished = links.exclude(status=JobStatus.DONE).count()
    assert unfinished > 0, "the burst was over before the kill: nothing was tested"

    worker_processes(concurrency=2)
    # What the new worker finds in the queue it runs; what the dead one took (popped, or claimed and not
    # finished) the sweep hands over again. ``now`` stands for the grace and the lease having passed.
    previous = -1
    while (done := links.filter(status=JobStatus.DONE).count()) != previous:
        previous = done
        time.sleep(1.5)
    counts = outbox.sweep(now=timezone.now() + timedelta(seconds=settings.LONGEST_TASK_SECONDS + 120))
    jobs = OutboxJob.objects.all()
    wait_for(lambda: _all_done(jobs), 60, f"not every job finished after the sweep ({counts})")

    sent = recorded_mails.sent()
    assert sorted(recipient for recipient, _message_id in sent) == emails  # each link once
    assert len({message_id for _recipient, message_id in sent}) == 30
    assert jobs.count() == 60  # the link and the grant_offered notice of each grant


@pytest.mark.celery_worker
@pytest.mark.postgres
def test_ops2_pool_child_killed_mid_task_is_redelivered_without_duplicate(worker_processes, recorded_mails):
    """A pool child dies (SIGKILL) while it sends the link: the worker puts the message back at once
    (acks_late, reject_on_worker_lost), the same message claims the job again, and one mail goes out."""
    w = make_world()
    worker = worker_processes(concurrency=1, mail_delay=3.0)
    delegation_services.grant_caretaker_access(
        actor=w.owner, tenants=[w.tenant], email="helper@example.org", scope="read"
    )
    job = OutboxJob.objects.get(task_name=LINK)
    running = wait_for(
        lambda: OutboxJob.objects.filter(pk=job.pk, status=JobStatus.RUNNING).first(), 30, "never claimed"
    )
    time.sleep(1.0)  # inside the (slow) mail send, before the commit of "sent"
    child = int(running.claimed_by.rsplit(":", 1)[1])
    assert child != worker.pid
    os.kill(child, signal.SIGKILL)
    wait_for(lambda: OutboxJob.objects.get(pk=job.pk).status == JobStatus.DONE, 30, "not redelivered")
    job.refresh_from_db()
    assert job.attempts == 2 and job.task_id == running.task_id  # the same message, claimed again
    assert [recipient for recipient, _message_id in recorded_mails.sent()] == ["helper@example.org"]
    assert worker.alive()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_ops2_embedded_stack_stays_up_under_8_clients_polling_health_for_30_seconds(tmp_path):
    """The default of ``make run``: SQLite and the filesystem broker, web (runserver) and a worker process.
    Eight clients poll /health/ for 30 s (each health answer pings the worker at most every 0.5 s here,
    ten times more often than the default): every answer is 200, and the same worker is still alive."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "DJANGO_SETTINGS_MODULE")
    }
    env.update(
        PORTAL_VAR_DIR=str(tmp_path),
        DJANGO_SETTINGS_MODULE="portal.settings",
        HEALTH_WORKER_CACHE_SECONDS="0.5",
        LOG_LEVEL="WARNING",
        AXES_ENABLED="0",
    )
    setup = "import django; django.setup(); from django.core.management import call_command as c; "
    setup += "c('migrate', verbosity=0); c('createcachetable')"
    subprocess.run([sys.executable, "-c", setup], cwd=ROOT, env=env, check=True, timeout=180)
    port = _free_port()
    processes = {}
    logs = {}
    commands = {
        "web": [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
        "worker": [sys.executable, "-m", "celery", "-A", "portal", "worker", "-c", "2", "-l", "WARNING"],
    }
    try:
        for name, command in commands.items():
            logs[name] = tmp_path / f"{name}.log"
            with logs[name].open("wb") as output:
                processes[name] = subprocess.Popen(
                    command,
                    cwd=ROOT,
                    env=env,
                    stdout=output,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
        url = f"http://127.0.0.1:{port}/health/"

        def healthy() -> bool:
            try:
                with urllib.request.urlopen(url, timeout=5) as response:
                    return response.status == 200
            except (OSError, urllib.error.HTTPError):
                return False

        wait_for(healthy, 90, "the embedded stack did not become healthy")
        worker_pid = processes["worker"].pid
        counts: collections.Counter = collections.Counter()
        lock = threading.Lock()
        deadline = time.monotonic() + 30

        def poll() -> None:
            while time.monotonic() < deadline:
                try:
                    with urllib.request.urlopen(url, timeout=10) as response:
                        outcome = response.status
                except urllib.error.HTTPError as exc:
                    outcome = exc.code
                except OSError as exc:
                    outcome = type(exc).__name__
                with lock:
                    counts[outcome] += 1

        clients = [threading.Thread(target=poll) for _ in range(8)]
        for client in clients:
            client.start()
        for client in clients:
            client.join()
        worker_log = logs["worker"].read_text(errors="replace")
        assert processes["worker"].poll() is None and processes["worker"].pid == worker_pid, worker_log[
            -3000:
        ]
        assert processes["web"].poll() is None, logs["web"].read_text(errors="replace")[-3000:]
        assert set(counts) == {200} and counts[200] > 100, counts
        assert "JSONDecodeError" not in worker_log
        assert healthy()
    finally:
        for process in processes.values():
            with suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
