"""The HTML role matrix of the tenant pages (TEN-3..TEN-8, UI-1): every URL of tenants/urls.py × the actors
partner sales / support / tech / admin, customer owner / admin, another partner's user and vendor support
staff, through Django's test client.

Expected outcomes are written out by hand from portal.access (ROLE_CODENAMES, OWN_ACCOUNT_CODENAMES,
ACCOUNT_ACTIONS) — a second opinion on the authority, not derived from it:

- sales books (domains, services, discounts, offers) and ends services; tech deploys and runs checks;
  partner admins mark domains confidential and see billing but book nothing; support only reads;
- customer owners and admins read, see billing (offers), maintain registered users and run checks;
- vendor support staff see every tenant, read only, never billing;
- another partner's user never sees the tenant: 404.

Allowed → success, the change happened and an audit event names the actor. Seen but not allowed → 403 with
the reason on the page and nothing changed. Unseen → 404 and nothing changed. A GET never changes anything.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

import pytest

from tenants.models import BookedService, CheckRun, Domain, Offer, RegisteredUser, Tenant
from tenants.tests.conftest import VIEWS_TODAY
from tenants.tests.html import HTMX, ROLE_REFUSAL, last_audit_id, new_events, snapshot, text

pytestmark = pytest.mark.django_db

ACTORS = ("sales", "support", "tech", "partner_admin", "owner", "customer_admin", "other", "vendor_support")
VIEWERS = tuple(actor for actor in ACTORS if actor != "other")
BILLING = ("sales", "partner_admin", "owner", "customer_admin")  # view_billing
CHANGE = ("sales", "tech", "partner_admin", "owner", "customer_admin")  # change_tenant
RUN_CHECK = ("tech", "owner", "customer_admin")
CREATE_REFUSAL = "Only a partner&#x27;s sales staff create tenants for customers."


def only(*allowed: str, ok: int = 200) -> dict[str, int]:
    """``ok`` for the allowed actors, 404 for the other partner's user, 403 for everyone else who sees it."""
    return {actor: ok if actor in allowed else 404 if actor == "other" else 403 for actor in ACTORS}


def tenant_url(w, rest: str = "") -> str:
    return f"/tenants/{w.tenant.number}/{rest}"


@dataclass
class Op:
    method: str
    url: Callable
    expected: dict[str, int]
    data: Callable | None = None
    check: Callable | None = None  # (w, user, response, since) → asserts the success
    htmx: bool = False
    refusal: str = ROLE_REFUSAL
    bad_request: dict[str, str] = field(default_factory=dict)  # actor → text of the 400 page
    prepare: Callable | None = None  # (w) → sets up what the operation needs, before the snapshot


# --- Success checks: the change happened, with its audit event -------------------------------------------------


def _audited(action: str):
    def check(w, user, response, since):
        assert new_events(since, action, user), f"no {action} event by {user}"

    return check


def _list_check(w, user, response, since):
    assert (w.tenant.number in text(response)) == (user != w.other)


def _contains(*needles: str):
    def check(w, user, response, since):
        for needle in needles:
            assert needle in text(response), needle

    return check


def _tenant_created(w, user, response, since):
    tenant = Tenant.objects.get(name="Neuer Mandant")
    assert tenant.account_id == w.customer.pk and tenant.reseller_id == w.partner.pk
    assert response["Location"] == f"/tenants/{tenant.number}/"
    _audited("tenant.created")(w, user, response, since)


def _domain_added(name: str, codes: set[str], mode: str):
    def check(w, user, response, since):
        domain = Domain.objects.get(name=name, tenant=w.tenant)
        assert {s.service_type.code for s in domain.services.all()} == codes
        assert set(domain.services.values_list("status", flat=True)) == {"ordered"}
        assert response["Location"] == tenant_url(w, f"#domain-{domain.pk}")
        (event,) = new_events(since, "tenant.domain.added", user)
        assert event.changes["mode"] == mode

    return check


def _services_booked(w, user, response, since):
    assert w.shop.services.get(service_type__code="encryption").status == "ordered"
    _audited("tenant.services.booked")(w, user, response, since)


