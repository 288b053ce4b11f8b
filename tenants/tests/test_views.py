"""The tenant pages beyond the role matrix (UI-1, TEN-3..TEN-8; the matrix is test_views_matrix.py): which
buttons each role sees, masking of confidential names in every page, the guided flows (missing dependencies,
confirmations, end dates in Europe/Berlin), bad input, the live check panel, and the tenant list (search,
sort on every column, pagination, counts, htmx partials)."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core import mail

from accounts.models import Account
from accounts.tests.factories import AccountFactory
from tenants import services
from tenants.models import BookedService, CheckRun, Domain, Offer, RegisteredUser, Tenant
from tenants.services.offers import OfferLineInput
from tenants.tests.conftest import VIEWS_TODAY
from tenants.tests.factories import TenantFactory, resold_tenant
from tenants.tests.html import HTMX, actions, last_audit_id, new_events, snapshot, table_rows, text

pytestmark = pytest.mark.django_db

VAULT = "nomx-vault.example"
MASKED_VAULT = "••••.example"


@pytest.fixture(autouse=True)
def _today(clock):
    clock.set(VIEWS_TODAY)


@pytest.fixture
def w(views_world):
    return views_world


def url(w, rest: str = "") -> str:
    return f"/tenants/{w.tenant.number}/{rest}"


def login(client, w, actor: str):
    user = getattr(w, actor)
    client.force_login(user)
    return user


# --- Which buttons a role sees (TEN-7: read-only roles get no action controls) -------------------------------

DETAIL_ACTIONS = {
    "sales": {
        "add-domain",
        "add-domain-expert",
        "create-offer",
        "add-services",
        "end-service",
        "discount",
        "end",
    },
    "tech": {"deploy", "check"},
    "partner_admin": {"expert-mode"},
    "support": set(),
    "owner": {"check"},  # owners and admins run checks and keep the registered users (their mailboxes)
    "customer_admin": {"check"},
    "vendor_support": set(),
}


@pytest.mark.parametrize("actor", list(DETAIL_ACTIONS))
def test_detail_page_offers_exactly_the_actions_of_the_role(w, client, actor):
    login(client, w, actor)
    response = client.get(url(w))
    assert response.status_code == 200
    assert actions(response) == DETAIL_ACTIONS[actor]
    page = text(response)
    billing = actor in ("sales", "partner_admin", "owner", "customer_admin")
    assert ('id="offers"' in page) is billing
    assert ("Monthly price" in page) is billing
    assert (w.offer.number in page) is billing
    read_only = actor in ("support", "vendor_support")
    assert ("You can view this tenant; changes are made by" in page) is read_only
    assert page.count("data-users-link") == 2  # everyone who sees the tenant sees the users of each domain
    for forbidden_url in (
        "/domains/add/",
        "/deploy/",
        "/offers/new/",
        "/discount/",
        "/end/",
        "/confidential/",
    ):
        if not DETAIL_ACTIONS[actor]:
            assert forbidden_url not in page, forbidden_url


def table_rows_of_services(response):
    """Rows of every domain's services table on the tenant page."""
    return table_rows(response, css_class="services")


def test_discount_and_its_reason_in_brackets_under_the_percentage(w, client):
    """TEN-8."""
    login(client, w, "sales")
    row = next(r for r in table_rows_of_services(client.get(url(w))) if r[0] == w.archive.number)
    assert row[4] == "15 % (nfr)"


def test_support_sees_the_users_list_without_controls(w, client):
    login(client, w, "support")
    response = client.get(url(w, f"domains/{w.shop.pk}/users/"), **HTMX)
    assert response.status_code == 200
    assert "info@shop.example" in text(response)
    assert actions(response) == set()
    assert "<form" not in text(response)
    login(client, w, "customer_admin")
    assert actions(client.get(url(w, f"domains/{w.shop.pk}/users/"), **HTMX)) == {"add-user", "remove-user"}


def test_expert_mode_only_for_partner_admins(w, client):
    login(client, w, "partner_admin")
    response = client.get(url(w, "?expert=1"))
    assert actions(response) == {"confidential"}
    assert text(response).count('data-action="confidential"') == 2
    assert "Remove confidential mark" in text(response) and "Mark confidential" in text(response)
    login(client, w, "sales")
    response = client.get(url(w, "?expert=1"))
    assert "confidential" not in actions(response) and "expert-mode" not in actions(response)
    # The expert add-domain form offers the confidential flag to partner admins only.
    assert 'name="confidential"' not in text(client.get(url(w, "domains/add/?mode=expert")))
    login(client, w, "admin_sales")
    assert 'name="confidential"' in text(client.get(url(w, "domains/add/?mode=expert")))
    assert 'name="confidential"' not in text(client.get(url(w, "domains/add/")))  # guided: never


def test_deploy_button_only_while_something_is_undeployed(w, client):
    login(client, w, "tech")
    assert "deploy" in actions(client.get(url(w)))
    response = client.post(url(w, "deploy/"), **HTMX)
    assert response.status_code == 200 and response["HX-Redirect"] == url(w)
    page = client.get(url(w))
    assert "deploy" not in actions(page)
    assert "Deployed: 2 services on 2 domains." in text(page)
    # Nothing left: the overlay says so, and a POST is refused as a state conflict, changing nothing.
    assert "Nothing to deploy" in text(client.get(url(w, "deploy/")))
    before = snapshot()
    response = client.post(url(w, "deploy/"))
    assert response.status_code == 409
    assert "Nothing to deploy: all domains and services are deployed already." in text(response)
    assert snapshot() == before


