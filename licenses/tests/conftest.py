"""A small licence world: a vendor, a reseller with an authorization for one group, its customer with an owner,
an admin and a member, another customer, and a hoster holding a licence for the customer's tenant (LIC-4)."""

from __future__ import annotations

from decimal import Decimal
from types import SimpleNamespace

import pytest

from accounts.models import Account, Membership, User
from licenses import services
from licenses.models import Price, Product, ProductGroup, ResellerAuthorization
from portal import access
from tenants.models import Tenant


def _account(number, name, kind="customer", reseller=None):
    return Account.objects.create(
        number=number, name=name, kind=kind, contact_email=f"{number.lower()}@example.com", reseller=reseller
    )


def _user(email, account, *roles, superuser=False):
    factory = User.objects.create_superuser if superuser else User.objects.create_user
    user = factory(email=email, password="x", name=email.split("@")[0])
    for role in roles:
        Membership.objects.create(user=user, account=account, role=role)
    return user


@pytest.fixture
def world(db):
    vendor = _account("K-900000", "Vendor", "vendor")
    reseller = _account("K-900001", "Reseller", "partner")
    hoster = _account("K-900002", "Hoster", "partner")
    customer = _account("K-900003", "Customer", reseller=reseller)
    stranger = _account("K-900004", "Stranger")
    tenant = Tenant.objects.create(number="T-900001", name="Customer tenant", account=customer)
    group = ProductGroup.objects.create(
        name="Office",
        code="office",
        allowed_kinds=["full", "demo", "subscription", "nfr"],
        demo_days_min=7,
        demo_days_default=30,
        demo_days_max=60,
        terms=["monthly", "annual"],
        nfr_term="annual",
        activation_limit=5,
        moves_per_30_days=2,
    )
    other_group = ProductGroup.objects.create(name="Server", code="server")
    product = Product.objects.create(
        article_number="A-100", name="Office Pro", product_code="OFFPRO", features=["edit", "print"]
    )
    product.groups.add(group)
    other_product = Product.objects.create(
        article_number="A-200", name="Office Max", product_code="OFFMAX", features=["edit", "print", "cloud"]
    )
    other_product.groups.add(group)
    server = Product.objects.create(
        article_number="S-100", name="Server", product_code="SRV", features=["serve"]
    )
    server.groups.add(other_group)
    nfr = Product.objects.create(article_number="N-1", name="NFR all", product_code="NFR", is_nfr_code=True)
    nfr.groups.add(group)
    Price.objects.create(product=product, term="monthly", amount=Decimal("10.00"))
    authorization = ResellerAuthorization.objects.create(
        reseller=reseller,
        group=group,
        kinds=["full", "demo", "subscription", "nfr"],
        max_demo_days=45,
        terms=["monthly", "annual"],
    )
    ResellerAuthorization.objects.create(
        reseller=hoster, group=group, kinds=["full", "subscription"], max_demo_days=30, terms=["annual"]
    )
    w = SimpleNamespace(
        vendor=vendor,
        reseller=reseller,
        hoster=hoster,
        customer=customer,
        stranger=stranger,
        tenant=tenant,
        group=group,
        other_group=other_group,
        product=product,
        other_product=other_product,
        server=server,
        nfr=nfr,
        authorization=authorization,
        superuser=_user("admin@v.example", vendor, "admin", superuser=True),
        vendor_support=_user("support@v.example", vendor, "support"),
        sales=_user("sales@r.example", reseller, "sales"),
        reseller_admin=_user("admin@r.example", reseller, "admin"),
        reseller_support=_user("support@r.example", reseller, "support"),
        hoster_admin=_user("admin@h.example", hoster, "admin", "sales"),
        owner=_user("owner@c.example", customer, "owner"),
        cadmin=_user("admin@c.example", customer, "admin"),
        member=_user("member@c.example", customer, "member"),
        stranger_owner=_user("owner@s.example", stranger, "owner"),
    )
    return w


@pytest.fixture
def issue(world):
    def _issue(kind="full", *, actor=None, holder=None, **kwargs):
        kwargs.setdefault("product", world.product)
        if kind == "subscription":
            kwargs.setdefault("term", "monthly")
        return services.issue_license(
            actor=actor or world.sales,
            issuer=kwargs.pop("issuer", world.reseller),
            holder=holder or world.customer,
            kind=kind,
            **kwargs,
        )

    return _issue


SYSTEM = access.SYSTEM