def _service_ended(w, user, response, since):
    archive = BookedService.objects.get(pk=w.archive.pk)
    assert archive.status == "ending" and archive.end_date == datetime.date(2025, 6, 30)  # the default
    _audited("tenant.service.ended")(w, user, response, since)


def _user_added(w, user, response, since):
    assert RegisteredUser.objects.filter(domain=w.shop, email="new@shop.example").exists()
    assert response["Location"] == tenant_url(w, f"domains/{w.shop.pk}/users/")
    _audited("tenant.domain.user_added")(w, user, response, since)


def _user_removed(w, user, response, since):
    assert not RegisteredUser.objects.filter(pk=w.shop_user.pk).exists()
    _audited("tenant.domain.user_removed")(w, user, response, since)


def _marked_confidential(w, user, response, since):
    assert Domain.objects.get(pk=w.shop.pk).confidential is True
    _audited("tenant.domain.confidential_set")(w, user, response, since)


def _discount_set(w, user, response, since):
    archive = BookedService.objects.get(pk=w.archive.pk)
    assert (archive.discount_percent, archive.discount_reason) == (Decimal("20.00"), "test")
    _audited("tenant.service.discount_set")(w, user, response, since)


def _deployed(w, user, response, since):
    assert set(
        BookedService.objects.filter(pk__in=[w.spam.pk, w.vault_archive.pk]).values_list("status", flat=True)
    ) == {"deployed"}
    _audited("tenant.deployed")(w, user, response, since)


def _check_started(w, user, response, since):
    run = CheckRun.objects.filter(tenant=w.tenant).latest("pk")
    assert run.pk != w.run.pk and run.status == "queued" and run.requested_by == user
    assert response["Location"] == tenant_url(w, "#check")
    _audited("tenant.check.started")(w, user, response, since)


def _offer_created(w, user, response, since):
    offer = Offer.objects.filter(tenant=w.tenant).latest("pk")
    assert offer.pk != w.offer.pk and offer.title == "Matrix offer"
    assert response["Location"] == tenant_url(w, f"offers/{offer.pk}/")
    _audited("tenant.offer.created")(w, user, response, since)


def _pdf(w, user, response, since):
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")


def _offer_data(w) -> dict:
    codes = list(w.types)
    data = {
        "lines-TOTAL_FORMS": str(len(codes)),
        "lines-INITIAL_FORMS": "0",
        "title": "Matrix offer",
        "valid_days": "30",
        "add_dependencies": "on",
    }
    for index, code in enumerate(codes):
        data[f"lines-{index}-service_type"] = code
        data[f"lines-{index}-quantity"] = "3"
        if code == "archive":
            data[f"lines-{index}-include"] = "on"
    return data


def _transfer_requested(w, user, response, since):
    from tenants.models import TenantTransfer

    assert TenantTransfer.objects.filter(tenant=w.tenant, status="pending").exists()
    _audited("tenant.transfer_requested")(w, user, response, since)


def _receiver(w) -> None:
    from accounts.tests.factories import AccountFactory

    w.receiver = AccountFactory(name="Empfänger GmbH")


def _pending_transfer(w) -> None:
    from tenants import services

    _receiver(w)
    w.transfer = services.request_transfer(actor=w.owner, tenant=w.tenant, to_account=w.receiver)


def _transfer_declined(w, user, response, since):
    from tenants.models import TenantTransfer

    assert TenantTransfer.objects.filter(tenant=w.tenant, status="declined").exists()
    _audited("tenant.transfer_declined")(w, user, response, since)


