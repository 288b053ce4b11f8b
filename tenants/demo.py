"""Demo tenants (SPEC §7): Shop GmbH has three production tenants and a staging tenant; the partner
Agentur Nord created Shop GmbH's tenants as reseller and a few more customers' tenants.

TEN-4..TEN-8: a catalogue (a base service and six add-ons with dependencies), domains with services in every
status (ordered, deployed, ending, ended, cancelled), one confidential domain, discounts with reasons,
registered users, one finished consistency check with findings (T-000006) and an offer (T-000001).
Idempotent: each domain and everything done to it is created only while the domain does not exist."""

from __future__ import annotations

from portal import access
from portal.numbers import reserve_at_least

from . import services
from .masking import Masker
from .models import Tenant

TENANTS = [
    # number, name, environment, account key, created by partner?
    ("T-000001", "Shop GmbH – Webshop", "production", "shop", True),
    ("T-000002", "Shop GmbH – Lager", "production", "shop", True),
    ("T-000003", "Shop GmbH – Buchhaltung", "production", "shop", True),
    ("T-000004", "Shop GmbH – Staging", "staging", "shop_staging", False),
    ("T-000005", "Bäckerei Sonnenschein", "production", "bakery", True),
    ("T-000006", "Radhaus Meyer – Shop", "production", "bikes", True),
    ("T-000007", "Radhaus Meyer – Werkstatt", "production", "bikes", True),
    ("T-000008", "Fremdfirma ERP", "production", "other", False),
]


def seed(world: dict) -> None:
    accounts = world["accounts"]
    tenants = {}
    for number, name, environment, key, by_partner in TENANTS:
        tenant = Tenant.objects.filter(number=number).first()
        if tenant is None:
            tenant = services.create_tenant(
                actor=access.SYSTEM,
                account=accounts[key],
                name=name,
                environment=environment,
                acting_for=accounts["partner"] if by_partner else None,
                number=number,
            )
        tenants[number] = tenant
    reserve_at_least("tenant", 100)
    world["tenants"] = tenants
    seed_services(world)


# --- Catalogue, domains, booked services, a finished check, an offer (TEN-4..TEN-8) -----------------------

CATALOGUE = [
    # code, (name de, name en), monthly price (EUR), is_base, requires, (description de, description en)
    (
        "base",
        ("Mail-Basisdienst", "Mail base service"),
        "9.90",
        True,
        [],
        (
            "Pflicht für jede Domain: Routing, TLS, Protokolle.",
            "Mandatory for every domain: routing, TLS, logs.",
        ),
    ),
    (
        "encryption",
        ("E-Mail-Verschlüsselung", "E-mail encryption"),
        "14.90",
        False,
        [],
        ("S/MIME- und OpenPGP-Verschlüsselung am Gateway.", "S/MIME and OpenPGP gateway encryption."),
    ),
    (
        "signature",
        ("Digitale Signatur", "Digital signature"),
        "4.90",
        False,
        ["encryption"],
        ("Signiert ausgehende E-Mails.", "Signs outgoing mail."),
    ),
    (
        "large-files",
        ("Versand großer Dateien", "Large file transfer"),
        "2.50",
        False,
        ["encryption"],
        ("Verschlüsselte Übertragung großer Dateien.", "Encrypted transfer of big files."),
    ),
    (
        "archive",
        ("E-Mail-Archiv", "Mail archive"),
        "6.50",
        False,
        [],
        ("Revisionssicheres Archiv, 10 Jahre.", "Audit-proof archive, 10 years."),
    ),
    (
        "spam-filter",
        ("Spam- und Virenfilter", "Spam and virus filter"),
        "3.90",
        False,
        [],
        ("Filtert eingehende E-Mails.", "Inbound filtering."),
    ),
    (
        "dmarc-report",
        ("DMARC-Bericht", "DMARC report"),
        "0.00",
        False,
        ["spam-filter"],
        ("Wöchentliche DMARC-Zusammenfassung (kostenlos).", "Weekly DMARC digest (free)."),
    ),
]


def ensure_catalogue() -> dict:
    """The demo catalogue (a base service and six add-ons with dependencies) in German and English (the
    translatable fields of tenants/translation.py), created once; code → type."""
    from django.utils import translation

    from .models import ServiceType

    types = {service_type.code: service_type for service_type in ServiceType.objects.all()}
    for position, (code, names, price, is_base, requires, descriptions) in enumerate(CATALOGUE):
        if code not in types:
            with translation.override("de"):
                types[code] = services.create_service_type(
                    actor=access.SYSTEM,
                    code=code,
                    name=names[0],
                    monthly_price=price,
                    is_base=is_base,
                    requires=[types[required] for required in requires],
                    description=descriptions[0],
                    position=position,
                )
            ServiceType.objects.filter(pk=types[code].pk).update(
                name_de=names[0],
                name_en=names[1],
                description_de=descriptions[0],
                description_en=descriptions[1],
            )
            types[code].refresh_from_db()
    return types


def _backdate(booking, *, deployed_days_ago: int, end_days_ago: int | None = None) -> None:
    """History for the demo (as imported from the legacy billing system): move a booking's dates back."""
    from datetime import timedelta

    from .dates import berlin_today
    from .models import BookedService

    today = berlin_today()
    changes = {"deployed_on": today - timedelta(days=deployed_days_ago)}
    changes["billing_start"] = changes["deployed_on"]
    if end_days_ago is not None:
        changes["end_date"] = today - timedelta(days=end_days_ago)
    BookedService.objects.filter(pk=booking.pk).update(**changes)


