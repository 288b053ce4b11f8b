"""/health/: database, broker and worker liveness for operators (OPS-1)."""

from __future__ import annotations

import time

from django.conf import settings
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


def check_worker() -> dict:
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


CHECKS = {"database": check_database, "broker": check_broker, "worker": check_worker}


@never_cache
def health(request):
    results = {}
    for name, check in CHECKS.items():
        if name == "worker" and not results.get("broker", {}).get("ok"):
            results[name] = {"ok": False, "error": "broker unreachable"}
            continue
        try:
            results[name] = check()
        except Exception as exc:  # noqa: BLE001 - any failure of a dependency is a health answer, not a crash
            results[name] = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
    failing = [name for name, result in results.items() if not result["ok"]]
    body = {"status": "ok" if not failing else "fail", "failing": failing, "checks": results}
    return JsonResponse(body, status=200 if not failing else 503)
