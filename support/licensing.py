"""Everything support needs from licences (LIC-3, LIC-4), in one isolated module.

The licences app (issue 11) owns ``License`` (key unique and normalized, kind, status, product, holder and
issuer accounts, optional tenant) and ``licenses.keys.normalize_key``. Support asks only these questions:

- ``normalize_licence_key(text)``: the normalized key, or None when the text is no valid key;
- ``licence_by_key(key)``: the licence with that key (one unique-index lookup), or None;
- ``hoster_held_licences(account=…, tenant=…)``: live licences for the account's (or tenant's) tenants that
  are held by a partner, not by the tenant's own account (case B, LIC-4).

While the licences app has no models these answer "no licence" (``available()`` is False), so the rest of
support works unchanged and starts using licences as soon as the app's models are installed.
"""

from __future__ import annotations

from django.apps import apps

LIVE_STATUSES = ("active", "cancelled", "recall_pending")


def licence_model():
    try:
        return apps.get_model("licenses", "License")
    except LookupError:
        return None


def available() -> bool:
    return licence_model() is not None


def normalize_licence_key(text: str) -> str | None:
    if not available():
        return None
    from licenses.keys import normalize_key

    try:
        return normalize_key(text)
    except (TypeError, ValueError):
        return None


def licence_by_key(key: str):
    model = licence_model()
    if model is None or not key:
        return None
    return (
        model._default_manager.select_related("holder", "tenant", "tenant__account").filter(key=key).first()
    )


def hoster_held_licences(*, account=None, tenant=None) -> list:
    """Live licences for the tenants of ``account`` (or for ``tenant``) held by another (partner) account."""
    model = licence_model()
    if model is None:
        return []
    queryset = model._default_manager.select_related("holder", "tenant").filter(
        status__in=LIVE_STATUSES, tenant__isnull=False, holder__kind="partner"
    )
    if tenant is not None:
        queryset = queryset.filter(tenant=tenant).exclude(holder_id=tenant.account_id)
    elif account is not None:
        queryset = queryset.filter(tenant__account=account).exclude(holder=account)
    else:
        return []
    return list(queryset.order_by("pk")[:20])


def is_hoster_held(licence) -> bool:
    return bool(
        licence is not None
        and licence.tenant_id is not None
        and licence.holder_id != licence.tenant.account_id
        and licence.holder.kind == "partner"
    )
