"""OPS-1: /health/ reports database, broker and worker liveness."""

import pytest


@pytest.fixture(autouse=True)
def _ping_every_time(settings):
    """No cached worker answer: another test (or xdist worker, same Redis) must not answer for this one."""
    settings.HEALTH_WORKER_CACHE_SECONDS = 0


@pytest.mark.celery_worker
def test_ops1_health_ok_with_a_real_worker_on_redis(client, celery_worker_redis):
    response = client.get("/health/")
    body = response.json()
    assert response.status_code == 200, body
    assert body["status"] == "ok"
    assert body["checks"]["worker"]["workers"], body


@pytest.mark.django_db
def test_ops1_health_names_the_failing_worker(client, settings):
    from portal import health

    settings.HEALTH_WORKER_TIMEOUT = 0.2
    original = health.CHECKS["worker"]
    health.CHECKS["worker"] = lambda: {"ok": False, "error": "no worker answered the ping within 0.2s"}
    try:
        response = client.get("/health/")
    finally:
        health.CHECKS["worker"] = original
    assert response.status_code == 503
    assert response.json()["failing"] == ["worker"]
