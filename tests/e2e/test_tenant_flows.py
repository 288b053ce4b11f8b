"""Browser flows of the tenant pages (TEN-3..TEN-8, issue 4) in Debian's chromium, against the seeded demo world.

1. Partner sales creates a tenant for a customer it manages, then adds a domain in the guided flow: the
   catalogue names each service's requirements, a missing one is refused by name and booked on request, and
   the new services are listed as ordered.
2. Partner tech deploys: the button is offered while something is undeployed; afterwards the services are
   deployed, billing starts today where the domain has users (else "with the first user"), the button is gone.
3. Partner support sees the same pages without a single action button; an action URL answers 403.
4. Ending a service: the overlay presets the default end date (last day of the month, Europe/Berlin) and names
   the dependants; confirming sets both to "ending" until that date.
5. The consistency check: the panel shows the queued run, then (htmx polling) the run in progress while the
   worker checks, then the findings, and stops polling.

The UI is English throughout: this module's browser asks for English (conftest's default browser is German)
and the demo users' stored language preference is set to English — the source strings, stable while the
German catalogue of these pages is still being translated.
"""

from __future__ import annotations

import datetime
import re
from zoneinfo import ZoneInfo

import pytest
from django.utils import formats, translation
from playwright.sync_api import Locator, Page, expect

from tenants.dns import DeterministicChecker
from tests.e2e.two_factor import pass_second_factor

pytestmark = pytest.mark.e2e

BERLIN = ZoneInfo("Europe/Berlin")
SALES = "sales@partner.example"  # partner Agentur Nord: admin + sales
TECH = "tech@partner.example"  # same partner: tech
SUPPORT = "support@partner.example"  # same partner: support (added by the fixture below)


@pytest.fixture
def browser_context_args(browser_context_args):
    """English for the log-in page (LocaleMiddleware follows Accept-Language until someone logs in)."""
    return {**browser_context_args, "locale": "en-GB"}


@pytest.fixture
def english(e2e):
    """The demo users prefer English (the preference wins over the browser's language once logged in)."""
    from accounts import services as account_services
    from accounts.models import User

    for user in User.objects.filter(email__in=[SALES, TECH]):
        account_services.set_language(user=user, language="en")
    return e2e


def log_in(page: Page, base_url: str, email: str) -> None:
    page.goto(f"{base_url}/login/")
    page.get_by_label("E-mail", exact=True).fill(email)
    page.get_by_label("Password", exact=True).fill("demo")
    page.get_by_role("button", name="Log in", exact=True).click()
    pass_second_factor(page, email)
    expect(page.get_by_role("link", name=email)).to_be_visible()


def page_ready(page: Page) -> None:
    """Wait until the page has loaded, scripts included: a click before htmx has set up its attributes would
    follow the plain link (the overlay as a page of its own, the fallback without JavaScript)."""
    page.wait_for_load_state("load")


