"""Domain names: validation and masking. Implements TEN-4.

``normalize_fqdn()`` is the one validator of domain names (services, API and forms call it): IDNA 2008 with
UTS #46 mapping (so ``Straße.de`` is ``xn--strae-oqa.de``, as DENIC registers it), at least two labels, each
label 1–63 octets of letters, digits and inner hyphens, at most 253 octets in all, no numeric top-level
label (an IP address is not a domain). Errors are RuleViolations naming the offending part.

Masking: a confidential domain's name is shown as ``••••.example.com`` (first label hidden) to everyone
without the tenant right ``manage_confidential``. ``Domain.__str__`` always masks, so audit entries and
exports are safe by default; ``domain_label(domain, user)`` / ``DomainLabeler`` show the real name to those
who may see it. API serializers, exports and templates use these, never ``domain.unicode_name`` directly.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import idna
from django.utils.translation import gettext as _

from portal.errors import RuleViolation

if TYPE_CHECKING:
    from accounts.models import User
    from tenants.models import Domain

MASK = "••••"
MAX_LENGTH = 253
MAX_LABEL_LENGTH = 63
_LABEL = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")


def _invalid(message: str, field: str = "name") -> RuleViolation:
    return RuleViolation(
        _("Invalid domain name: %(reason)s") % {"reason": message},
        code="invalid_domain",
        fields={field: [message]},
    )


def _check_ascii_label(ascii_label: str, label: str, field: str) -> None:
    if len(ascii_label) > MAX_LABEL_LENGTH:
        raise _invalid(
            _("the label “%(label)s” is longer than %(max)d characters.")
            % {"label": label, "max": MAX_LABEL_LENGTH},
            field,
        )
    if not _LABEL.match(ascii_label):
        raise _invalid(
            _(
                "the label “%(label)s” may contain only letters, digits and hyphens, "
                "and cannot start or end with a hyphen."
            )
            % {"label": label},
            field,
        )


def normalize_fqdn(value: str, *, field: str = "name") -> tuple[str, str]:
    """Validate a fully qualified domain name; return ``(ascii_name, unicode_name)``, both lower case.

    Raises RuleViolation(code="invalid_domain", fields={field: [reason]}) with a reason a person understands.
    """
    text = (value or "").strip()
    if not text:
        raise _invalid(_("enter a domain name, e.g. example.com."), field)
    if any(marker in text for marker in ("://", "/", "@", " ", "\t", "*")):
        raise _invalid(
            _("enter only the domain name, e.g. example.com (no scheme, path, wildcard or e-mail address)."),
            field,
        )
    if text.endswith("."):
        text = text[:-1]  # the root label of an absolute name
    labels = text.split(".")
    if any(label == "" for label in labels):
        raise _invalid(
            _("a domain name cannot contain empty labels (two dots in a row, or a leading dot)."), field
        )
    if len(labels) < 2:
        raise _invalid(_("a domain needs at least two labels, e.g. example.com."), field)
    ascii_labels = []
    for label in labels:
        if label.isascii():
            _check_ascii_label(label.lower(), label, field)
        try:
            ascii_label = idna.encode(label, uts46=True).decode("ascii")
        except idna.IDNAError as exc:
            raise _invalid(
                _("the label “%(label)s” is not allowed (%(detail)s).") % {"label": label, "detail": exc},
                field,
            ) from exc
        except UnicodeError as exc:  # e.g. a label that becomes empty or too long during conversion
            raise _invalid(_("the label “%(label)s” is not allowed.") % {"label": label}, field) from exc
        _check_ascii_label(ascii_label, label, field)
        ascii_labels.append(ascii_label)
    ascii_name = ".".join(ascii_labels)
    if len(ascii_name) > MAX_LENGTH:
        raise _invalid(
            _("the name is %(length)d characters long; at most %(max)d are allowed.")
            % {"length": len(ascii_name), "max": MAX_LENGTH},
            field,
        )
    if ascii_labels[-1].isdigit():
        raise _invalid(_("the top-level domain cannot be numeric (an IP address is not a domain)."), field)
    try:
        unicode_name = idna.decode(ascii_name)
    except idna.IDNAError as exc:  # pragma: no cover - what encoded cleanly decodes cleanly
        raise _invalid(str(exc), field) from exc
    return ascii_name, unicode_name


def lookup_name(value: str) -> str | None:
    """The ASCII form to look a domain up by, or None if ``value`` cannot be a domain name (URL lookups)."""
    try:
        return normalize_fqdn(value)[0]
    except RuleViolation:
        return None


def mask_fqdn(name: str) -> str:
    """``secret.example.com`` → ``••••.example.com``; ``secret.de`` → ``••••.de``."""
    _first, _dot, rest = name.partition(".")
    return f"{MASK}.{rest}" if rest else MASK


class DomainLabeler:
    """Names domains for one user: the real name, or the mask where the user lacks ``manage_confidential``.

    Caches the decision per tenant, so labelling a list costs a constant number of queries per tenant (none
    when the caller ``remember``s the decision it already has). Create one per request — not per domain.
    """

    def __init__(self, user: User | None):
        self.user = user
        self._may_see: dict[int, bool] = {}

    def may_see_confidential(self, tenant_id: int) -> bool:
        if tenant_id not in self._may_see:
            from tenants.models import Tenant

            tenant = Tenant.objects.filter(pk=tenant_id).first()
            self.prime_tenant(tenant) if tenant is not None else self.remember(tenant_id, False)
        return self._may_see[tenant_id]

    def remember(self, tenant_id: int, may_see: bool) -> None:
        """Record a decision the caller has made already (e.g. from selectors.tenant_permissions)."""
        self._may_see[tenant_id] = may_see

    def prime_tenant(self, tenant) -> None:
        """Decide for one tenant object: two indexed lookups (access.can), whatever the number of tenants."""
        from portal import access

        if tenant.pk in self._may_see:
            return
        user = self.user
        authenticated = user is not None and getattr(user, "is_authenticated", False)
        self._may_see[tenant.pk] = bool(authenticated and access.can(user, "manage_confidential", tenant))

    def prime(self, tenant_ids) -> None:
        """Decide for many tenants in one query (lists spanning tenants)."""
        from portal import access
        from tenants.models import Tenant

        wanted = {tenant_id for tenant_id in tenant_ids if tenant_id not in self._may_see}
        if not wanted:
            return
        user = self.user
        allowed: set[int] = set()
        if user is not None and getattr(user, "is_authenticated", False):
            allowed = set(
                access.visible(user, Tenant, "manage_confidential")
                .filter(pk__in=wanted)
                .values_list("pk", flat=True)
            )
        for tenant_id in wanted:
            self._may_see[tenant_id] = tenant_id in allowed

    def __call__(self, domain: Domain) -> str:
        if not domain.confidential:
            return domain.unicode_name
        if self.may_see_confidential(domain.tenant_id):
            return domain.unicode_name
        return mask_fqdn(domain.unicode_name)

    def name_visible(self, domain: Domain) -> bool:
        """May the user see this domain's real name (for showing the ASCII form, search, lookups by name)?"""
        return not domain.confidential or self.may_see_confidential(domain.tenant_id)


def domain_label(domain: Domain, user: User | None) -> str:
    """The name of ``domain`` as ``user`` may see it (one-off; use a DomainLabeler for lists)."""
    return DomainLabeler(user)(domain)
