"""/health/: database, broker and worker liveness for operators (OPS-1), and the background jobs that failed
in the last hour (reported, not failing: the portal still serves; re-run them in the admin)."""

from __future__ import annotations

import time

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache


def check_database() -> dict:
    started = time.monotonic()
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return {"ok": True, "ms": round((time.monotonic() - started) * 1000, 1)}


def check_broker() -> dict:
    from portal.celery import app

    started = time.monotonic()
    with app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=2)
    return {
        "ok": True,
        "ms": round((time.monotonic() - started) * 1000, 1),
        "transport": conn.transport_cls if isinstance(conn.transport_cls, str) else str(conn.transport_cls),
    }


WORKER_ANSWER = "health:worker"  # the last answer, reused for HEALTH_WORKER_CACHE_SECONDS
WORKER_LAST = "health:worker:last"  # kept longer: what the others answer while one request pings
WORKER_PINGING = "health:worker:pinging"


def _cache(method: str, *args):
    """The Django cache, or None when it is unavailable (health reports, it does not fail on its cache)."""
    try:
        return getattr(cache, method)(*args)
    except Exception:  # noqa: BLE001 - e.g. Redis down: then ping directly
        return None


def ping_worker() -> dict:
    from portal.celery import app

    started = time.monotonic()
    replies = app.control.ping(timeout=settings.HEALTH_WORKER_TIMEOUT, limit=1) or []
    workers = sorted(name for reply in replies for name in reply)
    if not workers:
        return {
            "ok": False,
            "error": f"no worker answered the ping within {settings.HEALTH_WORKER_TIMEOUT:g}s",
            "ms": round((time.monotonic() - started) * 1000, 1),
        }
    return {"ok": True, "workers": workers, "ms": round((time.monotonic() - started) * 1000, 1)}


def check_worker() -> dict:
    """A worker's answer to a broadcast ping, reused for HEALTH_WORKER_CACHE_SECONDS: a ping is a broadcast
    message through the broker, and a monitor (or eight) polling /health/ must not turn into a message storm.
    One request pings at a time; the others answer with the last answer meanwhile. 0 seconds: always ping."""
    if not settings.HEALTH_WORKER_CACHE_SECONDS:
        return ping_worker()
    answer = _cache("get", WORKER_ANSWER)
    if answer is not None:
        return {**answer, "cached": True}
    if not _cache("add", WORKER_PINGING, 1, settings.HEALTH_WORKER_TIMEOUT + 1):
        last = _cache("get", WORKER_LAST)
        if last is not None:
            return {**last, "cached": True}
    try:
        answer = ping_worker()
        _cache("set", WORKER_ANSWER, answer, settings.HEALTH_WORKER_CACHE_SECONDS)
        _cache("set", WORKER_LAST, answer, max(60, settings.HEALTH_WORKER_CACHE_SECONDS * 10))
    finally:
        _cache("delete", WORKER_PINGING)
    return answer


def check_jobs() -> dict:
    """Background jobs (portal.outbox): failed ones count against nothing (the portal is up; an operator
    re-runs them from the admin) but are reported, with the open ones overdue."""
    from portal import outbox

    failed = outbox.failed_recently(hours=1)
    overdue = outbox.overdue()
    detail = f"{failed} job{'s' if failed != 1 else ''} failed in the last hour"
    if overdue:
        detail += f"; {overdue} overdue"
    return {"ok": True, "failed_last_hour": failed, "overdue": overdue, "detail": detail}


CHECKS = {"database": check_database, "broker": check_broker, "worker": check_worker, "jobs": check_jobs}


@never_cache
def health(request):
    results = {}
    for name, check in CHECKS.items():
        if name == "worker" and not results.get("broker", {}).get("ok"):
            results[name] = {"ok": False, "error": "broker unreachable"}
            continue
        if name == "jobs" and not results.get("database", {}).get("ok"):
            results[name] = {"ok": False, "error": "database unreachable"}
            continue
        try:
            results[name] = check()
        except Exception as exc:  # noqa: BLE001 - any failure of a dependency is a health answer, not a crash
            results[name] = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
    failing = [name for name, result in results.items() if not result["ok"]]
    body = {"status": "ok" if not failing else "fail", "failing": failing, "checks": results}
    return JsonResponse(body, status=200 if not failing else 503)