OVERLAYS = {
    # overlay: (actor, path, title)
    "add domain": ("sales", "domains/add/", "Add a new domain"),
    "add services": ("sales", "domains/{shop}/services/add/", "Add services"),
    "end service": ("sales", "domains/{shop}/end/", "End a service"),
    "discount": ("sales", "services/{archive}/discount/", "Discount"),
    "registered users": ("support", "domains/{shop}/users/", "Registered users"),
    "deploy": ("tech", "deploy/", "Deploy domain and services"),
}


@pytest.mark.parametrize("overlay", list(OVERLAYS))
def test_overlays_are_fragments_for_htmx_and_pages_without(w, client, overlay):
    actor, path, title = OVERLAYS[overlay]
    login(client, w, actor)
    target = url(w, path.format(shop=w.shop.pk, archive=w.archive.pk))
    fragment = text(client.get(target, **HTMX))
    assert fragment.startswith('<div class="overlay" role="dialog"') and "<html" not in fragment
    assert f'<h2 id="overlay-title">{title}</h2>' in fragment
    page = text(client.get(target))
    assert "<html" in page and f"<h1>{title}</h1>" in page and 'role="dialog"' not in page
    assert f'href="{url(w)}"' in page  # the way back without JavaScript


def test_deploy_overlay_lists_the_waiting_services(w, client):
    login(client, w, "tech")
    response = client.get(url(w, "deploy/"), **HTMX)
    assert response.status_code == 200 and "<html" not in text(response)
    page = text(response)
    assert w.spam.number in page and w.vault_archive.number in page and w.archive.number not in page


# --- Confidential names (TEN-4): masked for everyone without manage_confidential -----------------------------

SEES_NAME = {"partner_admin", "admin_sales"}


def _pages(w, actor):
    """(url, htmx) of every page that names the confidential domain and that the actor may open."""
    pages = [
        (url(w), False),
        (url(w, f"domains/{w.vault.pk}/users/"), True),
        (url(w, f"checks/{w.run.pk}/"), True),
    ]
    if actor in ("sales", "admin_sales"):
        pages += [
            (url(w, f"domains/{w.vault.pk}/services/add/"), True),
            (url(w, f"domains/{w.vault.pk}/end/"), True),
            (url(w, f"services/{w.vault_archive.pk}/discount/"), True),
        ]
    if actor == "tech":
        pages.append((url(w, "deploy/"), True))
    return pages


@pytest.mark.parametrize(
    "actor",
    ["sales", "support", "tech", "owner", "customer_admin", "vendor_support", "partner_admin", "admin_sales"],
)
def test_confidential_domain_is_masked_in_every_page(w, client, actor):
    login(client, w, actor)
    for page_url, htmx in _pages(w, actor):
        response = client.get(page_url, **(HTMX if htmx else {}))
        assert response.status_code == 200, page_url
        page = text(response)
        if actor in SEES_NAME:
            assert VAULT in page, page_url
        else:
            assert VAULT not in page, page_url  # neither the name nor a mailbox address on it
            assert MASKED_VAULT in page, page_url
    finding = f"{VAULT if actor in SEES_NAME else MASKED_VAULT} has no MX record."
    assert finding in text(client.get(url(w)))
    if actor not in SEES_NAME:
        assert "ceo@" + MASKED_VAULT in text(client.get(url(w, f"domains/{w.vault.pk}/users/"), **HTMX))


def test_messages_about_a_confidential_domain_are_masked(w, client):
    login(client, w, "sales")
    # sales reads the name masked, so it writes the address as shown (the real host would be refused like any
    # guess: TEN-4, tenants/tests/test_masking.py)
    response = client.post(
        url(w, f"domains/{w.vault.pk}/users/"), {"email": f"cfo@{MASKED_VAULT}"}, follow=True
    )
    assert response.status_code == 200
    assert f"cfo@{MASKED_VAULT} is now a registered user of {MASKED_VAULT}." in text(response)
    added = RegisteredUser.objects.get(email=f"cfo@{VAULT}")
    response = client.post(url(w, f"domains/{w.vault.pk}/users/{added.pk}/remove/"), follow=True)
    assert f"cfo@{MASKED_VAULT} was removed." in text(response)
    response = client.post(url(w, f"domains/{w.vault.pk}/end/"), {"service": w.vault_archive.pk}, follow=True)
    assert f"Mail archive ({w.vault_archive.number}) on {MASKED_VAULT} was cancelled." in text(response)
    assert VAULT not in text(response)


def test_partner_admin_marks_and_unmarks_confidential(w, client):
    user = login(client, w, "partner_admin")
    since = snapshot()["audit"]
    response = client.post(url(w, f"domains/{w.shop.pk}/confidential/"), {"confidential": "on"}, **HTMX)
    assert response.status_code == 200
    assert response["HX-Redirect"] == url(w, f"?expert=1#domain-{w.shop.pk}")
    assert Domain.objects.get(pk=w.shop.pk).confidential
    assert "shop.example is now confidential" in text(client.get(url(w, "?expert=1")))
    # Now sales sees it masked as well.
    login(client, w, "sales")
    assert "shop.example" not in text(client.get(url(w))).replace("info@", "")
    assert "••••.example" in text(client.get(url(w)))
    client.force_login(user)
    response = client.post(url(w, f"domains/{w.shop.pk}/confidential/"), {}, follow=True)
    assert "shop.example is no longer confidential." in text(response)
    assert not Domain.objects.get(pk=w.shop.pk).confidential
    assert snapshot()["audit"] == since + 2


def test_confidential_flag_in_expert_mode(w, client):
    """Partner admins (here with sales) add a confidential domain in expert mode; a sales user's flag is not
    even a field of the form, so it is ignored."""
    login(client, w, "admin_sales")
    response = client.post(
        url(w, "domains/add/"), {"mode": "expert", "name": "secret.example", "confidential": "on"}
    )
    assert response.status_code == 302
    assert Domain.objects.get(name="secret.example").confidential is True
    login(client, w, "sales")
    response = client.post(
        url(w, "domains/add/"), {"mode": "expert", "name": "plain.example", "confidential": "on"}
    )
    assert response.status_code == 302
    assert Domain.objects.get(name="plain.example").confidential is False