def open_tenant(page: Page, name: str) -> None:
    page.get_by_role("navigation").get_by_role("link", name="Tenants", exact=True).click()
    page.get_by_role("table").get_by_role("link", name=name, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(name)
    page_ready(page)


def overlay(page: Page, title: str) -> Locator:
    """The overlay dialog, once htmx has settled it."""
    dialog = page.get_by_role("dialog", name=title)
    expect(dialog).to_be_visible()
    return settled(dialog)


def settled(dialog: Locator) -> Locator:
    """htmx wires new content up when it settles (20 ms after the swap) and then removes ``htmx-added``: a
    click before that would send the overlay's form as a plain page request."""
    expect(dialog).not_to_have_class(re.compile(r"\bhtmx-added\b"))
    return dialog


def domain_card(page: Page, name: str) -> Locator:
    return page.get_by_role("article", name=name, exact=True)


def service_row(card: Locator, service: str) -> Locator:
    return card.get_by_role("row").filter(has=card.page.get_by_role("cell", name=re.compile(rf"^{service}")))


def short_date(day: datetime.date) -> str:
    with translation.override("en"):
        return formats.date_format(day, "SHORT_DATE_FORMAT")


def berlin_today() -> datetime.date:
    return datetime.datetime.now(BERLIN).date()


# --- 1. Sales: new tenant for a managed customer, domain in the guided flow ---------------------------------


def test_ten7_sales_creates_tenant_for_managed_customer_and_adds_domain_with_services_guided(english):
    page, base_url = english
    log_in(page, base_url, SALES)
    page.get_by_role("navigation").get_by_role("link", name="Tenants", exact=True).click()
    page.get_by_role("link", name="New tenant", exact=True).click()

    expect(page.get_by_role("heading", name="New tenant", level=1)).to_be_visible()
    expect(page.get_by_role("radio", name="A customer we manage")).to_be_checked()
    page.get_by_label("Customer account").select_option(label="K-100004 Bäckerei Sonnenschein")
    page.get_by_label("Tenant name").fill("Bäckerei Sonnenschein – Filiale Nord")
    page.get_by_role("button", name="Create tenant", exact=True).click()

    heading = page.get_by_role("heading", level=1)
    expect(heading).to_contain_text("Bäckerei Sonnenschein – Filiale Nord")
    number = re.search(r"T-\d{6}", heading.inner_text()).group(0)
    expect(page).to_have_url(re.compile(rf"/tenants/{number}/$"))
    expect(page.get_by_role("status")).to_have_text(
        f"Tenant {number} “Bäckerei Sonnenschein – Filiale Nord” was created. Add its first domain now."
    )
    facts = page.locator(".summary")
    expect(facts.get_by_role("definition").filter(has_text="Bäckerei")).to_have_text(
        "K-100004 Bäckerei Sonnenschein"
    )
    expect(facts.get_by_role("definition").filter(has_text="Agentur")).to_have_text("Agentur Nord")
    expect(page.get_by_text("This tenant has no domains yet.")).to_be_visible()
    page_ready(page)

    # Guided flow: the overlay lists the catalogue and names what each service needs.
    page.get_by_role("link", name="Add new domain", exact=True).click()
    dialog = overlay(page, "Add a new domain")
    dialog.get_by_label("Domain", exact=True).fill("filiale-nord.baeckerei.example")
    # Each catalogue entry is a checkbox labelled with its name, price and what it needs.
    signature = dialog.get_by_role(
        "checkbox", name=re.compile(r"^Digital signature .*Needs: E-mail encryption")
    )
    expect(signature).to_be_visible()
    expect(
        dialog.get_by_role("checkbox", name=re.compile(r"^DMARC report free Needs: Spam and virus filter"))
    ).to_be_visible()
    expect(dialog.get_by_role("checkbox", name="Mail base service")).to_be_checked()
    expect(dialog.get_by_role("checkbox", name="Mail base service")).to_be_disabled()
    signature.check()
    dialog.get_by_role("checkbox", name=re.compile(r"^Mail archive")).check()
    dialog.get_by_role("button", name="Add domain", exact=True).click()

    # Refused by name, choice kept; the dependency is offered and booked on request.
    missing = dialog.get_by_role("alert").filter(has_text="Required services are missing.")
    expect(missing).to_contain_text("The chosen services also need: E-mail encryption.")
    expect(dialog.get_by_role("checkbox", name=re.compile(r"^Digital signature"))).to_be_checked()
    expect(dialog.get_by_role("checkbox", name=re.compile(r"^Mail archive"))).to_be_checked()
    settled(dialog).get_by_role("button", name="Add with the required services", exact=True).click()

    expect(page.get_by_role("dialog")).to_have_count(0)
    expect(page.get_by_role("status")).to_have_text(
        "filiale-nord.baeckerei.example was added with 4 services."
    )
    card = domain_card(page, "filiale-nord.baeckerei.example")
    expect(card).to_contain_text("not deployed yet")
    for service in ("Mail base service", "E-mail encryption", "Digital signature", "Mail archive"):
        row = service_row(card, service)
        expect(row).to_have_count(1)
        expect(row.get_by_role("cell").nth(2)).to_have_text("ordered")
        expect(row.get_by_role("cell").nth(3)).to_have_text("–")  # no billing start before deployment
    expect(card.get_by_role("row")).to_have_count(5)  # header + four services
    expect(page.locator(".summary")).to_contain_text("4 not deployed")
    # Sales books but does not deploy.
    expect(page.get_by_role("link", name="Deploy domain and services")).to_have_count(0)

    # The new tenant is in the list, with its counts.
    page.goto(f"{base_url}/tenants/?q={number}")
    row = page.get_by_role("table").get_by_role("row").filter(has_text=number)
    expect(row.get_by_role("link", name="Bäckerei Sonnenschein – Filiale Nord")).to_be_visible()
    expect(row.get_by_role("cell").nth(2)).to_have_text("Bäckerei Sonnenschein")
    expect(row.get_by_role("cell").nth(3)).to_have_text("Production")  # environment
    expect(row.get_by_role("cell").nth(4)).to_have_text("1")  # managed domains
    expect(row.get_by_role("cell").nth(5)).to_have_text("4")  # services


# --- 2. Tech: deploy -----------------------------------------------------------------------------------------


@pytest.fixture
def campaign_domain(english):
    """A second undeployed domain on the shop's tenant, without registered users (billing waits for one)."""
    from accounts.models import User
    from tenants import services as tenant_services
    from tenants.models import Tenant

    sales = User.objects.get(email=SALES)
    tenant = Tenant.objects.get(number="T-000001")
    return tenant_services.add_domain(
        actor=sales, tenant=tenant, name="kampagne.shop.example", service_types=["archive"]
    )


def test_ten7_tech_deploys_while_something_is_undeployed_then_sees_statuses_and_billing_start(
    english, campaign_domain
):
    page, base_url = english
    today = short_date(berlin_today())
    log_in(page, base_url, TECH)
    open_tenant(page, "Shop GmbH – Webshop")

    # Ordered: newsletter.shop.example (demo, has a user) and kampagne.shop.example (no users).
    expect(page.locator(".summary")).to_contain_text("5 not deployed")
    newsletter, campaign = (
        domain_card(page, "newsletter.shop.example"),
        domain_card(page, "kampagne.shop.example"),
    )
    for card in (newsletter, campaign):
        expect(card).to_contain_text("not deployed yet")
    # Tech deploys and checks, but books nothing and sees no prices.
    expect(page.get_by_role("link", name="Add new domain")).to_have_count(0)
    expect(page.get_by_role("columnheader", name="Monthly price")).to_have_count(0)

    page.get_by_role("link", name="Deploy domain and services", exact=True).click()
    dialog = overlay(page, "Deploy domain and services")
    for name in ("newsletter.shop.example", "kampagne.shop.example"):
        expect(dialog.get_by_role("listitem").filter(has_text=name).first).to_be_visible()
    expect(dialog.get_by_role("listitem").filter(has_text="kampagne.shop.example").first).to_contain_text(
        "No registered users yet: billing starts with the first user."
    )
    # The deployed domain is not listed again.
    expect(dialog.get_by_role("listitem").filter(has_text=re.compile(r"^shop\.example"))).to_have_count(0)
    dialog.get_by_role("button", name="Deploy now", exact=True).click()

    expect(page.get_by_role("dialog")).to_have_count(0)
    message = page.get_by_role("status")
    expect(message).to_contain_text("Deployed: 5 services on 2 domains.")
    expect(message).to_contain_text("Billing started today for 3 services.")
    expect(message).to_contain_text(
        "2 services are billed from the day their domain gets its first registered user."
    )
    # Nothing left to deploy: the button is gone, every service is deployed.
    expect(page.get_by_role("link", name="Deploy domain and services")).to_have_count(0)
    expect(page.locator(".summary")).not_to_contain_text("not deployed")
    for card, services_, billing in (
        (newsletter, ("Mail base service", "Spam and virus filter", "DMARC report"), today),
        (campaign, ("Mail base service", "Mail archive"), "with the first user"),
    ):
        expect(card).to_contain_text(f"deployed since {today}")
        for service in services_:
            row = service_row(card, service)
            expect(row.get_by_role("cell").nth(2)).to_have_text("deployed")
            expect(row.get_by_role("cell").nth(3)).to_have_text(billing)


# --- 3. Support: read only -------------------------------------------------------------------------------------


@pytest.fixture
def partner_support(english):
    """A support member of the partner Agentur Nord (the demo has none), preferring English."""
    from accounts import services as account_services
    from accounts.models import Account, User

    user = User.objects.create_user(email=SUPPORT, password="demo", name="Susi Support", language="en")
    account_services.add_membership(
        account=Account.objects.get(number="K-100002"), user=user, roles=["support"]
    )
    return user


def test_ten7_partner_support_sees_tenant_pages_without_any_action(english, partner_support):
    page, base_url = english
    log_in(page, base_url, SUPPORT)
    page.get_by_role("navigation").get_by_role("link", name="Tenants", exact=True).click()
    expect(page.get_by_role("table").get_by_role("link", name="Shop GmbH – Webshop")).to_be_visible()
    expect(page.get_by_role("link", name="New tenant")).to_have_count(0)

    page.get_by_role("table").get_by_role("link", name="Shop GmbH – Webshop", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Shop GmbH – Webshop")
    page_ready(page)
    main = page.get_by_role("main")
    # The same page, read only: domains and services with their status, but no action anywhere.
    shop = domain_card(page, "shop.example")
    expect(service_row(shop, "E-mail encryption").get_by_role("cell").nth(2)).to_have_text("deployed")
    expect(service_row(domain_card(page, "newsletter.shop.example"), "DMARC report")).to_contain_text(
        "ordered"
    )
    expect(
        main.get_by_text(
            "You can view this tenant; changes are made by the partner's sales and technical staff."
        )
    ).to_be_visible()
    expect(page.locator("#tenant-actions").get_by_role("link")).to_have_text(["Refresh data"])
    # No check, no form of any kind; actions of other roles are shown disabled, saying who may (issue 13).
    expect(main.locator("button:not([aria-disabled='true'])")).to_have_count(0)
    for action in (
        "Add new domain",
        "Add domain manually (expert)",
        "Deploy domain and services",
        "Create offer",
        "Add services",
        "End service",
        "End",
        "Cancel",
        "Discount",
        "Expert mode",
    ):
        expect(main.get_by_role("link", name=action, exact=True)).to_have_count(0)
    expect(page.get_by_role("columnheader", name="Monthly price")).to_have_count(0)  # no billing for support

    # The registered users are listed, but cannot be changed.
    shop.get_by_role("link", name="3 registered users").click()
    dialog = overlay(page, "Registered users")
    expect(dialog.get_by_role("cell", name="anna@shop.example")).to_be_visible()
    expect(dialog.get_by_role("button")).to_have_count(0)
    expect(dialog.get_by_label("E-mail")).to_have_count(0)
    dialog.get_by_role("link", name="Close", exact=True).last.click()
    expect(page.get_by_role("dialog")).to_have_count(0)

    # Typing an action's address does not help: seen but not allowed is 403.
    for path in ("deploy/", "domains/add/"):
        response = page.goto(f"{base_url}/tenants/T-000001/{path}")
        assert response is not None and response.status == 403, path


# --- 4. Sales: end a service -------------------------------------------------------------------------------------


@pytest.fixture
def mid_month(english, monkeypatch):
    """The clock (``timezone.now``, also in the live server's thread) at 10:00 in Berlin on the 15th of next
    month, after the demo was seeded: the default end date then is that month's last day whatever the real
    date (on a month's last day the preset follows another rule, covered by the service tests)."""
    from django.utils import timezone

    real_today = berlin_today()
    first_of_next = (real_today.replace(day=1) + datetime.timedelta(days=32)).replace(day=1)
    moment = datetime.datetime.combine(first_of_next.replace(day=15), datetime.time(10, 0), tzinfo=BERLIN)
    monkeypatch.setattr(timezone, "now", lambda: moment)
    return moment.date()


def test_ten7_ending_a_service_presets_the_month_end_and_confirming_sets_ending(english, mid_month):
    page, base_url = english
    today = mid_month
    month_end = (today.replace(day=1) + datetime.timedelta(days=32)).replace(day=1) - datetime.timedelta(
        days=1
    )
    tomorrow = today + datetime.timedelta(days=1)
    log_in(page, base_url, SALES)
    open_tenant(page, "Shop GmbH – Webshop")
    shop = domain_card(page, "shop.example")
    service_row(shop, "E-mail encryption").get_by_role("link", name="End", exact=True).click()

    dialog = overlay(page, "End a service")
    expect(dialog.get_by_label("Service", exact=True).locator("option:checked")).to_contain_text(
        "E-mail encryption"
    )
    end_date = dialog.get_by_label("End of billing")
    expect(end_date).to_have_value(month_end.isoformat())  # preset: the last day of this month
    expect(end_date).to_have_attribute("min", tomorrow.isoformat())  # earliest: tomorrow
    expect(dialog).to_contain_text(
        f"Preset: the end of the month ({short_date(month_end)}); "
        f"tomorrow ({short_date(tomorrow)}) at the earliest."
    )
    # The digital signature needs the encryption: named, and ending both needs a confirmation.
    affected = dialog.locator("#affected-services")
    expect(affected).to_contain_text("These services need it and end with it:")
    expect(affected.get_by_role("listitem")).to_have_count(1)
    expect(affected.get_by_role("listitem")).to_contain_text("Digital signature")
    dialog.get_by_role("button", name="End service", exact=True).click()
    expect(dialog.get_by_role("alert").first).to_contain_text("Confirm to end them together")
    expect(service_row(shop, "E-mail encryption").get_by_role("cell").nth(2)).to_have_text("deployed")

    settled(dialog).get_by_label("Yes, end these services together").check()
    expect(dialog.get_by_label("End of billing")).to_have_value(month_end.isoformat())  # kept after the error
    dialog.get_by_role("button", name="End service", exact=True).click()

    expect(page.get_by_role("dialog")).to_have_count(0)
    with translation.override("en"):
        long_date = formats.date_format(month_end)
    expect(page.get_by_role("status")).to_contain_text(f"on shop.example ends on {long_date}.")
    expect(page.get_by_role("status")).to_contain_text("Ended with it: Digital signature")
    for service in ("E-mail encryption", "Digital signature"):
        status = service_row(shop, service).get_by_role("cell").nth(2)
        expect(status).to_contain_text("ending")
        expect(status).to_contain_text(f"until {short_date(month_end)}")
        expect(service_row(shop, service).get_by_role("link", name="End", exact=True)).to_have_count(0)
    for service in ("Mail base service", "Mail archive"):
        expect(service_row(shop, service).get_by_role("cell").nth(2)).to_have_text("deployed")


# --- 5. Tech: consistency check with live progress -----------------------------------------------------------------


class SteppedChecker(DeterministicChecker):
    """The deterministic, network-free MX answers; before each domain it calls ``before_each`` (the test looks
    at the page there, while the run is half-way)."""

    before_each = None

    def check_mx(self, name):
        if type(self).before_each is not None:
            type(self).before_each(name)
        return super().check_mx(name)


@pytest.fixture
def held_check_queue(english, settings, monkeypatch):
    """The Celery queue of the consistency check, held by the test: a started run stays queued until the test
    hands its message to the (eager) task — the worker — so the page's polling is what finds each new state."""
    import tenants.tasks
    from accounts.models import User
    from tenants import services as tenant_services
    from tenants.models import Tenant

    settings.PORTAL_DNS_CHECKER = f"{__name__}.SteppedChecker"
    settings.PORTAL_MX_TARGETS = ["mx.portal-vendor.example"]
    settings.PORTAL_DNS_CHECK_DELAY = 0
    # A third domain of Radhaus Meyer – Shop, without MX record and users (the demo has the other findings).
    tenant_services.add_domain(
        actor=User.objects.get(email=SALES),
        tenant=Tenant.objects.get(number="T-000006"),
        name="nomx.radhaus-meyer.example",
        expert=True,
    )
    from portal import outbox

    task = tenants.tasks.run_consistency_check
    held: list[dict] = []
    publish = outbox._publish

    def hold_the_check(jobs, **options):
        """The outbox's hand-over to the broker, with the check's job kept back (its message, as sent)."""
        for job in jobs:
            if job["task_name"] == task.name:
                held.append({**job["kwargs"], outbox.JOB_KWARG: job["pk"]})
        return publish([job for job in jobs if job["task_name"] != task.name], **options)

    monkeypatch.setattr(outbox, "_publish", hold_the_check)
    return task, held


def test_ten7_check_shows_progress_by_polling_then_the_findings(english, held_check_queue, monkeypatch):
    page, base_url = english
    task, held = held_check_queue
    log_in(page, base_url, TECH)
    open_tenant(page, "Radhaus Meyer – Shop")
    panel = page.locator("#check-panel")
    expect(panel.get_by_role("heading", name="Domain and service check")).to_be_visible()
    # The demo's earlier run: done, with findings — none yet about the domain added above.
    expect(panel.get_by_role("list", name="Findings")).to_contain_text("legacy.radhaus-meyer.example")
    expect(panel.get_by_role("list", name="Findings")).not_to_contain_text("nomx.radhaus-meyer.example")

    panel.get_by_role("button", name="Check domain and services", exact=True).click()
    progress = panel.get_by_role("progressbar", name="Progress")
    expect(progress).to_have_attribute("value", "0")
    expect(panel).to_contain_text("Waiting for a worker…")
    # One run at a time: no button while it is queued or running.
    expect(panel.get_by_role("button", name="Check domain and services")).to_have_count(0)
    expect(panel.get_by_role("list", name="Findings")).to_have_count(0)
    assert len(held) == 1

    seen: list[str] = []

    def look_at_the_page(name: str) -> None:
        seen.append(name)
        if len(seen) == 1:  # the worker has claimed the run: the next poll shows it running
            expect(panel).to_contain_text("Checking domains: 0 of 3")
            expect(panel.get_by_role("progressbar", name="Progress")).to_be_visible()

    monkeypatch.setattr(SteppedChecker, "before_each", staticmethod(look_at_the_page))
    assert task.apply(kwargs=held[0]).get() == "done"  # the worker's turn
    assert seen == ["legacy.radhaus-meyer.example", "nomx.radhaus-meyer.example", "radhaus-meyer.example"]

    # The next poll brings the findings and stops polling (no progress bar, the button is back).
    findings = panel.get_by_role("list", name="Findings")
    expect(findings).to_be_visible()
    expect(progress).to_have_count(0)
    expect(findings.get_by_role("listitem")).to_have_count(4)
    expect(findings).to_contain_text(
        "The MX records of legacy.radhaus-meyer.example point to mx.legacy-provider.example, not to us."
    )
    expect(findings).to_contain_text("nomx.radhaus-meyer.example has no MX record.")
    # Nothing of nomx is deployed yet: no finding about billing without users (issue 13 §6).
    expect(findings).not_to_contain_text("nomx.radhaus-meyer.example has no registered users")
    expect(findings).to_contain_text(
        re.compile(
            r"Spam and virus filter \(S-\d+\) on radhaus-meyer\.example has a discount of 15 ?% without a reason"
        )
    )
    expect(panel).not_to_have_attribute("hx-trigger", re.compile(r".+"))  # polling stopped
    expect(panel.get_by_role("button", name="Check domain and services", exact=True)).to_be_visible()