def _domain(world, tenant_number: str, name: str, *, actor_email: str = "sales@partner.example", **kwargs):
    """Add a demo domain unless it is live already; returns (domain, created)."""
    from .domains import normalize_fqdn
    from .models import Domain

    existing = Domain.objects.filter(name=normalize_fqdn(name)[0], released_at__isnull=True).first()
    if existing is not None:
        return existing, False
    actor = world["users"][actor_email]
    return services.add_domain(actor=actor, tenant=world["tenants"][tenant_number], name=name, **kwargs), True


def seed_services(world: dict) -> None:
    from .models import CheckRun

    users = world["users"]
    sales, tech = users["sales@partner.example"], users["tech@partner.example"]
    owner = users["owner@shop.example"]
    tenants = world["tenants"]
    ensure_catalogue()

    def booking(domain, code):
        return domain.services.get(service_type__code=code, status__in=["ordered", "deployed", "ending"])

    def users_for(domain, *locals_):
        for local in locals_:
            # As sales reads the domain (masked if confidential, TEN-4): the address the page shows.
            host = Masker(sales)(domain)
            services.add_registered_user(actor=sales, domain=domain, email=f"{local}@{host}")

    # Shop GmbH – Webshop: deployed and billed, discounts with reasons (TEN-8); a second domain still ordered.
    shop, created = _domain(
        world, "T-000001", "shop.example", service_types=["encryption", "signature", "archive"]
    )
    if created:
        users_for(shop, "info", "anna", "ben")
        services.deploy_tenant(actor=tech, tenant=tenants["T-000001"], domains=[shop])
        services.set_discount(actor=sales, service=booking(shop, "encryption"), percent="20", reason="nfr")
        services.set_discount(actor=sales, service=booking(shop, "archive"), percent="100", reason="test")
    newsletter, created = _domain(
        world, "T-000001", "newsletter.shop.example", service_types=["dmarc-report"], add_dependencies=True
    )
    if created:
        users_for(newsletter, "news")
    # Shop GmbH – Lager: added in expert mode, only the base service, nothing deployed yet.
    _domain(world, "T-000002", "lager.shop.example", expert=True)
    # Shop GmbH – Buchhaltung: a confidential domain (expert mode, partner admin), masked for others.
    secret, created = _domain(
        world, "T-000003", "vertraulich-buchhaltung.example", expert=True, confidential=True
    )
    if created:
        users_for(secret, "fibu")
        services.deploy_tenant(actor=tech, tenant=tenants["T-000003"])
    # Bäckerei Sonnenschein: one service ending at the month end, one cancelled before deployment.
    bakery, created = _domain(
        world, "T-000005", "baeckerei-sonnenschein.example", service_types=["encryption", "large-files"]
    )
    if created:
        users_for(bakery, "info", "bestellung")
        services.deploy_tenant(actor=tech, tenant=tenants["T-000005"])
        services.set_discount(
            actor=sales, service=booking(bakery, "base"), percent="10", reason="Stammkunde seit 2019"
        )
        services.end_service(actor=sales, service=booking(bakery, "large-files"))
        archive = services.book_services(actor=sales, domain=bakery, service_types=["archive"])[0]
        services.cancel_service(actor=sales, service=archive)
    # Radhaus Meyer – Shop: an ended service (history), a legacy domain whose MX points elsewhere and that has
    # no users, a discount without a reason from the old billing system — findings for the check below.
    bikes, created = _domain(
        world, "T-000006", "radhaus-meyer.example", service_types=["archive", "spam-filter"]
    )
    if created:
        users_for(bikes, "werkstatt", "verkauf")
        services.deploy_tenant(actor=tech, tenant=tenants["T-000006"])
        archive = booking(bikes, "archive")
        services.end_service(actor=sales, service=archive)
        _backdate(archive, deployed_days_ago=400, end_days_ago=30)
        services.complete_ended_services()
        from .models import BookedService

        spam = booking(bikes, "spam-filter")
        BookedService.objects.filter(pk=spam.pk).update(discount_percent=15, discount_reason="")
    legacy, created = _domain(world, "T-000006", "legacy.radhaus-meyer.example")
    if created:
        services.deploy_tenant(actor=tech, tenant=tenants["T-000006"], domains=[legacy])
    # Radhaus Meyer – Werkstatt: ordered, waiting for tech to deploy.
    _domain(world, "T-000007", "werkstatt.radhaus-meyer.example", service_types=["spam-filter"])

    # One finished consistency check with findings (run here, synchronously, with the network-free checker).
    if not CheckRun.objects.filter(tenant=tenants["T-000006"]).exists():
        from .dns import DeterministicChecker

        run, _created = services.start_consistency_check(actor=tech, tenant=tenants["T-000006"])
        services.run_consistency_check(run_id=run.pk, checker=DeterministicChecker())

    # An offer for the shop's next domain.
    if not tenants["T-000001"].offers.exists():
        services.create_offer(
            actor=sales,
            tenant=tenants["T-000001"],
            title="Mail-Sicherheit für den Newsletter",
            lines=[
                {
                    "service_type": "encryption",
                    "quantity": 1,
                    "discount_percent": "20",
                    "discount_reason": "nfr",
                },
                {"service_type": "large-files", "quantity": 1},
            ],
            add_dependencies=True,
            note=f"Ansprechpartnerin: {owner.name or owner.email}",
        )