# --- Add domain (TEN-7 guided / expert) ------------------------------------------------------------------------


def test_guided_add_domain_names_missing_dependencies_then_books_them(w, client):
    user = login(client, w, "sales")
    before = snapshot()
    data = {"mode": "guided", "name": "neu.example", "service_types": ["signature"]}
    response = client.post(url(w, "domains/add/"), data)
    assert response.status_code == 400
    page = text(response)
    assert 'id="missing-dependencies"' in page and "The chosen services also need: E-mail encryption." in page
    assert "submit-with-dependencies" in actions(response)
    assert "<div>encryption</div>" not in page  # the codes are for API clients, the notice names them
    assert snapshot() == before
    since_id = last_audit_id()
    response = client.post(url(w, "domains/add/"), {**data, "add_dependencies": "on"})
    assert response.status_code == 302
    domain = Domain.objects.get(name="neu.example")
    assert sorted(domain.services.values_list("service_type__code", flat=True)) == [
        "base",
        "encryption",
        "signature",
    ]
    (event,) = new_events(since_id, "tenant.domain.added", user)
    assert event.changes["services"] == sorted(domain.services.values_list("number", flat=True))
    assert event.changes["mode"] == "guided"


def test_add_domain_htmx_success_redirects_and_failure_rerenders_the_overlay(w, client):
    login(client, w, "sales")
    response = client.get(url(w, "domains/add/"), **HTMX)
    assert response.status_code == 200 and 'role="dialog"' in text(response) and "<html" not in text(response)
    response = client.post(url(w, "domains/add/"), {"mode": "guided", "name": "bad..example"}, **HTMX)
    assert response.status_code == 200  # htmx swaps only 2xx: the errors come back in the overlay
    assert 'role="dialog"' in text(response) and "empty labels" in text(response)
    response = client.post(url(w, "domains/add/"), {"mode": "guided", "name": "good.example"}, **HTMX)
    domain = Domain.objects.get(name="good.example")
    assert response.status_code == 200 and response["HX-Redirect"] == url(w, f"#domain-{domain.pk}")
    assert "good.example was added with 1 service." in text(client.get(url(w)))


@pytest.mark.parametrize(
    ("name", "error"),
    [
        ("", "This field is required."),
        ("exa mple.com", "enter only the domain name"),
        ("http://shop2.example", "enter only the domain name"),
        ("-bad.example", "cannot start or end with a hyphen"),
        ("localhost", "at least two labels"),
        ("10.0.0.1", "top-level domain cannot be numeric"),
        ("a" * 64 + ".example", "longer than 63 characters"),
        ("shop.example", "“shop.example” is already registered."),
        ("SHOP.Example.", "“shop.example” is already registered."),
    ],
)
def test_add_domain_bad_names_are_refused_with_a_clear_error(w, client, name, error):
    login(client, w, "sales")
    before = snapshot()
    response = client.post(url(w, "domains/add/"), {"mode": "expert", "name": name})
    assert response.status_code == 400
    assert error in text(response).replace("&#x27;", "'")
    assert 'class="error' in text(response)
    assert snapshot() == before


def test_add_domain_unknown_service_is_refused(w, client):
    login(client, w, "sales")
    before = snapshot()
    response = client.post(
        url(w, "domains/add/"), {"mode": "guided", "name": "x.example", "service_types": ["nope"]}
    )
    assert (
        response.status_code == 400
        and "Select a valid choice. nope is not one of the available choices." in text(response)
    )
    assert snapshot() == before


# --- Add services (TEN-7) --------------------------------------------------------------------------------------


def test_add_services_refuses_missing_dependencies_naming_them_then_books_on_confirmation(w, client):
    user = login(client, w, "sales")
    target = url(w, f"domains/{w.shop.pk}/services/add/")
    page = client.get(target, **HTMX)
    assert "Needs: E-mail encryption" in text(page)
    assert 'value="archive"' in text(page) and "Booked (" in text(page)  # archive is booked: disabled
    before = snapshot()
    response = client.post(target, {"service_types": ["signature", "large-files"]}, **HTMX)
    assert response.status_code == 200 and "HX-Redirect" not in response
    assert "The chosen services also need: E-mail encryption." in text(response)
    assert snapshot() == before
    response = client.post(target, {"service_types": ["signature", "large-files"], "add_dependencies": "on"})
    assert response.status_code == 302
    booked = set(w.shop.services.filter(status="ordered").values_list("service_type__code", flat=True))
    assert booked == {"spam-filter", "encryption", "signature", "large-files"}
    (event,) = new_events(0, "tenant.services.booked", user)[-1:]
    assert event.changes["dependencies_added"] == ["encryption"]


@pytest.mark.parametrize(
    ("chosen", "error"),
    [
        ([], "Choose at least one service."),
        (
            ["archive"],
            "Select a valid choice. archive is not one of the available choices.",
        ),  # booked already
        (["bogus"], "Select a valid choice. bogus is not one of the available choices."),
    ],
)
def test_add_services_bad_choices(w, client, chosen, error):
    login(client, w, "sales")
    before = snapshot()
    response = client.post(url(w, f"domains/{w.shop.pk}/services/add/"), {"service_types": chosen})
    assert response.status_code == 400 and error in text(response)
    assert snapshot() == before


