"""A seeded demo site shared by every test of a module (UI-1 browser checks that only read).

The function-scoped ``e2e`` fixture (root conftest) seeds the demo for each test and the database is flushed
after each: right for flows that change things, slow for checks that only look (phone layout, axe, keyboard).
``demo_site`` seeds once per module, serves it from its own live-server thread, and flushes at the module's
end; tests that use it must not change data, and carry ``pytest.mark.django_db`` (so pytest-django sets up
the test database and lets the server thread read it). ``signed_in(role, width)`` gives a page logged in as a demo role.
"""

from __future__ import annotations

import pytest
from django.test.utils import override_settings

from conftest import _browser_available, require_service
from tests.e2e.two_factor import pass_second_factor

DEMO_ROLES = {
    "owner": "owner@shop.example",
    "sales": "sales@partner.example",
    "tech": "tech@partner.example",
    "support": "support@vendor.example",
    "reseller": "admin@reseller.example",
    "vendor_admin": "admin@vendor.example",
}
# The main pages per role; {tenant} is a tenant the role sees.
MAIN_PAGES = [
    "/",
    "/tenants/",
    "/tenants/{tenant}/",
    "/delegations/",
    "/delegations/notifications/",
    "/audit/",
    "/accounts/",
    "/profile/",
]
TENANT_OF = {"reseller": "T-000002"}


@pytest.fixture(scope="module")
def demo_site(django_db_setup, django_db_blocker):
    """``(base_url)`` of a live server with the demo world, for one module."""
    require_service(_browser_available(), "needs Chromium at /usr/bin/chromium (apt-get install chromium)")
    from django.core.management import call_command
    from pytest_django.live_server_helper import LiveServer

    from portal.celery import app
    from portal.demo import seed_demo

    fast = override_settings(
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
        AXES_ENABLED=False,
        EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
    )
    fast.enable()
    from django.db import connections

    eager = app.conf.task_always_eager
    app.conf.task_always_eager = True
    # The server's request threads close their connections after each request, so none is left open when the
    # test database is dropped at the session's end.
    max_age = connections.settings["default"].get("CONN_MAX_AGE", 0)
    connections.settings["default"]["CONN_MAX_AGE"] = 0
    with django_db_blocker.unblock():
        seed_demo()
    server = LiveServer("127.0.0.1:0")
    try:
        yield server.url
    finally:
        server.stop()
        with django_db_blocker.unblock():
            call_command("flush", interactive=False, verbosity=0)
        app.conf.task_always_eager = eager
        connections.settings["default"]["CONN_MAX_AGE"] = max_age
        fast.disable()


@pytest.fixture
def demo_db(django_db_blocker):
    """The server thread reads the database while a test runs: allow it (nothing here writes)."""
    with django_db_blocker.unblock():
        yield


@pytest.fixture
def signed_in(demo_site, demo_db, browser):
    """``signed_in(role, width=1280)`` → a Playwright page logged in as the demo role, in German."""
    contexts = []

    def open_page(role: str, width: int = 1280, bypass_csp: bool = False):
        # bypass_csp: only for injecting axe-core, whose inline script our policy refuses (as it should).
        context = browser.new_context(
            viewport={"width": width, "height": 800}, locale="de-DE", bypass_csp=bypass_csp
        )
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15000)
        page.goto(f"{demo_site}/login/")
        page.fill("#id_username", DEMO_ROLES[role])
        page.fill("#id_password", "demo")
        page.click("button[type=submit].primary")
        pass_second_factor(page, DEMO_ROLES[role])  # vendor and partner users confirm with a code (issue 10)
        page.wait_for_url(f"{demo_site}/")
        return page

    yield open_page
    for context in contexts:
        context.close()


def page_urls(role: str) -> list[str]:
    return [path.format(tenant=TENANT_OF.get(role, "T-000001")) for path in MAIN_PAGES]
