"""The account list costs the same number of queries for 10 and for 200 accounts (ACC-1, PERF), in the API
and in the HTML page: vendor staff see every account, a partner the customers it created."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.tests.factories import (
    AccountFactory,
    PartnerAccountFactory,
    StagingAccountFactory,
    VendorAccountFactory,
    member,
)
from tenants.tests.factories import TenantFactory

# One bound for both sizes (measured: API 6, HTML 7; the headroom is for navigation items other apps
# register). The equality of the two counts below is the N+1 check.
MAX_QUERIES = {"api": 8, "html": 11}


def _world(size: int, viewer: str):
    partner = PartnerAccountFactory() if viewer == "partner" else None
    for index in range(size):
        account = AccountFactory(reseller=partner)
        if index % 3 == 0:
            TenantFactory(account=account)  # tenant counts are annotated, not counted per row
        if index % 5 == 0:
            StagingAccountFactory(leading_account=account, reseller=partner)  # the leading account is joined
    if viewer == "partner":
        return member(partner, "admin")
    return member(VendorAccountFactory(), "support")


def _get(client, interface) -> int:
    if interface == "api":
        response = client.get("/api/v1/accounts/", {"page_size": 500})
        assert response.status_code == 200
        return len(response.json()["results"])
    response = client.get("/accounts/")
    assert response.status_code == 200
    return response.content.decode().count("<tr>") - 1


@pytest.mark.django_db
@pytest.mark.parametrize("interface", ["api", "html"])
@pytest.mark.parametrize("viewer", ["vendor", "partner"])
def test_acc1_account_list_query_count_is_constant(client, django_assert_max_num_queries, interface, viewer):
    counts = {}
    for size in (10, 200):
        client.logout()
        user = _world(size, viewer)
        client.force_login(user)
        _get(client, interface)  # warm caches outside the measurement
        with (
            django_assert_max_num_queries(MAX_QUERIES[interface]),
            CaptureQueriesContext(connection) as queries,
        ):
            shown = _get(client, interface)
        counts[size] = len(queries)
        assert shown >= size + size // 5
    assert counts[10] == counts[200], counts
