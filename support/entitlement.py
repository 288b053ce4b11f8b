"""Who is entitled to support, and why: the one function that decides (SUP-4, SUP-5; seed 000 cases B, D, E, F).

``entitlement(account=… | tenant=… | licence=…, at=…)`` returns the verdict (``entitled``, ``not_entitled``,
``via_leading_account``, ``supported_by_partner``) with the **chain of reasons**: each rule that fired, in
order, naming the object it used. The lookup page, the API and ticket creation all call it; no other code
decides entitlement. Reasons are data (``code`` + ``params``, JSON-safe, stored on tickets) and are put
into words in the reader's language by ``reason_text``.

The rules, in the order they are asked:

1. A licence (LIC-4, case B) held by a hosting partner for a customer's tenant is supported by that partner.
   A tenant with such a licence likewise. Otherwise a licence answers for its holder, a tenant for its account.
2. A staging or simulation account inherits nothing (case D/E); its tickets are created from its leading
   production account, which must itself be entitled (``via_leading_account``), referencing the staging
   account by number or, where it has none, by e-mail.
3. A production account is entitled with a support contract valid at the instant; an update service alone
   is not enough; expired and not-yet-valid contracts are named.
4. An account without entitlement of its own whose tenants' licences are held by a hoster is supported by
   that hoster; an entitled one hears that those licences are the hoster's to support.
5. A managed account (ACC-4, case F) keeps its verdict; the reason names the managing partner, who may file
   tickets on the customer's behalf.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from dataclasses import dataclass, field

from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Account

from . import licensing
from .models import Contract, ContractKind, Verdict

REASON_TEXTS = {
    "licence_found": _("Licence %(key)s, held by %(holder)s."),
    "licence_held_by_hoster": _(
        "Licence %(key)s for tenant %(tenant)s is held by hoster %(holder)s: support comes from the hoster."
    ),
    "licence_held_by_hoster_note": _(
        "Licence %(key)s for tenant %(tenant)s is held by hoster %(holder)s: support for it comes from the hoster."
    ),
    "licence_without_hoster": _("The licence is held by the account itself."),
    "tenant_of_account": _("Tenant %(tenant)s belongs to account %(account)s."),
    "staging_inherits_nothing": _("%(account)s is a %(purpose)s account: it inherits nothing."),
    "leading_account": _("Leading account %(leading)s."),
    "create_from_leading": _("Create the ticket from %(leading)s and reference %(reference)s in it."),
    "leading_not_entitled": _("The leading account %(leading)s is not entitled either."),
    "missing_leading_account": _("The account has no leading production account."),
    "support_contract_valid": _("Support contract %(contract)s valid until %(until)s."),
    "support_contract_open_end": _("Support contract %(contract)s valid since %(since)s, open end."),
    "update_service_only": _("Update service %(contract)s only: updates, no hotline."),
    "contract_expired": _("Support contract %(contract)s expired on %(until)s."),
    "contract_not_yet_valid": _("Support contract %(contract)s starts on %(since)s."),
    "no_contract": _("No support contract."),
    "order_support_contract": _("Order a support contract."),
    "managed_by": _(
        "Managed by partner %(partner)s (scope %(scope)s): it may file tickets on the customer's behalf."
    ),
}


@dataclass(frozen=True)
class Reason:
    code: str
    params: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {"code": self.code, "params": self.params}

    @property
    def text(self) -> str:
        return reason_text(self.as_dict())


@dataclass
class Entitlement:
    verdict: str
    reasons: list[Reason]
    account: Account | None  # the account the verdict is about
    at: dt.datetime
    leading_account: Account | None = None
    ticket_account: Account | None = None  # where a ticket about it is filed from (None: nowhere)
    supporting_partner: Account | None = None
    tenant: object | None = None
    licence: object | None = None
    contracts: list[Contract] = field(default_factory=list)

    @property
    def verdict_label(self) -> str:
        return str(Verdict(self.verdict).label)

    def reasons_as_data(self) -> list[dict]:
        return [reason.as_dict() for reason in self.reasons]

    def reason_texts(self) -> list[str]:
        return [reason.text for reason in self.reasons]

    @property
    def allows_ticket(self) -> bool:
        return self.ticket_account is not None


def _date(value: dt.date | None) -> str:
    return value.isoformat() if value else ""


def reason_text(reason: dict) -> str:
    """One stored or fresh reason in the reader's language (dates in the locale's format)."""
    template = REASON_TEXTS.get(reason.get("code"))
    if template is None:
        return reason.get("code", "")
    params = {}
    for key, value in (reason.get("params") or {}).items():
        if key in ("until", "since") and value:
            with contextlib.suppress(ValueError):
                value = formats.date_format(dt.date.fromisoformat(value), "SHORT_DATE_FORMAT")
        elif key == "purpose":
            from accounts.models import AccountPurpose

            value = str(AccountPurpose(value).label) if value in AccountPurpose.values else value
        elif key == "scope":
            from delegations.models import Scope

            value = str(Scope(value).label) if value in Scope.values else value
        params[key] = value
    try:
        return str(template) % params
    except (KeyError, TypeError, ValueError):
        return str(template)


def _contract_rules(account: Account, contracts: list[Contract], day: dt.date) -> tuple[bool, list[Reason]]:
    """Rule 3: a valid support contract entitles; everything else is named."""
    reasons: list[Reason] = []
    support = [c for c in contracts if c.kind == ContractKind.SUPPORT_CONTRACT]
    valid = [c for c in support if c.is_valid_on(day)]
    if valid:
        best = max(valid, key=lambda c: (c.valid_until is None, c.valid_until or day))
        if best.valid_until is None:
            reasons.append(
                Reason(
                    "support_contract_open_end", {"contract": best.number, "since": _date(best.valid_from)}
                )
            )
        else:
            reasons.append(
                Reason("support_contract_valid", {"contract": best.number, "until": _date(best.valid_until)})
            )
        return True, reasons
    updates = [c for c in contracts if c.kind == ContractKind.UPDATE_SERVICE and c.is_valid_on(day)]
    if updates:
        reasons.append(Reason("update_service_only", {"contract": updates[0].number}))
    expired = sorted(
        (c for c in support if c.valid_until and c.valid_until < day), key=lambda c: c.valid_until
    )
    if expired:
        last = expired[-1]
        reasons.append(
            Reason("contract_expired", {"contract": last.number, "until": _date(last.valid_until)})
        )
    future = sorted((c for c in support if c.valid_from > day), key=lambda c: c.valid_from)
    if future:
        reasons.append(
            Reason(
                "contract_not_yet_valid", {"contract": future[0].number, "since": _date(future[0].valid_from)}
            )
        )
    if not contracts:
        reasons.append(Reason("no_contract"))
    return False, reasons


def _managing_partner(account: Account):
    from delegations.models import ManagedAccount

    return (
        ManagedAccount.objects.filter(customer_account=account, status="active")
        .select_related("partner_account")
        .first()
    )


def _hoster_reasons(licences: list, code: str) -> list[Reason]:
    return [
        Reason(
            code,
            {
                "key": licence.key,
                "tenant": licence.tenant.number if licence.tenant_id else "",
                "holder": licence.holder.identifier,
            },
        )
        for licence in licences[:3]
    ]


def entitlement(
    *, account: Account | None = None, tenant=None, licence=None, at: dt.datetime | None = None
) -> Entitlement:
    """The verdict with its chain of reasons for an account, a tenant or a licence at ``at`` (default now)."""
    at = at or timezone.now()
    day = timezone.localdate(at)
    reasons: list[Reason] = []
    hoster_licences: list = []

    # Rule 1: licence and tenant subjects.
    if licence is not None:
        reasons.append(Reason("licence_found", {"key": licence.key, "holder": licence.holder.identifier}))
        if licensing.is_hoster_held(licence):
            reasons.extend(_hoster_reasons([licence], "licence_held_by_hoster"))
            return Entitlement(
                Verdict.SUPPORTED_BY_PARTNER,
                reasons,
                licence.tenant.account,
                at,
                supporting_partner=licence.holder,
                tenant=licence.tenant,
                licence=licence,
            )
        account = licence.holder
    if tenant is not None:
        account = tenant.account
        reasons.append(Reason("tenant_of_account", {"tenant": tenant.number, "account": account.identifier}))
        hoster_licences = licensing.hoster_held_licences(tenant=tenant)
        if hoster_licences:
            reasons.extend(_hoster_reasons(hoster_licences, "licence_held_by_hoster"))
            return Entitlement(
                Verdict.SUPPORTED_BY_PARTNER,
                reasons,
                account,
                at,
                supporting_partner=hoster_licences[0].holder,
                tenant=tenant,
            )
    if account is None:
        raise ValueError("entitlement() needs an account, a tenant or a licence")

    leading = account.leading_account if account.leading_account_id else None
    subjects = [account.pk] + ([leading.pk] if leading else [])
    all_contracts = list(Contract.objects.filter(account_id__in=subjects).order_by("valid_from", "pk"))
    own = [c for c in all_contracts if c.account_id == account.pk]
    result = Entitlement(
        Verdict.NOT_ENTITLED,
        reasons,
        account,
        at,
        leading_account=leading,
        tenant=tenant,
        licence=licence,
        contracts=own,
    )

    # Rule 2: staging and simulation accounts inherit nothing.
    if account.purpose != "production":
        reasons.append(
            Reason("staging_inherits_nothing", {"account": account.identifier, "purpose": account.purpose})
        )
        if leading is None:
            reasons.append(Reason("missing_leading_account"))
        else:
            reasons.append(Reason("leading_account", {"leading": leading.identifier}))
            leading_ok, leading_reasons = _contract_rules(
                leading, [c for c in all_contracts if c.account_id == leading.pk], day
            )
            reasons.extend(leading_reasons)
            if leading_ok:
                result.verdict = Verdict.VIA_LEADING_ACCOUNT
                result.ticket_account = leading
                reasons.append(
                    Reason(
                        "create_from_leading",
                        {"leading": leading.identifier, "reference": account.identifier},
                    )
                )
            else:
                reasons.append(Reason("leading_not_entitled", {"leading": leading.identifier}))
                reasons.append(Reason("order_support_contract"))
    else:
        # Rule 3: the account's own contracts.
        ok, contract_reasons = _contract_rules(account, own, day)
        reasons.extend(contract_reasons)
        # Rule 4: licences of its tenants held by a hoster.
        if tenant is None:
            hoster_licences = licensing.hoster_held_licences(account=account)
        if ok:
            result.verdict = Verdict.ENTITLED
            result.ticket_account = account
            reasons.extend(_hoster_reasons(hoster_licences, "licence_held_by_hoster_note"))
        elif hoster_licences:
            result.verdict = Verdict.SUPPORTED_BY_PARTNER
            result.supporting_partner = hoster_licences[0].holder
            reasons.extend(_hoster_reasons(hoster_licences, "licence_held_by_hoster"))
        else:
            reasons.append(Reason("order_support_contract"))

    # Rule 5: a managing partner is named; the verdict stays.
    relation = _managing_partner(account)
    if relation is not None:
        reasons.append(
            Reason("managed_by", {"partner": relation.partner_account.identifier, "scope": relation.scope})
        )
    return result
