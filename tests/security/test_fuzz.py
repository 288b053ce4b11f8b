"""Schema-driven fuzzing of the API (issue 10 §2): schemathesis generates requests for every operation of the
live OpenAPI schema (/api/schema/) — a few examples each, as an authenticated partner user, as a customer
owner and without credentials — against the app in-process, and fails on any 5xx and on any error body that
is not ``{"code", "detail", "fields"}``. Bounded: ``FUZZ_EXAMPLES`` examples per operation and caller
(default 3), derandomised so CI runs are repeatable; about a minute on the CI machine."""

from __future__ import annotations

import contextlib
import json
import os

import pytest
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable

from accounts.tests.factories import AccountFactory, PartnerAccountFactory, member
from tenants.tests.factories import TenantFactory, demo_catalogue, resold_tenant

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "3"))
# Operations that end the caller's own credentials would stop the run short; tested in test_tokens.py.
SKIP = {
    ("POST", "/api/v1/auth/logout/"),
    ("POST", "/api/v1/auth/logout-all/"),
    ("DELETE", "/api/v1/auth/tokens/{token_key}/"),
}


@pytest.fixture
def callers(db):
    from accounts.tokens import issue_api_token

    demo_catalogue()
    partner = PartnerAccountFactory()
    customer = AccountFactory()
    resold_tenant(customer, partner)
    TenantFactory(account=customer)
    sales = member(partner, "admin", "sales", "tech")
    owner = member(customer, "owner")
    return {
        "partner": {"Authorization": f"Token {issue_api_token(user=sales)[1]}"},
        "customer": {"Authorization": f"Token {issue_api_token(user=owner)[1]}"},
        "anonymous": {},
    }


def _problems(case, response) -> list[str]:
    problems = []
    status = response.status_code
    where = f"{case.method} {case.formatted_path} {case.query or ''} -> {status}"
    if status >= 500:
        problems.append(f"{where}: server error {response.text[:300]}")
    elif status >= 400:
        content_type = response.headers.get("Content-Type", [""])
        content_type = content_type[0] if isinstance(content_type, list) else content_type
        try:
            body = json.loads(response.text)
        except ValueError:
            problems.append(f"{where}: error body is not JSON ({content_type}): {response.text[:200]}")
        else:
            if not (isinstance(body, dict) and set(body) == {"code", "detail", "fields"}):
                problems.append(f"{where}: error body of another shape: {str(body)[:200]}")
            elif not (
                isinstance(body["code"], str)
                and isinstance(body["detail"], str)
                and isinstance(body["fields"], dict)
            ):
                problems.append(f"{where}: error body with wrong types: {str(body)[:200]}")
    return problems


def _fuzz(operation, headers: dict, problems: list[str]) -> None:
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy())
    def run(case):
        response = case.call(headers={**headers, "Accept-Language": "en"})
        problems.extend(_problems(case, response))

    run()


@pytest.mark.django_db
def test_api1_fuzz_every_operation_no_5xx_and_one_error_shape(callers):
    import schemathesis
    from django.core.wsgi import get_wsgi_application

    app = get_wsgi_application()
    # As Django's test client does: the WSGI handler must not close the test's database connection.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        _fuzz_all(schemathesis.openapi.from_wsgi("/api/schema/?format=json", app), callers)
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def _fuzz_all(schema, callers) -> None:
    problems: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        if (operation.method.upper(), operation.path) in SKIP:
            continue
        operations += 1
        for _name, headers in callers.items():
            with contextlib.suppress(Unsatisfiable):
                _fuzz(operation, headers, problems)
    assert operations >= 40, operations
    assert problems == [], "\n".join(problems[:40])