def test_no_services_can_be_added_while_the_base_service_ends(w, client):
    login(client, w, "sales")
    base = w.shop.services.get(service_type__code="base")
    services.end_service(actor=w.sales, service=base, confirm=True)
    page = client.get(url(w, f"domains/{w.shop.pk}/services/add/"))
    assert "The domain's base service is ending: no services can be added." in text(page)
    before = snapshot()
    response = client.post(url(w, f"domains/{w.shop.pk}/services/add/"), {"service_types": ["encryption"]})
    assert response.status_code == 409 and "no services can be added" in text(response)
    assert snapshot() == before


def test_unknown_domain_or_service_ids_answer_404(w, client):
    """Ids of another tenant's (or no) objects under this tenant's URL are unseen here: 404, nothing changed."""
    login(client, w, "admin_sales")  # may do everything, so only the ids decide
    other = resold_tenant(w.customer, w.partner, name="Zweiter")
    other_domain = services.add_domain(actor=w.sales, tenant=other, name="zwei.example")
    for path in (
        f"domains/{other_domain.pk}/services/add/",  # a domain of another tenant
        f"domains/{other_domain.pk}/users/",
        "domains/999999/end/",
        f"services/{other_domain.services.get().pk}/discount/",
        f"domains/{w.shop.pk}/end/?service={other_domain.services.get().pk}",
        f"domains/{w.shop.pk}/end/?service=abc",
        f"domains/{w.shop.pk}/users/999999/remove/",
        f"domains/{other_domain.pk}/users/{w.shop_user.pk}/remove/",
        f"domains/{other_domain.pk}/confidential/",
    ):
        before = snapshot()
        if path.endswith(("remove/", "confidential/")):
            response = client.post(url(w, path), {"confidential": "on"})
        else:
            response = client.get(url(w, path))
        assert response.status_code == 404, path
        assert snapshot() == before
    assert client.get("/tenants/T-000000/").status_code == 404


# --- End a service (TEN-7: default date, earliest tomorrow, Europe/Berlin, dependants) ------------------------


@pytest.mark.parametrize(
    ("now", "default", "earliest"),
    [
        (VIEWS_TODAY, "2025-06-30", "2025-06-11"),
        (datetime.datetime(2025, 6, 30, 12, 0), "2025-07-31", "2025-07-01"),  # last day: next month's end
        # 22:30 UTC on 30 June is already 1 July in Berlin (CEST).
        (datetime.datetime(2025, 6, 30, 22, 30, tzinfo=datetime.UTC), "2025-07-31", "2025-07-02"),
        (datetime.datetime(2025, 10, 31, 23, 30), "2025-11-30", "2025-11-01"),  # after the DST change
        (datetime.datetime(2024, 2, 28, 9, 0), "2024-02-29", "2024-02-29"),  # leap year
    ],
)
def test_end_form_presets_the_last_day_of_the_month(w, client, clock, now, default, earliest):
    clock.set(now)
    login(client, w, "sales")
    page = text(client.get(url(w, f"domains/{w.shop.pk}/end/?service={w.archive.pk}")))
    assert f'value="{default}"' in page and f'min="{earliest}"' in page


def test_end_service_with_the_default_date(w, client):
    user = login(client, w, "sales")
    response = client.post(url(w, f"domains/{w.shop.pk}/end/"), {"service": w.archive.pk}, follow=True)
    archive = BookedService.objects.get(pk=w.archive.pk)
    assert archive.status == "ending" and archive.end_date == datetime.date(2025, 6, 30)
    assert f"Mail archive ({archive.number}) on shop.example ends on June 30, 2025." in text(response)
    assert "until 06/30/2025" in text(response)
    assert new_events(0, "tenant.service.ended", user)


@pytest.mark.parametrize(
    ("end_date", "error"),
    [
        ("2025-06-10", "Tomorrow (June 11, 2025) at the earliest."),  # today
        ("2025-01-01", "Tomorrow (June 11, 2025) at the earliest."),
        ("2025-13-01", "Enter a valid date."),
    ],
)
def test_end_service_bad_dates(w, client, end_date, error):
    login(client, w, "sales")
    before = snapshot()
    response = client.post(
        url(w, f"domains/{w.shop.pk}/end/"), {"service": w.archive.pk, "end_date": end_date}
    )
    assert response.status_code == 400 and error in text(response)
    assert snapshot() == before


def test_ending_a_needed_service_lists_its_dependants_and_needs_confirmation(w, client):
    services.book_services(actor=w.sales, domain=w.shop, service_types=["encryption", "signature"])
    services.deploy_tenant(actor=w.tech, tenant=w.tenant)
    encryption = w.shop.services.get(service_type__code="encryption")
    signature = w.shop.services.get(service_type__code="signature")
    login(client, w, "sales")
    target = url(w, f"domains/{w.shop.pk}/end/")
    page = client.get(f"{target}?service={encryption.pk}", **HTMX)
    assert 'id="affected-services"' in text(page) and f"Digital signature ({signature.number}" in text(page)
    assert "confirm" in actions(page)
    before = snapshot()
    response = client.post(target, {"service": encryption.pk, "end_date": "2025-07-15"})
    assert response.status_code == 400
    assert "Confirm to end them together." in text(response)
    assert f"Also ends: Digital signature ({signature.number})." in text(response)  # at the checkbox
    assert f"<div>{signature.number}</div>" not in text(response)  # not as a bare number
    assert snapshot() == before
    response = client.post(target, {"service": encryption.pk, "end_date": "2025-07-15", "confirm": "on"})
    assert response.status_code == 302
    assert set(
        BookedService.objects.filter(pk__in=[encryption.pk, signature.pk]).values_list("status", "end_date")
    ) == {("ending", datetime.date(2025, 7, 15))}


