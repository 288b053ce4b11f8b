"""Outbox tasks that exist only for the tests (registered when this module is imported; the worker processes of
the fault tests import it through worker_settings.CELERY_IMPORTS)."""

from __future__ import annotations

from django.db import OperationalError, connection

from portal.models import OutboxJob
from portal.outbox import current_job_id, outbox_task

CALLS: list[tuple[str, int]] = []  # (label, attempt) of every body run in this process


class Flaky(Exception):
    """A project-specific transient error (as a webhook's 5xx will be)."""


def _attempt() -> int:
    job_id = current_job_id()
    return OutboxJob.objects.get(pk=job_id).attempts if job_id else 0


@outbox_task(name="tests.jobs.record", max_retries=3, retry_on=(Flaky,))
def record(label: str, fail: int = 0, error: str = "operational") -> str:
    """Fails the first ``fail`` attempts with ``error`` (operational, flaky, bug), then records the run."""
    attempt = _attempt()
    CALLS.append((label, attempt))
    if 0 < attempt <= fail:
        if error == "operational":
            raise OperationalError("server closed the connection unexpectedly")
        if error == "flaky":
            raise Flaky("503 from the other side")
        raise ValueError("a bug")
    return label


@outbox_task(name="tests.jobs.terminate_own_connection_once", max_retries=3)
def terminate_own_connection_once() -> int:
    """First attempt: another connection terminates this one (pg_terminate_backend), so the next query here
    fails as a real lost connection does. Later attempts succeed. Returns the backend pid that served it."""
    import psycopg

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    if _attempt() == 1:
        params = connection.get_connection_params()
        conninfo = {
            key: value
            for key, value in params.items()
            if key in ("dbname", "user", "host", "port", "password")
        }
        with psycopg.connect(**conninfo, autocommit=True) as other:
            other.execute("SELECT pg_terminate_backend(%s)", [pid])
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")  # raises OperationalError: the server closed the connection
    return pid
