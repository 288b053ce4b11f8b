"""Demo delivery destinations (issue 11): Lizenz Handel (admin@reseller.example) receives new licences and its
statement by webhook; the vendor's accounting receives every statement by e-mail. Idempotent: looked up by
account and name. Nothing is sent here (the beat sends at night and on the 1st)."""

from __future__ import annotations

from . import services
from .models import Destination

DESTINATIONS = [
    # account key, actor e-mail, name, kind, target, licences daily, statement monthly
    (
        "reseller",
        "admin@reseller.example",
        "ERP Lizenz Handel",
        "webhook",
        "https://erp.reseller.example/webhooks/partnerportal",
        True,
        True,
    ),
    (
        "vendor",
        "admin@vendor.example",
        "Buchhaltung Hersteller",
        "email",
        "buchhaltung@vendor.example",
        False,
        True,
    ),
]


def seed(world: dict) -> None:
    users, accounts = world["users"], world["accounts"]
    for key, email, name, kind, target, licences, statement in DESTINATIONS:
        account = accounts[key]
        if Destination.objects.filter(account=account, name=name).exists():
            continue
        services.create_destination(
            actor=users[email],
            account=account,
            name=name,
            kind=kind,
            url=target if kind == "webhook" else "",
            email=target if kind == "email" else "",
            send_licenses=licences,
            send_statement=statement,
        )