def test_ending_the_base_service_ends_the_whole_domain(w, client):
    login(client, w, "sales")
    base = w.shop.services.get(service_type__code="base")
    page = text(client.get(url(w, f"domains/{w.shop.pk}/end/?service={base.pk}")))
    assert "Ending the base service ends every service of this domain:" in page
    assert w.archive.number in page and w.spam.number in page
    response = client.post(url(w, f"domains/{w.shop.pk}/end/"), {"service": base.pk, "confirm": "on"})
    assert response.status_code == 302
    statuses = dict(w.shop.services.values_list("service_type__code", "status"))
    assert statuses == {"base": "ending", "archive": "ending", "spam-filter": "cancelled"}


def test_cancel_an_undeployed_service(w, client):
    user = login(client, w, "sales")
    page = client.get(url(w, f"domains/{w.shop.pk}/end/?service={w.spam.pk}"))
    assert "it is cancelled at once and never billed" in text(page) and "Cancel service" in text(page)
    response = client.post(url(w, f"domains/{w.shop.pk}/end/"), {"service": w.spam.pk}, **HTMX)
    assert response["HX-Redirect"] == url(w, f"#domain-{w.shop.pk}")
    assert BookedService.objects.get(pk=w.spam.pk).status == "cancelled"
    assert new_events(0, "tenant.service.cancelled", user)


def test_end_form_of_a_domain_without_live_services_is_404(w, client):
    login(client, w, "sales")
    domain = services.add_domain(actor=w.sales, tenant=w.tenant, name="kurz.example")
    services.end_service(actor=w.sales, service=domain.services.get())  # cancelled: the domain is released
    assert client.get(url(w, f"domains/{domain.pk}/end/")).status_code == 404


# --- Discount (TEN-6, TEN-8) -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"discount_percent": "150", "reason": "nfr"}, "Ensure this value is less than or equal to 100."),
        ({"discount_percent": "-1", "reason": "nfr"}, "Ensure this value is greater than or equal to 0."),
        ({"discount_percent": "abc", "reason": "nfr"}, "Enter a number."),
        ({"discount_percent": "10", "reason": ""}, "Required when there is a discount."),
        (
            {"discount_percent": "10", "reason": "other", "reason_text": "  "},
            "Required when there is a discount.",
        ),
        ({"discount_percent": "10", "reason": "bogus"}, "Select a valid choice."),
    ],
)
def test_bad_discounts_are_refused(w, client, data, error):
    login(client, w, "sales")
    before = snapshot()
    response = client.post(url(w, f"services/{w.archive.pk}/discount/"), data)
    assert response.status_code == 400 and error in text(response)
    assert snapshot() == before


def test_discount_with_a_reason_of_ones_own(w, client):
    user = login(client, w, "sales")
    response = client.post(
        url(w, f"services/{w.archive.pk}/discount/"),
        {"discount_percent": "12.5", "reason": "other", "reason_text": "Messe-Rabatt"},
        follow=True,
    )
    assert response.status_code == 200
    archive = BookedService.objects.get(pk=w.archive.pk)
    assert (archive.discount_percent, archive.discount_reason) == (Decimal("12.50"), "Messe-Rabatt")
    row = next(r for r in table_rows_of_services(response) if r[0] == archive.number)
    assert row[4] == "12.5 % (Messe-Rabatt)"
    (event,) = new_events(0, "tenant.service.discount_set", user)[-1:]
    assert event.changes["to"] == {"percent": "12.50", "reason": "Messe-Rabatt"}
    # The form shows it again as "other" with the text.
    page = text(client.get(url(w, f"services/{w.archive.pk}/discount/")))
    assert 'value="Messe-Rabatt"' in page and '<option value="other" selected>' in page


def test_discount_of_an_ended_service_cannot_change(w, client):
    login(client, w, "sales")
    services.end_service(actor=w.sales, service=w.spam)  # cancelled
    before = snapshot()
    response = client.post(
        url(w, f"services/{w.spam.pk}/discount/"), {"discount_percent": "5", "reason": "test"}
    )
    assert response.status_code == 409
    assert "The discount of an ended or cancelled service cannot change." in text(response)
    assert snapshot() == before


# --- Registered users (TEN-6) ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("email", "error"),
    [
        ("", "This field is required."),
        ("not-an-address", "Enter a valid e-mail address."),
        ("someone@other.example", "Must end in @shop.example."),
        ("info@shop.example", "Already registered."),
        ("INFO@Shop.Example", "Already registered."),
    ],
)
def test_bad_registered_users_are_refused(w, client, email, error):
    login(client, w, "tech")
    before = snapshot()
    response = client.post(url(w, f"domains/{w.shop.pk}/users/"), {"email": email})
    assert response.status_code == 400 and error in text(response)
    assert snapshot() == before


def test_registered_users_overlay_stays_open_for_the_next_address(w, client):
    login(client, w, "customer_admin")
    target = url(w, f"domains/{w.shop.pk}/users/")
    response = client.post(target, {"email": "Sales@Shop.example", "name": "Vertrieb"}, **HTMX)
    assert response.status_code == 200 and 'role="dialog"' in text(response)
    page = text(response)
    assert "sales@shop.example" in page and "is now a registered user of shop.example." in page
    assert 'name="email" value=' not in page  # a fresh, empty form
    added = RegisteredUser.objects.get(email="sales@shop.example")
    response = client.post(url(w, f"domains/{w.shop.pk}/users/{added.pk}/remove/"), **HTMX)
    assert response.status_code == 200 and "sales@shop.example was removed." in text(response)
    assert not RegisteredUser.objects.filter(pk=added.pk).exists()


def test_first_registered_user_starts_billing(w, client):
    """TEN-6: billing starts on the day the deployed domain gets its first user."""
    domain = services.add_domain(actor=w.sales, tenant=w.tenant, name="leer.example")
    services.deploy_tenant(actor=w.tech, tenant=w.tenant)
    login(client, w, "owner")
    page = text(client.get(url(w)))
    assert "services are billed once the domain has a user" in page
    client.post(url(w, f"domains/{domain.pk}/users/"), {"email": "a@leer.example"})
    assert domain.services.get().billing_start == datetime.date(2025, 6, 10)


