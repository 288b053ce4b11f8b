"""What the consistency check looks for, and how a finding is worded. Implements TEN-7 ("check domain and
services"): missing dependencies, DNS/MX not pointing to us, domains without users, billing anomalies.

``check_domain()`` inspects one live domain and returns unsaved Finding objects; the orchestration (the
CheckRun, progress, retries) is tenants.services.checks. Findings store a code and parameters, never a
sentence: ``describe_finding()`` words them when shown, with the domain named as the viewer may see it.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal, InvalidOperation

from django.utils.formats import date_format, number_format
from django.utils.translation import gettext as _

from . import catalogue, dns
from .models import LIVE_SERVICE_STATUSES, BookedService, Domain, Finding, FindingSeverity, ServiceStatus

# code → (severity, message template). Parameters: domain, service, services, hosts, date, deployed, detail.
FINDINGS: dict[str, tuple[str, Callable[[], str]]] = {
    "missing_dependency": (
        FindingSeverity.ERROR,
        lambda: _("%(service)s on %(domain)s needs %(services)s, which is not booked."),
    ),
    "missing_base_service": (
        FindingSeverity.ERROR,
        lambda: _("%(domain)s has services but no live base service."),
    ),
    "mx_elsewhere": (
        FindingSeverity.WARNING,
        lambda: _("The MX records of %(domain)s point to %(hosts)s, not to us."),
    ),
    "mx_missing": (FindingSeverity.WARNING, lambda: _("%(domain)s has no MX record.")),
    "domain_not_found": (FindingSeverity.ERROR, lambda: _("%(domain)s does not exist in the DNS.")),
    "dns_error": (
        FindingSeverity.INFO,
        lambda: _("The DNS of %(domain)s could not be checked (%(detail)s); try again later."),
    ),
    "domain_without_users": (
        FindingSeverity.WARNING,
        lambda: _("%(domain)s has no registered users: its deployed services are not billed."),
    ),
    "deployed_without_billing_start": (
        FindingSeverity.ERROR,
        lambda: _(
            "%(service)s on %(domain)s is deployed and the domain has users, but billing has not started."
        ),
    ),
    "billing_start_before_deploy": (
        FindingSeverity.ERROR,
        lambda: _(
            "%(service)s on %(domain)s: billing starts %(date)s, before its deployment on %(deployed)s."
        ),
    ),
    "billing_start_without_deploy": (
        FindingSeverity.ERROR,
        lambda: _("%(service)s on %(domain)s has a billing start (%(date)s) but was never deployed."),
    ),
    "discount_without_reason": (
        FindingSeverity.WARNING,
        lambda: _("%(service)s on %(domain)s has a discount of %(percent)s %% without a reason."),
    ),
}


def _finding(code: str, domain: Domain, service: BookedService | None = None, **details) -> Finding:
    return Finding(code=code, severity=FINDINGS[code][0], domain=domain, service=service, details=details)


def check_domain(
    domain: Domain,
    services: list[BookedService],
    users_count: int,
    *,
    graph: catalogue.Graph,
    catalogue_types: dict,
    base_id: int | None,
    checker,
) -> list[Finding]:
    """Findings for one live domain. ``services`` are all its bookings (any status)."""
    findings: list[Finding] = []
    live = [service for service in services if service.status in LIVE_SERVICE_STATUSES]
    live_types = {service.service_type_id for service in live}
    # 1. Dependencies: every live booking's requirements are live on the domain, and there is a base.
    if live and base_id is not None and base_id not in live_types:
        findings.append(_finding("missing_base_service", domain))
    for service in live:
        missing = sorted(set(graph.get(service.service_type_id, ())) - live_types)
        if missing:
            findings.append(
                _finding(
                    "missing_dependency",
                    domain,
                    service,
                    number=service.number,
                    missing=[catalogue_types[pk].code for pk in missing if pk in catalogue_types],
                    missing_names=[catalogue_types[pk].name for pk in missing if pk in catalogue_types],
                )
            )
    # 2. DNS/MX through the pluggable checker.
    result = checker.check_mx(domain.name)
    if result.status == dns.ELSEWHERE:
        findings.append(_finding("mx_elsewhere", domain, hosts=list(result.hosts)))
    elif result.status == dns.NO_MX:
        findings.append(_finding("mx_missing", domain))
    elif result.status == dns.NO_DOMAIN:
        findings.append(_finding("domain_not_found", domain))
    elif result.status == dns.ERROR:
        findings.append(_finding("dns_error", domain, detail=result.detail))
    # 3. Users: deployed services without users are not billed. Services still waiting to be deployed are
    # not billed anyway: no finding for them (it would warn about billing that cannot have started).
    deployed = [s for s in live if s.status in (ServiceStatus.DEPLOYED, ServiceStatus.ENDING)]
    if users_count == 0 and deployed:
        findings.append(_finding("domain_without_users", domain, deployed=len(deployed)))
    # 4. Billing anomalies.
    for service in services:
        deployed_now = service.status in (ServiceStatus.DEPLOYED, ServiceStatus.ENDING)
        if deployed_now and service.billing_start is None and users_count > 0:
            findings.append(
                _finding("deployed_without_billing_start", domain, service, number=service.number)
            )
        if service.billing_start is not None:
            if service.deployed_on is None:
                findings.append(
                    _finding(
                        "billing_start_without_deploy",
                        domain,
                        service,
                        number=service.number,
                        date=service.billing_start.isoformat(),
                    )
                )
            elif service.billing_start < service.deployed_on:
                findings.append(
                    _finding(
                        "billing_start_before_deploy",
                        domain,
                        service,
                        number=service.number,
                        date=service.billing_start.isoformat(),
                        deployed=service.deployed_on.isoformat(),
                    )
                )
        if (
            service.status in LIVE_SERVICE_STATUSES
            and service.discount_percent > 0
            and not service.discount_reason.strip()
        ):
            findings.append(
                _finding(
                    "discount_without_reason",
                    domain,
                    service,
                    number=service.number,
                    percent=str(service.discount_percent),
                )
            )
    return findings


def describe_finding(finding: Finding, domain_name: str | None) -> str:
    """The finding as a sentence, naming the domain as given (the caller masks it: DomainLabeler)."""
    import datetime

    severity_and_template = FINDINGS.get(finding.code)
    if severity_and_template is None:
        return finding.code
    details = finding.details or {}
    service = finding.service
    service_name = (
        f"{service.service_type.name} ({service.number})"
        if service is not None
        else details.get("number", "")
    )

    def _date(key: str) -> str:
        # Only ISO dates are dates: "deployed" is also a count in domain_without_users findings.
        value = details.get(key)
        return date_format(datetime.date.fromisoformat(value)) if isinstance(value, str) and value else ""

    def _percent(key: str) -> str:
        # "15.00" is stored; shown in the viewer's format without trailing zeros ("15", "12,5").
        try:
            value = Decimal(str(details.get(key, "")))
        except InvalidOperation:
            return str(details.get(key, ""))
        return number_format(value, max(0, -value.normalize().as_tuple().exponent), use_l10n=True)

    params = {
        "domain": domain_name or _("a removed domain"),
        "service": service_name,
        "services": ", ".join(details.get("missing_names") or details.get("missing") or []),
        "hosts": ", ".join(details.get("hosts", [])),
        "date": _date("date"),
        "deployed": _date("deployed"),
        "detail": details.get("detail", ""),
        "percent": _percent("percent"),
    }
    return severity_and_template[1]() % params
