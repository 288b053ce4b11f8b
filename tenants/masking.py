"""Masking is a property of the read path (TEN-4, issue 8 §4).

A confidential domain's name — and with it the host part of its registered users' addresses — is shown only
to viewers holding ``manage_confidential`` on the tenant (``access.can``). Everyone else sees
``••••.example.com`` and ``info@••••.example.com``, and *only* that: a masked value is never searchable,
sortable or confirmable.

One decision, ``may_see_names(viewer, tenant)``, and one rendering of it, in two forms:

- in Python, ``mask(viewer, obj)`` (``Masker`` for lists: one decision per tenant) — serializers, templates,
  messages, mails, notices and the audit trail (``redact``: names recorded before the domain was marked
  confidential are masked when the trail is read);
- in SQL, ``shown_name`` / ``shown_email`` — the same rule as expressions, annotated by the selectors, so
  searching (``?q=``) and ordering work on exactly the text the viewer sees. A filter or an ordering never
  touches ``name``, ``unicode_name`` or ``email`` of a row whose name the viewer may not see.

Validation messages never confirm a guessed name: a viewer who sees the mask registers a user as
``local@••••.example.com`` (or just ``local``); any other host is refused with the same message whether or not
it is the real name (tenants.services.domains).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from django.db.models import BooleanField, Case, CharField, ExpressionWrapper, F, Q, Value, When
from django.db.models.functions import Concat, Left, Length, StrIndex, Substr

from .domains import MASK, DomainLabeler, mask_fqdn

if TYPE_CHECKING:
    from accounts.models import User
    from tenants.models import Domain, Tenant

__all__ = [
    "MASK",
    "Masker",
    "mask",
    "mask_email",
    "mask_fqdn",
    "may_see_names",
    "name_visible_q",
    "redact",
    "shown_email",
    "shown_name",
]


def may_see_names(viewer: User | None, tenant: Tenant) -> bool:
    """The one decision: may ``viewer`` read the real names of ``tenant``'s confidential domains?"""
    from portal import access

    if viewer is None or not getattr(viewer, "is_authenticated", False):
        return False
    return bool(access.can(viewer, "manage_confidential", tenant))


def mask_email(email: str, domain: Domain) -> str:
    """``info@secret.example.com`` → ``info@••••.example.com`` (the host is always the domain's name)."""
    local, _at, _host = email.rpartition("@")
    return f"{local}@{mask_fqdn(domain.unicode_name)}"


class Masker(DomainLabeler):
    """Names domains and registered users' addresses for one viewer (one decision per tenant, cached).

    ``masker(domain)`` / ``masker.name(domain)`` → the name as the viewer may see it;
    ``masker.email(address, domain)`` → the address as the viewer may see it.
    """

    def name(self, domain: Domain) -> str:
        return self(domain)

    def email(self, address, domain: Domain) -> str:
        address = getattr(address, "email", address)
        return address if self.name_visible(domain) else mask_email(address, domain)


def mask(viewer: User | None, obj, *, masker: Masker | None = None) -> str:
    """The one function of (viewer, object): a Domain, RegisteredUser or BookedService as the viewer may
    read it (its name, address, or ``number service @ name``)."""
    from tenants.models import BookedService, Domain, RegisteredUser

    masker = masker or Masker(viewer)
    if isinstance(obj, Domain):
        return masker(obj)
    if isinstance(obj, RegisteredUser):
        return masker.email(obj.email, obj.domain)
    if isinstance(obj, BookedService):
        return f"{obj.number} {obj.service_type.name} @ {masker(obj.domain)}"
    raise TypeError(f"mask() does not know {type(obj).__name__}")


# --- The same rule in SQL ----------------------------------------------------------------------------------


def _masked_name_sql(prefix: str):
    """``••••.`` + everything after the first dot of the Unicode name (what ``mask_fqdn`` returns)."""
    unicode_name = f"{prefix}unicode_name"
    return Concat(
        Value(f"{MASK}."),
        Substr(unicode_name, StrIndex(unicode_name, Value(".")) + 1),
        output_field=CharField(),
    )


def name_visible_q(may_see, *, prefix: str = "") -> Q:
    """Rows whose real name the viewer may read. ``may_see`` is a bool (one tenant) or tenant ids."""
    if may_see is True:
        return Q()
    if may_see is False or not may_see:
        return Q(**{f"{prefix}confidential": False})
    return Q(**{f"{prefix}confidential": False}) | Q(**{f"{prefix}tenant_id__in": list(may_see)})