def test_user_remove_is_post_only(w, client):
    login(client, w, "sales")
    assert client.get(url(w, f"domains/{w.shop.pk}/users/{w.shop_user.pk}/remove/")).status_code == 405
    assert RegisteredUser.objects.filter(pk=w.shop_user.pk).exists()


# --- New tenant (TEN-7) --------------------------------------------------------------------------------------------


def test_new_tenant_button_and_form_for_sales_only(w, client):
    login(client, w, "sales")
    assert 'href="/tenants/new/"' in text(client.get("/tenants/"))
    page = text(client.get(f"/tenants/new/?account={w.customer.number}"))
    assert f'<option value="{w.customer.pk}" selected>' in page
    login(client, w, "support")
    assert 'href="/tenants/new/"' not in text(client.get("/tenants/"))


def test_new_tenant_for_a_new_customer_invites_its_contact(w, client, django_capture_on_commit_callbacks):
    user = login(client, w, "sales")
    data = {
        "partner": w.partner.pk,
        "customer_choice": "new",
        "customer_name": "Neukunde GmbH",
        "contact_email": "chefin@neukunde.example",
        "name": "Neukunde – Mail",
        "environment": "production",
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/tenants/new/", data, follow=True)
    assert response.status_code == 200
    account = Account.objects.get(name="Neukunde GmbH")
    tenant = Tenant.objects.get(account=account)
    assert tenant.name == "Neukunde – Mail" and tenant.reseller_id == w.partner.pk
    assert response.redirect_chain[-1][0] == f"/tenants/{tenant.number}/"
    assert "chefin@neukunde.example was invited to become the owner of Neukunde GmbH." in text(response)
    assert [m.to for m in mail.outbox] == [["chefin@neukunde.example"]]
    assert new_events(0, "tenant.created", user) and new_events(0, "membership.invited", user)
    # The partner manages the new tenant at once: its tech sees it.
    client.force_login(w.tech)
    assert client.get(f"/tenants/{tenant.number}/").status_code == 200


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"name": ""}, "This field is required."),
        ({"customer": ""}, "Choose one of your customers, or create a new one."),
        ({"customer_choice": "new", "customer": ""}, "Enter the new customer&#x27;s company name."),
        (
            {"customer_choice": "new", "customer_name": "X GmbH"},
            "Enter the contact e-mail of the new customer.",
        ),
        ({"environment": "staging"}, "Does not fit the account&#x27;s purpose (Production)."),
        ({"environment": "moon"}, "Select a valid choice."),
        (  # all or nothing: the new customer is not created when its tenant cannot be
            {
                "customer_choice": "new",
                "customer_name": "Y GmbH",
                "contact_email": "y@y.example",
                "environment": "test",
            },
            "Does not fit the account&#x27;s purpose (Production).",
        ),
    ],
)
def test_new_tenant_bad_input(w, client, changes, error, django_capture_on_commit_callbacks):
    login(client, w, "sales")
    data = {
        "partner": w.partner.pk,
        "customer_choice": "existing",
        "customer": w.customer.pk,
        "name": "Neu",
        "environment": "production",
        **changes,
    }
    before = snapshot()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/tenants/new/", data)
    assert response.status_code == 400 and error in text(response)
    assert snapshot() == before and mail.outbox == []


# --- Consistency check (TEN-7): start, second start, live progress --------------------------------------------------


def test_check_start_polls_progress_and_a_second_start_returns_the_running_run(w, client):
    user = login(client, w, "tech")
    response = client.post(url(w, "checks/"), **HTMX)  # queued: the task runs after commit
    assert response.status_code == 200 and "<html" not in text(response)
    run = CheckRun.objects.filter(tenant=w.tenant).latest("pk")
    assert run.pk != w.run.pk and run.status == "queued"
    panel = text(response)
    assert f'hx-get="{url(w, f"checks/{run.pk}/")}"' in panel and 'hx-trigger="every 2s"' in panel
    assert "Waiting for a worker" in panel and 'data-action="check"' not in panel
    assert new_events(0, "tenant.check.started", user)
    before = snapshot()
    response = client.post(url(w, "checks/"), **HTMX)
    assert "A check is already running; here is its progress." in text(response)
    assert snapshot() == before
    response = client.post(url(w, "checks/"), follow=True)  # without htmx: the message on the page
    assert "A check is already running; here is its progress." in text(response)
    assert snapshot() == before
    # The tenant page polls too while the run is active, and offers no second start.
    page = client.get(url(w))
    assert 'hx-trigger="every 2s"' in text(page) and "check" not in actions(page)
    # Running: progress is shown.
    CheckRun.objects.filter(pk=run.pk).update(
        status="running", progress=40, checked_domains=1, total_domains=2
    )
    panel = text(client.get(url(w, f"checks/{run.pk}/"), **HTMX))
    assert "Checking domains: 1 of 2" in panel and 'value="40"' in panel and 'hx-trigger="every 2s"' in panel


def test_check_runs_and_the_panel_shows_the_findings(w, client, django_capture_on_commit_callbacks):
    login(client, w, "customer_admin")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url(w, "checks/"))
    assert response.status_code == 302 and response["Location"] == url(w, "#check")
    run = CheckRun.objects.filter(tenant=w.tenant).latest("pk")
    assert run.status == "done"
    panel = text(client.get(url(w, f"checks/{run.pk}/"), **HTMX))
    assert "hx-trigger" not in panel  # finished: polling stops
    assert "••••.example has no MX record." in panel and "1 warning" in panel
    assert 'data-action="check"' in panel  # may start again
    # Without htmx the status URL leads to the panel on the tenant page.
    response = client.get(url(w, f"checks/{run.pk}/"))
    assert response.status_code == 302 and response["Location"] == url(w, "#check")


