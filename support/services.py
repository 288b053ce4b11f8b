"""Support writes: contracts, staging/simulation accounts, tickets, legacy double links and their import.
Implements SUP-1, SUP-6, CHK-1, ACC-1 (owners create staging and simulation accounts), seed 000 cases C/D/E.

Every service checks the caller's rights through ``portal.access``, writes in a transaction and records an
audit event. Entitlement is never decided here: ``support.entitlement.entitlement`` answers, and a refusal
names its chain of reasons.
"""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import services as account_services
from accounts.models import Account, AccountPurpose, Membership
from portal import access
from portal.audit import record_event
from portal.errors import NotFound, NotPermitted, RuleViolation
from portal.numbers import next_number
from portal.text import clean_single_line
from tenants.models import Environment, Tenant

from .entitlement import entitlement
from .models import (
    Contract,
    ContractKind,
    CoverageCategory,
    LegacyTenantLink,
    SupportAccount,
    Ticket,
    TicketMessage,
    TicketStatus,
)
from .transitions import TICKET

# --- Contracts (SUP-1) ---------------------------------------------------------------------------------------


def _require_contract_manager(actor) -> None:
    if actor is access.SYSTEM:
        return
    if access.condition(actor, Contract, "change") is not access.ALL:
        raise NotPermitted(_("Only vendor staff manage support contracts."), code="not_permitted")


def _check_contacts(account: Account, technical_contact, system_administrator) -> None:
    members = set(Membership.objects.filter(account=account).values_list("user_id", flat=True))
    errors = {}
    for name, user in (
        ("technical_contact", technical_contact),
        ("system_administrator", system_administrator),
    ):
        if user is not None and user.pk not in members:
            errors[name] = [_("Choose a member of the account.")]
    if errors:
        raise RuleViolation(
            _("The central technical contact and the system administrator are members of the account."),
            code="contact_not_member",
            fields=errors,
        )


def _check_dates(valid_from, valid_until) -> None:
    if valid_from is None:
        raise RuleViolation(
            _("Enter the start date."), code="valid_from_required", fields={"valid_from": [_("Required.")]}
        )
    if valid_until is not None and valid_until < valid_from:
        raise RuleViolation(
            _("A contract cannot end before it starts."),
            code="invalid_validity",
            fields={"valid_until": [_("Must be on or after the start date.")]},
        )


@transaction.atomic
def create_contract(
    *,
    actor,
    account: Account,
    kind: str,
    valid_from: dt.date,
    valid_until: dt.date | None = None,
    technical_contact=None,
    system_administrator=None,
    note: str = "",
) -> Contract:
    _require_contract_manager(actor)
    if kind not in ContractKind.values:
        raise RuleViolation(
            _("Unknown contract kind."), code="invalid_kind", fields={"kind": [_("Invalid.")]}
        )
    _check_dates(valid_from, valid_until)
    _check_contacts(account, technical_contact, system_administrator)
    contract = Contract.objects.create(
        number=next_number("contract"),
        account=account,
        kind=kind,
        valid_from=valid_from,
        valid_until=valid_until,
        technical_contact=technical_contact,
        system_administrator=system_administrator,
        note=note,
    )
    record_event(
        actor=actor,
        action="support.contract.created",
        target=contract,
        data={
            "kind": kind,
            "valid_from": valid_from.isoformat(),
            "valid_until": valid_until.isoformat() if valid_until else "",
        },
    )
    return contract


CONTRACT_FIELDS = ("kind", "valid_from", "valid_until", "technical_contact", "system_administrator", "note")


