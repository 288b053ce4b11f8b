"""Support reads, scoped by the caller through portal.access. Implements SUP-1, SUP-5, SUP-6, ACC-5, ACC-6.

The lookup (SUP-5) recognizes what a caller gave by its shape — customer number, tenant number, e-mail of a
user or account, e-mail domain, licence key — normalizes it, and runs **one indexed query per kind**
(``Account.number`` unique, ``lower(User.email)`` unique, ``Account.contact_email`` index,
``Account.contact_domain`` index, ``Tenant.number`` unique, ``License.key`` unique). The card for one account
is then built with a constant number of queries, whatever the size of the world.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.db.models import Q, QuerySet
from django.db.models.functions import Lower
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Account, Membership, User
from portal import access
from portal.errors import NotFound, RuleViolation
from tenants.models import Tenant

from . import licensing
from .entitlement import Entitlement, entitlement
from .hours import CoreHours, core_hours
from .models import Contract, CoverageCategory, LegacyTenantLink, SupportAccount, Ticket, TicketStatus

MAX_MATCHES = 50

CUSTOMER_NUMBER = re.compile(r"^K-?(\d{1,9})$", re.IGNORECASE)
TENANT_NUMBER = re.compile(r"^T-?(\d{1,9})$", re.IGNORECASE)
EMAIL = re.compile(r"^[^@\s]+@([a-z0-9-]+(\.[a-z0-9-]+)+)$", re.IGNORECASE)
DOMAIN = re.compile(
    r"^@?([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)+)$", re.IGNORECASE
)
# Something that looks like a licence key (groups of letters/digits with dashes), checked by its checksum.
KEY_SHAPE = re.compile(r"^[A-Z0-9]{4,}(-[A-Z0-9]{2,}){2,}$", re.IGNORECASE)

KIND_LABELS = {
    "customer_number": gettext_lazy("customer number"),
    "tenant_number": gettext_lazy("tenant number"),
    "email": gettext_lazy("e-mail"),
    "email_domain": gettext_lazy("e-mail domain"),
    "licence_key": gettext_lazy("licence key"),
}


def may_look_up(user) -> bool:
    """SUP-5: may the user use the support lookup? (vendor staff: the authority's ``lookup``)."""
    return access.can_any(user, SupportAccount, "lookup")


def require_lookup(user) -> None:
    if not may_look_up(user):
        raise NotFound()


def classify(text: str) -> tuple[str, str]:
    """(kind, normalized value) of a search text, recognized by its shape; RuleViolation when it is none."""
    raw = (text or "").strip()
    compact = re.sub(r"\s+", "", raw)
    if not compact:
        raise RuleViolation(
            _("Enter a customer number, e-mail, e-mail domain, tenant number or licence key."),
            code="query_required",
            fields={"q": [_("Required.")]},
        )
    if match := CUSTOMER_NUMBER.match(compact):
        return "customer_number", f"K-{int(match.group(1)):06d}"
    if match := TENANT_NUMBER.match(compact):
        return "tenant_number", f"T-{int(match.group(1)):06d}"
    if EMAIL.match(compact):
        return "email", compact.lower()
    if match := DOMAIN.match(compact):
        return "email_domain", match.group(1).lower()
    key = licensing.normalize_licence_key(raw)
    if key:
        return "licence_key", key
    if KEY_SHAPE.match(compact) or (licensing.available() and "-" in compact and len(compact) >= 16):
        raise RuleViolation(
            _(
                "This looks like a licence key, but it is not a valid one (check for typos: the checksum does not match)."
            ),
            code="invalid_licence_key",
            fields={"q": [_("Invalid licence key.")]},
        )
    raise RuleViolation(
        _(
            "Not recognized. Enter a customer number (K-100001), an e-mail (name@firma.de), an e-mail domain "
            "(firma.de), a tenant number (T-000001) or a licence key."
        ),
        code="unrecognized_query",
        fields={"q": [_("Not recognized.")]},
    )


@dataclass
class Match:
    account: Account
    tenant: Tenant | None = None
    licence: object | None = None
    via: str = ""  # how it matched: "customer number", "user e-mail", …


@dataclass
class LookupResult:
    query: str
    kind: str
    normalized: str
    matches: list[Match] = field(default_factory=list)

    @property
    def kind_label(self) -> str:
        return str(KIND_LABELS.get(self.kind, self.kind))


def _accounts():
    return Account.objects.select_related("leading_account")


def search(user, text: str) -> LookupResult:
    """SUP-5: every account, tenant or licence the text names, by one indexed query per kind."""
    require_lookup(user)
    kind, value = classify(text)
    result = LookupResult(query=text, kind=kind, normalized=value)
    if kind == "customer_number":
        result.matches = [Match(a, via=_("customer number")) for a in _accounts().filter(number=value)]
    elif kind == "tenant_number":
        tenant = (
            Tenant.objects.select_related("account", "account__leading_account").filter(number=value).first()
        )
        if tenant is not None:
            result.matches = [Match(tenant.account, tenant=tenant, via=_("tenant number"))]
    elif kind == "email":
        # Two index lookups (lower(email) unique → memberships by user; contact_email), never a join scan.
        member_of = list(
            Membership.objects.filter(
                user__in=User.objects.alias(email_lower=Lower("email")).filter(email_lower=value).values("pk")
            ).values_list("account_id", flat=True)[:MAX_MATCHES]
        )
        accounts = _accounts().filter(Q(contact_email=value) | Q(pk__in=member_of)).order_by("number", "pk")
        # The account whose own contact e-mail it is comes first, then production before staging/simulation.
        ordered = sorted(
            accounts[:MAX_MATCHES], key=lambda a: (a.contact_email != value, a.purpose != "production")
        )
        result.matches = [
            Match(a, via=_("account e-mail") if a.contact_email == value else _("user e-mail"))
            for a in ordered
        ]
    elif kind == "email_domain":
        accounts = _accounts().filter(contact_domain=value).order_by("purpose", "number", "pk")
        result.matches = [Match(a, via=_("e-mail domain")) for a in accounts[:MAX_MATCHES]]
    elif kind == "licence_key":
        licence = licensing.licence_by_key(value)
        if licence is not None:
            account = licence.tenant.account if licence.tenant_id else licence.holder
            result.matches = [Match(account, tenant=licence.tenant, licence=licence, via=_("licence key"))]
    return result


@dataclass
class Card:
    """The answer card of the lookup (SUP-5)."""

    account: Account
    entitlement: Entitlement
    hours: CoreHours
    contracts: list[Contract]
    contacts: dict
    caretakers: list
    managing_partner: object | None
    related: list[Account]
    open_tickets: list[Ticket]
    linked_tickets: list[Ticket]
    tenants: list[Tenant]
    access_by_tenant: list
    setup: object
    tenant: Tenant | None = None
    licence: object | None = None


def account_for_lookup(user, key: str) -> Account:
    """One account by its URL key (number or ``~id``), for vendor staff."""
    require_lookup(user)
    from accounts.selectors import by_url_key

    account = by_url_key(_accounts(), key).first()
    if account is None:
        raise NotFound()
    return account


def card(user, account: Account, *, tenant: Tenant | None = None, licence=None, at=None) -> Card:
    from delegations.models import CaretakerGrant, ManagedAccount
    from tenants.selectors import tenant_access

    from .checks import setup_check

    require_lookup(user)
    verdict = entitlement(
        account=account if tenant is None and licence is None else None, tenant=tenant, licence=licence, at=at
    )
    contracts = list(
        Contract.objects.filter(account=account)
        .select_related("technical_contact", "system_administrator")
        .order_by("kind", "-valid_from")
    )
    valid_support = [
        c for c in contracts if c.kind == "support_contract" and c.is_valid_on(verdict.at.date())
    ]
    contacts = {}
    if valid_support:
        contacts = {
            "technical_contact": valid_support[0].technical_contact,
            "system_administrator": valid_support[0].system_administrator,
        }
    caretakers = list(
        CaretakerGrant.objects.filter(customer_account=account, status="active")
        .select_related("caretaker", "partner_account", "tenant")
        .order_by("tenant_number")[:20]
    )
    relation = (
        ManagedAccount.objects.filter(customer_account=account, status="active")
        .select_related("partner_account")
        .first()
    )
    related = (
        list(
            _accounts()
            .filter(contact_domain=account.contact_domain)
            .exclude(pk=account.pk)
            .order_by("number")[:20]
        )
        if account.contact_domain
        else []
    )
    tickets = Ticket.objects.select_related("account", "subject_account", "category")
    open_tickets = list(
        tickets.filter(Q(account=account) | Q(subject_account=account))
        .exclude(status=TicketStatus.CLOSED)
        .order_by("-created_at")[:20]
    )
    linked = (
        list(
            tickets.filter(email_domain=account.contact_domain)
            .exclude(pk__in=[t.pk for t in open_tickets])
            .order_by("-created_at")[:20]
        )
        if account.contact_domain
        else []
    )
    tenants = list(Tenant.objects.filter(account=account).order_by("number")[:10])
    access_by_tenant = [(t, tenant_access(user, t)[0]) for t in tenants]
    return Card(
        account=account,
        entitlement=verdict,
        hours=core_hours(at),
        contracts=contracts,
        contacts=contacts,
        caretakers=caretakers,
        managing_partner=relation,
        related=related,
        open_tickets=open_tickets,
        linked_tickets=linked,
        tenants=tenants,
        access_by_tenant=access_by_tenant,
        setup=setup_check(account),
        tenant=tenant,
        licence=licence,
    )


# --- Tickets -------------------------------------------------------------------------------------------------


def tickets_visible_to(user) -> QuerySet[Ticket]:
    """SUP-6: customers see their accounts' tickets, partners the ones they filed, support staff all."""
    return access.visible(user, Ticket).select_related(
        "account", "subject_account", "category", "tenant", "created_by"
    )


def ticket_for(user, number: str) -> Ticket:
    ticket = tickets_visible_to(user).filter(number=number).first()
    if ticket is None:
        raise NotFound()
    return ticket


def messages_of(ticket: Ticket):
    return ticket.messages.select_related("author").order_by("created_at", "pk")


def linked_tickets(user, ticket: Ticket) -> QuerySet[Ticket]:
    """Tickets whose subject accounts share this ticket's e-mail domain (seed 000 case E), as far as the user
    sees them."""
    if not ticket.email_domain:
        return Ticket.objects.none()
    return tickets_visible_to(user).filter(email_domain=ticket.email_domain).exclude(pk=ticket.pk)


def ticket_accounts_for(user) -> QuerySet[Account]:
    """Accounts the user may file a ticket for (own, managed, technically cared for) or about (their staging
    and simulation accounts, filed from the leading account)."""
    filing = access.visible(user, SupportAccount, "file_ticket").values("pk")
    return _accounts().filter(Q(pk__in=filing) | Q(leading_account__in=filing)).order_by("name")


def coverage_categories() -> QuerySet[CoverageCategory]:
    return CoverageCategory.objects.filter(active=True).order_by("-covered", "position", "code")


def category_by_code(code: str) -> CoverageCategory:
    category = coverage_categories().filter(code=code).first()
    if category is None:
        raise RuleViolation(
            _("Choose a category."), code="invalid_category", fields={"category": [_("Unknown category.")]}
        )
    return category


def tenants_of(account: Account) -> QuerySet[Tenant]:
    return Tenant.objects.filter(account=account).select_related("account").order_by("number")


def contracts_visible_to(user) -> QuerySet[Contract]:
    return access.visible(user, Contract).select_related(
        "account", "technical_contact", "system_administrator"
    )


def legacy_links_visible_to(user, *, open_only: bool = True) -> QuerySet[LegacyTenantLink]:
    queryset = access.visible(user, LegacyTenantLink).select_related("tenant", "tenant__account", "account")
    return queryset.filter(resolved_at__isnull=True) if open_only else queryset


def visible_account(user, key: str) -> Account:
    """An account the user sees (for filing or the set-up check), by URL key."""
    from accounts.selectors import by_url_key

    # Seen as an account (members, partners, vendor staff) or as the support desk sees it (a technical
    # caretaker files tickets for the customer whose account page it cannot open).
    seen = Q(pk__in=access.visible(user, Account).values("pk")) | Q(
        pk__in=access.visible(user, SupportAccount).values("pk")
    )
    account = by_url_key(_accounts().filter(seen), key).first()
    if account is None:
        raise NotFound()
    return account


def may(user, action: str, account: Account) -> bool:
    return access.can(user, action, SupportAccount(pk=account.pk))


def may_manage_contracts(user) -> bool:
    """SUP-1: vendor staff manage contracts (the authority's ``change`` on every contract)."""
    return access.condition(user, Contract, "change") is access.ALL
