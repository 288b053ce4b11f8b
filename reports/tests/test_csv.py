"""REP-1 CSV: streamed from PostgreSQL's COPY (or the iterator on other databases), the same filters as the
page, only visible licences, formula cells quoted in SQL as in Python."""

from __future__ import annotations

import csv
import io

import pytest
from django.db import connection

from licenses.models import License
from portal.csv import _copy_chunks, _iterator_chunks, copy_sql, safe_cell
from reports import selectors
from reports.tests.helpers import license_, make_world

pytestmark = pytest.mark.django_db


def _parse(chunks) -> list[list[str]]:
    data = b"".join(chunks).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(data)))


@pytest.fixture
def licences():
    w = make_world()
    license_(w.reseller, w.customer, w.product, kind="demo")
    license_(w.reseller, w.customer, w.product, kind="full", status="revoked", group=w.group)
    license_(w.other_reseller, w.other_customer, w.product)
    for name in ("+49 30 1234", "-1", "@SUM(A1)", "\tTab", "ok, with comma", 'quote "x"'):
        w.product.name = name
        w.product.save()
        license_(w.reseller, w.customer, w.product)
    w.product.name = "Kasse Pro"
    w.product.save()
    return w


def test_rep1_csv_cells_are_spreadsheet_safe_in_sql_and_in_python(licences):
    w = licences
    queryset = selectors.license_rows(selectors.license_report(w.reseller_admin, {})[1])
    rows = _parse(_iterator_chunks(queryset, selectors.license_header()))
    assert rows[0] == selectors.license_header()
    holder_names = {row[6] for row in rows[1:]}
    assert holder_names == {"'=Kunde mit Formel"}
    if connection.vendor != "postgresql":
        pytest.skip("COPY needs PostgreSQL")
    copied = _parse(_copy_chunks(queryset, selectors.license_header()))
    # Same rows, same cells (the timestamp columns differ only in how each side prints time zones).
    assert [row[:11] for row in copied] == [row[:11] for row in rows]
    assert {row[4] for row in copied[1:]} == {"Kasse Pro"}  # the licence shows its product's current name
    for value in ("=1+2", "+49", "-1", "@SUM(A1)", "\tx", "\rx", "plain", "", "a=b"):
        with connection.cursor() as cursor:
            sql = "SELECT " + selectors_safe("q.v") + " FROM (SELECT %s::text AS v) AS q"
            cursor.execute(sql, [value])
            assert cursor.fetchone()[0] == safe_cell(value), value


def selectors_safe(expression: str) -> str:
    from portal.csv import _safe_sql

    return _safe_sql(expression)


def test_rep1_copy_statement_wraps_the_querysets_sql():
    queryset = License.objects.filter(kind="demo").values_list("key", "holder__name")
    sql, params = copy_sql(queryset)
    assert sql.startswith("COPY (SELECT CASE WHEN") and sql.endswith("TO STDOUT WITH (FORMAT csv)")
    assert list(params) == ["demo"]


def test_rep1_csv_download_page_and_api_same_filters_visible_rows_only(licences, client):
    w = licences
    client.force_login(w.reseller_admin)
    response = client.get("/reports/licenses/", {"kind": "demo", "format": "csv"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = _parse(response.streaming_content)
    assert len(rows) == 2 and rows[1][1] == "demo"
    response = client.get("/api/v1/reports/licenses/", HTTP_ACCEPT="text/csv")
    rows = _parse(response.streaming_content)
    assert len(rows) == 1 + 8  # the reseller's 8 licences, not the other reseller's
    response = client.get("/api/v1/reports/licenses/?format=csv&status=revoked&group=kasse")
    rows = _parse(response.streaming_content)
    assert len(rows) == 2 and rows[1][2] == "revoked"
    # JSON: the same filters, paginated.
    body = client.get("/api/v1/reports/licenses/", {"customer": w.customer.number}).json()
    assert body["count"] == 8
    assert client.get("/api/v1/reports/licenses/", {"customer": w.other_customer.number}).json()["count"] == 0
    bad = client.get("/api/v1/reports/licenses/", {"kind": "nonsense", "issued_from": "gestern"})
    assert bad.status_code == 400 and set(bad.json()["fields"]) == {"kind", "issued_from"}
    page = client.get("/reports/licenses/", {"reseller": w.reseller.number})
    assert page.status_code == 200 and page.context["page"].paginator.count == 8