@transaction.atomic
def update_contract(*, actor, contract: Contract, **changes) -> Contract:
    _require_contract_manager(actor)
    contract = Contract.objects.select_for_update().get(pk=contract.pk)
    unknown = set(changes) - set(CONTRACT_FIELDS)
    if unknown:
        raise ValueError(f"Unknown contract fields {sorted(unknown)}")
    merged = {name: changes.get(name, getattr(contract, name)) for name in CONTRACT_FIELDS}
    if merged["kind"] not in ContractKind.values:
        raise RuleViolation(
            _("Unknown contract kind."), code="invalid_kind", fields={"kind": [_("Invalid.")]}
        )
    _check_dates(merged["valid_from"], merged["valid_until"])
    _check_contacts(contract.account, merged["technical_contact"], merged["system_administrator"])
    diff = {}
    for name, value in merged.items():
        old = getattr(contract, name)
        if old != value:
            diff[name] = f"{old or '–'} → {value or '–'}"
            setattr(contract, name, value)
    if diff:
        contract.save()
        record_event(actor=actor, action="support.contract.changed", target=contract, data=diff)
    return contract


@transaction.atomic
def end_contract(*, actor, contract: Contract, on: dt.date) -> Contract:
    """End a contract on a day (audited): the admin's "end today" action."""
    return update_contract(actor=actor, contract=contract, valid_until=max(on, contract.valid_from))


# --- Staging and simulation accounts (ACC-1, seed 000 cases D/E) ---------------------------------------------

SUFFIX = {AccountPurpose.STAGING: "Staging", AccountPurpose.SIMULATION: "Simulation"}


def suggested_name(account: Account, purpose: str) -> str:
    return f"{account.name} ({SUFFIX.get(purpose, purpose)})"


def check_email_domain(account: Account, contact_email: str) -> str:
    """The e-mail of a sub-account must use the company's domain (seed 000 case E); returns it cleaned."""
    email = (contact_email or "").strip().lower()
    domain = email.rsplit("@", 1)[-1] if "@" in email else ""
    if not domain:
        raise RuleViolation(
            _("Enter the contact e-mail of the new account."),
            code="contact_email_required",
            fields={"contact_email": [_("Required.")]},
        )
    company = account.email_domain
    if company and domain != company:
        raise RuleViolation(
            _(
                "The e-mail must use the company's domain %(company)s (not %(domain)s): support relates the "
                "accounts of one company by their e-mail domain."
            )
            % {"company": company, "domain": domain},
            code="email_domain_mismatch",
            fields={"contact_email": [_("Use an address @%(company)s.") % {"company": company}]},
        )
    return email


@transaction.atomic
def create_staging_account(
    *, actor, account: Account, purpose: str = AccountPurpose.STAGING, contact_email: str, name: str = ""
) -> Account:
    """The owner of a production account creates the company's staging or simulation account: leading
    account set, e-mail of the company's domain, named "Company (Staging)" unless another name is given. The
    owner becomes its owner."""
    access.require(actor, "create_staging", account)
    if purpose not in (AccountPurpose.STAGING, AccountPurpose.SIMULATION):
        raise RuleViolation(
            _("Choose staging or simulation."), code="invalid_purpose", fields={"purpose": [_("Invalid.")]}
        )
    if account.purpose != AccountPurpose.PRODUCTION:
        raise RuleViolation(
            _("Create it from the company's production account."),
            code="not_a_production_account",
            fields={"account": [_("Choose the production account.")]},
        )
    email = check_email_domain(account, contact_email)
    name = clean_single_line(name or "", "name") or suggested_name(account, purpose)
    new = account_services.create_account(
        actor=actor,
        name=name,
        kind=account.kind,
        purpose=purpose,
        contact_email=email,
        leading_account=account,
        number="",
    )
    if access.is_person(actor):
        account_services.add_membership(account=new, user=actor, roles=["owner"])
    record_event(
        actor=actor,
        action="support.staging_account.created",
        target=new,
        account=account,
        data={"purpose": purpose, "leading": account.identifier},
    )
    return new


# --- Tickets (SUP-6) ------------------------------------------------------------------------------------------


def refusal_text(result) -> str:
    return _("Not entitled: %(reasons)s") % {"reasons": " — ".join(result.reason_texts())}