OPERATIONS = {
    "tenant list": Op("get", lambda w: "/tenants/", dict.fromkeys(ACTORS, 200), check=_list_check),
    "tenant page": Op("get", tenant_url, only(*VIEWERS), check=_contains("Shop – Webshop")),
    "new tenant form": Op(
        "get",
        lambda w: "/tenants/new/",
        {**only("sales"), "other": 200},  # the other partner's sales staff create tenants for their customers
        check=_contains('name="customer_choice"'),
        refusal=CREATE_REFUSAL,
    ),
    "create tenant": Op(
        "post",
        lambda w: "/tenants/new/",
        {**only("sales", ok=302), "other": 400},
        data=lambda w: {
            "partner": w.partner.pk,
            "customer_choice": "existing",
            "customer": w.customer.pk,
            "name": "Neuer Mandant",
            "environment": "production",
        },
        check=_tenant_created,
        refusal=CREATE_REFUSAL,
        bad_request={"other": "Select a valid choice."},  # neither the partner nor the customer is theirs
    ),
    "add domain form (guided)": Op(
        "get",
        lambda w: tenant_url(w, "domains/add/"),
        only("sales"),
        check=_contains('name="mode" value="guided"', "Add a new domain"),
    ),
    "add domain form (expert)": Op(
        "get",
        lambda w: tenant_url(w, "domains/add/?mode=expert"),
        only("sales"),
        check=_contains('name="mode" value="expert"', "Add domain manually (expert)"),
    ),
    "add domain (guided)": Op(
        "post",
        lambda w: tenant_url(w, "domains/add/"),
        only("sales", ok=302),
        data=lambda w: {"mode": "guided", "name": "new.example", "service_types": ["archive"]},
        check=_domain_added("new.example", {"base", "archive"}, "guided"),
    ),
    "add domain (expert)": Op(
        "post",
        lambda w: tenant_url(w, "domains/add/"),
        only("sales", ok=302),
        data=lambda w: {"mode": "expert", "name": "expert.example"},
        check=_domain_added("expert.example", {"base"}, "expert"),
    ),
    "add services form": Op(
        "get",
        lambda w: tenant_url(w, f"domains/{w.shop.pk}/services/add/"),
        only("sales"),
        check=_contains('value="encryption"', "Book services"),
        htmx=True,
    ),
    "add services": Op(
        "post",
        lambda w: tenant_url(w, f"domains/{w.shop.pk}/services/add/"),
        only("sales", ok=302),
        data=lambda w: {"service_types": ["encryption"]},
        check=_services_booked,
    ),
    "end service form": Op(
        "get",
        lambda w: tenant_url(w, f"domains/{w.shop.pk}/end/?service={w.archive.pk}"),
        only("sales"),
        check=_contains('value="2025-06-30"', 'min="2025-06-11"'),
    ),
    "end service": Op(
        "post",
        lambda w: tenant_url(w, f"domains/{w.shop.pk}/end/"),
        only("sales", ok=302),
        data=lambda w: {"service": w.archive.pk, "end_date": ""},
        check=_service_ended,
    ),
    "registered users": Op(
        "get",
        lambda w: tenant_url(w, f"domains/{w.shop.pk}/users/"),
        only(*VIEWERS),
        check=_contains("info@shop.example"),
        htmx=True,
    ),
    "add registered user": Op(
        "post",
        lambda w: tenant_url(w, f"domains/{w.shop.pk}/users/"),
        only(*CHANGE, ok=302),
        data=lambda w: {"email": "new@shop.example", "name": "New"},
        check=_user_added,
    ),
    "remove registered user": Op(
        "post",
        lambda w: tenant_url(w, f"domains/{w.shop.pk}/users/{w.shop_user.pk}/remove/"),
        only(*CHANGE, ok=302),
        data=lambda w: {},
        check=_user_removed,
    ),
    "mark confidential": Op(
        "post",
        lambda w: tenant_url(w, f"domains/{w.shop.pk}/confidential/"),
        only("partner_admin", ok=302),
        data=lambda w: {"confidential": "on"},
        check=_marked_confidential,
    ),
    "discount form": Op(
        "get",
        lambda w: tenant_url(w, f"services/{w.archive.pk}/discount/"),
        only("sales"),
        check=_contains('name="discount_percent"', 'value="15.00"'),
    ),
    "set discount": Op(
        "post",
        lambda w: tenant_url(w, f"services/{w.archive.pk}/discount/"),
        only("sales", ok=302),
        data=lambda w: {"discount_percent": "20", "reason": "test"},
        check=_discount_set,
    ),
    "deploy overlay": Op(
        "get",
        lambda w: tenant_url(w, "deploy/"),
        only("tech"),
        check=_contains("Deploy now"),
        htmx=True,
    ),
    "deploy": Op(
        "post", lambda w: tenant_url(w, "deploy/"), only("tech", ok=302), data=lambda w: {}, check=_deployed
    ),
    "start check": Op(
        "post",
        lambda w: tenant_url(w, "checks/"),
        only(*RUN_CHECK, ok=302),
        data=lambda w: {},
        check=_check_started,
    ),
    "check status (htmx)": Op(
        "get",
        lambda w: tenant_url(w, f"checks/{w.run.pk}/"),
        only(*VIEWERS),
        check=_contains('id="check-panel"'),
        htmx=True,
    ),
    "offer form": Op(
        "get",
        lambda w: tenant_url(w, "offers/new/"),
        only("sales"),
        check=_contains('name="lines-TOTAL_FORMS"'),
    ),
    "create offer": Op(
        "post",
        lambda w: tenant_url(w, "offers/new/"),
        only("sales", ok=302),
        data=_offer_data,
        check=_offer_created,
    ),
    "offer page": Op(
        "get",
        lambda w: tenant_url(w, f"offers/{w.offer.pk}/"),
        only(*BILLING),
        check=_contains("Archive for the shop", "Download PDF"),
    ),
    "offer print": Op(
        "get",
        lambda w: tenant_url(w, f"offers/{w.offer.pk}/print/"),
        only(*BILLING),
        check=lambda w, user, response, since: _contains(w.offer.number, "Mail archive")(
            w, user, response, since
        ),
    ),
    "offer pdf": Op("get", lambda w: tenant_url(w, f"offers/{w.offer.pk}/pdf/"), only(*BILLING), check=_pdf),
    "request transfer": Op(
        "post",
        lambda w: tenant_url(w, "transfer/"),
        only("owner", ok=302),
        data=lambda w: {"to_account": w.receiver.number},
        prepare=_receiver,
        check=_transfer_requested,
        refusal="Only an owner of the tenant&#x27;s account can transfer it.",
    ),
    "transfers": Op(
        "get",
        lambda w: "/tenants/transfers/",
        dict.fromkeys(ACTORS, 200),
        check=_contains("Tenant transfers"),
    ),
    "decline transfer": Op(
        "post",
        lambda w: f"/tenants/transfers/{w.transfer.pk}/decline/",
        {**{actor: 404 for actor in ACTORS}, "owner": 302, "vendor_support": 403},
        data=lambda w: {},
        prepare=_pending_transfer,
        check=_transfer_declined,
        refusal="Only an owner of one of the two accounts can decline.",
    ),
}


