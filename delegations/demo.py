"""Demo delegations (SPEC §7), built through the services and idempotent.

* pending: tech@partner.example (Agentur Nord) asks for technical access to T-000004 "Shop GmbH – Staging"
  (the staging account owned by owner@shop.example) — it waits in owner@shop.example's "Open requests";
* active, expiring in 5 days (so the 7-day reminder is due): owner@shop.example granted
  admin@reseller.example technical access to T-000002;
* active without expiry: Fremdfirma GmbH granted tech@partner.example read access to T-000008;
* managed account: Agentur Nord manages "Radhaus Meyer KG" (owner inhaber@radhaus.example approved);
* history: an earlier full-technical request for T-000004 was declined, and a read grant of T-000003 for
  admin@reseller.example was revoked.

Notices and mails follow as for real actions (after commit, through the worker).
"""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from accounts import services as account_services
from accounts.models import User
from portal.demo import DEMO_PASSWORD

from . import services
from .models import CaretakerGrant, ManagedAccount

BIKES_OWNER = "inhaber@radhaus.example"


def _exists(number: str, email: str) -> bool:
    return CaretakerGrant.objects.filter(tenant_number=number, caretaker_email=email).exists()


def seed(world: dict) -> None:
    users, accounts, tenants = world["users"], world["accounts"], world["tenants"]
    owner, tech = users["owner@shop.example"], users["tech@partner.example"]
    reseller_admin, fremd = users["admin@reseller.example"], users["it@fremdfirma.example"]
    today = timezone.localdate()

    # History and the open request on the staging tenant.
    if not _exists("T-000004", tech.email):
        services.request_caretaker_access(
            actor=tech,
            tenant_number="T-000004",
            scope="full_technical",
            message="Bitte Vollzugriff für das Update auf 1.8.",
            partner_account=accounts["partner"],
        )
        first = CaretakerGrant.objects.get(tenant_number="T-000004", caretaker_email=tech.email)
        services.decline_delegation(actor=owner, grant=first, reason="Technischer Zugriff reicht.")
        services.request_caretaker_access(
            actor=tech,
            tenant_number="T-000004",
            scope="technical",
            message="Wir möchten das Staging-System für den Update-Probelauf vorbereiten.",
            partner_account=accounts["partner"],
        )

    # The grant that expires in five days (reminder due), and a revoked one.
    if not _exists("T-000002", reseller_admin.email):
        grants = services.grant_caretaker_access(
            actor=owner,
            tenants=[tenants["T-000002"]],
            email=reseller_admin.email,
            scope="technical",
            expires_on=today + timedelta(days=5),
            message="Lager-Anbindung einrichten.",
        )
        services.accept_delegation(actor=reseller_admin, grant=grants[0])
    if not _exists("T-000003", reseller_admin.email):
        grants = services.grant_caretaker_access(
            actor=owner, tenants=[tenants["T-000003"]], email=reseller_admin.email, scope="read"
        )
        services.accept_delegation(actor=reseller_admin, grant=grants[0])
        services.revoke_caretaker_access(actor=owner, grant=grants[0], reason="Prüfung abgeschlossen.")

    # The partner as caretaker of another company's tenant.
    if not _exists("T-000008", tech.email):
        grants = services.grant_caretaker_access(
            actor=fremd, tenants=[tenants["T-000008"]], email=tech.email, scope="read"
        )
        services.accept_delegation(actor=tech, grant=grants[0])

    # Managed account: Agentur Nord manages Radhaus Meyer KG.
    bikes = accounts["bikes"]
    bikes_owner = User.objects.filter(email__iexact=BIKES_OWNER).first()
    if bikes_owner is None:
        bikes_owner = User.objects.create_user(email=BIKES_OWNER, password=DEMO_PASSWORD, name="Rainer Meyer")
    account_services.add_membership(account=bikes, user=bikes_owner, roles=["owner"])
    users[BIKES_OWNER] = bikes_owner
    if not ManagedAccount.objects.filter(
        customer_account=bikes, partner_account=accounts["partner"]
    ).exists():
        relation = services.request_management(
            actor=users["sales@partner.example"],
            customer_number=bikes.number,
            scope="technical",
            message="Wir betreuen Ihre komplette Infrastruktur inkl. Updates.",
            partner_account=accounts["partner"],
        )
        services.approve_management(actor=bikes_owner, relation=relation)
    world["grants"] = list(CaretakerGrant.objects.order_by("pk"))
