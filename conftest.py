"""Shared test fixtures: service detection, Celery modes, a real worker on Redis, Playwright in Debian's chromium.

In CI (PORTAL_REQUIRE_SERVICES=1) a test that needs PostgreSQL, Redis or a browser fails when the service is
missing; elsewhere it skips with the reason.
"""

from __future__ import annotations

import os
import shutil
import socket
from urllib.parse import urlparse

import pytest
from django.conf import settings
from django.db import connection

from accounts.testing import otp_verified

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs an event loop

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def require_service(available: bool, reason: str) -> None:
    if available:
        return
    if settings.PORTAL_REQUIRE_SERVICES:
        pytest.fail(f"{reason} (PORTAL_REQUIRE_SERVICES is set, so this fails instead of skipping)")
    pytest.skip(reason)


def redis_url() -> str:
    """Each xdist worker gets its own Redis database, so no worker consumes another test database's tasks."""
    url = os.environ.get("TEST_REDIS_URL") or "redis://127.0.0.1:6379/15"
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    offset = int(worker[2:]) if worker[2:].isdigit() else 0
    parsed = urlparse(url)
    base = int(parsed.path.strip("/") or 15)
    return parsed._replace(path=f"/{max(base - offset, 1)}").geturl()


def redis_available(url: str) -> bool:
    parsed = urlparse(url)
    try:
        with socket.create_connection(
            (parsed.hostname or "127.0.0.1", parsed.port or 6379), timeout=1
        ) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


@pytest.fixture
def require_postgres():
    require_service(connection.vendor == "postgresql", "needs PostgreSQL (set DATABASE_URL=postgres://...)")


@pytest.fixture(autouse=True)
def _eager_celery(request):
    """Unit tests run tasks in-process; tests marked celery_worker use a real worker instead."""
    from portal.celery import app

    eager = "celery_worker" not in request.keywords
    previous = app.conf.task_always_eager
    app.conf.task_always_eager = eager
    app.conf.task_eager_propagates = eager
    yield
    app.conf.task_always_eager = previous


@pytest.fixture(autouse=True)
def _fast_tests(settings, tmp_path):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.AXES_ENABLED = False


@pytest.fixture(autouse=True)
def _second_factor_on_force_login(request, monkeypatch):
    """``client.force_login(user)`` stands for a complete log-in — password and, where it applies, the second
    factor — so tests about other things need not enter codes. Tests marked ``two_factor`` get the plain
    force_login and go through the code page themselves (tests/security/test_two_factor.py)."""
    if request.node.get_closest_marker("two_factor"):
        return
    from django.test import Client

    original = Client.force_login

    def force_login(self, user, backend=None):
        original(self, user, backend)
        otp_verified(self, user)

    monkeypatch.setattr(Client, "force_login", force_login)


@pytest.fixture
def celery_worker_redis(transactional_db):
    """A real Celery worker (solo pool, in a thread of this process) consuming from Redis.

    It shares the test database: use with ``transactional_db`` data so the worker's connection sees it.
    """
    from celery.contrib.testing.worker import start_worker

    from portal.celery import app

    url = redis_url()
    require_service(redis_available(url), f"needs Redis at {url}")
    previous = {
        key: app.conf.get(key) for key in ("broker_url", "broker_transport_options", "result_backend")
    }
    app.conf.broker_url = url
    app.conf.broker_transport_options = {}
    app.conf.result_backend = url
    _reset_broker_pools(app)
    with start_worker(
        app,
        perform_ping_check=False,
        pool="solo",
        loglevel="WARNING",
        shutdown_timeout=30,
        without_heartbeat=True,
    ) as worker:
        yield worker
    app.conf.update(previous)
    _reset_broker_pools(app)


def _reset_broker_pools(app) -> None:
    # Connection and producer pools are bound to the broker URL they were made with.
    app._pool = None
    app.amqp._producer_pool = None


def _browser_available() -> bool:
    return os.path.exists(CHROMIUM) or shutil.which("chromium") is not None


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS, "headless": True}


@pytest.fixture
def browser_context_args(browser_context_args):
    """A German browser (the portal's default language; LocaleMiddleware follows Accept-Language), whatever
    the machine's locale: the browser tests address labels and buttons by their German names."""
    return {**browser_context_args, "locale": "de-DE"}


@pytest.fixture
def e2e(live_server, page, settings):
    """A Playwright page against the live server, with demo data seeded; yields (page, base_url)."""
    require_service(_browser_available(), f"needs Chromium at {CHROMIUM} (apt-get install chromium)")
    from portal.demo import seed_demo

    seed_demo()
    page.set_default_timeout(15000)
    return page, live_server.url


@pytest.fixture(scope="module")
def demo_world(django_db_setup, django_db_blocker):
    """The demo world (``seed_demo``, with the notices and mails its actions send) once per test module, in a
    transaction rolled back after the module; each test (with ``db``) runs in a savepoint inside it."""
    from django.db import transaction
    from django.test import TestCase
    from django.test.utils import override_settings

    from portal.celery import app
    from portal.demo import seed_demo

    eager = app.conf.task_always_eager
    app.conf.task_always_eager = True
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            with (
                override_settings(
                    PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
                    EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
                ),
                TestCase.captureOnCommitCallbacks(execute=True),
            ):
                world = seed_demo()
        except BaseException:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)
            app.conf.task_always_eager = eager
            raise
    app.conf.task_always_eager = eager
    yield world
    with django_db_blocker.unblock():
        transaction.set_rollback(True)
        atomic.__exit__(None, None, None)