@pytest.fixture(autouse=True)
def _today(clock):
    clock.set(VIEWS_TODAY)


def test_every_url_is_in_the_matrix():
    """A new tenant URL needs its row here."""
    from tenants import urls

    names = {pattern.name for pattern in urls.urlpatterns}
    covered = {
        "tenant_list",
        "tenant_create",
        "tenant_detail",
        "tenant_domain_add",
        "tenant_services_add",
        "tenant_service_end",
        "tenant_domain_users",
        "tenant_domain_user_remove",
        "tenant_domain_confidential",
        "tenant_service_discount",
        "tenant_deploy",
        "tenant_check_start",
        "tenant_check_status",
        "tenant_offer_create",
        "tenant_offer",
        "tenant_offer_print",
        "tenant_offer_pdf",
        "tenant_transfer_request",
        "tenant_transfers",
        "tenant_transfer_answer",
    }
    assert names == covered


@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize("operation", list(OPERATIONS))
def test_html_role_matrix(views_world, client, operation, actor):
    w = views_world
    op = OPERATIONS[operation]
    user = getattr(w, actor)
    client.force_login(user)
    if op.prepare is not None:
        op.prepare(w)
    before = snapshot()
    since = last_audit_id()
    headers = HTMX if op.htmx else {}
    if op.method == "get":
        response = client.get(op.url(w), **headers)
    else:
        response = client.post(op.url(w), op.data(w), **headers)
    expected = op.expected[actor]
    assert response.status_code == expected, (operation, actor, text(response)[:1500])
    if expected in (200, 302):
        if op.check is not None:
            op.check(w, user, response, since)
        if op.method == "get":
            assert snapshot() == before, "a GET changed something"
        return
    # Refused: a clear page, and nothing changed.
    if expected == 403:
        assert "Not allowed" in text(response) and op.refusal in text(response)
    elif expected == 404:
        assert "Not found" in text(response)
        assert w.tenant.name not in text(response)
    else:
        assert op.bad_request[actor] in text(response)
    assert snapshot() == before
