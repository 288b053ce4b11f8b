"""The set-up check (CHK-1, seed 000 "check before you update"): classify one customer's set-up into cases A–F
and list what to correct — each finding with its reason, the fix in one sentence and a link to where to do it.

- A standard set-up: one production account, its tenants, its licences — nothing to do;
- B licences at a hoster (LIC-4): move them into the customer's account;
- C one tenant linked to two accounts — only in imported legacy data (``manage.py import_legacy`` keeps the
  second link flagged); support chooses the one account;
- D staging: a staging account without leading account; a staging or test tenant in a production account;
- E role simulation: sub-accounts not sharing the company's e-mail domain; simulation accounts not named
  "… (Simulation)";
- F managed accounts: partner management without the owner's approval; the company profile naming the
  partner instead of the customer.

Reads only (a constant number of queries per account); customers see it on their account page, support in
the lookup card, the API under ``/api/v1/accounts/{number}/setup-check/``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Account
from tenants.models import Tenant

from . import licensing
from .models import LegacyTenantLink

CASE_LABELS = {
    "A": gettext_lazy("Standard set-up"),
    "B": gettext_lazy("Licences at a hoster"),
    "C": gettext_lazy("One tenant with two accounts"),
    "D": gettext_lazy("Staging"),
    "E": gettext_lazy("Role simulation"),
    "F": gettext_lazy("Managed account"),
}


@dataclass
class Finding:
    case: str
    code: str
    reason: str
    fix: str
    url: str = ""


@dataclass
class SetupCheck:
    account: Account
    cases: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.findings

    def case_labels(self) -> list[tuple[str, str]]:
        return [(case, str(CASE_LABELS[case])) for case in self.cases]

    def as_data(self) -> dict:
        return {
            "account": self.account.identifier,
            "cases": self.cases,
            "ok": self.ok,
            "findings": [
                {"case": f.case, "code": f.code, "reason": f.reason, "fix": f.fix, "url": f.url}
                for f in self.findings
            ],
        }


def _account_url(account: Account) -> str:
    return reverse("account_detail", args=[account.url_key])


def setup_check(account: Account) -> SetupCheck:
    from delegations.models import ManagedAccount

    if account.purpose != "production" and account.leading_account_id:
        # Checked from the company's production account: the leading one.
        production = account.leading_account
    else:
        production = account
    check = SetupCheck(account=production)
    cases: set[str] = set()
    findings = check.findings

    # D: a staging/simulation account without leading account (possible only in legacy data).
    if account.purpose != "production" and not account.leading_account_id:
        cases.add("D")
        findings.append(
            Finding(
                "D",
                "staging_without_leading",
                _("%(account)s is a %(purpose)s account without a leading production account.")
                % {"account": account.identifier, "purpose": account.get_purpose_display()},
                _("Set the company's production account as its leading account."),
                _account_url(account),
            )
        )

    # B: licences at a hoster.
    for licence in licensing.hoster_held_licences(account=production):
        cases.add("B")
        findings.append(
            Finding(
                "B",
                "licence_at_hoster",
                _(
                    "Licence %(key)s for tenant %(tenant)s is held by hoster %(holder)s; support for it comes from the hoster."
                )
                % {"key": licence.key, "tenant": licence.tenant.number, "holder": licence.holder.identifier},
                _("Ask the hoster to move the licence into your account (both sides consent)."),
                reverse("tenant_detail", args=[licence.tenant.number]),
            )
        )

    dependents = list(Account.objects.filter(leading_account=production).order_by("purpose", "pk"))
    family = [production, *dependents]

    # C: legacy double links (flagged on import).
    links = list(
        LegacyTenantLink.objects.filter(resolved_at__isnull=True)
        .filter(Q(tenant__account__in=family) | Q(account__in=family))
        .select_related("tenant", "tenant__account", "account")
        .order_by("pk")
    )
    for link in links:
        cases.add("C")
        findings.append(
            Finding(
                "C",
                "tenant_with_two_accounts",
                _("Tenant %(tenant)s is linked to %(first)s and, from legacy data, to %(second)s.")
                % {
                    "tenant": link.tenant.number,
                    "first": link.tenant.account.identifier,
                    "second": link.account.identifier,
                },
                _(
                    "A tenant belongs to exactly one account: support resolves the link with you, choosing the one account."
                ),
                reverse("support_legacy_link", args=[link.pk]),
            )
        )

    # D: staging need — staging accounts exist, or staging/test tenants sit in a production account.
    if any(d.purpose == "staging" for d in dependents):
        cases.add("D")
    misplaced = (
        list(
            Tenant.objects.filter(account=production, environment__in=["staging", "test"]).order_by("number")
        )
        if production.purpose == "production"
        else []
    )
    for tenant in misplaced:
        cases.add("D")
        findings.append(
            Finding(
                "D",
                "staging_tenant_in_production_account",
                _("Tenant %(tenant)s is a %(environment)s tenant in the production account %(account)s.")
                % {
                    "tenant": tenant.number,
                    "environment": tenant.get_environment_display(),
                    "account": production.identifier,
                },
                _("Create a staging account for the company and move the tenant there."),
                reverse("support_create_staging", args=[production.url_key]),
            )
        )

    # E: role simulation — sub-accounts share the company's e-mail domain and carry a clear name.
    for dependent in dependents:
        if dependent.purpose == "simulation":
            cases.add("E")
            if "simulation" not in dependent.name.lower():
                findings.append(
                    Finding(
                        "E",
                        "simulation_name",
                        _("The simulation account %(account)s is not named as one.")
                        % {"account": dependent.identifier},
                        _('Rename it to "%(name)s (Simulation)".') % {"name": production.name},
                        _account_url(dependent),
                    )
                )
        if production.contact_domain and dependent.contact_domain != production.contact_domain:
            cases.add("E")
            findings.append(
                Finding(
                    "E",
                    "foreign_email_domain",
                    _("%(account)s uses the e-mail domain %(domain)s, not the company's %(company)s.")
                    % {
                        "account": dependent.identifier,
                        "domain": dependent.contact_domain or "–",
                        "company": production.contact_domain,
                    },
                    _("Use an address of the company's e-mail domain so support can relate the accounts."),
                    _account_url(dependent),
                )
            )

    # F: managed accounts.
    relation = (
        ManagedAccount.objects.filter(customer_account=production, status="active")
        .select_related("partner_account")
        .first()
    )
    if relation is not None:
        cases.add("F")
        partner = relation.partner_account
        if relation.decided_at is None:
            findings.append(
                Finding(
                    "F",
                    "managed_without_approval",
                    _("%(partner)s manages the account without the owner's recorded approval.")
                    % {"partner": partner.name},
                    _("The owner approves the management or dissolves it."),
                    _account_url(production),
                )
            )
        if production.name.strip().lower() == partner.name.strip().lower() or (
            production.contact_domain and production.contact_domain == partner.contact_domain
        ):
            findings.append(
                Finding(
                    "F",
                    "profile_names_partner",
                    _("The company profile names the partner %(partner)s instead of the customer.")
                    % {"partner": partner.name},
                    _(
                        "Enter the customer's company and e-mail in the profile; the partner is shown as contact."
                    ),
                    reverse("account_edit", args=[production.url_key]),
                )
            )

    check.cases = sorted(cases) or ["A"]
    return check