def _filing_partner(actor, filing: Account) -> Account | None:
    """The partner through which the actor files, when not a member of the filing account (ACC-4, DEL-3)."""
    if not access.is_person(actor):
        return None
    reasons = access.why(actor, SupportAccount(pk=filing.pk))
    if any(r.source == "membership" for r in reasons if "file_ticket" in r.rights):
        return None
    for reason in reasons:
        if "file_ticket" in reason.rights and reason.details.get("partner_account_id"):
            return Account.objects.filter(pk=reason.details["partner_account_id"]).first()
    return None


@transaction.atomic
def create_ticket(
    *,
    actor,
    subject_account: Account,
    category: CoverageCategory,
    subject: str,
    message: str,
    tenant: Tenant | None = None,
    accept_billable: bool = False,
) -> Ticket:
    """File a ticket about ``subject_account``: from the account itself when it is entitled, from its leading
    production account when it is a staging or simulation account (referenced by number or e-mail). The
    verdict and reasons at creation are stored; a refusal names the chain of reasons."""
    if (
        access.is_person(actor)
        and not access.can(actor, "view", subject_account)
        and not access.can(actor, "view", SupportAccount(pk=subject_account.pk))
    ):
        raise NotFound()
    subject = clean_single_line(subject or "", "subject")
    errors = {}
    if not subject:
        errors["subject"] = [_("Required.")]
    if not (message or "").strip():
        errors["message"] = [_("Required.")]
    if errors:
        raise RuleViolation(
            _("Enter a subject and describe the problem."), code="ticket_incomplete", fields=errors
        )
    if tenant is not None and tenant.account_id != subject_account.pk:
        raise RuleViolation(
            _("The tenant does not belong to this account."),
            code="tenant_not_of_account",
            fields={"tenant": [_("Invalid.")]},
        )
    if category.billable and not accept_billable:
        raise RuleViolation(
            _(
                "%(category)s is not covered by the support contract: this work is billable. Confirm to send it."
            )
            % {"category": category.name},
            code="billable_not_confirmed",
            fields={"accept_billable": [_("Confirm that this work is billable.")]},
        )
    result = entitlement(account=subject_account) if tenant is None else entitlement(tenant=tenant)
    if result.ticket_account is None:
        raise RuleViolation(
            refusal_text(result), code="not_entitled", fields={"reasons": result.reason_texts()}
        )
    filing = result.ticket_account
    if actor is not access.SYSTEM and not access.can(actor, "file_ticket", SupportAccount(pk=filing.pk)):
        if filing.pk != subject_account.pk:
            raise NotPermitted(
                _(
                    "Tickets about %(account)s are created from %(leading)s, and you may not file tickets there."
                )
                % {"account": subject_account.identifier, "leading": filing.identifier},
                code="not_permitted_on_leading_account",
            )
        raise NotPermitted(_("You may not file tickets for this account."), code="not_permitted")
    ticket = Ticket.objects.create(
        number=next_number("ticket"),
        account=filing,
        subject_account=subject_account,
        reference=subject_account.identifier if filing.pk != subject_account.pk else "",
        tenant=tenant,
        category=category,
        billable=category.billable,
        subject=subject,
        verdict=result.verdict,
        reasons=result.reasons_as_data(),
        email_domain=subject_account.email_domain,
        created_by=actor if access.is_person(actor) else None,
        filed_by_account=_filing_partner(actor, filing),
    )
    TicketMessage.objects.create(ticket=ticket, author=ticket.created_by, body=message.strip())
    record_event(
        actor=actor,
        action="support.ticket.created",
        target=ticket,
        data={
            "verdict": result.verdict,
            "subject_account": subject_account.identifier,
            "billable": ticket.billable,
        },
    )
    return ticket


