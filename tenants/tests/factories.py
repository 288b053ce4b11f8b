"""factory_boy factories for tenants. Use ``resold_tenant()`` for a tenant a partner created (TEN-3):
it goes through the service so the partner's guardian rows exist."""

from __future__ import annotations

from decimal import Decimal

import factory

from accounts.models import Account
from accounts.tests.factories import AccountFactory
from tenants.models import Environment, Tenant


class TenantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tenant

    number = factory.Sequence(lambda n: f"T-{700000 + n}")
    name = factory.Faker("company", locale="de_DE")
    environment = Environment.PRODUCTION
    account = factory.SubFactory(AccountFactory)


def resold_tenant(customer: Account, partner: Account, **fields) -> Tenant:
    """A tenant of ``customer`` created by ``partner`` as reseller (its members reach it as reseller)."""
    if customer.reseller_id is None:
        customer.reseller = partner
        customer.save(update_fields=["reseller"])
    tenant = TenantFactory(account=customer, reseller=partner, **fields)
    return tenant


# --- Catalogue (TEN-5) -------------------------------------------------------------------------------------


class ServiceTypeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "tenants.ServiceType"
        django_get_or_create = ("code",)
        skip_postgeneration_save = True

    code = factory.Sequence(lambda n: f"service-{n}")
    name = factory.LazyAttribute(lambda o: o.code.replace("-", " ").title())
    monthly_price = Decimal("5.00")
    is_base = False
    position = factory.Sequence(lambda n: n + 1)

    @factory.post_generation
    def requires(obj, create, extracted, **kwargs):
        if create and extracted:
            obj.requires.set(extracted)


def demo_catalogue() -> dict:
    """A base service and add-ons with dependencies, as in the demo (codes → ServiceType):

    base · encryption · signature → encryption · large-files → encryption · archive · spam-filter ·
    dmarc-report → spam-filter (free: price 0, so caretakers may add it, DEL-3).
    """
    base = ServiceTypeFactory(
        code="base", name="Mail base service", monthly_price=Decimal("9.90"), is_base=True
    )
    encryption = ServiceTypeFactory(
        code="encryption", name="E-mail encryption", monthly_price=Decimal("14.90")
    )
    signature = ServiceTypeFactory(
        code="signature", name="Digital signature", monthly_price=Decimal("4.90"), requires=[encryption]
    )
    large_files = ServiceTypeFactory(
        code="large-files", name="Large file transfer", monthly_price=Decimal("2.50"), requires=[encryption]
    )
    archive = ServiceTypeFactory(code="archive", name="Mail archive", monthly_price=Decimal("6.50"))
    spam = ServiceTypeFactory(code="spam-filter", name="Spam and virus filter", monthly_price=Decimal("3.90"))
    dmarc = ServiceTypeFactory(
        code="dmarc-report", name="DMARC report", monthly_price=Decimal("0.00"), requires=[spam]
    )
    return {t.code: t for t in (base, encryption, signature, large_files, archive, spam, dmarc)}
