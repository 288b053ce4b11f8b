"""Helpers for the HTML view tests (tenants/tests/test_views*.py): what a rendered page offers, its table
rows, and a snapshot of everything the tenant operations write (to assert that a refusal changed nothing)."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from accounts.models import Account
from portal.models import AuditEvent
from tenants.models import BookedService, CheckRun, Domain, Offer, RegisteredUser, Tenant

HTMX = {"HTTP_HX_REQUEST": "true"}
ROLE_REFUSAL = "Your role does not allow this here."

_ACTION = re.compile(r'data-action="([^"]+)"')


def text(response) -> str:
    return response.content.decode()


def actions(response) -> set[str]:
    """The ``data-action`` buttons and links of a page (every action control carries one)."""
    return set(_ACTION.findall(text(response)))


class _TableParser(HTMLParser):
    """Rows (lists of cell texts) of the ``<tbody>`` of every table with the given id or class."""

    def __init__(self, table_id: str | None, css_class: str | None):
        super().__init__()
        self.table_id = table_id
        self.css_class = css_class
        self.depth = 0  # >0 while inside the wanted table
        self.in_body = False
        self.rows: list[list[str]] = []
        self.cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            if self.depth:
                self.depth += 1
            elif self._wanted(dict(attrs)):
                self.depth = 1
        if not self.depth:
            return
        if tag == "tbody":
            self.in_body = True
        elif tag == "tr" and self.in_body:
            self.rows.append([])
        elif tag in ("td", "th") and self.in_body:
            self.cell = []

    def _wanted(self, attrs: dict) -> bool:
        if self.table_id is not None:
            return attrs.get("id") == self.table_id
        return self.css_class in (attrs.get("class") or "").split()

    def handle_endtag(self, tag):
        if not self.depth:
            return
        if tag in ("td", "th") and self.cell is not None:
            self.rows[-1].append(" ".join(" ".join(self.cell).split()))
            self.cell = None
        elif tag == "tbody":
            self.in_body = False
        elif tag == "table":
            self.depth -= 1

    def handle_data(self, data):
        if self.cell is not None:
            self.cell.append(data)


def table_rows(response, table_id: str | None = None, *, css_class: str | None = None) -> list[list[str]]:
    parser = _TableParser(table_id, css_class)
    parser.feed(text(response))
    return parser.rows


def snapshot() -> dict:
    """Everything the tenant pages can change, in a comparable form."""
    return {
        "accounts": list(Account.objects.order_by("pk").values_list("pk", "name")),
        "tenants": list(Tenant.objects.order_by("pk").values_list("pk", "name", "account_id")),
        "domains": list(
            Domain.objects.order_by("pk").values_list(
                "pk", "name", "confidential", "deployed_at", "released_at"
            )
        ),
        "services": list(
            BookedService.objects.order_by("pk").values_list(
                "pk", "status", "end_date", "billing_start", "discount_percent", "discount_reason"
            )
        ),
        "users": list(RegisteredUser.objects.order_by("pk").values_list("pk", "email")),
        "checks": list(CheckRun.objects.order_by("pk").values_list("pk", "status")),
        "offers": list(Offer.objects.order_by("pk").values_list("pk", "number")),
        "audit": AuditEvent.objects.count(),
    }


def last_audit_id() -> int:
    return AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def new_events(since: int, action: str, actor) -> list[AuditEvent]:
    """The audit events of this action by this actor written after ``since``, oldest first."""
    return list(AuditEvent.objects.filter(pk__gt=since, action=action, actor=actor).order_by("pk"))
