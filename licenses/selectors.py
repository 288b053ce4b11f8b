"""Licence reads (LIC-1..LIC-6, SUB-1). Views, API and templates read through these; every list is the
authority's ``visible`` set, every single object answers 404 when unseen.

The reseller's licence list pages by keyset (``issued_at``, ``id``), so its cost does not grow with the page
number or the number of licences, and the query count is constant per page (``select_related``).
"""

from __future__ import annotations

import base64
import datetime as dt
import json

from django.db.models import Count, Q, QuerySet
from django.utils.dateparse import parse_datetime

from accounts.models import Account, Membership
from portal import access
from portal.errors import NotFound

from . import keys
from .models import Activation, License, LicenseTransfer, Product, ProductGroup, ResellerAuthorization

LIST_RELATED = ("product", "holder", "issuer", "tenant", "assigned_user", "subscription")


def licenses_visible_to(user, action: str = "view") -> QuerySet[License]:
    return access.visible(user, License, action)


def license_for(user, key: str, action: str = "view") -> License:
    """One licence by a typed key (normalized): 404 when malformed, unknown or unseen."""
    normalized = keys.normalize_key(key)
    if normalized is None:
        raise NotFound()
    license = License.objects.select_related(*LIST_RELATED, "group").filter(key=normalized).first()
    if license is None:
        raise NotFound()
    access.require(user, action, license)
    return license


def license_by_key(key: str) -> License | None:
    """For other apps (support lookup): the licence a typed key names, without a rights check — the caller asks
    the authority. None for malformed or unknown keys."""
    normalized = keys.normalize_key(key)
    if normalized is None:
        return None
    return (
        License.objects.select_related("holder", "tenant__account", "product", "issuer")
        .filter(key=normalized)
        .first()
    )


def hosted_by_partner(license: License) -> Account | None:
    """LIC-4 / SUP-4: the hosting partner that holds a licence for a customer's tenant (support comes from it),
    or None."""
    if (
        license.tenant_id is not None
        and license.tenant.account_id != license.holder_id
        and license.holder.kind == "partner"
    ):
        return license.holder
    return None


# --- Keyset paging ----------------------------------------------------------------------------------------