@transaction.atomic
def add_message(*, actor, ticket: Ticket, body: str) -> TicketMessage:
    ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
    access.require(actor, "message", ticket)
    if not (body or "").strip():
        raise RuleViolation(_("Write a message."), code="message_required", fields={"body": [_("Required.")]})
    if ticket.status == TicketStatus.CLOSED:
        raise RuleViolation(_("The ticket is closed."), code="ticket_closed")
    message = TicketMessage.objects.create(
        ticket=ticket, author=actor if access.is_person(actor) else None, body=body.strip()
    )
    record_event(
        actor=actor, action="support.ticket.message_added", target=ticket, data={"message": message.pk}
    )
    return message


STATUS_ACTIONS = {TicketStatus.WAITING: "wait", TicketStatus.OPEN: "reopen", TicketStatus.CLOSED: "close"}


@transaction.atomic
def change_ticket_status(*, actor, ticket: Ticket, status: str) -> Ticket:
    ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
    access.require(actor, "change_status", ticket)
    action = STATUS_ACTIONS.get(status)
    if action is None:
        raise RuleViolation(_("Unknown status."), code="invalid_status", fields={"status": [_("Invalid.")]})
    transition = TICKET.require(ticket, action)
    old = ticket.status
    ticket.status = transition.target
    ticket.closed_at = timezone.now() if ticket.status == TicketStatus.CLOSED else None
    ticket.save(update_fields=["status", "closed_at"])
    record_event(
        actor=actor,
        action="support.ticket.status_changed",
        target=ticket,
        data={"from": old, "to": ticket.status},
    )
    return ticket


# --- Legacy double links (CHK-1 case C) -----------------------------------------------------------------------


@transaction.atomic
def resolve_legacy_link(*, actor, link: LegacyTenantLink, chosen_account: Account) -> LegacyTenantLink:
    """Support chooses the one account of a tenant that legacy data linked to two: the tenant moves to it if
    needed (audited on both accounts), the flagged link is closed."""
    link = LegacyTenantLink.objects.select_for_update().select_related("tenant", "account").get(pk=link.pk)
    access.require(actor, "resolve", link)
    if link.resolved_at is not None:
        raise RuleViolation(_("This link is resolved already."), code="link_resolved")
    tenant = Tenant.objects.select_for_update().get(pk=link.tenant_id)
    if chosen_account.pk not in (tenant.account_id, link.account_id):
        raise RuleViolation(
            _("Choose one of the two linked accounts."),
            code="invalid_choice",
            fields={"account": [_("Invalid.")]},
        )
    previous = tenant.account
    if chosen_account.pk != tenant.account_id:
        tenant.account = chosen_account
        # TEN-1 allows moving a tenant only as an approved decision: legacy data links both accounts already,
        # and support's audited choice of the one account is that decision (CHK-1 case C).
        tenant._transfer_approved = True
        tenant.save(update_fields=["account"])
        record_event(
            actor=actor,
            action="support.legacy_link.tenant_moved",
            target=tenant,
            account=previous,
            data={"from": previous.identifier, "to": chosen_account.identifier},
        )
    link.resolved_at = timezone.now()
    link.resolved_by = actor if access.is_person(actor) else None
    link.chosen_account = chosen_account
    link.save(update_fields=["resolved_at", "resolved_by", "chosen_account"])
    record_event(
        actor=actor,
        action="support.legacy_link.resolved",
        target=link,
        data={"tenant": tenant.number, "chosen": chosen_account.identifier},
    )
    return link


def flag_legacy_link(
    *, tenant: Tenant, account: Account, source: str = ""
) -> tuple[LegacyTenantLink | None, bool]:
    """Keep a second account of a tenant from legacy data as a flagged link (idempotent; none for the tenant's
    own account). Only the import and the demo data call it."""
    if account.pk == tenant.account_id:
        return None, False
    try:
        with transaction.atomic():
            return LegacyTenantLink.objects.get_or_create(
                tenant=tenant, account=account, resolved_at=None, defaults={"source": source[:200]}
            )
    except IntegrityError:
        return LegacyTenantLink.objects.filter(
            tenant=tenant, account=account, resolved_at=None
        ).first(), False