def test_failed_check_is_reported(w, client):
    run = CheckRun.objects.create(tenant=w.tenant, status="failed", error="boom")
    login(client, w, "tech")
    panel = text(client.get(url(w, f"checks/{run.pk}/"), **HTMX))
    assert "The check could not be completed. Please start it again." in panel and "(boom)" in panel


def test_check_of_another_tenant_is_404_here(w, client):
    other = resold_tenant(w.customer, w.partner, name="Zweiter")
    run = CheckRun.objects.create(tenant=other, status="done")
    login(client, w, "tech")
    assert client.get(f"/tenants/{other.number}/checks/{run.pk}/", **HTMX).status_code == 200
    assert client.get(url(w, f"checks/{run.pk}/"), **HTMX).status_code == 404
    assert client.get(url(w, "checks/999999/"), **HTMX).status_code == 404
    assert client.get(url(w, "checks/")).status_code == 405  # start is POST only


# --- Offers (TEN-7) ------------------------------------------------------------------------------------------------


def _offer_form(w, **lines):
    """Offer form data; ``lines`` maps a service code to its line fields (included)."""
    data = {
        "lines-TOTAL_FORMS": str(len(w.types)),
        "lines-INITIAL_FORMS": "0",
        "valid_days": "30",
        "title": "",
    }
    for index, code in enumerate(w.types):
        data[f"lines-{index}-service_type"] = code
        data[f"lines-{index}-quantity"] = "1"
        if code in lines:
            data[f"lines-{index}-include"] = "on"
            data.update({f"lines-{index}-{key}": value for key, value in lines[code].items()})
    return data


def test_offer_create_prefills_quantities_and_creates_the_offer(w, client):
    login(client, w, "sales")
    page = text(client.get(url(w, "offers/new/")))
    # Quantities preset to the live bookings of each service (archive: 2 domains), else the domain count.
    archive_index = list(w.types).index("archive")
    assert f'name="lines-{archive_index}-quantity" value="2"' in page
    response = client.post(
        url(w, "offers/new/"),
        _offer_form(w, signature={"quantity": "4", "discount_percent": "50", "discount_reason": "nfr"})
        | {"add_dependencies": "on", "title": "Signatur"},
        follow=True,
    )
    assert response.status_code == 200
    offer = Offer.objects.get(title="Signatur")
    assert [(line.service_type.code, line.quantity) for line in offer.lines.order_by("position")] == [
        ("base", 4),
        ("encryption", 4),
        ("signature", 4),
    ]
    # 4 × 9.90 + 4 × 14.90 + 4 × 4.90 × 50 % = 39.60 + 59.60 + 9.80
    assert offer.monthly_total == Decimal("109.00") and offer.annual_total == Decimal("1308.00")
    assert f"Offer {offer.number} was created." in text(response)
    assert "109.00\xa0€" in text(response) and "1,308.00\xa0€" in text(response)


@pytest.mark.parametrize(
    ("lines", "error"),
    [
        ({}, "An offer needs at least one service."),
        ({"archive": {"discount_percent": "10"}}, "Required when there is a discount."),
        ({"archive": {"quantity": "0"}}, "Ensure this value is greater than or equal to 1."),
        ({"archive": {"discount_percent": "101", "discount_reason": "x"}}, "less than or equal to 100"),
    ],
)
def test_bad_offers_are_refused(w, client, lines, error):
    login(client, w, "sales")
    before = snapshot()
    response = client.post(url(w, "offers/new/"), _offer_form(w, **lines))
    assert response.status_code == 400 and error in text(response)
    assert snapshot() == before


def test_offer_valid_days_must_be_in_range(w, client):
    login(client, w, "sales")
    before = snapshot()
    response = client.post(url(w, "offers/new/"), _offer_form(w, archive={}) | {"valid_days": "400"})
    assert response.status_code == 400 and "Ensure this value is less than or equal to 365." in text(response)
    assert snapshot() == before


def test_offer_of_another_tenant_is_404_here(w, client):
    other = resold_tenant(w.customer, w.partner, name="Zweiter")
    offer = services.create_offer(actor=w.sales, tenant=other, lines=[OfferLineInput("archive")])
    login(client, w, "owner")
    assert client.get(f"/tenants/{other.number}/offers/{offer.pk}/").status_code == 200
    for suffix in ("", "print/", "pdf/"):
        assert client.get(url(w, f"offers/{offer.pk}/{suffix}")).status_code == 404
    assert client.get(url(w, "offers/999999/")).status_code == 404


def test_offer_page_embeds_the_printable_page(w, client):
    login(client, w, "customer_admin")
    page = text(client.get(url(w, f"offers/{w.offer.pk}/")))
    assert f'src="{url(w, f"offers/{w.offer.pk}/print/")}"' in page
    response = client.get(url(w, f"offers/{w.offer.pk}/print/"))
    assert response["X-Frame-Options"] == "SAMEORIGIN"
    assert "(test)" in text(response)  # TEN-8 in the offer too
    response = client.get(url(w, f"offers/{w.offer.pk}/pdf/"))
    assert response["Content-Disposition"] == f'attachment; filename="{w.offer.number}.pdf"'


# --- Tenant list (TEN-3) ----------------------------------------------------------------------------------------------


@pytest.fixture
def many(w):
    """30 more tenants of the partner's customers (Mandant 01..30, numbers T-900001..), one with a domain, and a
    second customer "Alpha AG" with one tenant — 32 tenants for the partner."""

    tenants = [
        TenantFactory(account=w.customer, reseller=w.partner, name=f"Mandant {i:02d}", number=f"T-9{i:05d}")
        for i in range(1, 31)
    ]
    alpha = resold_tenant(AccountFactory(name="Alpha AG"), w.partner, name="Alpha Mandant", number="T-950000")
    services.add_domain(actor=w.sales, tenant=tenants[4], name="fuenf.example", service_types=["archive"])
    return [w.tenant, *tenants, alpha]


