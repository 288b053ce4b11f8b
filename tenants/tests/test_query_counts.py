"""The tenant list costs the same number of queries for 10 and for 200 tenants (TEN-3, PERF), in the API and
in the HTML page, for each way of seeing tenants: own account, partner (guardian group rows), vendor staff."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.tests.factories import AccountFactory, PartnerAccountFactory, VendorAccountFactory, member
from tenants.tests.factories import TenantFactory

# One bound for both sizes (measured: API 6, HTML 9-11; the headroom is for navigation items other apps
# register). The equality of the two counts below is the N+1 check.
MAX_QUERIES = {"api": 8, "html": 15}


def _world(size: int, viewer: str):
    if viewer == "owner":
        account = AccountFactory()
        TenantFactory.create_batch(size, account=account)
        return member(account, "owner")
    if viewer == "partner":
        partner = PartnerAccountFactory()
        tenants = []
        # Spread over several customers: rights come from the guardian rows of the partner's role groups.
        for index in range(size):
            if index % 10 == 0:
                customer = AccountFactory(reseller=partner)
            tenants.append(TenantFactory(account=customer, reseller=partner))
        return member(partner, "sales", "tech")
    TenantFactory.create_batch(size)
    return member(VendorAccountFactory(), "support")


def _get(client, interface):
    if interface == "api":
        response = client.get("/api/v1/tenants/", {"page_size": 500, "ordering": "name"})
        assert response.status_code == 200
        return len(response.json()["results"])
    response = client.get("/tenants/", {"per_page": 500, "sort": "name"})
    assert response.status_code == 200
    return response.content.decode().count('href="/tenants/T-')


@pytest.mark.django_db
@pytest.mark.parametrize("interface", ["api", "html"])
@pytest.mark.parametrize("viewer", ["owner", "partner", "vendor"])
def test_ten3_tenant_list_query_count_is_constant(client, django_assert_max_num_queries, interface, viewer):
    counts = {}
    for size in (10, 200):
        client.logout()
        user = _world(size, viewer)
        client.force_login(user)
        _get(client, interface)  # warm caches (content types, sessions) outside the measurement
        with (
            django_assert_max_num_queries(MAX_QUERIES[interface]),
            CaptureQueriesContext(connection) as queries,
        ):
            shown = _get(client, interface)
        counts[size] = len(queries)
        if interface == "api" or size == 10:
            assert shown >= size  # every tenant is listed (the HTML page shows up to its page size)
        else:
            assert shown >= 25
    assert counts[10] == counts[200], counts


@pytest.mark.django_db
@pytest.mark.parametrize("viewer", ["owner", "partner"])
def test_perf_tenant_list_page_sends_no_query_twice(client, viewer):
    """The page renders the table with the request (django-tables2), which runs the context processors
    again: the navigation's account list and counts must come from the first run, not from new queries."""
    user = _world(30, viewer)
    client.force_login(user)
    _get(client, "html")
    with CaptureQueriesContext(connection) as queries:
        assert _get(client, "html") >= 25
    statements = [query["sql"] for query in queries.captured_queries]
    repeated = {sql for sql in statements if statements.count(sql) > 1}
    assert not repeated, repeated


@pytest.mark.django_db
def test_ten3_tenant_rows_have_a_cell_per_column(client):
    """The list's rows are written out in the template (not rendered cell by cell): one cell per column of
    TenantTable, in its order, with the selector's counts."""
    import re

    from tenants.bench_data import add_domains_and_services
    from tenants.tables import TenantTable

    account = AccountFactory(name="Zelle & Söhne")
    tenant = TenantFactory(account=account, name="Einzelstück")
    add_domains_and_services([tenant.pk], prefix="cells")
    client.force_login(member(account, "owner"))
    html = client.get("/tenants/").content.decode()
    header = re.search(r"<thead.*?</thead>", html, re.S).group(0)
    row = re.search(r"<tbody.*?<tr[^>]*>(.*?)</tr>", html, re.S).group(1)
    cells = [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
    assert len(re.findall(r"<th[\s>]", header)) == len(TenantTable.base_columns) == len(cells)
    assert cells == ["Einzelstück", tenant.number, "Zelle &amp; Söhne", "3", "10"]
    assert f'href="/tenants/{tenant.number}/"' in row