@dataclass
class ImportReport:
    accounts_created: int = 0
    tenants_created: int = 0
    links_flagged: int = 0
    errors: list[str] = field(default_factory=list)


def _read(path) -> list[dict]:
    if not path:
        return []
    with open(path, newline="", encoding="utf-8-sig") as handle:
        return [{k.strip(): (v or "").strip() for k, v in row.items() if k} for row in csv.DictReader(handle)]


@transaction.atomic
def import_legacy(
    *, actor, accounts_csv=None, tenants_csv=None, links_csv=None, source: str = ""
) -> ImportReport:
    """``manage.py import_legacy``: accounts (number, name, kind, purpose, contact_email, leading_number),
    tenants (number, name, environment, account_number) and links (tenant_number, account_number) from CSV.
    A tenant's first account owns it; a link to a second account is kept as a flagged legacy link (case C).
    Idempotent: existing numbers are reused. Bad rows are reported, never half-imported."""
    report = ImportReport()
    by_number: dict[str, Account] = {}

    def account_of(number: str) -> Account | None:
        if number not in by_number:
            by_number[number] = Account.objects.filter(number=number).first()
        return by_number[number]

    for line, row in enumerate(_read(accounts_csv), start=2):
        number = row.get("number", "")
        if number and account_of(number) is not None:
            continue
        leading = account_of(row["leading_number"]) if row.get("leading_number") else None
        try:
            account = account_services.create_account(
                actor=actor,
                name=row.get("name", ""),
                kind=row.get("kind") or "customer",
                purpose=row.get("purpose") or "production",
                contact_email=row.get("contact_email", ""),
                leading_account=leading,
                number=number,
            )
        except RuleViolation as exc:
            report.errors.append(f"accounts.csv:{line}: {exc.detail}")
            continue
        if number:
            by_number[number] = account
        report.accounts_created += 1
    for line, row in enumerate(_read(tenants_csv), start=2):
        number = row.get("number", "")
        if not number or Tenant.objects.filter(number=number).exists():
            continue
        owner = account_of(row.get("account_number", ""))
        if owner is None:
            report.errors.append(
                f"tenants.csv:{line}: "
                + _("unknown account %(number)s") % {"number": row.get("account_number")}
            )
            continue
        environment = row.get("environment") or Environment.PRODUCTION
        if environment not in Environment.values:
            report.errors.append(
                f"tenants.csv:{line}: " + _("unknown environment %(env)s") % {"env": environment}
            )
            continue
        # Legacy data is taken as it is (a staging tenant in a production account is case D for the check).
        Tenant.objects.create(
            number=number, name=row.get("name") or number, environment=environment, account=owner
        )
        report.tenants_created += 1
    for line, row in enumerate(_read(links_csv), start=2):
        tenant = Tenant.objects.filter(number=row.get("tenant_number", "")).first()
        linked = account_of(row.get("account_number", ""))
        if tenant is None or linked is None:
            report.errors.append(f"links.csv:{line}: " + _("unknown tenant or account"))
            continue
        if linked.pk == tenant.account_id:
            continue
        report.links_flagged += int(flag_legacy_link(tenant=tenant, account=linked, source=source)[1])
    from portal.numbers import reserve_at_least

    numbers = [int(n[2:]) for n in by_number if n.startswith("K-") and n[2:].isdigit()]
    if numbers:
        reserve_at_least("account", max(numbers))
    tenant_numbers = [
        int(r["number"][2:])
        for r in _read(tenants_csv)
        if r.get("number", "").startswith("T-") and r["number"][2:].isdigit()
    ]
    if tenant_numbers:
        reserve_at_least("tenant", max(tenant_numbers))
    record_event(
        actor=actor,
        action="support.legacy.imported",
        data={
            "accounts": report.accounts_created,
            "tenants": report.tenants_created,
            "flagged_links": report.links_flagged,
            "source": source,
        },
    )
    return report
