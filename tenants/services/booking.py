"""Booked services: book, discount, deploy, end, cancel, and the scheduled completion of ended services.
Implements TEN-6 (state machine, billing start), TEN-7 (role-gated operations), TEN-8 (discount reasons),
DEL-3 (caretakers add and end only services that are not billable).

State machine (anything else is refused with InvalidTransition, 409)::

    ordered ──deploy──▶ deployed ──end──▶ ending ──(end date passed, job)──▶ ended
       └──cancel/end──▶ cancelled

Locking: every write locks the domain row first, then its bookings (always in that order, so two writes
on one domain serialize and never deadlock); a tenant-wide deploy locks its domains by ascending id.

Billing (TEN-6): a service is billable while it is deployed (or ending) and its domain has at least one
registered user. ``billing_start`` is the date both first held: set on deploy if the domain has users
already, otherwise when its first user is registered (tenants.services.domains). It never moves later.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from accounts.models import User
from portal import access
from portal.audit import record_event
from portal.errors import InvalidTransition, NotPermitted, RuleViolation
from portal.numbers import next_numbers

from .. import catalogue
from ..dates import berlin_today, default_end_date, earliest_end_date, latest_end_date
from ..models import (
    LIVE_SERVICE_STATUSES,
    BookedService,
    Domain,
    RegisteredUser,
    ServiceStatus,
    ServiceType,
    Tenant,
)
from ..transitions import SERVICE
from ._common import names

# Legal transitions of the state machine.
TRANSITIONS: dict[str, frozenset[str]] = {
    ServiceStatus.ORDERED: frozenset({ServiceStatus.DEPLOYED, ServiceStatus.CANCELLED}),
    ServiceStatus.DEPLOYED: frozenset({ServiceStatus.ENDING}),
    ServiceStatus.ENDING: frozenset({ServiceStatus.ENDED}),
    ServiceStatus.ENDED: frozenset(),
    ServiceStatus.CANCELLED: frozenset(),
}


class MissingDependencies(RuleViolation):
    """Booking would leave required services out (TEN-7). ``missing`` lists them, to offer adding them."""

    def __init__(self, detail, *, missing: list[ServiceType], fields: dict | None = None):
        super().__init__(detail, code="missing_dependencies", fields=fields)
        self.missing = missing


class ConfirmationRequired(RuleViolation):
    """Ending this service ends others too (TEN-7); ``affected`` lists them. Repeat with ``confirm=True``."""

    def __init__(self, detail, *, affected: list[BookedService], fields: dict | None = None):
        super().__init__(detail, code="confirmation_required", fields=fields)
        self.affected = affected


def transition(service: BookedService, new_status: str) -> None:
    """Move ``service`` to ``new_status`` in memory, or refuse an illegal transition."""
    if new_status not in TRANSITIONS[service.status]:
        raise InvalidTransition(
            _("A service that is %(current)s cannot become %(new)s.")
            % {
                "current": ServiceStatus(service.status).label,
                "new": ServiceStatus(new_status).label,
            },
            code="invalid_transition",
        )
    service.status = new_status


def lock_domain(domain: Domain | int) -> Domain:
    """Lock a domain row (the serialization point for everything on the domain) and return it fresh."""
    pk = domain if isinstance(domain, int) else domain.pk
    # of=self: lock the domain only, not the joined tenant (deploy_tenant locks tenant → domains).
    return Domain.objects.select_for_update(of=("self",)).select_related("tenant").get(pk=pk)


def _live_services(domain: Domain, *, lock: bool = True) -> list[BookedService]:
    queryset = domain.services.filter(status__in=LIVE_SERVICE_STATUSES).select_related("service_type")
    if lock:
        queryset = queryset.select_for_update(of=("self",))
    return list(queryset.order_by("pk"))


def resolve_service_types(codes: Iterable[str], *, field_name: str = "service_types") -> list[ServiceType]:
    """Service types by code, in the given order; unknown codes are refused, naming them."""
    codes = [str(code).strip() for code in codes if str(code).strip()]
    found = {service_type.code: service_type for service_type in ServiceType.objects.filter(code__in=codes)}
    unknown = [code for code in codes if code not in found]
    if unknown:
        raise RuleViolation(
            _("Unknown services: %(codes)s.") % {"codes": ", ".join(unknown)},
            code="unknown_service_type",
            fields={field_name: [_("Unknown: %(codes)s.") % {"codes": ", ".join(unknown)}]},
        )
    return [found[code] for code in dict.fromkeys(codes)]


def _billable_guard(actor: User, tenant: Tenant, types: Iterable[ServiceType], verb: str) -> None:
    """DEL-3: only holders of ``book`` (partner sales) book or end billable services; caretakers with
    ``add_service``/``end_service`` handle the free ones only."""
    billable = [service_type for service_type in types if service_type.billable]
    if billable and not access.can(actor, "book", tenant):
        raise NotPermitted(
            _("%(services)s cost money: only the partner's sales staff can %(verb)s them.")
            % {"services": names(billable), "verb": verb},
            code="billable_needs_sales",
        )


def book_on_locked_domain(
    *,
    actor: User,
    domain: Domain,
    service_types: Sequence[ServiceType],
    add_dependencies: bool,
) -> list[BookedService]:
    """Book on a domain the caller has locked (also used by add_domain). Checks dependencies and billing
    rights, creates the bookings in dependency order, and writes one audit event."""
    if domain.released_at is not None:
        raise InvalidTransition(
            _("This domain has been released; book it again first."), code="domain_released"
        )
    if not service_types:
        raise RuleViolation(
            _("Choose at least one service."), code="no_services", fields={"service_types": [_("Required.")]}
        )
    live = _live_services(domain)
    base = catalogue.base_service()
    live_base = next((service for service in live if service.service_type.is_base), None)
    if live_base is not None and live_base.status == ServiceStatus.ENDING:
        raise InvalidTransition(
            _("The domain's base service ends on %(date)s: no services can be added.")
            % {"date": date_format(live_base.end_date)},
            code="domain_ending",
        )
    plan = catalogue.plan_booking(
        service_types,
        live,
        graph=catalogue.requirement_graph(),
        catalogue=catalogue.load_catalogue(),
        base=base,
    )
    if plan.unavailable:
        raise RuleViolation(
            _("No longer offered: %(services)s.") % {"services": names(plan.unavailable)},
            code="service_type_inactive",
            fields={"service_types": [names(plan.unavailable)]},
        )
    if plan.already_booked:
        raise RuleViolation(
            _("Already booked for this domain: %(services)s.") % {"services": names(plan.already_booked)},
            code="already_booked",
            fields={"service_types": [names(plan.already_booked)]},
        )
    if plan.ending:
        raise RuleViolation(
            _("Required services are ending and cannot be relied on: %(services)s.")
            % {"services": names(plan.ending)},
            code="dependency_ending",
            fields={"service_types": [names(plan.ending)]},
        )
    if plan.missing and not add_dependencies:
        message = _("Also needed, but neither booked nor chosen: %(services)s.") % {
            "services": names(plan.missing)
        }
        raise MissingDependencies(
            message,
            missing=plan.missing,
            fields={"service_types": [message], "missing": [t.code for t in plan.missing]},
        )
    _billable_guard(actor, domain.tenant, plan.to_book, _("book"))
    numbers = next_numbers("service", len(plan.to_book))
    bookings = [
        BookedService(number=number, domain=domain, service_type=service_type, ordered_by=actor)
        for number, service_type in zip(numbers, plan.to_book, strict=True)
    ]
    try:
        with transaction.atomic():
            for booking in bookings:  # one by one: primary keys on every database
                booking.save(force_insert=True)
    except IntegrityError as exc:  # the partial unique constraint: booked concurrently
        raise RuleViolation(
            _("One of these services was just booked for this domain."), code="already_booked"
        ) from exc
    record_event(
        actor=actor,
        action="tenant.services.booked",
        target=domain,
        data={
            "domain": str(domain),
            "services": [{"number": b.number, "code": b.service_type.code} for b in bookings],
            "dependencies_added": [t.code for t in plan.missing],
        },
    )
    _hand_on_for_deployment(actor, domain, bookings)
    return bookings


def _hand_on_for_deployment(actor: User | None, domain: Domain, bookings: list[BookedService]) -> None:
    """UI-1 hand-off: whoever may deploy learns of the new bookings (after commit, by a task)."""
    from ..tasks import notify_deploy_needed

    domain_id, ids = domain.pk, [booking.pk for booking in bookings]
    actor_id = actor.pk if actor is not None else None
    transaction.on_commit(lambda: notify_deploy_needed.delay(domain_id, ids, actor_id))


@transaction.atomic
def book_services(
    *,
    actor: User,
    domain: Domain,
    service_types: Sequence[str],
    add_dependencies: bool = False,
) -> list[BookedService]:
    """Book services (by code) on a domain (TEN-7 "add services").

    Missing dependencies are refused with MissingDependencies naming them, or booked too with
    ``add_dependencies=True``. Billable services need the ``book`` right (partner sales); caretakers with
    ``add_service`` book only services that are not billable (DEL-3). Returns the new bookings, ordered.
    """
    domain = lock_domain(domain)
    access.require(actor, "add_service", domain)
    types = resolve_service_types(service_types)
    _billable_guard(actor, domain.tenant, types, _("book"))
    return book_on_locked_domain(
        actor=actor, domain=domain, service_types=types, add_dependencies=add_dependencies
    )


def _parse_discount(percent, reason: str) -> tuple[Decimal, str]:
    try:
        value = Decimal(str(percent if percent not in (None, "") else 0))
    except (InvalidOperation, ValueError) as exc:
        raise RuleViolation(
            _("The discount must be a number."),
            code="invalid_discount",
            fields={"discount_percent": [_("Not a number.")]},
        ) from exc
    if not value.is_finite() or value < 0 or value > 100:
        raise RuleViolation(
            _("The discount must be between 0 and 100 %."),
            code="invalid_discount",
            fields={"discount_percent": [_("Between 0 and 100.")]},
        )
    if value != value.quantize(Decimal("0.01")):
        raise RuleViolation(
            _("The discount can have at most two decimal places."),
            code="invalid_discount",
            fields={"discount_percent": [_("At most two decimal places.")]},
        )
    reason = (reason or "").strip()
    if value > 0 and not reason:
        raise RuleViolation(
            _("A discount needs a reason (nfr, test, or a text)."),
            code="discount_reason_required",
            fields={"discount_reason": [_("Required when there is a discount.")]},
        )
    if len(reason) > 200:
        raise RuleViolation(
            _("The reason is too long."),
            code="invalid_discount",
            fields={"discount_reason": [_("At most 200 characters.")]},
        )
    return value.quantize(Decimal("0.01")), (reason if value > 0 else "")


@transaction.atomic
def set_discount(
    *, actor: User, service: BookedService, percent: Decimal | str | int, reason: str = ""
) -> BookedService:
    """Set a booking's discount (0–100 %) and its reason (``nfr``, ``test`` or free text; TEN-6, TEN-8).
    Pricing is sales business: needs ``book`` and ``view_billing``. A zero discount clears the reason."""
    domain = lock_domain(BookedService.objects.values_list("domain_id", flat=True).get(pk=service.pk))
    service = (
        BookedService.objects.select_for_update(of=("self",))
        .select_related("service_type")
        .get(pk=service.pk)
    )
    access.require(actor, "view_billing", domain)
    access.require(actor, "book", domain)
    SERVICE.require(service, "discount")
    value, reason = _parse_discount(percent, reason)
    before = {"percent": str(service.discount_percent), "reason": service.discount_reason}
    service.discount_percent, service.discount_reason = value, reason
    service.save(update_fields=["discount_percent", "discount_reason"])
    record_event(
        actor=actor,
        action="tenant.service.discount_set",
        target=service,
        tenant=domain.tenant,
        data={"from": before, "to": {"percent": str(value), "reason": reason}},
    )
    return service


@dataclass
class DeployResult:
    services: list[BookedService] = field(default_factory=list)
    domains: list[Domain] = field(default_factory=list)  # deployed for the first time
    billing_started: list[BookedService] = field(default_factory=list)


@transaction.atomic
def deploy_tenant(*, actor: User, tenant: Tenant, domains: Iterable[Domain] | None = None) -> DeployResult:
    """Deploy every ordered service of the tenant's live domains (or of ``domains``): role ``tech`` only
    (TEN-7). Sets ``deployed``, the deploy date and — where the domain has users — the billing start."""
    tenant = Tenant.objects.select_for_update().get(pk=tenant.pk)
    access.require(actor, "deploy", tenant)
    queryset = tenant.domains.filter(released_at__isnull=True)
    if domains is not None:
        wanted = [domain.pk for domain in domains]
        queryset = queryset.filter(pk__in=wanted)
        if queryset.count() != len(set(wanted)):
            raise RuleViolation(
                _("Some of these domains are not live domains of this tenant."),
                code="unknown_domain",
                fields={"domains": [_("Not a live domain of this tenant.")]},
            )
    locked = list(queryset.select_for_update().order_by("pk"))
    services = list(
        BookedService.objects.select_for_update(of=("self",))
        .filter(domain__in=locked, status=ServiceStatus.ORDERED)
        .select_related("service_type")
        .order_by("pk")
    )
    if not services:
        raise InvalidTransition(
            _("Nothing to deploy: all domains and services are deployed already."), code="nothing_to_deploy"
        )
    today = berlin_today()
    now = timezone.now()
    with_users = set(
        RegisteredUser.objects.filter(domain__in=locked).values_list("domain_id", flat=True).distinct()
    )
    result = DeployResult(services=services)
    for service in services:
        transition(service, ServiceStatus.DEPLOYED)
        service.deployed_on = today
        service.deployed_by = actor
        if service.domain_id in with_users and service.billing_start is None:
            service.billing_start = today
            result.billing_started.append(service)
    BookedService.objects.bulk_update(services, ["status", "deployed_on", "deployed_by", "billing_start"])
    touched = {service.domain_id for service in services}
    for domain in locked:
        if domain.pk in touched and domain.deployed_at is None:
            domain.deployed_at = now
            domain.save(update_fields=["deployed_at"])
            result.domains.append(domain)
    by_pk = {domain.pk: domain for domain in locked}
    record_event(
        actor=actor,
        action="tenant.deployed",
        target=tenant,
        data={
            "services": [service.number for service in services],
            "domains": sorted({str(by_pk[service.domain_id]) for service in services}),
            "billing_started": [service.number for service in result.billing_started],
        },
    )
    return result


@dataclass
class EndResult:
    """What ending (or cancelling) a service did (TEN-7)."""

    service: BookedService
    end_date: datetime.date | None  # None when the service was cancelled (never deployed)
    ending: list[BookedService] = field(default_factory=list)  # now ending on end_date
    cancelled: list[BookedService] = field(default_factory=list)  # not yet deployed: cancelled at once
    rescheduled: list[BookedService] = field(default_factory=list)  # already ending later: moved earlier
    domain_released: bool = False

    @property
    def affected(self) -> list[BookedService]:
        """The other bookings that ended (or were cancelled or moved) with the service."""
        return [s for s in [*self.ending, *self.cancelled, *self.rescheduled] if s.pk != self.service.pk]


def _affected_by_ending(service: BookedService, live: list[BookedService]) -> list[BookedService]:
    """The other live bookings that must end with ``service``: all of them for the base service, else those
    that need it, directly or through others."""
    others = [other for other in live if other.pk != service.pk]
    if service.service_type.is_base:
        return others
    needing = catalogue.dependants(
        catalogue.requirement_graph(), service.service_type_id, [other.service_type_id for other in others]
    )
    return [other for other in others if other.service_type_id in needing]


def _end(
    *,
    actor: User,
    service: BookedService,
    end_date: datetime.date | None,
    confirm: bool,
    only_ordered: bool,
) -> EndResult:
    domain_id = BookedService.objects.values_list("domain_id", flat=True).get(pk=service.pk)
    domain = lock_domain(domain_id)
    service = (
        BookedService.objects.select_for_update(of=("self",))
        .select_related("service_type")
        .get(pk=service.pk)
    )
    access.require(actor, "end_service", domain)
    if service.status in (ServiceStatus.ENDED, ServiceStatus.CANCELLED):
        raise InvalidTransition(
            _("This service is already %(status)s.") % {"status": ServiceStatus(service.status).label},
            code="service_not_live",
        )
    if service.status == ServiceStatus.ENDING:
        raise InvalidTransition(
            _("This service already ends on %(date)s.") % {"date": date_format(service.end_date)},
            code="already_ending",
        )
    if only_ordered and service.status != ServiceStatus.ORDERED:
        raise InvalidTransition(
            _("Only services that are not deployed yet can be cancelled; end this one instead."),
            code="already_deployed",
        )
    today = berlin_today()
    cancelling = service.status == ServiceStatus.ORDERED
    if cancelling:
        effective_end = None
    else:
        effective_end = end_date or default_end_date(today)
        earliest = earliest_end_date(today)
        if effective_end < earliest:
            raise RuleViolation(
                _("A service can be ended from %(date)s on (tomorrow) at the earliest.")
                % {"date": date_format(earliest)},
                code="end_date_too_early",
                fields={
                    "end_date": [_("Tomorrow (%(date)s) at the earliest.") % {"date": date_format(earliest)}]
                },
            )
        latest = latest_end_date(today)
        if effective_end > latest:
            raise RuleViolation(
                _("A service can be ended at most five years ahead, on %(date)s at the latest.")
                % {"date": date_format(latest)},
                code="end_date_too_far",
                fields={"end_date": [_("%(date)s at the latest.") % {"date": date_format(latest)}]},
            )
    live = _live_services(domain)
    affected = _affected_by_ending(service, live)
    # Deployed dependants of a cancelled service end at the default date; ending ones are pulled forward.
    dependant_end = effective_end or default_end_date(today)
    affected = [
        other
        for other in affected
        if not (other.status == ServiceStatus.ENDING and other.end_date <= dependant_end)
    ]
    if affected and not confirm:
        listed = names(affected)
        raise ConfirmationRequired(
            _("Ending %(service)s also ends %(others)s. Confirm to end them together.")
            % {"service": names([service]), "others": listed},
            affected=affected,
            fields={
                "confirm": [_("Also ends: %(others)s.") % {"others": listed}],
                "affected": [other.number for other in affected],
            },
        )
    _billable_guard(actor, domain.tenant, [s.service_type for s in [service, *affected]], _("end"))
    now = timezone.now()
    result = EndResult(service=service, end_date=effective_end)
    for booking in [service, *affected]:
        if booking.status == ServiceStatus.ORDERED:
            transition(booking, ServiceStatus.CANCELLED)
            booking.ended_at = now
            result.cancelled.append(booking)
        elif booking.status == ServiceStatus.DEPLOYED:
            transition(booking, ServiceStatus.ENDING)
            booking.end_date = effective_end if booking is service else dependant_end
            result.ending.append(booking)
        else:  # ending later than the service it needs: moved earlier, still ending
            booking.end_date = dependant_end
            result.rescheduled.append(booking)
        booking.save(update_fields=["status", "end_date", "ended_at"])
    # The domain is released once nothing on it is live any more (at once when all was cancelled).
    if not BookedService.objects.filter(domain=domain, status__in=LIVE_SERVICE_STATUSES).exists():
        domain.released_at = now
        domain.save(update_fields=["released_at"])
        result.domain_released = True
    record_event(
        actor=actor,
        action="tenant.service.cancelled" if cancelling else "tenant.service.ended",
        target=service,
        tenant=domain.tenant,
        data={
            "domain": str(domain),
            "end_date": effective_end.isoformat() if effective_end else None,
            "ending": [b.number for b in result.ending],
            "cancelled": [b.number for b in result.cancelled],
            "rescheduled": [b.number for b in result.rescheduled],
            "domain_released": result.domain_released,
        },
    )
    return result


@transaction.atomic
def end_service(
    *,
    actor: User,
    service: BookedService,
    end_date: datetime.date | None = None,
    confirm: bool = False,
) -> EndResult:
    """End a booked service (TEN-7).

    ``end_date`` defaults to the last day of the current month (Europe/Berlin) and must be tomorrow or later.
    Ending the base service ends every service of the domain; ending a service others need ends those too —
    without ``confirm=True`` this raises ConfirmationRequired listing them. A deployed service becomes
    ``ending`` until ``end_date`` and ``ended`` after it (scheduled job); one not yet deployed is cancelled at
    once. Needs ``end_service``; billable services only with ``book`` (DEL-3).
    """
    return _end(actor=actor, service=service, end_date=end_date, confirm=confirm, only_ordered=False)


@transaction.atomic
def cancel_service(*, actor: User, service: BookedService, confirm: bool = False) -> EndResult:
    """Cancel a service before it is deployed (TEN-6); same rules as ``end_service`` for dependants."""
    return _end(actor=actor, service=service, end_date=None, confirm=confirm, only_ordered=True)


def complete_ended_services(*, today: datetime.date | None = None, batch_size: int = 1000) -> int:
    """Scheduled job (TEN-7): ``ending`` services whose end date has passed become ``ended``; domains with
    nothing live left are released. Set-based, idempotent, safe to run concurrently (SKIP LOCKED).
    Returns how many services it ended."""
    today = today or berlin_today()
    total = 0
    while True:
        with transaction.atomic():
            batch = list(
                BookedService.objects.select_for_update(skip_locked=True, of=("self",))
                .filter(status=ServiceStatus.ENDING, end_date__lt=today)
                .order_by("pk")
                .values_list("pk", "number", "domain__tenant_id")[:batch_size]
            )
            if not batch:
                break
            now = timezone.now()
            ended = BookedService.objects.filter(
                pk__in=[pk for pk, _number, _tenant in batch], status=ServiceStatus.ENDING
            ).update(status=ServiceStatus.ENDED, ended_at=now)
            total += ended
            by_tenant: dict[int, list[str]] = {}
            for _pk, number, tenant_id in batch:
                by_tenant.setdefault(tenant_id, []).append(number)
            for tenant_id, numbers in by_tenant.items():
                record_event(
                    actor=access.SYSTEM,
                    action="tenant.services.ended",
                    target=Tenant.objects.get(pk=tenant_id),
                    data={"services": numbers, "as_of": today.isoformat()},
                )
        if len(batch) < batch_size:
            break
    release_finished_domains()
    return total


def release_finished_domains() -> int:
    """Release live domains that have bookings but none of them live (their base service has ended)."""
    live = BookedService.objects.filter(domain=OuterRef("pk"), status__in=LIVE_SERVICE_STATUSES)
    any_booking = BookedService.objects.filter(domain=OuterRef("pk"))
    with transaction.atomic():
        candidates = list(
            Domain.objects.select_for_update(skip_locked=True)
            .filter(released_at__isnull=True)
            .filter(Exists(any_booking))
            .exclude(Exists(live))
            .values_list("pk", flat=True)
        )
        if not candidates:
            return 0
        return Domain.objects.filter(pk__in=candidates, released_at__isnull=True).update(
            released_at=timezone.now()
        )