def encode_cursor(license: License) -> str:
    raw = json.dumps([license.issued_at.isoformat(), license.pk]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> tuple[dt.datetime, int] | None:
    if not cursor:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        issued, pk = json.loads(raw)
        when = parse_datetime(issued)
        if when is None or not isinstance(pk, int):
            return None
        return when, pk
    except (ValueError, TypeError):
        return None


def filter_licenses(
    queryset: QuerySet[License],
    *,
    kind: str = "",
    status: str = "",
    product: str = "",
    holder: str = "",
    issuer_id: int | None = None,
    holder_id: int | None = None,
    q: str = "",
) -> QuerySet[License]:
    if kind:
        queryset = queryset.filter(kind=kind)
    if status:
        queryset = queryset.filter(status=status)
    if product:
        queryset = queryset.filter(product__article_number=product)
    if holder:
        queryset = queryset.filter(holder__number=holder)
    if issuer_id:
        queryset = queryset.filter(issuer_id=issuer_id)
    if holder_id:
        queryset = queryset.filter(holder_id=holder_id)
    if q:
        normalized = keys.normalize_key(q)
        queryset = (
            queryset.filter(key=normalized)
            if normalized
            else queryset.filter(Q(holder__name__icontains=q) | Q(holder__number__iexact=q))
        )
    return queryset


def page(queryset: QuerySet[License], cursor: str | None, size: int = 50) -> tuple[list[License], str | None]:
    """One page, newest first, after ``cursor``; the next cursor or None."""
    size = max(1, min(size, 200))
    after = decode_cursor(cursor)
    queryset = queryset.select_related(*LIST_RELATED).order_by("-issued_at", "-id")
    if after is not None:
        issued, pk = after
        queryset = queryset.filter(Q(issued_at__lt=issued) | Q(issued_at=issued, id__lt=pk))
    rows = list(queryset[: size + 1])
    more = len(rows) > size
    rows = rows[:size]
    return rows, encode_cursor(rows[-1]) if more and rows else None


def issued_by(user, reseller: Account) -> QuerySet[License]:
    """The licences a reseller issued, as far as ``user`` sees them (the reseller list)."""
    return licenses_visible_to(user).filter(issuer=reseller)


def held_by(user, account: Account) -> QuerySet[License]:
    return licenses_visible_to(user).filter(holder=account)


def pools(user, account: Account) -> list[dict]:
    """LIC-5: the account's licences grouped per product: how many, how many assigned, how many usable."""
    rows = (
        held_by(user, account)
        .values("product__article_number", "product__name")
        .annotate(
            total=Count("id"),
            usable=Count("id", filter=Q(status__in=["active", "cancelled"])),
            assigned=Count("id", filter=Q(assigned_user__isnull=False, status__in=["active", "cancelled"])),
        )
        .order_by("product__article_number")
    )
    return list(rows)


def activations_of(license: License) -> QuerySet[Activation]:
    return Activation.objects.filter(license=license).order_by("-activated_at", "-id")


def live_activations(license: License) -> QuerySet[Activation]:
    return activations_of(license).filter(deactivated_at__isnull=True)


def members_of(account: Account):
    from django.contrib.auth import get_user_model

    return (
        get_user_model()
        .objects.filter(pk__in=Membership.objects.filter(account=account).values("user_id"))
        .order_by("email")
    )


def assigned_to(user) -> QuerySet[License]:
    return License.objects.filter(assigned_user=user).select_related(*LIST_RELATED)


def transfers_for(user, *, pending_only: bool = True) -> QuerySet[LicenseTransfer]:
    queryset = access.visible(user, LicenseTransfer).select_related(
        "license__product", "from_account", "to_account"
    )
    if pending_only:
        queryset = queryset.filter(status="pending")
    return queryset


def transfer_for(user, pk: int) -> LicenseTransfer:
    transfer = (
        LicenseTransfer.objects.select_related("license", "from_account", "to_account").filter(pk=pk).first()
    )
    if transfer is None:
        raise NotFound()
    access.require(user, "view", transfer)
    return transfer


# --- Catalogue and frames -----------------------------------------------------------------------------------


def authorizations_of(reseller: Account) -> QuerySet[ResellerAuthorization]:
    return (
        ResellerAuthorization.objects.filter(reseller=reseller)
        .select_related("group")
        .order_by("group__name")
    )


def issuable_groups(user, reseller: Account) -> QuerySet[ProductGroup]:
    return access.visible(user, ProductGroup, "issue").filter(authorizations__reseller=reseller).distinct()


def products_for_reseller(user, reseller: Account) -> QuerySet[Product]:
    return (
        Product.objects.filter(groups__in=issuable_groups(user, reseller))
        .distinct()
        .order_by("article_number")
    )


def product_by_article(article_number: str) -> Product | None:
    return Product.objects.filter(article_number=article_number).first()


def groups() -> QuerySet[ProductGroup]:
    return ProductGroup.objects.prefetch_related("products").order_by("name")


def all_authorizations() -> QuerySet[ResellerAuthorization]:
    return ResellerAuthorization.objects.select_related("reseller", "group").order_by(
        "reseller__number", "group__name"
    )


def customers_of(user, reseller: Account) -> QuerySet[Account]:
    """The reseller's customers (LIC-2) that ``user`` sees."""
    return access.visible(user, Account).filter(reseller=reseller).order_by("number", "name")


def customer_for_reseller(user, reseller: Account, number: str) -> Account:
    account = customers_of(user, reseller).filter(number=number).first()
    if account is None and number == reseller.number:
        return reseller
    if account is None:
        raise NotFound()
    return account