def shown_name(may_see, *, prefix: str = ""):
    """The domain's name as the viewer sees it, as an expression (annotate, filter, order by it)."""
    if may_see is True:
        return F(f"{prefix}unicode_name")
    return Case(
        When(name_visible_q(may_see, prefix=prefix), then=F(f"{prefix}unicode_name")),
        default=_masked_name_sql(prefix),
        output_field=CharField(),
    )


def name_visible(may_see, *, prefix: str = ""):
    if may_see is True:
        return Value(True, output_field=BooleanField())
    return ExpressionWrapper(name_visible_q(may_see, prefix=prefix), output_field=BooleanField())


def shown_email(may_see):
    """A registered user's address as the viewer sees it (the local part, ``@``, the shown domain name)."""
    if may_see is True:
        return F("email")
    local = Left("email", Length("email") - Length("domain__name") - 1)
    return Case(
        When(name_visible_q(may_see, prefix="domain__"), then=F("email")),
        default=Concat(local, Value("@"), _masked_name_sql("domain__"), output_field=CharField()),
        output_field=CharField(),
    )


# --- Texts recorded earlier (audit trail, notices) ----------------------------------------------------------


def _hidden_names(viewer, tenant_ids, masker: Masker) -> dict[int, dict[str, str]]:
    """tenant id → {real name (lower case, Unicode and ASCII): mask} for the tenants whose confidential
    names ``viewer`` may not read — one query for all of them."""
    from tenants.models import Domain

    ids = {tenant_id for tenant_id in tenant_ids if tenant_id}
    if not ids:
        return {}
    masker.prime(ids)
    hidden = [tenant_id for tenant_id in ids if not masker.may_see_confidential(tenant_id)]
    names: dict[int, dict[str, str]] = {}
    for tenant_id, name, unicode_name in Domain.objects.filter(
        tenant_id__in=hidden, confidential=True
    ).values_list("tenant_id", "name", "unicode_name"):
        names.setdefault(tenant_id, {})[unicode_name.lower()] = mask_fqdn(unicode_name)
        names[tenant_id][name.lower()] = mask_fqdn(unicode_name)
    return names


def _replacer(replacements: dict[str, str]):
    alternatives = "|".join(re.escape(real) for real in sorted(replacements, key=len, reverse=True))
    pattern = re.compile(r"(?<![\w-])(" + alternatives + r")(?![\w-])", re.IGNORECASE)

    def replace(text):
        if not isinstance(text, str):
            return text
        return pattern.sub(lambda match: replacements[match.group(0).lower()], text)

    return replace


def redact(viewer: User | None, tenant_ids, texts: list, *, masker: Masker | None = None) -> list:
    """Mask, in texts recorded about ``tenant_ids``, every confidential domain name the viewer may not see —
    also names recorded before the domain was marked confidential (Unicode and ASCII form, any case)."""
    names = _hidden_names(viewer, tenant_ids, masker or Masker(viewer))
    replacements = {real: shown for per_tenant in names.values() for real, shown in per_tenant.items()}
    if not replacements or not texts:
        return texts
    replace = _replacer(replacements)
    return [replace(text) for text in texts]


def redact_events(viewer: User | None, events) -> None:
    """audit_text's redactor (registered in TenantsConfig.ready): each event's ``target_repr`` and every text
    in its ``changes`` pass through the masks of the event's tenant, in memory (the rows stay as recorded).
    Two queries for any number of events: the viewer's decision per tenant, the tenants' confidential names."""
    events = [event for event in events if event.tenant_id]
    names = _hidden_names(viewer, {event.tenant_id for event in events}, Masker(viewer))
    replacers = {tenant_id: _replacer(replacements) for tenant_id, replacements in names.items()}
    for event in events:
        replace = replacers.get(event.tenant_id)
        if replace is None:
            continue
        texts: list = []
        _collect(event.changes, texts)
        masked = iter([replace(text) for text in texts])
        event.changes = _rebuild(event.changes, masked)
        event.target_repr = replace(event.target_repr)


def _collect(value, out: list) -> None:
    if isinstance(value, dict):
        for inner in value.values():
            _collect(inner, out)
    elif isinstance(value, list | tuple):
        for inner in value:
            _collect(inner, out)
    elif isinstance(value, str):
        out.append(value)


def _rebuild(value, masked):
    if isinstance(value, dict):
        return {key: _rebuild(inner, masked) for key, inner in value.items()}
    if isinstance(value, list | tuple):
        return [_rebuild(inner, masked) for inner in value]
    if isinstance(value, str):
        return next(masked)
    return value