COLUMNS = {"name": 0, "number": 1, "account": 2, "environment": 3, "domains_count": 4, "services_count": 5}


@pytest.mark.parametrize("descending", [False, True])
# The environment column sorts too, but the fixture's tenants all share one environment.
@pytest.mark.parametrize("column", [column for column in COLUMNS if column != "environment"])
def test_list_sorts_on_every_column(w, client, many, column, descending):
    login(client, w, "sales")
    sort = f"-{column}" if descending else column
    response = client.get("/tenants/", {"sort": sort, "per_page": 100})
    assert response.status_code == 200
    rows = table_rows(response, "tenant-table-grid")
    assert sorted(row[1] for row in rows) == sorted(t.number for t in many)
    values = [row[COLUMNS[column]] for row in rows]
    if column.endswith("_count"):
        values = [int(value) for value in values]
    else:
        values = [value.casefold() for value in values]
    assert values == sorted(values, reverse=descending)
    assert len(set(values)) > 1  # the order is not trivially true
    assert f'aria-sort="{"descending" if descending else "ascending"}"' in text(response)


def test_list_counts_columns(w, client, many):
    login(client, w, "sales")
    rows = {
        row[1]: row for row in table_rows(client.get("/tenants/", {"per_page": 100}), "tenant-table-grid")
    }
    assert rows[w.tenant.number] == ["Shop – Webshop", w.tenant.number, "Shop GmbH", "Production", "2", "5"]
    assert rows["T-900005"][4:] == ["1", "2"]  # base + archive
    assert rows["T-900001"][4:] == ["0", "0"]
    assert rows["T-950000"][2] == "Alpha AG"
    # Ended and released things are not counted.
    services.end_service(actor=w.sales, service=w.spam)  # cancelled
    rows = {
        row[1]: row for row in table_rows(client.get("/tenants/", {"per_page": 100}), "tenant-table-grid")
    }
    assert rows[w.tenant.number][4:] == ["2", "4"]


def test_list_pagination(w, client, many):
    login(client, w, "sales")
    first = client.get("/tenants/", {"sort": "number"})
    rows = table_rows(first, "tenant-table-grid")
    assert len(rows) == 25 and "1–25 of 32" in text(first)
    assert "page=2" in text(first)
    second = client.get("/tenants/", {"sort": "number", "page": 2})
    rest = table_rows(second, "tenant-table-grid")
    assert len(rest) == 7 and "26–32 of 32" in text(second)
    assert {r[1] for r in rows} | {r[1] for r in rest} == {t.number for t in many}
    # Sorting is kept across pages, and a page past the end shows the last one.
    assert [r[1] for r in rows + rest] == sorted(t.number for t in many)
    assert table_rows(client.get("/tenants/", {"sort": "number", "page": 99}), "tenant-table-grid") == rest


def test_list_search_and_filter(w, client, many):
    login(client, w, "sales")

    def numbers(**params):
        rows = table_rows(client.get("/tenants/", params), "tenant-table-grid")
        return [row[1] for row in rows if len(row) > 1]  # not the "No tenants found." row

    assert numbers(q="webshop") == [w.tenant.number]
    assert numbers(q="T-90001") == [f"T-9{i:05d}" for i in range(10, 20)]
    assert set(numbers(q="mandant", per_page=100)) == {t.number for t in many[1:]}
    assert numbers(q="  alpha  ") == ["T-950000"]
    assert numbers(q="Shop GmbH") == []  # name and number only
    response = client.get("/tenants/", {"q": "nichts-passt"})
    assert "No tenants found." in text(response)
    assert numbers(environment="production", q="alpha") == ["T-950000"]
    assert numbers(environment="test") == []
    assert numbers(account="K-nope") == []


def test_list_htmx_partial(w, client, many):
    login(client, w, "sales")
    response = client.get("/tenants/", {"q": "webshop"}, **HTMX)
    assert response.status_code == 200
    page = text(response)
    assert "<html" not in page and 'id="tenant-table-grid"' in page and 'role="search"' not in page
    assert [row[1] for row in table_rows(response, "tenant-table-grid")] == [w.tenant.number]
    full = client.get("/tenants/", {"q": "webshop"})
    assert "<html" in text(full) and 'id="tenant-table"' in text(full) and 'value="webshop"' in text(full)
    # Sorting keeps the search, and searching keeps the sort.
    sorted_page = text(client.get("/tenants/", {"q": "mandant", "sort": "-name"}))
    assert 'name="sort" value="-name"' in sorted_page
    assert "q=mandant" in sorted_page.split('id="tenant-table-grid"')[1].split("</thead>")[0]


@pytest.mark.parametrize(
    ("actor", "sees"),
    [("sales", True), ("support", True), ("owner", True), ("vendor_support", True), ("other", False)],
)
def test_list_shows_only_visible_tenants(w, client, actor, sees):
    login(client, w, actor)
    numbers = [row[1] for row in table_rows(client.get("/tenants/"), "tenant-table-grid") if len(row) > 1]
    assert (w.tenant.number in numbers) is sees
    if not sees:
        assert "No tenants found." in text(client.get("/tenants/"))


def test_pages_need_a_login(w, client):
    for path in ("/tenants/", url(w), url(w, "domains/add/"), url(w, f"offers/{w.offer.pk}/pdf/")):
        response = client.get(path)
        assert response.status_code == 302 and response["Location"].startswith("/login/"), path
    before = snapshot()
    assert client.post(url(w, "deploy/")).status_code == 302
    assert snapshot() == before
