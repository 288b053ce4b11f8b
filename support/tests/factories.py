"""factory_boy factories for support (SUP-1, SUP-6) and a licence helper for case B (LIC-4)."""

from __future__ import annotations

import datetime as dt

import factory
from django.utils import timezone

from accounts.tests.factories import AccountFactory
from support.models import Contract, ContractKind

_today = dt.date(2026, 6, 15)


class ContractFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contract

    number = factory.Sequence(lambda n: f"V-{900000 + n}")
    account = factory.SubFactory(AccountFactory)
    kind = ContractKind.SUPPORT_CONTRACT
    valid_from = dt.date(2025, 1, 1)
    valid_until = None


def licence(*, holder, tenant=None, issuer=None, status="active", key=None):
    """A licence row (the licences app's model) for support's questions — not issued through its services,
    which need a reseller frame that support's tests do not care about."""
    from licenses.keys import generate_key
    from licenses.models import License, Product

    product, _ = Product.objects.get_or_create(
        article_number="SUP-TEST-1", defaults={"name": "Shop licence", "product_code": "SHOP"}
    )
    return License.objects.create(
        key=key or generate_key(),
        kind="full",
        status=status,
        product=product,
        holder=holder,
        issuer=issuer or holder,
        tenant=tenant,
        issued_at=timezone.now(),
    )
